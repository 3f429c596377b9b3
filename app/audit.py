"""The journal: who did what to which record, written in the same transaction as the change."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_login import current_user

from .extensions import db
from .models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict:
    """The named attributes of a record, ready to store as JSON."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def record(
    action: str,
    obj: Any = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
    object_type: str | None = None,
    object_id: int | None = None,
) -> AuditEvent:
    """Add a journal entry to the current session (committed with the change it describes)."""
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else ""),
        object_id=object_id if object_id is not None else getattr(obj, "id", None),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )
    db.session.add(event)
    return event
