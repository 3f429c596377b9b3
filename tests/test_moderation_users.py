"""Accounts: search, deactivation ending open sessions, the moderator role, listings handed over."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in
from tests.moderation_support import emails, events, reload_listing, reload_user


@pytest.fixture
def moderator(make):
    return make.moderator(email="helene@example.org", name="Hélène Moreau")


@pytest.fixture
def mod_client(app, moderator):
    client = app.test_client()
    sign_in(client, moderator)
    return client


@pytest.mark.parametrize("query", ["durand", "SOPHIE.D", "médiathèque", "sophie média"])
def test_user_search_finds_by_name_email_or_service(make, mod_client, query):
    library = make.service(name="Médiathèque")
    make.user(email="sophie.d@agglo.example", name="Sophie Durand", service=library)
    make.user(email="karim@ville.example", name="Karim Benali")
    html = mod_client.get("/moderation/utilisateurs", query_string={"q": query}).get_data(
        as_text=True
    )
    assert "Sophie Durand" in html
    assert "Karim Benali" not in html


def test_user_search_answers_htmx_with_the_results_only(make, mod_client):
    make.user(name="Nadia Roux")
    response = mod_client.get("/moderation/utilisateurs?q=nadia", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="user-results"')
    assert "Nadia Roux" in html
    assert "HX-Request" in response.headers["Vary"]


def test_user_search_is_paginated(make_app):
    app = make_app(MODERATION_PAGE_SIZE=3)
    from tests.conftest import Factory

    make = Factory(app)
    client = app.test_client()
    sign_in(client, make.moderator(name="Zoé Modératrice"))
    for n in range(5):
        make.user(name=f"Agent {n:02d}")
    first = client.get("/moderation/utilisateurs").get_data(as_text=True)
    assert "6 comptes" in first
    assert "page=2" in first
    second = client.get("/moderation/utilisateurs?page=2").get_data(as_text=True)
    assert "Zoé Modératrice" in second or "Agent 04" in second


def test_deactivation_ends_an_open_session_and_blocks_sign_in(app, make, mod_client):
    agent = make.user(email="leaving@example.org")
    agent_client = app.test_client()
    sign_in(agent_client, agent)
    assert agent_client.get("/annonces/").status_code == 200
    response = mod_client.post(f"/moderation/utilisateurs/{agent.id}/desactiver")
    assert response.status_code == 302
    saved = reload_user(app, agent.id)
    assert saved.active is False
    assert saved.auth_token != agent.auth_token
    # The agent's open session (its old cookie) no longer signs anyone in.
    after = agent_client.get("/annonces/")
    assert after.status_code == 302 and "/connexion" in after.headers["Location"]
    retry = app.test_client().post(
        "/connexion", data={"email": agent.email, "password": "correct-horse-battery"}
    )
    assert retry.status_code == 422
    (event,) = events(app, "user.deactivated")
    assert event.object_type == "user_account" and event.object_id == agent.id
    assert event.before == {"active": True} and event.after == {"active": False}


def test_reactivated_user_can_sign_in_again(app, make, mod_client):
    agent = make.user(active=False)
    mod_client.post(f"/moderation/utilisateurs/{agent.id}/activer")
    assert reload_user(app, agent.id).active is True
    sign_in(app.test_client(), agent)
    assert [e.action for e in events(app)] == ["user.activated"]


def test_moderator_cannot_deactivate_their_own_account(app, moderator, mod_client):
    response = mod_client.post(
        f"/moderation/utilisateurs/{moderator.id}/desactiver", follow_redirects=True
    )
    assert "propre compte" in response.get_data(as_text=True)
    assert reload_user(app, moderator.id).active is True
    assert events(app) == []


def test_granting_and_revoking_the_moderator_role(app, make, mod_client):
    agent = make.user()
    mod_client.post(f"/moderation/utilisateurs/{agent.id}/moderateur/donner")
    assert reload_user(app, agent.id).is_moderator is True
    promoted = app.test_client()
    sign_in(promoted, agent)
    assert promoted.get("/moderation/").status_code == 200
    mod_client.post(f"/moderation/utilisateurs/{agent.id}/moderateur/retirer")
    assert reload_user(app, agent.id).is_moderator is False
    assert promoted.get("/moderation/").status_code == 403
    assert [(e.action, e.after) for e in events(app)] == [
        ("user.moderator_granted", {"is_moderator": True}),
        ("user.moderator_revoked", {"is_moderator": False}),
    ]


def test_the_last_moderator_cannot_revoke_their_own_role(app, moderator, mod_client):
    page = mod_client.get(f"/moderation/utilisateurs/{moderator.id}").get_data(as_text=True)
    assert "dernier modérateur actif" in page
    response = mod_client.post(
        f"/moderation/utilisateurs/{moderator.id}/moderateur/retirer", follow_redirects=True
    )
    assert "Vous êtes le dernier modérateur" in response.get_data(as_text=True)
    assert reload_user(app, moderator.id).is_moderator is True
    assert events(app) == []


def test_a_moderator_can_step_down_when_another_one_remains(app, make, moderator, mod_client):
    make.moderator()
    mod_client.post(f"/moderation/utilisateurs/{moderator.id}/moderateur/retirer")
    assert reload_user(app, moderator.id).is_moderator is False
    assert mod_client.get("/moderation/").status_code == 403


def test_an_inactive_moderator_does_not_count_as_the_remaining_one(
    app, make, moderator, mod_client
):
    make.moderator(active=False)
    mod_client.post(f"/moderation/utilisateurs/{moderator.id}/moderateur/retirer")
    assert reload_user(app, moderator.id).is_moderator is True


def test_open_listings_of_a_leaving_agent_go_to_a_colleague_who_is_emailed(app, make, mod_client):
    service = make.service(name="Écoles")
    leaving = make.user(name="Paul Départ", service=service)
    colleague = make.user(email="colleague@example.org", name="Léa Reprise", service=service)
    open_ones = [make.listing(poster=leaving, status=s) for s in ("pending", "published")]
    rejected = make.listing(poster=leaving, status="rejected")
    closed = make.listing(poster=leaving, status="closed")
    page = mod_client.get(f"/moderation/utilisateurs/{leaving.id}").get_data(as_text=True)
    assert '<option value="colleague@example.org">' in page
    response = mod_client.post(
        f"/moderation/utilisateurs/{leaving.id}/transferer",
        data={"colleague_email": " Colleague@Example.org "},
        follow_redirects=True,
    )
    assert "3 annonces transférées à Léa Reprise" in response.get_data(as_text=True)
    for listing in (*open_ones, rejected):
        moved = reload_listing(app, listing.id)
        assert moved.poster_id == colleague.id
        assert moved.poster_service_id == leaving.service_id  # frozen at posting
    assert reload_listing(app, closed.id).poster_id == leaving.id
    (email,) = emails(app)
    assert email.to == "colleague@example.org"
    assert email.kind == "listings_transferred"
    assert "Paul Départ" in email.subject
    assert f"http://reemploi.test/annonces/{open_ones[0].id}" in email.text
    journal = events(app, "listing.transferred")
    assert sorted(e.object_id for e in journal) == sorted(
        listing.id for listing in (*open_ones, rejected)
    )
    assert journal[0].before["poster_id"] == leaving.id
    assert journal[0].after["poster_id"] == colleague.id


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nobody@example.org", "Aucun compte avec cette adresse."),
        ("self", "Choisissez un autre compte que celui qui part."),
        ("inactive", "Le compte de ce collègue est désactivé"),
        ("", "Indiquez l&#39;adresse e-mail du collègue."),
    ],
)
def test_transfer_to_an_unusable_colleague_is_refused(app, make, mod_client, target, message):
    leaving = make.user(email="leaving@example.org")
    make.user(email="inactive@example.org", active=False)
    listing = make.listing(poster=leaving, status="published")
    email = {"self": "leaving@example.org", "inactive": "inactive@example.org"}.get(target, target)
    response = mod_client.post(
        f"/moderation/utilisateurs/{leaving.id}/transferer", data={"colleague_email": email}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message.replace("&#39;", "'") in html.replace("&#39;", "'")
    assert reload_listing(app, listing.id).poster_id == leaving.id
    assert emails(app) == [] and events(app) == []


def test_transfer_of_an_agent_without_open_listings_says_so(app, make, mod_client):
    leaving = make.user(name="Sans Annonce")
    colleague = make.user()
    response = mod_client.post(
        f"/moderation/utilisateurs/{leaving.id}/transferer",
        data={"colleague_email": colleague.email},
    )
    assert response.status_code == 422
    assert "aucune annonce en cours" in response.get_data(as_text=True).lower()
    assert emails(app) == [] and events(app) == []


def test_unknown_user_is_404(mod_client):
    assert mod_client.get("/moderation/utilisateurs/999999").status_code == 404
    assert mod_client.post("/moderation/utilisateurs/999999/desactiver").status_code == 404
