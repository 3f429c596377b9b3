"""Listing page, editing, remoderation, resubmission and Mes annonces."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Listing, OutboxEmail, Photo
from tests.conftest import image_bytes, sign_in


def edit_data(listing, **overrides):
    data = {
        "title": listing.title,
        "description": listing.description,
        "category_id": str(listing.category_id),
        "quantity": str(listing.quantity),
        "condition": listing.condition,
        "estimated_value": str(listing.estimated_value),
        "weight_kg": "",
        "site_id": str(listing.site_id),
        "location_detail": "",
        "available_from": "",
        "professional_use_confirmed": "y",
    }
    data.update(overrides)
    return data


def reload(app, listing_id) -> Listing:
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        db.session.expunge(listing)
        return listing


@pytest.fixture
def poster(make):
    return make.user()


def test_value_and_weight_are_shown_to_the_poster_and_moderators_only(app, make, poster):
    listing = make.listing(poster=poster, estimated_value=Decimal("1234.50"))
    for user, visible in ((poster, True), (make.moderator(), True), (make.user(), False)):
        client = app.test_client()
        sign_in(client, user)
        html = client.get(f"/annonces/{listing.id}").get_data(as_text=True)
        assert ("1\u202f234,50" in html or "1 234,50" in html) is visible
        assert ("Valeur estimée" in html) is visible


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_unpublished_listings_are_hidden_from_other_agents(app, make, poster, status):
    listing = make.listing(poster=poster, status=status)
    other = app.test_client()
    sign_in(other, make.user())
    assert other.get(f"/annonces/{listing.id}").status_code == 404
    assert other.get(f"/annonces/{listing.id}/modifier").status_code == 404
    own = app.test_client()
    sign_in(own, poster)
    assert own.get(f"/annonces/{listing.id}").status_code == 200


def test_other_agent_cannot_edit_a_published_listing(app, client, make, poster):
    listing = make.listing(poster=poster)
    sign_in(client, make.user())
    assert client.get(f"/annonces/{listing.id}/modifier").status_code == 403
    response = client.post(
        f"/annonces/{listing.id}/modifier", data=edit_data(listing, title="Volé")
    )
    assert response.status_code == 403
    assert reload(app, listing.id).title == listing.title


def test_title_change_sends_a_published_listing_back_to_moderation(app, client, make, poster):
    make.moderator(email="modo@example.org")
    listing = make.listing(poster=poster)
    sign_in(client, poster)
    form_page = client.get(f"/annonces/{listing.id}/modifier").get_data(as_text=True)
    assert "retirée du site le temps qu&#39;un modérateur la relise" in form_page or (
        "retirée du site le temps qu'un modérateur la relise" in form_page
    )
    response = client.post(
        f"/annonces/{listing.id}/modifier", data=edit_data(listing, title="Chaises rouges")
    )
    assert response.status_code == 302
    saved = reload(app, listing.id)
    assert (saved.title, saved.status) == ("Chaises rouges", "pending")
    with app.app_context():
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "listing.resubmitted")
        ).scalar_one()
        assert event.before["title"] == listing.title and event.after["status"] == "pending"
        assert db.session.execute(sa.select(OutboxEmail.to)).scalar_one() == "modo@example.org"


def test_quantity_change_keeps_the_listing_online(app, client, poster, make):
    listing = make.listing(poster=poster, quantity=10)
    sign_in(client, poster)
    client.post(f"/annonces/{listing.id}/modifier", data=edit_data(listing, quantity="8"))
    saved = reload(app, listing.id)
    assert (saved.status, saved.quantity, saved.quantity_left) == ("published", 8, 8)


def test_remoderation_can_be_turned_off(make_app):
    app = make_app(REMODERATE_ON_EDIT=False)
    from tests.conftest import Factory

    make = Factory(app)
    poster = make.user()
    listing = make.listing(poster=poster)
    client = app.test_client()
    sign_in(client, poster)
    client.post(f"/annonces/{listing.id}/modifier", data=edit_data(listing, title="Autre titre"))
    assert reload(app, listing.id).status == "published"


def test_rejected_listing_is_corrected_and_resubmitted(app, client, make, poster):
    listing = make.listing(
        poster=poster, status="rejected", rejection_reason="Photo manquante, ajoutez-en une."
    )
    sign_in(client, poster)
    mine = client.get("/mes-annonces").get_data(as_text=True)
    assert "Photo manquante, ajoutez-en une." in mine and "Corriger et renvoyer" in mine
    response = client.post(
        f"/annonces/{listing.id}/modifier",
        data={**edit_data(listing), "photos": [(__import__("io").BytesIO(image_bytes()), "p.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    saved = reload(app, listing.id)
    assert (saved.status, saved.rejection_reason) == ("pending", "")


def test_photos_are_reordered_and_removed(app, client, make, poster):
    from app.photos import photo_path, store_photo

    listing = make.listing(poster=poster)
    ids, names = [], []
    with app.test_request_context():
        for position in range(3):
            stored = store_photo(image_bytes())
            photo = Photo(
                listing_id=listing.id,
                uploaded_by_id=poster.id,
                stored_name=stored.stored_name,
                position=position,
            )
            db.session.add(photo)
            db.session.commit()
            ids.append(photo.id)
            names.append(stored.stored_name)
    sign_in(client, poster)
    html = client.get(f"/annonces/{listing.id}/modifier").get_data(as_text=True)
    assert re.findall(r'name="photo_ids" value="(\d+)"', html) == [str(i) for i in ids]
    data = {
        **edit_data(listing),
        "photo_ids": [str(i) for i in ids],
        f"order-{ids[0]}": "3",
        f"order-{ids[1]}": "2",
        f"order-{ids[2]}": "1",
        "remove": str(ids[1]),
    }
    assert client.post(f"/annonces/{listing.id}/modifier", data=data).status_code == 302
    with app.app_context():
        kept = (
            db.session.execute(
                sa.select(Photo.id).where(Photo.listing_id == listing.id).order_by(Photo.position)
            )
            .scalars()
            .all()
        )
        status = db.session.get(Listing, listing.id).status
    assert kept == [ids[2], ids[0]]
    assert status == "pending"  # photos changed: back to moderation
    with app.test_request_context():
        import os

        assert not os.path.exists(photo_path(names[1], "thumb"))
        assert os.path.exists(photo_path(names[0], "thumb"))


def test_quantity_cannot_go_below_what_was_already_given(app, client, make, poster):
    listing = make.listing(poster=poster, quantity=10, quantity_left=4)
    sign_in(client, poster)
    response = client.post(
        f"/annonces/{listing.id}/modifier", data=edit_data(listing, quantity="5")
    )
    assert response.status_code == 422
    assert "6 objets ont déjà été donnés" in response.get_data(as_text=True)


def test_closed_listing_cannot_be_edited(app, client, make, poster):
    listing = make.listing(poster=poster, status="closed")
    sign_in(client, poster)
    assert client.get(f"/annonces/{listing.id}/modifier").status_code == 403


def test_moderator_edit_keeps_the_listing_online(app, client, make, poster):
    listing = make.listing(poster=poster)
    sign_in(client, make.moderator())
    client.post(f"/annonces/{listing.id}/modifier", data=edit_data(listing, title="Corrigé"))
    saved = reload(app, listing.id)
    assert (saved.title, saved.status) == ("Corrigé", "published")


def test_mes_annonces_groups_by_status(app, client, make, poster):
    for status in ("pending", "published", "reserved", "rejected", "closed"):
        make.listing(poster=poster, status=status, title=f"Objet {status}")
    make.listing(title="Pas à moi")
    sign_in(client, poster)
    html = client.get("/mes-annonces").get_data(as_text=True)
    headings = re.findall(r'<h2 id="group-(\w+)">', html)
    assert headings == ["pending", "published", "reserved", "rejected", "closed"]
    assert "Pas à moi" not in html
