"""The rules of the data model hold in the database itself."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import ContactRequest, Listing


def _execute(app, sql, **params):
    with app.app_context():
        try:
            db.session.execute(sa.text(sql), params)
            db.session.commit()
        finally:
            db.session.rollback()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("status", "'lost'"),
        ("condition", "'broken'"),
        ("closure_reason", "'sold'"),
        ("quantity", "0"),
        ("quantity_left", "-1"),
        ("estimated_value", "-1"),
        ("weight_kg", "-5"),
        ("discard_destination", "'river'"),
    ],
)
def test_database_refuses_invalid_listing_values(app, make, column, value):
    listing = make.listing(quantity=3)
    with pytest.raises(IntegrityError):
        _execute(app, f"UPDATE listing SET {column} = {value} WHERE id = :id", id=listing.id)


def test_foreign_keys_are_enforced(app, make):
    listing = make.listing()
    with pytest.raises(IntegrityError):
        _execute(app, "UPDATE listing SET site_id = 99999 WHERE id = :id", id=listing.id)


def test_one_contact_per_agent_and_listing(app, make):
    listing = make.listing()
    agent = make.user()
    with app.app_context():
        db.session.add(ContactRequest(listing_id=listing.id, requester_id=agent.id))
        db.session.commit()
        db.session.add(ContactRequest(listing_id=listing.id, requester_id=agent.id))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_money_is_exact_decimal(app, make):
    listing = make.listing(estimated_value=Decimal("0.10"))
    make.listing(estimated_value=Decimal("0.20"))
    with app.app_context():
        total = db.session.execute(sa.select(sa.func.sum(Listing.estimated_value))).scalar()
        stored = db.session.get(Listing, listing.id).estimated_value
    assert Decimal(total) == Decimal("0.30")
    assert stored == Decimal("0.10") and isinstance(stored, Decimal)


def test_times_come_back_in_utc(app, make):
    listing = make.listing()
    with app.app_context():
        created = db.session.get(Listing, listing.id).created_at
    assert created.utcoffset().total_seconds() == 0


def test_the_migrations_build_exactly_the_models(app):
    """`flask db migrate` would find nothing to do: no schema change outside a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, *_: (
                    not (type_ == "table" and name.startswith("listing_fts"))
                ),
            },
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []
