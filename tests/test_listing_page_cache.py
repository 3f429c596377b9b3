"""The listing page is rendered once for every reader who neither posted the listing,
moderates nor made contact; nothing personal may reach that shared rendering."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Listing, User
from tests.conftest import PASSWORD, Factory, sign_in
from tests.test_listings_browse import count_queries

TOKEN_IN_FORM = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN_IN_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


def page(client, listing) -> str:
    response = client.get(f"/annonces/{listing.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def without_tokens(html: str) -> str:
    return TOKEN_IN_HEADER.sub("", TOKEN_IN_FORM.sub("", html))


def test_every_reader_gets_the_shared_page_with_their_own_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    make = Factory(app)
    listing = make.listing(title="Armoire haute")
    readers = []
    for _ in range(2):
        client = app.test_client()
        html = client.get("/connexion").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        user = make.user()
        client.post(
            "/connexion", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        readers.append(client)
    pages = [page(client, listing) for client in readers]
    for html in pages:
        assert "Armoire haute" in html and "Je suis intéressé(e)" in html
        form_tokens = set(TOKEN_IN_FORM.findall(html))
        # Every form on the page carries the token of this very response.
        assert form_tokens == {TOKEN_IN_HEADER.search(html).group(1)}
        assert "csrf-" not in html
    assert TOKEN_IN_HEADER.search(pages[0]).group(1) != TOKEN_IN_HEADER.search(pages[1]).group(1)
    # The second reader's page came from the cache, and its token is accepted.
    token = TOKEN_IN_FORM.search(pages[1]).group(1)
    response = readers[1].post(
        f"/annonces/{listing.id}/contact",
        data={"csrf_token": token, "message": "Pour l'accueil"},
    )
    assert response.status_code == 303
    assert "Vous avez contacté le déposant" in page(readers[1], listing)
    assert "Je suis intéressé(e)" in page(readers[0], listing)


def test_the_value_and_contacts_never_reach_other_readers(app, make):
    poster = make.user(name="Claire Martin")
    moderator = make.moderator()
    reader, interested = make.user(), make.user(name="Karim Benali")
    listing = make.listing(poster=poster, title="Bureau d'angle", estimated_value="321.00")
    sign_in(app.test_client(), interested).post(
        f"/annonces/{listing.id}/contact", data={"message": "Message privé de Karim"}
    )
    for manager in (poster, moderator):
        html = page(sign_in(app.test_client(), manager), listing)
        assert "321,00" in html and "Message privé de Karim" in html
        other = page(sign_in(app.test_client(), reader), listing)
        assert "321,00" not in other and "Karim" not in other and "Modifier l'annonce" not in other
    own = page(sign_in(app.test_client(), interested), listing)
    assert "Message privé de Karim" not in own and "Vous avez contacté le déposant" in own
    html = page(sign_in(app.test_client(), poster), listing)
    assert "321,00" in html and "Modifier l'annonce" in html


@pytest.mark.parametrize("change", ["title", "poster name", "photo count", "status"])
def test_the_shared_page_follows_every_change_it_shows(app, make, change):
    poster = make.user(name="Claire Martin")
    listing = make.listing(poster=poster, title="Chaise de bureau")
    client = sign_in(app.test_client(), make.user())
    before = page(client, listing)
    assert without_tokens(page(client, listing)) == without_tokens(before)
    with app.app_context():
        row = db.session.get(Listing, listing.id)
        if change == "title":
            row.title = "Chaise visiteur"
        elif change == "poster name":
            db.session.get(User, poster.id).name = "Claire Dubois"
        elif change == "photo count":
            from app.models import Photo
            from app.photos import store_photo
            from tests.conftest import image_bytes

            with app.test_request_context():
                stored = store_photo(image_bytes())
            db.session.add(
                Photo(
                    listing_id=row.id,
                    uploaded_by_id=poster.id,
                    stored_name=stored.stored_name,
                    position=0,
                )
            )
        else:
            row.status = "reserved"
        db.session.commit()
    after = page(client, listing)
    expected = {
        "title": "Chaise visiteur",
        "poster name": "Claire Dubois",
        "photo count": "Photo principale",
        "status": "réservée pour un autre agent",
    }[change]
    assert expected not in before and expected in after


def test_a_cached_listing_page_runs_three_queries(app, make):
    listing = make.listing(title="Table ronde")
    client = sign_in(app.test_client(), make.user())
    page(client, listing)
    with count_queries(app) as statements:
        assert "Table ronde" in page(client, listing)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3  # the signed-in user, the change counter, the listing and contact


def test_a_listing_hidden_from_readers_stays_hidden_after_it_was_cached(app, make):
    listing = make.listing(title="Lampe de bureau")
    client = sign_in(app.test_client(), make.user())
    page(client, listing)
    with app.app_context():
        db.session.get(Listing, listing.id).status = "pending"
        db.session.commit()
    assert client.get(f"/annonces/{listing.id}").status_code == 404


def test_a_query_string_does_not_make_a_second_copy_of_the_page(app, make):
    listing = make.listing(title="Porte-manteau")
    client = sign_in(app.test_client(), make.user())
    html = client.get(f"/annonces/{listing.id}?depuis=recherche").get_data(as_text=True)
    assert f'name="next" value="/annonces/{listing.id}"' in html
    with count_queries(app) as statements:
        assert "Porte-manteau" in page(client, listing)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3  # served from the copy the first request made
