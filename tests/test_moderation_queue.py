"""The moderation queue: approve, reject, approve several, the pending counter in the header."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.models import utcnow
from tests.conftest import sign_in
from tests.moderation_support import QueryCounter, emails, events, reload_listing


@pytest.fixture
def moderator(make):
    return make.moderator(name="Hélène Moreau")


@pytest.fixture
def mod_client(app, moderator):
    client = app.test_client()
    sign_in(client, moderator)
    return client


@pytest.fixture
def poster(make):
    return make.user(email="poster@example.org", name="Paul Déposant")


def test_queue_lists_pending_listings_oldest_first_with_what_a_moderator_needs(
    make, mod_client, poster
):
    now = utcnow()
    recent = make.listing(poster=poster, status="pending", title="Recent", created_at=now)
    old = make.listing(
        poster=poster,
        status="pending",
        title="Ancienne",
        created_at=now - timedelta(days=3),
        estimated_value="1234.50",
    )
    make.listing(poster=poster, status="published", title="Deja en ligne")
    html = mod_client.get("/moderation/").get_data(as_text=True)
    assert html.index("Ancienne") < html.index("Recent")
    assert "Deja en ligne" not in html
    assert "il y a 3 jours" in html
    assert "Paul Déposant" in html
    assert "234,50\u00a0€" in html
    assert f'id="annonce-{old.id}"' in html and f'id="annonce-{recent.id}"' in html


def test_queue_shows_photo_thumbnails(app, make, mod_client, poster):
    from tests.test_access_matrix import _add_photo

    listing = make.listing(poster=poster, status="pending")
    photo_id = _add_photo(app, listing, poster)
    html = mod_client.get("/moderation/").get_data(as_text=True)
    assert f'src="/photos/{photo_id}/thumb"' in html
    thumb = mod_client.get(f"/photos/{photo_id}/thumb")
    assert thumb.status_code == 200
    thumb.close()


def test_approving_publishes_emails_the_poster_and_journals(app, make, mod_client, poster):
    listing = make.listing(poster=poster, status="pending", title="Chaises grises")
    response = mod_client.post(f"/moderation/annonces/{listing.id}/approuver")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/moderation/")
    saved = reload_listing(app, listing.id)
    assert saved.status == "published"
    assert saved.published_at is not None
    (email,) = emails(app)
    assert email.to == "poster@example.org"
    assert email.kind == "listing_approved"
    assert "Votre annonce est en ligne : Chaises grises" in email.subject
    assert f"http://reemploi.test/annonces/{listing.id}" in email.text
    assert f'href="http://reemploi.test/annonces/{listing.id}"' in email.html
    (event,) = events(app, "listing.approved")
    assert event.object_type == "listing" and event.object_id == listing.id
    assert event.before["status"] == "pending"
    assert event.after["status"] == "published"
    assert event.actor_id is not None
    assert events(app, "listing.status_changed") == []


def test_approved_listing_appears_on_the_browse_page(app, make, mod_client, poster):
    listing = make.listing(poster=poster, status="pending", title="Bureau en chêne clair")
    agent = app.test_client()
    sign_in(agent, make.user())
    assert "Bureau en chêne clair" not in agent.get("/annonces/").get_data(as_text=True)
    mod_client.post(f"/moderation/annonces/{listing.id}/approuver")
    assert "Bureau en chêne clair" in agent.get("/annonces/").get_data(as_text=True)


def test_htmx_approve_swaps_the_row_and_updates_the_counter_out_of_band(make, mod_client, poster):
    listing = make.listing(poster=poster, status="pending", title="Lampe")
    make.listing(poster=poster, status="pending")
    response = mod_client.post(
        f"/moderation/annonces/{listing.id}/approuver", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="annonce-{listing.id}"' in html
    assert "Annonce « Lampe » approuvée" in html
    assert re.search(r'id="pending-count"[^>]*hx-swap-oob="true"[^>]*>1<', html)
    assert "<html" not in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_approving_twice_warns_and_sends_one_email(app, make, mod_client, poster):
    listing = make.listing(poster=poster, status="pending")
    mod_client.post(f"/moderation/annonces/{listing.id}/approuver")
    again = mod_client.post(f"/moderation/annonces/{listing.id}/approuver", follow_redirects=True)
    assert "déjà été traitée" in again.get_data(as_text=True)
    assert len(emails(app)) == 1
    assert len(events(app, "listing.approved")) == 1


def test_rejecting_stores_the_reason_emails_it_with_the_edit_link_and_journals(
    app, make, mod_client, poster
):
    listing = make.listing(poster=poster, status="pending", title="Télévision")
    prefix = f"refus-{listing.id}"
    response = mod_client.post(
        f"/moderation/annonces/{listing.id}/refuser",
        data={f"{prefix}-reason": "personal_use", f"{prefix}-detail": "Pas pour la maison."},
    )
    assert response.status_code == 302
    saved = reload_listing(app, listing.id)
    assert saved.status == "rejected"
    assert saved.rejection_reason == "Usage personnel : Pas pour la maison."
    (email,) = emails(app)
    assert email.to == "poster@example.org"
    assert email.kind == "listing_rejected"
    assert "Télévision" in email.subject
    assert "Motif : Usage personnel : Pas pour la maison." in email.text
    assert f"http://reemploi.test/annonces/{listing.id}/modifier" in email.text
    assert f'href="http://reemploi.test/annonces/{listing.id}/modifier"' in email.html
    (event,) = events(app, "listing.rejected")
    assert event.before["status"] == "pending"
    assert event.after["status"] == "rejected"
    assert event.after["reason_code"] == "personal_use"
    assert event.after["rejection_reason"] == saved.rejection_reason


def test_rejection_reaches_the_posters_mes_annonces(app, make, mod_client, poster):
    listing = make.listing(poster=poster, status="pending")
    prefix = f"refus-{listing.id}"
    mod_client.post(
        f"/moderation/annonces/{listing.id}/refuser",
        data={f"{prefix}-reason": "it_equipment", f"{prefix}-detail": ""},
    )
    own = app.test_client()
    sign_in(own, poster)
    html = own.get("/mes-annonces").get_data(as_text=True)
    assert "Matériel informatique" in html
    assert f"/annonces/{listing.id}/modifier" in html


@pytest.mark.parametrize(
    ("reason", "detail", "message"),
    [
        ("", "", "Choisissez un motif dans la liste."),
        ("other", "  ", "expliquez le refus au déposant"),
        ("made_up", "", "choix valide"),
        ("doublon", "x" * 401, "400 caractères au plus."),
    ],
    ids=["no-reason", "other-without-words", "unknown-reason", "too-long"],
)
def test_rejection_without_a_valid_reason_is_refused_and_keeps_the_text(
    app, make, mod_client, poster, reason, detail, message
):
    listing = make.listing(poster=poster, status="pending")
    prefix = f"refus-{listing.id}"
    detail = detail or "Texte gardé"
    data = {f"{prefix}-reason": reason, f"{prefix}-detail": detail}
    response = mod_client.post(f"/moderation/annonces/{listing.id}/refuser", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html.replace("&#39;", "'")
    assert "<details open" in html
    if detail.strip():
        assert detail in html
    assert reload_listing(app, listing.id).status == "pending"
    assert emails(app) == [] and events(app) == []


def test_htmx_rejection_errors_come_back_in_the_row_with_200(make, mod_client, poster):
    listing = make.listing(poster=poster, status="pending")
    response = mod_client.post(
        f"/moderation/annonces/{listing.id}/refuser",
        data={f"refus-{listing.id}-reason": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<li") or 'id="annonce-' in html
    assert "Choisissez un motif dans la liste." in html
    assert "<html" not in html


def test_bulk_approval_publishes_the_ticked_pending_listings(app, make, mod_client, poster):
    first = make.listing(poster=poster, status="pending")
    second = make.listing(poster=poster, status="pending")
    untouched = make.listing(poster=poster, status="pending")
    already = make.listing(poster=poster, status="rejected")
    response = mod_client.post(
        "/moderation/approuver-selection",
        data={"listing_ids": [str(first.id), str(second.id), str(already.id)]},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "2 annonces approuvées" in html
    assert "1 annonce avait déjà été traitée" in html
    assert reload_listing(app, first.id).status == "published"
    assert reload_listing(app, second.id).status == "published"
    assert reload_listing(app, untouched.id).status == "pending"
    assert reload_listing(app, already.id).status == "rejected"
    assert len(emails(app, "listing_approved")) == 2
    assert len(events(app, "listing.approved")) == 2


@pytest.mark.parametrize("ids", [[], ["abc"], ["1; DROP"]], ids=["none", "text", "injection"])
def test_bulk_approval_with_a_bad_selection_changes_nothing(app, make, mod_client, poster, ids):
    listing = make.listing(poster=poster, status="pending")
    response = mod_client.post(
        "/moderation/approuver-selection", data={"listing_ids": ids}, follow_redirects=True
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Cochez au moins une annonce" in html or "Sélection invalide" in html
    assert reload_listing(app, listing.id).status == "pending"
    assert emails(app) == []


def test_htmx_bulk_approval_returns_the_queue_with_flashes_and_counter(make, mod_client, poster):
    listing = make.listing(poster=poster, status="pending")
    response = mod_client.post(
        "/moderation/approuver-selection",
        data={"listing_ids": [str(listing.id)]},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="queue"' in html
    assert 'id="flashes"' in html and "1 annonce approuvée" in html
    assert re.search(r'id="pending-count"[^>]*hx-swap-oob="true"[^>]*>0<', html)


def test_header_shows_the_pending_count_to_moderators_only(app, make, mod_client, poster):
    make.listing(poster=poster, status="pending")
    make.listing(poster=poster, status="pending")
    html = mod_client.get("/annonces/").get_data(as_text=True)
    assert re.search(r'href="/moderation/"[^>]*>Modération\s*<span id="pending-count"', html)
    assert re.search(r'hx-get="/moderation/compteur" hx-trigger="every 60s"[^>]*>2<', html)
    agent = app.test_client()
    sign_in(agent, poster)
    agent_html = agent.get("/annonces/").get_data(as_text=True)
    assert "/moderation/" not in agent_html and "Modération" not in agent_html


def test_counter_partial_answers_htmx_and_sends_plain_requests_to_the_queue(
    make, mod_client, poster
):
    make.listing(poster=poster, status="pending")
    partial = mod_client.get("/moderation/compteur", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert re.search(r'<span id="pending-count"[^>]*>1<', partial.get_data(as_text=True))
    plain = mod_client.get("/moderation/compteur")
    assert plain.status_code == 302 and plain.headers["Location"].endswith("/moderation/")


def test_agents_get_a_french_403_on_every_moderation_page(client, make):
    sign_in(client, make.user())
    response = client.get("/moderation/")
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)


def test_queue_takes_the_same_number_of_queries_for_two_or_ten_listings(
    app, make, mod_client, poster
):
    from tests.test_access_matrix import _add_photo

    def queries_for_queue():
        with QueryCounter(app) as counter:
            assert mod_client.get("/moderation/").status_code == 200
        return counter.count

    for _ in range(2):
        _add_photo(app, make.listing(status="pending"), poster)
    two = queries_for_queue()
    for _ in range(8):
        _add_photo(app, make.listing(status="pending"), poster)
    assert queries_for_queue() == two


def test_a_resubmitted_listing_waits_from_its_resubmission_not_its_posting(
    app, make, mod_client, poster
):
    from tests.test_listings_edit import edit_data

    now = utcnow()
    make.listing(
        poster=poster,
        status="pending",
        title="Attend depuis hier",
        created_at=now - timedelta(days=1),
    )
    old = make.listing(
        poster=poster,
        status="rejected",
        title="Refusée le mois dernier",
        created_at=now - timedelta(days=30),
        rejection_reason="Photo manquante.",
    )
    html = mod_client.get("/moderation/").get_data(as_text=True)
    assert "Refusée le mois dernier" not in html
    client = sign_in(app.test_client(), poster)
    client.post(f"/annonces/{old.id}/modifier", data=edit_data(old))
    saved = reload_listing(app, old.id)
    assert saved.status == "pending" and saved.submitted_at > now
    html = mod_client.get("/moderation/").get_data(as_text=True)
    item = html[html.index(f'id="annonce-{old.id}"') :]
    assert html.index("Attend depuis hier") < html.index("Refusée le mois dernier")
    meta = item[item.index("Déposée") : item.index("</p>")]
    assert "Déposée il y a 1 mois" in meta and "renvoyée en modération il y a 1 minute" in meta


def test_an_unpublished_listing_joins_the_queue_as_just_submitted(app, make, mod_client, poster):
    listing = make.listing(
        poster=poster, title="Table pliante", created_at=utcnow() - timedelta(days=10)
    )
    mod_client.post(f"/moderation/annonces/{listing.id}/depublier")
    saved = reload_listing(app, listing.id)
    assert saved.status == "pending" and saved.submitted_at > saved.created_at
    assert "renvoyée en modération" in mod_client.get("/moderation/").get_data(as_text=True)
