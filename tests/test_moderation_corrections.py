"""A moderator's corrections: category, value and weight; unpublishing; the listing page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import sign_in
from tests.moderation_support import emails, events, reload_listing


@pytest.fixture
def mod_client(app, make):
    client = app.test_client()
    sign_in(client, make.moderator())
    return client


def test_listing_page_shows_details_decisions_and_its_journal(app, make, mod_client):
    poster = make.user(name="Inès Dépose", phone="05 49 11 22 33")
    listing = make.listing(poster=poster, status="pending", title="Vestiaire métallique")
    mod_client.post(
        f"/moderation/annonces/{listing.id}/corriger",
        data={"category_id": str(listing.category_id), "estimated_value": "80", "weight_kg": ""},
    )
    html = mod_client.get(f"/moderation/annonces/{listing.id}").get_data(as_text=True)
    assert "Vestiaire métallique" in html
    assert "Inès Dépose" in html and "05 49 11 22 33" in html
    assert f"/moderation/annonces/{listing.id}/approuver" in html
    assert f"/moderation/annonces/{listing.id}/refuser" in html
    assert f"/annonces/{listing.id}/cloturer" in html
    assert "Annonce corrigée" in html


def test_correction_changes_category_value_and_weight_and_journals_before_after(
    app, make, mod_client
):
    chairs = make.category(name="Chaises")
    tables = make.category(name="Tables")
    listing = make.listing(
        status="published", category_id=chairs.id, estimated_value=Decimal("30000.00")
    )
    response = mod_client.post(
        f"/moderation/annonces/{listing.id}/corriger",
        data={"category_id": str(tables.id), "estimated_value": "300,00", "weight_kg": "12,5"},
    )
    assert response.status_code == 302
    saved = reload_listing(app, listing.id)
    assert saved.category_id == tables.id
    assert saved.estimated_value == Decimal("300.00")
    assert saved.weight_kg == Decimal("12.500")
    assert saved.status == "published"  # a correction does not send it back to moderation
    (event,) = events(app, "listing.corrected")
    assert event.before == {
        "category_id": chairs.id,
        "estimated_value": "30000.00",
        "weight_kg": None,
        "category": "Chaises",
    }
    assert event.after == {
        "category_id": tables.id,
        "estimated_value": "300.00",
        "weight_kg": "12.500",
        "category": "Tables",
    }
    assert emails(app) == []


def test_correction_that_changes_nothing_writes_no_journal_entry(app, make, mod_client):
    listing = make.listing(status="published", estimated_value=Decimal("50.00"))
    response = mod_client.post(
        f"/moderation/annonces/{listing.id}/corriger",
        data={"category_id": str(listing.category_id), "estimated_value": "50", "weight_kg": ""},
        follow_redirects=True,
    )
    assert "Rien n'a changé" in response.get_data(as_text=True).replace("&#39;", "'")
    assert events(app) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"estimated_value": "beaucoup"}, "Indiquez un nombre, par exemple 25 ou 12,50."),
        ({"estimated_value": ""}, "Indiquez la valeur estimée, 0 si elle est nulle."),
        ({"estimated_value": "-5"}, "Entre 0 et 1 000 000 €."),
        ({"weight_kg": "NaN"}, "Indiquez un nombre, par exemple 25 ou 12,50."),
        ({"weight_kg": "200000"}, "Entre 0 et 100 000 kg."),
        ({"weight_kg": "1E100"}, "Nombre trop grand."),
        ({"category_id": "0"}, "Choisissez une catégorie dans la liste."),
    ],
    ids=[
        "text-value",
        "no-value",
        "negative",
        "nan-weight",
        "huge-weight",
        "exponent-weight",
        "no-category",
    ],
)
def test_invalid_correction_is_refused_in_french_and_keeps_what_was_typed(
    app, make, mod_client, data, message
):
    listing = make.listing(status="published", estimated_value=Decimal("50.00"))
    sent = {"category_id": str(listing.category_id), "estimated_value": "75", "weight_kg": "3"}
    sent.update(data)
    response = mod_client.post(f"/moderation/annonces/{listing.id}/corriger", data=sent)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    for value in sent.values():
        if value not in ("", "0"):
            assert f'value="{value}"' in html or f'value="{value}" selected' in html
    assert reload_listing(app, listing.id).estimated_value == Decimal("50.00")
    assert events(app) == []


def test_a_value_of_zero_is_a_valid_correction(app, make, mod_client):
    listing = make.listing(status="published", estimated_value=Decimal("50.00"))
    response = mod_client.post(
        f"/moderation/annonces/{listing.id}/corriger",
        data={"category_id": str(listing.category_id), "estimated_value": "0", "weight_kg": ""},
    )
    assert response.status_code == 302
    assert reload_listing(app, listing.id).estimated_value == Decimal("0.00")


def test_closed_listing_cannot_be_corrected(app, make, mod_client):
    listing = make.listing(status="closed", estimated_value=Decimal("50.00"))
    response = mod_client.post(
        f"/moderation/annonces/{listing.id}/corriger",
        data={"category_id": str(listing.category_id), "estimated_value": "1", "weight_kg": ""},
        follow_redirects=True,
    )
    assert "clôturée" in response.get_data(as_text=True)
    assert reload_listing(app, listing.id).estimated_value == Decimal("50.00")
    assert events(app) == []


@pytest.mark.parametrize("status", ["published", "reserved"])
def test_unpublishing_sends_the_listing_back_to_the_queue_and_journals(
    app, make, mod_client, status
):
    poster = make.user(email="deposant@example.org")
    listing = make.listing(poster=poster, status=status, title="Armoire à rideaux")
    response = mod_client.post(f"/moderation/annonces/{listing.id}/depublier")
    assert response.status_code == 302
    saved = reload_listing(app, listing.id)
    assert saved.status == "pending"
    assert saved.reserved_for_id is None
    (event,) = events(app, "listing.unpublished")
    assert event.before["status"] == status and event.after["status"] == "pending"
    (email,) = emails(app, "listing_unpublished")
    assert email.to == "deposant@example.org"
    assert "retirée de la publication : Armoire à rideaux" in email.subject
    assert f"http://reemploi.test/annonces/{listing.id}" in email.text
    agent = app.test_client()
    sign_in(agent, make.user())
    assert "Armoire à rideaux" not in agent.get("/annonces/").get_data(as_text=True)
    assert "Armoire à rideaux" in mod_client.get("/moderation/").get_data(as_text=True)


@pytest.mark.parametrize("status", ["pending", "rejected", "closed"])
def test_only_an_online_listing_can_be_unpublished(app, make, mod_client, status):
    listing = make.listing(status=status)
    response = mod_client.post(
        f"/moderation/annonces/{listing.id}/depublier", follow_redirects=True
    )
    assert "déjà été traitée" in response.get_data(as_text=True)
    assert reload_listing(app, listing.id).status == status
    assert events(app) == []


def test_unknown_listing_is_404(mod_client):
    assert mod_client.get("/moderation/annonces/999999").status_code == 404
    assert mod_client.post("/moderation/annonces/999999/approuver").status_code == 404


def test_decisions_taken_on_the_listing_page_come_back_to_it(app, make, mod_client):
    listing = make.listing(status="pending")
    page = f"/moderation/annonces/{listing.id}"
    refused = mod_client.post(
        f"{page}/refuser", data={f"refus-{listing.id}-reason": "", "next": page}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Choisissez un motif dans la liste." in html and "Enregistrer la correction" in html
    approved = mod_client.post(f"{page}/approuver", data={"next": page})
    assert approved.status_code == 302 and approved.headers["Location"] == page
    elsewhere = make.listing(status="pending")
    outside = mod_client.post(
        f"/moderation/annonces/{elsewhere.id}/approuver", data={"next": "https://evil.example/"}
    )
    assert outside.headers["Location"] == "/moderation/"


def test_a_partly_exchanged_listing_keeps_its_figures(app, make, mod_client):
    from tests.test_access_matrix import _add_transfer

    listing = make.listing(status="published", quantity=5, estimated_value=Decimal("100.00"))
    _add_transfer(app, listing, make.user())
    page = mod_client.get(f"/moderation/annonces/{listing.id}").get_data(as_text=True)
    assert "déjà été échangée" in page and "Enregistrer la correction" not in page
    response = mod_client.post(
        f"/moderation/annonces/{listing.id}/corriger",
        data={"category_id": str(listing.category_id), "estimated_value": "1", "weight_kg": ""},
        follow_redirects=True,
    )
    assert "déjà été échangée" in response.get_data(as_text=True)
    assert reload_listing(app, listing.id).estimated_value == Decimal("100.00")
