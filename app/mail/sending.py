"""Sending the outbox: claim a row atomically, send it, record the outcome or the next try.

Each email is claimed before it is sent: status becomes `sending`, `attempts` goes up by one (it
is the claim's fencing token) and `next_attempt_at` becomes the end of a lease. A second worker
skips claimed rows (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's write lock, taken up front,
serialises the claims), so two runs never send the same email. A worker killed after its claim
leaves the row `sending`; once the lease is over any run claims it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import OutboxEmail, utcnow
from .transport import (
    FAILED,
    ConnectionFailed,
    SmtpConnection,
    SmtpSettings,
    classify,
    describe,
    describe_refused,
)

log = logging.getLogger("reemploi.mail")

CLAIMABLE = ("queued", "sending")  # `sending` only once its lease is over
MAX_RETRY_DELAY = timedelta(hours=6)


@dataclass
class Report:
    """What one sending run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: str = ""  # set when the run stopped because the server could not be reached
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: base, 2×base, 4×base… capped at six hours."""
    base = float(current_app.config["MAIL_RETRY_BASE_SECONDS"])
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def send_outbox(ids: Iterable[int] | None = None, limit: int | None = None) -> Report:
    """Send the due emails (only `ids` if given), one claim at a time; stop if SMTP is down.

    Uses a session of its own: the caller must not hold a write transaction (on SQLite, commit
    or close db.session first), since every claim takes the write lock.
    """
    report = Report()
    if not mail_configured():
        return report
    wanted = None if ids is None else sorted(set(ids))
    if wanted == []:
        return report
    connection = SmtpConnection(SmtpSettings.from_config(current_app.config))
    try:
        with Session(db.engine, expire_on_commit=False) as session:
            tried: list[int] = []  # one attempt per email and run, whatever its back-off
            while limit is None or report.attempted < limit:
                email = _claim_next(session, wanted, tried)
                if email is None:
                    break
                tried.append(email.id)
                if not _send_one(session, connection, email, report):
                    break
    finally:
        connection.close()
    return report


def _claim_next(session: Session, ids: list[int] | None, tried: list[int]) -> OutboxEmail | None:
    """Atomically mark the next due email `sending` for this worker; None when none is left."""
    lease = timedelta(seconds=int(current_app.config["MAIL_LEASE_SECONDS"]))
    while True:
        now = utcnow()
        due = sa.and_(OutboxEmail.status.in_(CLAIMABLE), OutboxEmail.next_attempt_at <= now)
        query = sa.select(OutboxEmail.id).where(due)
        if ids is not None:
            query = query.where(OutboxEmail.id.in_(ids))
        if tried:
            query = query.where(OutboxEmail.id.not_in(tried))
        query = (
            query.order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with session.begin():
            email_id = session.execute(query).scalar()
            if email_id is None:
                return None
            claimed = session.execute(
                sa.update(OutboxEmail)
                .where(OutboxEmail.id == email_id, due)
                .values(
                    status="sending",
                    attempts=OutboxEmail.attempts + 1,
                    next_attempt_at=now + lease,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed == 1:
                email = session.execute(
                    sa.select(OutboxEmail)
                    .where(OutboxEmail.id == email_id)
                    .execution_options(populate_existing=True)
                ).scalar_one()
                session.expunge(email)
                return email
        # Another worker took it between the two statements: look for the next one.


def _send_one(session: Session, connection: SmtpConnection, email, report: Report) -> bool:
    """Send one claimed email and record the outcome; False when the server is unreachable."""
    try:
        refused = connection.send(email)
    except ConnectionFailed as error:
        _record_retry(session, email, str(error), report)
        report.unreachable = str(error)
        return False
    except Exception as error:  # every SMTP or header error is recorded, never raised
        if classify(error) == FAILED:
            _record(session, email, report, "failed", describe(error))
        else:
            _record_retry(session, email, describe(error), report)
        return True
    _record(session, email, report, "sent", describe_refused(refused) if refused else "")
    return True


def _record_retry(session: Session, email: OutboxEmail, error: str, report: Report) -> None:
    max_attempts = int(current_app.config["MAIL_MAX_ATTEMPTS"])
    if email.attempts >= max_attempts:
        _record(session, email, report, "failed", f"{error} (after {email.attempts} attempts)")
    else:
        _record(session, email, report, "queued", error)


def _record(session: Session, email: OutboxEmail, report: Report, status: str, error: str):
    """Write the outcome, unless this worker's claim was lost (its lease ran out)."""
    now = utcnow()
    values: dict = {"status": status, "last_error": error[:2000]}
    if status == "sent":
        values["sent_at"] = now
    if status == "queued":
        values["next_attempt_at"] = now + retry_delay(email.attempts)
    with session.begin():
        updated = session.execute(
            sa.update(OutboxEmail)
            .where(
                OutboxEmail.id == email.id,
                OutboxEmail.status == "sending",
                OutboxEmail.attempts == email.attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
    if updated != 1:
        log.warning("outbox email %s: claim lost before its outcome was recorded", email.id)
    if status == "sent":
        report.sent += 1
    elif status == "failed":
        report.failed += 1
        report.errors.append(f"#{email.id}: {error}")
        log.warning("outbox email %s failed: %s", email.id, error)
    else:
        report.retried += 1
        report.errors.append(f"#{email.id}: {error}")
        log.info("outbox email %s will be retried: %s", email.id, error)
