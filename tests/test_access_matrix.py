"""Who may reach what: every route × method × role, htmx partials and photos included.

Each feature adds its routes to ROUTES. A URL template may use {listing} (a published listing of
`owner`), {pending} (a pending listing of `owner`), {photo} (a photo of the pending listing),
{user} (the `other` agent's id), {transfer} (part of the published listing, exchanged today),
{half} (this half-year, e.g. 2026-S2), {email} (an outbox email), {category}, {site}, {service},
{organisation} (the reference data of the published listing and its poster). Expectations: OK
(2xx, or 3xx not to the sign-in page), LOGIN (sent to the sign-in page), DENIED (403 or 404), any
other int (that exact status).
"""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from app.stats.periods import half_year_of, paris_today
from tests.conftest import Factory, sign_in

OK, LOGIN, DENIED = "ok", "login", "denied"
ROLES = ("anonymous", "owner", "other", "moderator")


def everyone(expected):
    return dict.fromkeys(ROLES, expected)


def signed_in(expected, moderator=None):
    return {
        "anonymous": LOGIN,
        "owner": expected,
        "other": expected,
        "moderator": moderator or expected,
    }


def owner_only(expected=OK):
    """The poster and moderators; other agents are denied."""
    return {"anonymous": LOGIN, "owner": expected, "other": DENIED, "moderator": expected}


def moderators_only(expected=OK):
    return {"anonymous": LOGIN, "owner": DENIED, "other": DENIED, "moderator": expected}


# (method, url template, expectations by role, form data for POST)
ROUTES: list[tuple[str, str, dict, dict | None]] = [
    ("GET", "/healthz", everyone(OK), None),
    ("GET", "/theme.css", everyone(OK), None),
    ("GET", "/connexion", {**everyone(OK)}, None),
    ("POST", "/connexion", everyone(OK), {"email": "", "password": ""}),
    ("GET", "/", signed_in(OK), None),
    ("POST", "/deconnexion", everyone(LOGIN), {}),  # signs out, then shows the sign-in page
    ("GET", "/profil", signed_in(OK), None),
    ("POST", "/profil", signed_in(OK), {"name": ""}),
    ("GET", "/bienvenue", signed_in(OK), None),
    ("POST", "/bienvenue", signed_in(OK), {"name": ""}),
    ("POST", "/langue/en", everyone(OK), {}),
    ("GET", "/annonces/", signed_in(OK), None),
    ("GET", "/annonces/?q=objet&category=1", signed_in(OK), None),
    ("GET", "/annonces/nouvelle", signed_in(OK), None),
    ("POST", "/annonces/nouvelle", signed_in(OK), {"title": ""}),
    ("GET", "/annonces/poids-estime?category_id=1&quantity=2", signed_in(OK), None),
    ("GET", "/annonces/{listing}", signed_in(OK), None),
    ("GET", "/annonces/{pending}", owner_only(), None),
    ("GET", "/annonces/{listing}/modifier", owner_only(), None),
    ("GET", "/annonces/{pending}/modifier", owner_only(), None),
    ("POST", "/annonces/{listing}/modifier", owner_only(), {"title": ""}),
    ("POST", "/annonces/{pending}/modifier", owner_only(), {"title": ""}),
    ("GET", "/mes-annonces", signed_in(OK), None),
    ("GET", "/photos/{photo}/thumb", owner_only(), None),
    ("GET", "/photos/{photo}/display", owner_only(), None),
    ("GET", "/photos/{photo}/original", {**owner_only(DENIED)}, None),
    # Closing: the poster and moderators; another agent gets 403 (published) or 404 (pending).
    ("GET", "/annonces/{listing}/cloturer", owner_only(), None),
    ("POST", "/annonces/{listing}/cloturer", owner_only(), {}),  # 422: no reason given
    ("GET", "/annonces/{pending}/cloturer", owner_only(), None),
    # Statistics, exports and six-monthly reports: moderators only.
    ("GET", "/statistiques/", moderators_only(), None),
    ("GET", "/statistiques/?periode=month&mois=2025-03", moderators_only(), None),
    ("GET", "/statistiques/export/echanges.csv", moderators_only(), None),
    ("GET", "/statistiques/export/echanges.xlsx", moderators_only(), None),
    ("GET", "/statistiques/export/annonces.csv?periode=year&annee=2025", moderators_only(), None),
    ("GET", "/statistiques/export/annonces.xlsx", moderators_only(), None),
    ("GET", "/statistiques/bilans", moderators_only(), None),
    ("GET", "/statistiques/bilans/{half}", moderators_only(), None),
    ("GET", "/statistiques/bilans/{half}/export.csv", moderators_only(), None),
    ("GET", "/statistiques/bilans/{half}/export.xlsx", moderators_only(), None),
    ("POST", "/statistiques/bilans/{half}/echanges/{transfer}/poids", moderators_only(), {}),
    ("POST", "/statistiques/bilans/2025-S1/valider", moderators_only(), {}),
    (
        "POST",
        "/annonces/{listing}/contact",
        {"anonymous": LOGIN, "owner": DENIED, "other": OK, "moderator": OK},
        {"message": ""},
    ),
    ("POST", "/annonces/{pending}/contact", signed_in(DENIED), {"message": ""}),
    ("POST", "/annonces/{listing}/reserver", owner_only(), {"requester_id": ""}),
    ("POST", "/annonces/{pending}/reserver", owner_only(), {"requester_id": ""}),
    ("POST", "/annonces/{listing}/liberer", owner_only(), {}),
    ("GET", "/moderation/courriels", moderators_only(OK), None),
    ("POST", "/moderation/courriels/{email}/renvoyer", moderators_only(OK), {}),
    ("GET", "/dev/courriels", everyone(DENIED), None),  # only exists when DEVELOPMENT is true
    # Moderation. State changes aim at records they leave as they are (an already published
    # listing to approve, a pending one to unpublish, invalid forms) or come last.
    ("GET", "/moderation/", moderators_only(), None),
    ("GET", "/moderation/compteur", moderators_only(), None),
    ("GET", "/moderation/annonces/{pending}", moderators_only(), None),
    ("POST", "/moderation/annonces/{listing}/approuver", moderators_only(), {}),
    ("POST", "/moderation/annonces/{pending}/refuser", moderators_only(), {}),
    ("POST", "/moderation/annonces/{pending}/corriger", moderators_only(), {}),
    ("POST", "/moderation/annonces/{pending}/depublier", moderators_only(), {}),
    ("POST", "/moderation/approuver-selection", moderators_only(), {}),
    ("GET", "/moderation/journal", moderators_only(), None),
    ("GET", "/moderation/journal?person=a&listing=1&date_from=2026-01-01", moderators_only(), None),
    ("GET", "/moderation/categories", moderators_only(), None),
    ("GET", "/moderation/categories/nouvelle", moderators_only(), None),
    ("POST", "/moderation/categories/nouvelle", moderators_only(), {"name": ""}),
    ("GET", "/moderation/categories/{category}", moderators_only(), None),
    ("POST", "/moderation/categories/{category}", moderators_only(), {"name": ""}),
    ("GET", "/moderation/services", moderators_only(), None),
    ("GET", "/moderation/services/nouveau", moderators_only(), None),
    ("POST", "/moderation/services/nouveau", moderators_only(), {"name": ""}),
    ("GET", "/moderation/services/{service}", moderators_only(), None),
    ("POST", "/moderation/services/{service}", moderators_only(), {"name": ""}),
    ("GET", "/moderation/services/import", moderators_only(), None),
    ("POST", "/moderation/services/import", moderators_only(), {}),
    ("GET", "/moderation/collectivites/nouvelle", moderators_only(), None),
    ("POST", "/moderation/collectivites/nouvelle", moderators_only(), {"name": ""}),
    ("GET", "/moderation/collectivites/{organisation}", moderators_only(), None),
    ("POST", "/moderation/collectivites/{organisation}", moderators_only(), {"name": ""}),
    ("GET", "/moderation/sites", moderators_only(), None),
    ("GET", "/moderation/sites/nouveau", moderators_only(), None),
    ("POST", "/moderation/sites/nouveau", moderators_only(), {"name": ""}),
    ("GET", "/moderation/sites/{site}", moderators_only(), None),
    ("POST", "/moderation/sites/{site}", moderators_only(), {"name": ""}),
    ("GET", "/moderation/utilisateurs", moderators_only(), None),
    ("GET", "/moderation/utilisateurs?q=other", moderators_only(), None),
    ("GET", "/moderation/utilisateurs/{user}", moderators_only(), None),
    ("POST", "/moderation/utilisateurs/{user}/transferer", moderators_only(), {}),
    ("POST", "/moderation/utilisateurs/{user}/desactiver", moderators_only(), {}),
    ("POST", "/moderation/utilisateurs/{user}/activer", moderators_only(), {}),
    ("POST", "/moderation/utilisateurs/{user}/moderateur/donner", moderators_only(), {}),
    ("POST", "/moderation/utilisateurs/{user}/moderateur/retirer", moderators_only(), {}),
    ("POST", "/moderation/categories/{category}/retirer", moderators_only(), {}),
    ("POST", "/moderation/sites/{site}/retirer", moderators_only(), {}),
    ("POST", "/moderation/services/{service}/retirer", moderators_only(), {}),
    ("POST", "/moderation/collectivites/{organisation}/retirer", moderators_only(), {}),
]


@pytest.fixture
def world(app):
    make = Factory(app)
    owner = make.user(email="owner@example.org")
    other = make.user(email="other@example.org")
    moderator = make.moderator(email="moderator@example.org")
    published = make.listing(poster=owner, status="published")
    pending = make.listing(poster=owner, status="pending")
    photo_id = _add_photo(app, pending, owner)
    values = {
        "listing": published.id,
        "pending": pending.id,
        "photo": photo_id,
        "user": other.id,
        "transfer": _add_transfer(app, published, other),
        "half": half_year_of(paris_today()).key,
        "email": _add_email(app),
        "category": published.category_id,
        "site": published.site_id,
        "service": owner.service_id,
        "organisation": _organisation_of(app, owner.service_id),
    }
    return {"owner": owner, "other": other, "moderator": moderator, "values": values}


def _organisation_of(app, service_id):
    from app.extensions import db
    from app.models import Service

    with app.app_context():
        return db.session.get(Service, service_id).organisation_id


def _add_photo(app, listing, owner):
    from app.extensions import db
    from app.models import Photo
    from app.photos import store_photo
    from tests.conftest import image_bytes

    with app.test_request_context():
        stored = store_photo(image_bytes())
        photo = Photo(
            listing_id=listing.id,
            uploaded_by_id=owner.id,
            stored_name=stored.stored_name,
            width=stored.width,
            height=stored.height,
        )
        db.session.add(photo)
        db.session.commit()
        return photo.id


def _add_transfer(app, listing, receiver):
    from decimal import Decimal

    from app.extensions import db
    from app.models import Transfer

    with app.app_context():
        transfer = Transfer(
            listing_id=listing.id,
            quantity=1,
            receiving_service_id=receiver.service_id,
            value_share=Decimal("0"),
            weight_share_kg=Decimal("0"),
        )
        db.session.add(transfer)
        db.session.commit()
        return transfer.id


def _add_email(app):
    from app.extensions import db
    from app.models import OutboxEmail

    with app.app_context():
        email = OutboxEmail(to="a@example.org", subject="s", text="t", message_id="<m@test>")
        db.session.add(email)
        db.session.commit()
        return email.id


def _client_for(app, world, role):
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, world[role])
    return client


def _classify(response) -> str | int:
    location = response.headers.get("Location", "") or response.headers.get("HX-Redirect", "")
    if response.status_code in (302, 303, 204) and "/connexion" in location:
        return LOGIN
    if response.status_code in (403, 404):
        return DENIED
    if response.status_code < 400 or response.status_code == 422:  # 422: reached, input refused
        return OK
    return response.status_code


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, world, role, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    failures = []
    for method, template, expected, data in ROUTES:
        client = _client_for(app, world, role)  # fresh: a POST may sign out or change state
        url = template.format(**world["values"])
        response = client.open(url, method=method, data=data, headers=headers)
        got = _classify(response)
        response.close()
        if got != expected[role]:
            failures.append(f"{method} {url}: expected {expected[role]}, got {got}")
    assert failures == []


def test_every_route_and_method_is_in_the_matrix(app, world):
    """A new route cannot ship without its line in ROUTES."""
    adapter = app.url_map.bind("localhost")
    covered = set()
    for method, template, _expected, _data in ROUTES:
        url = template.format(**world["values"])
        try:
            endpoint, _args = adapter.match(url.split("?")[0], method=method)
        except (NotFound, MethodNotAllowed, RequestRedirect):
            continue
        covered.add((endpoint, method))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert missing == []
