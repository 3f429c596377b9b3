"""Closing a listing: the reason, partial exchanges and their shares, who may, the journal."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.closure.rules import ClosureRefused, close_listing, share
from app.extensions import db
from app.models import AuditEvent, ContactRequest, Listing, Transfer, User
from tests.conftest import count_rows, sign_in

D = Decimal


@pytest.fixture
def people(make):
    org = make.organisation(name="Ville", short_name="Ville")
    receiving = make.service(name="Écoles", organisation=org)
    poster = make.user(email="poster@example.org")
    return {
        "poster": poster,
        "other": make.user(email="other@example.org"),
        "moderator": make.moderator(email="mod@example.org"),
        "receiving": receiving,
        "taker": make.user(email="taker@example.org", name="Tina", service=receiving),
        "chairs": make.category(name="Chaises", weight="9.6", co2e="25"),
    }


def url(listing_id):
    return f"/annonces/{listing_id}/cloturer"


def load(app, listing_id):
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        transfers = [
            (t.quantity, t.value_share, t.weight_share_kg, t.co2e_share_kg, t.receiving_service_id)
            for t in listing.transfers
        ]
        db.session.expunge(listing)
        return listing, transfers


def actions(app, object_id):
    with app.app_context():
        return db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.actor_id)
            .where(AuditEvent.object_type == "listing", AuditEvent.object_id == object_id)
            .order_by(AuditEvent.id)
        ).all()


def test_poster_closes_a_listing_as_exchanged_with_a_service(app, client, make, people):
    listing = make.listing(
        poster=people["poster"],
        quantity=4,
        estimated_value=D("120.00"),
        category_id=people["chairs"].id,
    )
    sign_in(client, people["poster"])
    response = client.post(
        url(listing.id),
        data={
            "reason": "exchanged",
            "quantity": "4",
            "receiving_service_id": people["receiving"].id,
        },
    )
    assert response.status_code == 302
    closed, transfers = load(app, listing.id)
    assert (closed.status, closed.closure_reason, closed.quantity_left) == (
        "closed",
        "exchanged",
        0,
    )
    assert closed.closed_at is not None
    # 4 chairs: the whole value, 4 × 9.6 kg, 4 × 25 kg CO2e.
    assert transfers == [(4, D("120.00"), D("38.400"), D("100.000"), people["receiving"].id)]
    assert actions(app, listing.id) == [("listing.closed", people["poster"].id)]
    with app.app_context():
        created = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "transfer.created")
        ).scalar_one()
        assert created.after["value_share"] == "120.00"


def test_partial_exchange_records_its_share_and_keeps_the_rest_published(app, client, make, people):
    listing = make.listing(
        poster=people["poster"],
        quantity=20,
        estimated_value=D("240.00"),
        category_id=people["chairs"].id,
    )
    sign_in(client, people["poster"])
    response = client.post(
        url(listing.id),
        data={
            "reason": "exchanged",
            "quantity": "5",
            "receiving_service_id": people["receiving"].id,
        },
    )
    assert response.status_code == 302
    after, transfers = load(app, listing.id)
    assert (after.status, after.quantity_left, after.closure_reason) == ("published", 15, None)
    # 5 of 20 chairs: a quarter of 240 €, 5 × 9.6 kg, 5 × 25 kg CO2e.
    assert transfers == [(5, D("60.00"), D("48.000"), D("125.000"), people["receiving"].id)]
    assert actions(app, listing.id) == [("listing.partially_exchanged", people["poster"].id)]
    assert "Il en reste 15 en ligne" in client.get("/annonces/").get_data(as_text=True)
    assert "Objet" in client.get("/annonces/").get_data(as_text=True)  # still in browse


def _exchange(app, listing_id, quantity, service_id, actor_id):
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        transfer = close_listing(
            listing,
            "exchanged",
            quantity=quantity,
            receiving_service=db.session.get(User, actor_id).service,
            actor=db.session.get(User, actor_id),
        )
        db.session.commit()
        return transfer.value_share, transfer.weight_share_kg


def test_shares_of_all_transfers_add_up_exactly_to_the_value(app, make, people):
    # 100 € and a declared 10 kg for 3 tables, one at a time: 33.33 + 33.33 + 33.34.
    listing = make.listing(
        poster=people["poster"], quantity=3, estimated_value=D("100.00"), weight_kg=D("10")
    )
    shares = [
        _exchange(app, listing.id, 1, None, people["taker"].id),
        _exchange(app, listing.id, 1, None, people["taker"].id),
        _exchange(app, listing.id, 1, None, people["taker"].id),
    ]
    assert shares == [
        (D("33.33"), D("3.333")),
        (D("33.33"), D("3.333")),
        (D("33.34"), D("3.334")),
    ]
    after, _ = load(app, listing.id)
    assert after.status == "closed"


def test_a_share_never_goes_past_what_is_left_of_the_value(app, make, people):
    # 0.05 € for 10 pens: each half cent rounds up, so the value is used up after five.
    listing = make.listing(poster=people["poster"], quantity=10, estimated_value=D("0.05"))
    values = [_exchange(app, listing.id, 1, None, people["taker"].id)[0] for _ in range(10)]
    assert values == [D("0.01")] * 5 + [D("0.00")] * 5
    assert sum(values) == D("0.05")


@pytest.mark.parametrize(
    ("total", "part", "whole", "already", "last", "expected"),
    [
        (D("240.00"), 5, 20, D("0"), False, D("60.00")),
        (D("10.00"), 1, 3, D("0"), False, D("3.33")),
        (D("10.00"), 2, 3, D("0"), False, D("6.67")),  # 6.666… rounds half up
        (D("0.05"), 1, 10, D("0"), False, D("0.01")),  # 0.005 rounds up
        (D("10.00"), 1, 3, D("6.67"), True, D("3.33")),  # the last takes the rest
        (D("1.00"), 1, 2, D("1.00"), False, D("0.00")),  # never past what is left
    ],
)
def test_share_is_rounded_half_up_to_the_cent(total, part, whole, already, last, expected):
    assert share(total, part, whole, already, last=last, step=D("0.01")) == expected


@pytest.mark.parametrize(
    ("data", "reason", "destination"),
    [
        ({"reason": "discarded", "destination": "waste_centre"}, "discarded", "waste_centre"),
        ({"reason": "discarded", "destination": "recycling"}, "discarded", "recycling"),
        ({"reason": "discarded"}, "discarded", None),
        ({"reason": "unavailable"}, "unavailable", None),
    ],
    ids=["dechetterie", "recyclage", "discarded-nowhere", "unavailable"],
)
def test_listing_closed_as_discarded_or_unavailable_records_reason_and_comment(
    app, client, make, people, data, reason, destination
):
    listing = make.listing(poster=people["poster"], quantity=3)
    sign_in(client, people["poster"])
    response = client.post(url(listing.id), data={**data, "detail": "Cassé au transport"})
    assert response.status_code == 302
    closed, transfers = load(app, listing.id)
    assert (closed.status, closed.closure_reason, closed.discard_destination) == (
        "closed",
        reason,
        destination,
    )
    assert closed.closure_detail == "Cassé au transport"
    assert closed.quantity_left == 3  # what was thrown away or withdrawn
    assert transfers == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "reason", "Choisissez le motif de clôture"),
        ({"reason": "lost"}, "reason", "Choisissez le motif de clôture"),
        ({"reason": "exchanged", "quantity": "2"}, "receiving_service_id", "Choisissez le service"),
        (
            {"reason": "exchanged", "quantity": "9", "receiving_service_id": "{svc}"},
            "quantity",
            "entre 1 et 3",
        ),
        (
            {"reason": "exchanged", "quantity": "0", "receiving_service_id": "{svc}"},
            "quantity",
            "1 au moins",
        ),
        (
            {"reason": "exchanged", "receiving_service_id": "999999"},
            "receiving_service_id",
            "Choisissez le service",
        ),
        (
            {
                "reason": "exchanged",
                "receiving_service_id": "{svc}",
                "receiving_user_id": "{other}",
            },
            "receiving_user_id",
            "parmi ceux qui ont pris contact",
        ),
        ({"reason": "discarded", "destination": "river"}, "destination", "dans la liste"),
        ({"reason": "unavailable", "detail": "x" * 501}, "detail", "500 caractères"),
    ],
    ids=[
        "no-reason",
        "bad-reason",
        "no-service",
        "too-many",
        "zero",
        "unknown-service",
        "not-a-contact",
        "bad-destination",
        "long-comment",
    ],
)
def test_invalid_closure_is_refused_next_to_the_field_and_keeps_what_was_typed(
    app, client, make, people, data, field, message
):
    listing = make.listing(poster=people["poster"], quantity=3)
    values = {
        k: v.format(svc=people["receiving"].id, other=people["other"].id) for k, v in data.items()
    }
    values.setdefault("detail", "Mon commentaire")
    sign_in(client, people["poster"])
    response = client.post(url(listing.id), data=values)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'id="{field}-error"' in html or (field == "reason" and 'id="reason-error"' in html)
    assert values["detail"][:20] in html  # the comment typed is kept
    after, transfers = load(app, listing.id)
    assert (after.status, after.quantity_left, transfers) == ("published", 3, [])
    assert count_rows(app, AuditEvent) == 0


def test_invalid_closure_over_htmx_comes_back_as_the_form_with_status_200(client, make, people):
    listing = make.listing(poster=people["poster"])
    sign_in(client, people["poster"])
    response = client.post(
        url(listing.id), data={"reason": "exchanged"}, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith("<form")
    assert "Choisissez le service" in html


def test_closure_over_htmx_redirects_the_page(client, make, people):
    listing = make.listing(poster=people["poster"])
    sign_in(client, people["poster"])
    response = client.post(
        url(listing.id), data={"reason": "unavailable"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"]


def test_agent_who_made_contact_can_be_named_and_their_service_is_taken_by_default(
    app, client, make, people
):
    listing = make.listing(poster=people["poster"], quantity=2)
    with app.app_context():
        db.session.add(ContactRequest(listing_id=listing.id, requester_id=people["taker"].id))
        db.session.commit()
    sign_in(client, people["poster"])
    page = client.get(url(listing.id)).get_data(as_text=True)
    assert "Tina" in page
    response = client.post(
        url(listing.id), data={"reason": "exchanged", "receiving_user_id": people["taker"].id}
    )
    assert response.status_code == 302
    with app.app_context():
        transfer = db.session.execute(sa.select(Transfer)).scalar_one()
        assert transfer.receiving_user_id == people["taker"].id
        assert transfer.receiving_service_id == people["receiving"].id
        assert transfer.quantity == 2  # all that was left, by default


def test_service_choices_are_grouped_by_organisation(client, make, people):
    listing = make.listing(poster=people["poster"])
    sign_in(client, people["poster"])
    html = client.get(url(listing.id)).get_data(as_text=True)
    assert '<optgroup label="Ville">' in html
    assert f'<option value="{people["receiving"].id}">Écoles</option>' in html


def test_an_inactive_service_cannot_receive(app, client, make, people):
    gone = make.service(name="Ancien service", active=False)
    listing = make.listing(poster=people["poster"])
    sign_in(client, people["poster"])
    response = client.post(
        url(listing.id), data={"reason": "exchanged", "receiving_service_id": gone.id}
    )
    assert response.status_code == 422
    assert "Ce service n'existe plus" in response.get_data(as_text=True)
    assert f'value="{gone.id}"' not in client.get(url(listing.id)).get_data(as_text=True)


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_listing_never_published_can_only_be_closed_as_unavailable(
    app, client, make, people, status
):
    listing = make.listing(poster=people["poster"], status=status)
    sign_in(client, people["poster"])
    page = client.get(url(listing.id)).get_data(as_text=True)
    assert 'value="unavailable"' in page
    assert 'value="exchanged"' not in page and 'value="discarded"' not in page
    refused = client.post(
        url(listing.id),
        data={"reason": "exchanged", "receiving_service_id": people["receiving"].id},
    )
    assert refused.status_code == 422
    assert client.post(url(listing.id), data={"reason": "unavailable"}).status_code == 302
    closed, _ = load(app, listing.id)
    assert (closed.status, closed.closure_reason) == ("closed", "unavailable")


def test_close_listing_refuses_exchange_of_a_pending_listing(app, make, people):
    listing = make.listing(poster=people["poster"], status="pending")
    with app.test_request_context():
        with pytest.raises(ClosureRefused, match="plus disponible"):
            close_listing(
                db.session.get(Listing, listing.id),
                "exchanged",
                receiving_service=people["receiving"],
                actor=db.session.get(User, people["poster"].id),
            )


def test_moderator_may_close_someone_elses_listing_and_is_journaled(app, client, make, people):
    listing = make.listing(poster=people["poster"])
    sign_in(client, people["moderator"])
    assert client.post(url(listing.id), data={"reason": "unavailable"}).status_code == 302
    assert actions(app, listing.id) == [("listing.closed", people["moderator"].id)]


@pytest.mark.parametrize(("status", "expected"), [("published", 403), ("pending", 404)])
def test_another_agent_cannot_close_someone_elses_listing(
    app, client, make, people, status, expected
):
    listing = make.listing(poster=people["poster"], status=status)
    sign_in(client, people["other"])
    assert client.get(url(listing.id)).status_code == expected
    assert client.post(url(listing.id), data={"reason": "unavailable"}).status_code == expected
    after, _ = load(app, listing.id)
    assert after.status == status


def test_a_closed_listing_leaves_browse_and_is_never_deleted(app, client, make, people):
    listing = make.listing(poster=people["poster"], title="Armoire à rideaux")
    sign_in(client, people["poster"])
    assert "Armoire à rideaux" in client.get("/annonces/").get_data(as_text=True)
    client.post(url(listing.id), data={"reason": "unavailable"})
    assert "Armoire à rideaux" not in client.get("/annonces/").get_data(as_text=True)
    assert count_rows(app, Listing) == 1


def test_a_closed_listing_cannot_be_closed_again(app, client, make, people):
    listing = make.listing(poster=people["poster"])
    sign_in(client, people["poster"])
    client.post(url(listing.id), data={"reason": "discarded"})
    page = client.get(url(listing.id))
    assert page.status_code == 200
    assert "clôturée depuis le" in page.get_data(as_text=True)
    again = client.post(url(listing.id), data={"reason": "unavailable"})
    assert again.status_code == 409
    closed, _ = load(app, listing.id)
    assert closed.closure_reason == "discarded"


def test_value_is_shown_on_the_closure_page_to_the_poster(client, make, people):
    listing = make.listing(poster=people["poster"], estimated_value=D("1234.50"))
    sign_in(client, people["poster"])
    assert "1\u202f234,50\u00a0€" in client.get(url(listing.id)).get_data(as_text=True)


def test_closed_listing_stays_in_mes_annonces_with_its_reason(client, make, people):
    listing = make.listing(poster=people["poster"], title="Tapis de sol")
    sign_in(client, people["poster"])
    response = client.post(url(listing.id), data={"reason": "discarded"})
    assert response.headers["Location"].endswith(f"/mes-annonces#listing-{listing.id}")
    html = client.get("/mes-annonces").get_data(as_text=True)
    closed = html[html.index('id="group-closed"') :]
    assert "Tapis de sol" in closed
    assert "Motif : Jeté." in closed
    assert url(listing.id) not in html  # nothing left to close


@pytest.mark.parametrize(
    ("who", "shown"), [("poster", True), ("moderator", True), ("other", False)]
)
def test_detail_page_offers_the_closure_link_to_the_poster_and_moderators(
    client, make, people, who, shown
):
    listing = make.listing(poster=people["poster"])
    sign_in(client, people[who])
    html = client.get(f"/annonces/{listing.id}").get_data(as_text=True)
    assert (url(listing.id) in html) is shown
    if who == "poster":
        assert url(listing.id) in client.get("/mes-annonces").get_data(as_text=True)


def test_moderator_goes_back_to_the_listing_after_closing_it(client, make, people):
    listing = make.listing(poster=people["poster"])
    sign_in(client, people["moderator"])
    response = client.post(url(listing.id), data={"reason": "unavailable"})
    assert response.headers["Location"].endswith(f"/annonces/{listing.id}")
