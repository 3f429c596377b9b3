"""Contact the poster, the email it sends (real SMTP server), the rules, reservation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import AuditEvent, ContactRequest, Listing, OutboxEmail, User, utcnow
from tests.conftest import PASSWORD, Factory, count_rows, scalar, sign_in

HTMX = {"HX-Request": "true"}


class World:
    """A poster with a published listing, an interested agent, a moderator."""

    def __init__(self, app):
        make = Factory(app)
        ecoles = make.service(name="Écoles")
        self.app = app
        self.make = make
        self.poster = make.user(
            email="claire@agglo.example", name="Claire Martin", phone="05 49 01"
        )
        self.requester = make.user(
            email="karim@ville.example", name="Karim Benali", phone="05 49 02", service=ecoles
        )
        self.moderator = make.moderator(email="moderation@agglo.example", name="Hélène Moreau")
        self.listing = make.listing(poster=self.poster, title="Chaises visiteurs empilables")

    def client(self, user):
        return sign_in(self.app.test_client(), user)

    def contact(self, user=None, listing=None, message="", headers=None, **data):
        """POST the contact form and close the response, as a WSGI server does."""
        listing_id = (listing or self.listing).id
        response = self.client(user or self.requester).post(
            f"/annonces/{listing_id}/contact",
            data={"message": message, **data},
            headers=headers or {},
        )
        response.close()
        return response

    def contacts(self):
        with self.app.app_context():
            rows = db.session.execute(sa.select(ContactRequest)).scalars().all()
            for row in rows:
                db.session.expunge(row)
            return rows

    def listing_row(self):
        with self.app.app_context():
            row = db.session.get(Listing, self.listing.id)
            db.session.expunge(row)
            return row


@pytest.fixture
def world(app):
    return World(app)


@pytest.fixture
def mail_world(mail_app):
    return World(mail_app)


# --- The email ------------------------------------------------------------------------------


def test_contact_emails_the_poster_with_moderators_in_copy_and_reply_to_the_requester(
    mail_world, smtp_server
):
    response = mail_world.contact(message="Pour l'accueil de l'école.\nJe passe jeudi ?")
    assert response.status_code == 303
    [received] = smtp_server.messages
    assert received.header("To") == "claire@agglo.example"
    assert received.header("Cc") == "moderation@agglo.example"
    assert received.header("Reply-To") == "karim@ville.example"
    assert received.header("Subject") == (
        "[Réemploi] Karim Benali est intéressé(e) par votre annonce "
        "« Chaises visiteurs empilables »"
    )
    assert sorted(received.rcpt_tos) == ["claire@agglo.example", "moderation@agglo.example"]
    text = received.body("plain")
    for expected in (
        "Bonjour Claire Martin,",
        "Karim Benali est intéressé(e) par votre annonce « Chaises visiteurs empilables ».",
        "Service : Écoles",
        "Téléphone : 05 49 02",
        "E-mail : karim@ville.example",
        "Pour l'accueil de l'école.\nJe passe jeudi ?",
        f"Voir l'annonce : http://reemploi.test/annonces/{mail_world.listing.id}",
        "http://reemploi.test/mes-annonces",
    ):
        assert expected in text
    html = received.body("html")
    assert f'href="http://reemploi.test/annonces/{mail_world.listing.id}"' in html
    assert "Pour l&#39;accueil de l&#39;école.<br>Je passe jeudi ?" in html


def test_moderation_emails_setting_replaces_the_moderators_in_copy(make_app, smtp_server):
    app = make_app(**smtp_server.config(MODERATION_EMAILS=["reemploi@agglo.example"]))
    World(app).contact()
    [received] = smtp_server.messages
    assert received.header("Cc") == "reemploi@agglo.example"


def test_email_links_come_from_base_url_never_from_the_request_host(mail_world, smtp_server):
    client = mail_world.app.test_client()
    forged = {"base_url": "http://attacker.example"}
    credentials = {"email": mail_world.requester.email, "password": PASSWORD}
    assert client.post("/connexion", data=credentials, **forged).status_code == 302
    client.post(
        f"/annonces/{mail_world.listing.id}/contact", data={"message": ""}, **forged
    ).close()
    text = smtp_server.messages[0].body("plain")
    assert "attacker.example" not in text
    assert f"http://reemploi.test/annonces/{mail_world.listing.id}" in text


def test_server_down_during_contact_the_contact_is_kept_and_the_email_arrives_later(
    make_app, smtp_server
):
    app = make_app(**smtp_server.config(MAIL_RETRY_BASE_SECONDS=0))
    world = World(app)
    smtp_server.stop()
    response = world.contact(message="Toujours disponible ?", headers=HTMX)
    assert response.status_code == 200
    assert "Le déposant a été prévenu par e-mail." in response.get_data(as_text=True)
    assert len(world.contacts()) == 1
    assert scalar(app, sa.select(OutboxEmail.status)) == "queued"

    smtp_server.start()
    result = app.test_cli_runner().invoke(args=["reemploi", "send-mail"])
    assert result.exit_code == 0, result.output
    [received] = smtp_server.messages
    assert received.header("To") == "claire@agglo.example"
    assert "Toujours disponible ?" in received.body("plain")


def test_names_titles_and_messages_cannot_add_headers_to_the_email(mail_world, smtp_server):
    with mail_world.app.app_context():
        requester = db.session.get(User, mail_world.requester.id)
        requester.name = "Eve\r\nBcc: intrus@example.org"
        listing = db.session.get(Listing, mail_world.listing.id)
        listing.title = "Chaise\nX-Injected: oui"
        db.session.commit()
    mail_world.contact(message="Bonjour\r\n\r\nBcc: intrus@example.org\r\n.\r\nMAIL FROM:<x@y>")
    [received] = smtp_server.messages
    assert received.message["Bcc"] is None and received.message["X-Injected"] is None
    assert sorted(received.rcpt_tos) == ["claire@agglo.example", "moderation@agglo.example"]
    assert received.header("Subject") == (
        "[Réemploi] Eve Bcc: intrus@example.org est intéressé(e) par votre annonce "
        "« Chaise X-Injected: oui »"
    )
    assert "Bcc: intrus@example.org\n.\nMAIL FROM:<x@y>" in received.body("plain")


# --- Recording and the page -----------------------------------------------------------------


def test_contact_is_recorded_with_listing_requester_time_and_message(world):
    before = utcnow()
    world.contact(message="  Pour notre salle de réunion.  ")
    [contact] = world.contacts()
    assert (contact.listing_id, contact.requester_id) == (world.listing.id, world.requester.id)
    assert contact.message == "Pour notre salle de réunion."
    assert before <= contact.created_at <= utcnow()
    email = scalar(world.app, sa.select(OutboxEmail))
    assert (email.kind, email.status) == ("contact", "queued")  # no MAIL_SERVER in this app


def test_htmx_contact_returns_the_panel_alone_with_the_confirmation(world):
    response = world.contact(headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and f'id="contact-{world.listing.id}"' in body
    assert "Le déposant a été prévenu par e-mail." in body
    assert "Vous avez contacté le déposant le" in body
    assert "Je suis intéressé(e)" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_plain_contact_redirects_to_the_listing_which_then_shows_when_contact_was_made(world):
    client = world.client(world.requester)
    page = client.get(f"/annonces/{world.listing.id}").get_data(as_text=True)
    assert "Je suis intéressé(e)" in page
    response = client.post(
        f"/annonces/{world.listing.id}/contact",
        data={"message": "", "next": f"/annonces/{world.listing.id}"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/annonces/{world.listing.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Le déposant a été prévenu par e-mail." in page  # the flash
    assert "Vous avez contacté le déposant le" in page
    assert "Je suis intéressé(e)" not in page


def test_redirect_after_contact_never_leaves_the_site(world):
    response = world.contact(next="https://attacker.example/")
    assert response.headers["Location"] == f"/annonces/{world.listing.id}"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_second_contact_says_it_was_already_done_and_sends_nothing(world, htmx):
    world.contact()
    response = world.contact(headers=HTMX if htmx else None)
    assert len(world.contacts()) == 1
    assert count_rows(world.app, OutboxEmail) == 1
    if htmx:
        assert "Vous aviez déjà contacté le déposant le" in response.get_data(as_text=True)
    else:
        assert response.status_code == 303
        page = world.client(world.requester).get(response.headers["Location"])
        assert "Vous avez contacté le déposant le" in page.get_data(as_text=True)


def test_poster_cannot_contact_their_own_listing(world):
    assert world.contact(user=world.poster).status_code == 403
    assert world.contacts() == [] and count_rows(world.app, OutboxEmail) == 0
    page = world.client(world.poster).get(f"/annonces/{world.listing.id}")
    assert "Je suis intéressé(e)" not in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("pending", 404), ("rejected", 404), ("closed", 404), ("reserved", 303)],
)
def test_only_published_or_reserved_listings_can_be_contacted(world, status, expected):
    listing = world.make.listing(poster=world.poster, status=status)
    assert world.contact(listing=listing).status_code == expected
    assert len(world.contacts()) == (1 if expected == 303 else 0)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_message_over_1000_characters_is_refused_in_french_and_kept(world, htmx):
    message = "é" * 1001
    response = world.contact(message=message, headers=HTMX if htmx else None)
    body = response.get_data(as_text=True)
    assert response.status_code == (200 if htmx else 422)
    assert "Votre message fait 1001 caractères : raccourcissez-le à 1000 au plus." in body
    assert message in body
    assert world.contacts() == [] and count_rows(world.app, OutboxEmail) == 0


def test_hourly_contact_limit_is_counted_in_the_database_across_workers(make_app):
    worker_a = make_app(CONTACTS_PER_HOUR=2)
    worker_b = make_app(CONTACTS_PER_HOUR=2)  # a second process on the same database
    world = World(worker_a)
    old = world.make.listing(poster=world.poster)
    with worker_a.app_context():
        db.session.add(
            ContactRequest(
                listing_id=old.id,
                requester_id=world.requester.id,
                created_at=utcnow() - timedelta(minutes=61),
            )
        )
        db.session.commit()
    first, second, third = (world.make.listing(poster=world.poster) for _ in range(3))
    assert world.contact(listing=first).status_code == 303
    world.app = worker_b
    assert world.contact(listing=second).status_code == 303
    refused = world.contact(listing=third, headers=HTMX)
    assert "Vous avez déjà contacté 2 déposants dans l&#39;heure" in refused.get_data(as_text=True)
    world.app = worker_a
    assert world.contact(listing=third).status_code == 429
    assert len(world.contacts()) == 3  # the old one and two within the hour
    assert count_rows(worker_a, OutboxEmail) == 2


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(message=st.text(max_size=1200))
def test_any_message_is_recorded_or_refused_never_an_error(world, message):
    with world.app.app_context():
        db.session.execute(sa.delete(OutboxEmail))
        db.session.execute(sa.delete(ContactRequest))
        db.session.commit()
    response = world.contact(message=message, headers=HTMX)
    assert response.status_code == 200
    contacts = world.contacts()
    body = response.get_data(as_text=True)
    if contacts:
        assert "Le déposant a été prévenu par e-mail." in body
        assert len(contacts[0].message) <= 1000 and "\x00" not in contacts[0].message
    else:
        assert "raccourcissez-le" in body and count_rows(world.app, OutboxEmail) == 0
    assert "<script" not in body.replace("&lt;script", "")


# --- What the poster sees, reservation ------------------------------------------------------


def test_poster_sees_who_made_contact_on_the_listing_and_in_mes_annonces(world):
    world.contact(message="Pour la salle des maîtres")
    poster = world.client(world.poster)
    for url in (f"/annonces/{world.listing.id}", "/mes-annonces"):
        page = poster.get(url).get_data(as_text=True)
        for expected in ("Karim Benali", "Écoles", "karim@ville.example", "05 49 02"):
            assert expected in page, (url, expected)
        assert "Pour la salle des maîtres" in page
        assert "Réserver pour Karim Benali" in page
    other = world.client(world.make.user())
    assert "Karim Benali" not in other.get(f"/annonces/{world.listing.id}").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/annonces/{id}", "/mes-annonces"])
def test_contacts_are_shown_in_a_fixed_number_of_queries(world, url):
    def queries_for_page():
        statements = []

        def count(*_args):
            statements.append(1)

        with world.app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            poster.get(url.format(id=world.listing.id)).close()
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    poster = world.client(world.poster)
    world.contact()
    one = queries_for_page()
    for _ in range(4):
        world.contact(user=world.make.user())
    assert queries_for_page() == one


def test_poster_reserves_for_a_contact_who_is_emailed_and_it_is_journaled(mail_world, smtp_server):
    mail_world.contact()
    smtp_server.handler.messages.clear()
    response = mail_world.client(mail_world.poster).post(
        f"/annonces/{mail_world.listing.id}/reserver",
        data={"requester_id": mail_world.requester.id, "next": "/mes-annonces"},
    )
    response.close()
    assert (response.status_code, response.headers["Location"]) == (303, "/mes-annonces")
    listing = mail_world.listing_row()
    assert (listing.status, listing.reserved_for_id) == ("reserved", mail_world.requester.id)
    [received] = smtp_server.messages
    assert received.header("To") == "karim@ville.example"
    assert received.header("Reply-To") == "claire@agglo.example"
    assert "vous est réservée" in received.header("Subject")
    assert "Claire Martin vous a réservé l'annonce « Chaises visiteurs empilables »." in (
        received.body("plain")
    )
    with mail_world.app.app_context():
        event = db.session.execute(sa.select(AuditEvent)).scalar_one()
    assert (event.action, event.actor_id, event.object_id) == (
        "listing.reserve",
        mail_world.poster.id,
        mail_world.listing.id,
    )
    assert event.before["status"] == "published"
    assert event.after["reserved_for_id"] == mail_world.requester.id


def test_reserved_listing_is_badged_on_browse_and_panel_says_for_whom(world):
    world.contact()
    poster = world.client(world.poster)
    poster.post(f"/annonces/{world.listing.id}/reserver", data={"requester_id": world.requester.id})
    browse = world.client(world.make.user()).get("/annonces/").get_data(as_text=True)
    assert "Réservée" in browse
    page = poster.get(f"/annonces/{world.listing.id}").get_data(as_text=True)
    assert "Réservée pour Karim Benali depuis le" in page
    requester_page = world.client(world.requester).get(f"/annonces/{world.listing.id}")
    assert "Réservée pour vous" in requester_page.get_data(as_text=True)


def test_reservation_for_someone_who_never_made_contact_is_refused(world):
    stranger = world.make.user()
    response = world.client(world.poster).post(
        f"/annonces/{world.listing.id}/reserver", data={"requester_id": stranger.id}
    )
    assert response.status_code == 303
    assert world.listing_row().status == "published"
    assert count_rows(world.app, AuditEvent) == 0


@pytest.mark.parametrize("action", ["reserver", "liberer"])
def test_another_agent_can_neither_reserve_nor_release(world, action):
    world.contact()
    response = world.client(world.requester).post(
        f"/annonces/{world.listing.id}/{action}", data={"requester_id": world.requester.id}
    )
    assert response.status_code == 403
    assert world.listing_row().status == "published"


def test_moderator_releases_a_reservation_and_it_is_journaled(world):
    world.contact()
    world.client(world.poster).post(
        f"/annonces/{world.listing.id}/reserver", data={"requester_id": world.requester.id}
    )
    response = world.client(world.moderator).post(f"/annonces/{world.listing.id}/liberer")
    assert response.status_code == 303
    listing = world.listing_row()
    assert (listing.status, listing.reserved_for_id, listing.reserved_at) == (
        "published",
        None,
        None,
    )
    with world.app.app_context():
        actions = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.actor_id).order_by(AuditEvent.id)
        ).all()
    assert actions == [
        ("listing.reserve", world.poster.id),
        ("listing.release", world.moderator.id),
    ]


def test_releasing_a_listing_that_is_not_reserved_changes_nothing(world):
    response = world.client(world.poster).post(f"/annonces/{world.listing.id}/liberer")
    assert response.status_code == 303
    assert count_rows(world.app, AuditEvent) == 0
