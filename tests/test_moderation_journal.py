"""The journal screen and the net that journals every listing status change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.audit import record
from app.extensions import db
from app.models import AuditEvent, Listing
from tests.conftest import sign_in
from tests.moderation_support import events


@pytest.fixture
def moderator(make):
    return make.moderator(email="helene@example.org", name="Hélène Moreau")


@pytest.fixture
def mod_client(app, moderator):
    client = app.test_client()
    sign_in(client, moderator)
    return client


def _event(app, at, actor=None, action="listing.approved", object_id=1, **kw):
    with app.app_context():
        db.session.add(
            AuditEvent(
                actor_id=actor.id if actor else None,
                action=action,
                object_type=kw.get("object_type", "listing"),
                object_id=object_id,
                before=kw.get("before", {"status": "pending"}),
                after=kw.get("after", {"status": "published"}),
                at=at,
            )
        )
        db.session.commit()


def test_journal_shows_who_what_when_before_and_after_in_french(app, make, mod_client):
    listing = make.listing(status="pending", title="Armoire")
    mod_client.post(f"/moderation/annonces/{listing.id}/approuver")
    html = mod_client.get("/moderation/journal").get_data(as_text=True)
    assert "Hélène Moreau" in html
    assert "Annonce approuvée" in html
    assert f'href="/moderation/annonces/{listing.id}"' in html
    assert "<del>en attente de modération</del> → <ins>en ligne</ins>" in html


def test_journal_filters_by_person_listing_and_date(app, make, moderator, mod_client):
    other = make.moderator(name="Marc Autre", email="marc@example.org")
    _event(app, datetime(2026, 3, 10, 9, tzinfo=UTC), moderator, object_id=101)
    _event(app, datetime(2026, 3, 12, 9, tzinfo=UTC), other, object_id=102)
    _event(
        app, datetime(2026, 3, 14, 23, 30, tzinfo=UTC), other, object_id=103
    )  # 15 March in Paris

    def listed(**query):
        html = mod_client.get("/moderation/journal", query_string=query).get_data(as_text=True)
        found = [n for n in (101, 102, 103) if f'/moderation/annonces/{n}"' in html]
        return sorted(found, key=lambda n: html.index(f'/moderation/annonces/{n}"'))

    assert listed() == [103, 102, 101]
    assert listed(person="hélène") == [101]
    assert listed(person="MARC@example") == [103, 102]
    assert listed(listing="102") == [102]
    assert listed(date_from="2026-03-11", date_to="2026-03-12") == [102]
    assert listed(date_from="2026-03-15") == [103]
    assert listed(date_to="2026-03-14") == [102, 101]


def test_journal_answers_htmx_filters_with_the_results_only(app, make, moderator, mod_client):
    _event(app, datetime(2026, 3, 10, 9, tzinfo=UTC), moderator)
    response = mod_client.get("/moderation/journal?person=helene", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="journal-results"')
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(
    "query",
    [
        {"listing": "abc"},
        {"date_from": "2026-02-30"},
        {"date_from": "2026-03-02", "date_to": "2026-03-01"},
    ],
    ids=["text-listing", "impossible-date", "reversed-dates"],
)
def test_invalid_journal_filters_are_explained_not_a_crash(mod_client, query):
    response = mod_client.get("/moderation/journal", query_string=query)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_journal_is_paginated(make_app):
    from tests.conftest import Factory

    app = make_app(MODERATION_PAGE_SIZE=2)
    make = Factory(app)
    moderator = make.moderator()
    for day in range(1, 6):
        _event(app, datetime(2026, 3, day, 9, tzinfo=UTC), moderator, object_id=200 + day)
    client = app.test_client()
    sign_in(client, moderator)
    first = client.get("/moderation/journal?person=agent").get_data(as_text=True)
    assert "5 entrées" in first
    assert "/moderation/annonces/205" in first and "/moderation/annonces/203" not in first
    assert "page=2" in first and "person=agent" in first
    third = client.get("/moderation/journal?person=agent&page=3").get_data(as_text=True)
    assert "/moderation/annonces/201" in third


def test_status_change_made_without_a_journal_entry_is_journaled_anyway(app, make):
    listing = make.listing(status="published")
    with app.app_context():
        db.session.get(Listing, listing.id).status = "closed"
        db.session.commit()
    (event,) = events(app)
    assert event.action == "listing.status_changed"
    assert event.object_id == listing.id
    assert event.before == {"status": "published"} and event.after == {"status": "closed"}


def test_status_change_journaled_by_its_feature_is_not_journaled_twice(app, make):
    listing = make.listing(status="published")
    with app.app_context():
        item = db.session.get(Listing, listing.id)
        item.status = "reserved"
        db.session.flush()  # an autoflush before the feature records its entry
        record(
            "listing.reserved", item, before={"status": "published"}, after={"status": "reserved"}
        )
        db.session.commit()
    assert [e.action for e in events(app)] == ["listing.reserved"]


def test_status_changed_and_changed_back_in_one_transaction_writes_nothing(app, make):
    listing = make.listing(status="published")
    with app.app_context():
        item = db.session.get(Listing, listing.id)
        item.status = "pending"
        db.session.flush()
        item.status = "published"
        db.session.commit()
    assert events(app) == []


def test_rolled_back_status_change_leaves_nothing_behind(app, make):
    listing = make.listing(status="published")
    with app.app_context():
        db.session.get(Listing, listing.id).status = "closed"
        db.session.flush()
        db.session.rollback()
        db.session.get(Listing, listing.id).title = "Autre titre"
        db.session.commit()
    assert events(app) == []


def test_every_action_of_the_back_office_has_a_french_label():
    from app.moderation.journal import ACTION_LABELS

    for action in (
        "listing.approved",
        "listing.rejected",
        "listing.corrected",
        "listing.unpublished",
        "listing.transferred",
        "listing.status_changed",
        "user.deactivated",
        "user.moderator_granted",
        "services.imported",
        "digest.sent",
    ):
        assert action in ACTION_LABELS
