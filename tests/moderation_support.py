"""Helpers for the moderation tests: read what an action left in the outbox and the journal."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Listing, OutboxEmail, User


def _detached(app, statement) -> list:
    """The rows of `statement`, detached from the session so they outlive the app context."""
    with app.app_context():
        rows = db.session.execute(statement).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def emails(app, kind: str | None = None) -> list[OutboxEmail]:
    """The queued emails, oldest first, detached from the session."""
    statement = sa.select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        statement = statement.where(OutboxEmail.kind == kind)
    return _detached(app, statement)


def events(app, action: str | None = None) -> list[AuditEvent]:
    """The journal entries, oldest first, detached from the session."""
    statement = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return _detached(app, statement)


def reload_listing(app, listing_id: int) -> Listing:
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        db.session.expunge(listing)
        return listing


def reload_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


class QueryCounter:
    """Count the SQL statements sent while the block runs."""

    def __init__(self, app):
        self.app = app
        self.count = 0

    def _count(self, *_args, **_kwargs):
        self.count += 1

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)
