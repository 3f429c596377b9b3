"""Reference data (categories, organisations, services, sites): saving, and retiring an item,
which deletes it only when nothing refers to it and otherwise deactivates it."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ..audit import record, snapshot
from ..extensions import db
from ..models import Category, Listing, Organisation, Service, Site, Transfer, User
from .actions import ModerationError

FIELDS: dict[type, tuple[str, ...]] = {
    Category: ("name", "default_unit_weight_kg", "co2e_kg_per_unit", "source_note", "active"),
    Organisation: ("name", "short_name", "active"),
    Service: ("name", "organisation_id", "active"),
    Site: ("name", "address", "active"),
}


def _count(statement) -> int:
    return db.session.execute(statement).scalar_one()


def usage_count(obj: Any) -> int:
    """How many records refer to this item (listings, users, services, exchanges)."""
    count = db.func.count
    if isinstance(obj, Category):
        return _count(db.select(count(Listing.id)).where(Listing.category_id == obj.id))
    if isinstance(obj, Site):
        return _count(db.select(count(Listing.id)).where(Listing.site_id == obj.id))
    if isinstance(obj, Organisation):
        return _count(db.select(count(Service.id)).where(Service.organisation_id == obj.id))
    if isinstance(obj, Service):
        return (
            _count(db.select(count(User.id)).where(User.service_id == obj.id))
            + _count(db.select(count(Listing.id)).where(Listing.poster_service_id == obj.id))
            + _count(db.select(count(Transfer.id)).where(Transfer.receiving_service_id == obj.id))
        )
    raise TypeError(f"not reference data: {obj!r}")


def name_taken(model: type, name: str, *, exclude_id: int | None = None, **scope) -> bool:
    """True when another item of this kind already has this name (ignoring case)."""
    statement = db.select(model.id).where(db.func.lower(model.name) == name.strip().lower())
    for column, value in scope.items():
        statement = statement.where(getattr(model, column) == value)
    if exclude_id is not None:
        statement = statement.where(model.id != exclude_id)
    return db.session.execute(statement.limit(1)).first() is not None


def save(obj: Any, values: dict[str, Any], moderator: User) -> bool:
    """Create or update an item from a form's values; journal what changed. False: no change."""
    fields = FIELDS[type(obj)]
    creating = obj.id is None
    before = None if creating else snapshot(obj, fields)
    for name in fields:
        if name in values:
            value = values[name]
            setattr(obj, name, " ".join(value.split()) if isinstance(value, str) else value)
    if creating:
        db.session.add(obj)
        db.session.flush()
        record(f"{obj.__tablename__}.created", obj, after=snapshot(obj, fields), actor=moderator)
        return True
    after = snapshot(obj, fields)
    changed = [name for name in fields if before[name] != after[name]]
    if not changed:
        return False
    record(
        f"{obj.__tablename__}.updated",
        obj,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
        actor=moderator,
    )
    return True


def retire(obj: Any, moderator: User) -> str:
    """Delete an unused item, or deactivate one in use; return "deleted" or "deactivated"."""
    fields = FIELDS[type(obj)]
    if usage_count(obj):
        if not obj.active:
            raise ModerationError(_("« %(name)s » est déjà désactivé(e).", name=obj.name))
        obj.active = False
        record(
            f"{obj.__tablename__}.deactivated",
            obj,
            before={"active": True},
            after={"active": False},
            actor=moderator,
        )
        return "deactivated"
    record(f"{obj.__tablename__}.deleted", obj, before=snapshot(obj, fields), actor=moderator)
    db.session.delete(obj)
    return "deleted"
