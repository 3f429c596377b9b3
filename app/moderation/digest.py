"""Nothing waits unseen: a daily email to moderators listing the listings pending too long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..audit import record
from ..extensions import db
from ..listings.rules import moderation_recipients
from ..mail import queue_email
from ..mail.outbox import absolute_url
from ..models import AuditEvent, Listing, utcnow

DIGEST_ACTION = "digest.sent"
# Any constant: serialises two digest runs on PostgreSQL (SQLite already takes the write lock).
_ADVISORY_LOCK = 72_615_004


@dataclass
class DigestOutcome:
    status: str  # "sent", "nothing", "already_sent", "no_recipient"
    listing_count: int = 0
    recipients: tuple[str, ...] = ()


def _start_of_local_day(now: datetime) -> datetime:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local_midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    return local_midnight.astimezone(UTC)


def overdue_listings(now: datetime) -> list[Listing]:
    """Listings waiting for moderation for over MODERATION_DIGEST_DELAY_HOURS, oldest first."""
    limit = now - timedelta(hours=current_app.config["MODERATION_DIGEST_DELAY_HOURS"])
    return list(
        db.session.execute(
            db.select(Listing)
            .where(Listing.status == "pending", Listing.waiting_since <= limit)
            .options(selectinload(Listing.poster), selectinload(Listing.poster_service))
            .order_by(Listing.waiting_since, Listing.id)
        )
        .scalars()
        .all()
    )


def sent_today(now: datetime) -> bool:
    return (
        db.session.execute(
            db.select(AuditEvent.id)
            .where(AuditEvent.action == DIGEST_ACTION, AuditEvent.at >= _start_of_local_day(now))
            .limit(1)
        ).first()
        is not None
    )


def notify_moderators(now: datetime | None = None) -> DigestOutcome:
    """Queue today's digest unless nothing waits or it was already sent today; commits."""
    now = now or utcnow()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(db.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    if sent_today(now):
        db.session.rollback()
        return DigestOutcome("already_sent")
    listings = overdue_listings(now)
    if not listings:
        db.session.rollback()
        return DigestOutcome("nothing")
    recipients = tuple(moderation_recipients())
    if not recipients:
        db.session.rollback()
        return DigestOutcome("no_recipient", len(listings))
    hours = current_app.config["MODERATION_DIGEST_DELAY_HOURS"]
    queue_email(
        to=recipients,
        subject=_l(
            "%(n)d annonce(s) en attente de modération depuis plus de %(hours)d h",
            n=len(listings),
            hours=hours,
        ),
        template="moderation_digest",
        kind="moderation_digest",
        listings=listings,
        hours=hours,
        queue_url=absolute_url("moderation.queue"),
        now=now,
    )
    event = record(
        DIGEST_ACTION,
        object_type="digest",
        after={"listing_ids": [listing.id for listing in listings], "to": list(recipients)},
    )
    event.at = now  # the day this digest counts for
    db.session.commit()
    return DigestOutcome("sent", len(listings), recipients)
