"""The outbox: emails are stored with the action that causes them, and sent after the commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app, g, has_app_context, render_template
from flask_babel import force_locale

from ..extensions import db
from ..models import OutboxEmail

PENDING = "outbox_pending"  # session.info key: emails to send once the session commits
READY = "outbox_ready"  # flask.g key: ids committed in this app context, not yet sent


def absolute_url(endpoint: str, **values) -> str:
    """A link for an email: BASE_URL (sub-path included) + the route, never the request's Host."""
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


def _addresses(value: str | Iterable[str] | None) -> str:
    if not value:
        return ""
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if any(c in item for c in "\r\n,;") or len(item) > 254:
            raise ValueError(f"invalid email address: {item!r}")
    return ", ".join(dict.fromkeys(i.strip() for i in items if i.strip()))


def _one_line(text: str, limit: int) -> str:
    """Collapse CR/LF and other control characters so user data cannot add a header."""
    cleaned = "".join(" " if ord(c) < 32 or c == "\x7f" else c for c in text)
    return " ".join(cleaned.split())[:limit]


def queue_email(
    *,
    to: str | Iterable[str],
    subject: str,
    template: str,
    cc: str | Iterable[str] | None = None,
    reply_to: str | None = None,
    kind: str = "",
    **context,
) -> OutboxEmail:
    """Add an email to the session's outbox; it is sent once the caller's transaction commits.

    `template` names a pair `templates/mail/<template>.txt` and `.html`, rendered with `context`.
    Emails are in the installation's language whoever acts: pass the subject as a lazy string
    (`lazy_gettext`), translated here with the templates.
    """
    prefix = current_app.config.get("MAIL_SUBJECT_PREFIX") or ""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        full_subject = _one_line(f"{prefix} {subject}" if prefix else str(subject), 250)
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    domain = current_app.config["BASE_URL"].split("//", 1)[-1].split("/", 1)[0] or "localhost"
    email = OutboxEmail(
        to=_addresses(to),
        cc=_addresses(cc),
        reply_to=_addresses(reply_to),
        subject=full_subject,
        text=text,
        html=html,
        kind=kind,
        status="queued",
        attempts=0,
        message_id=f"<{secrets.token_hex(16)}@{domain.split(':')[0]}>",
    )
    db.session.add(email)
    send_after_commit(email)
    return email


def send_after_commit(email: OutboxEmail) -> None:
    """Send this email as soon as the current transaction commits (dropped if it rolls back)."""
    db.session.info.setdefault(PENDING, []).append(email)


@sa.event.listens_for(db.session, "after_commit")
def _collect_committed(session) -> None:
    """Hand the ids of the committed emails to the app context, which sends them."""
    pending = session.info.pop(PENDING, None)
    if not pending or not has_app_context():
        return
    ids = [sa.inspect(e).identity[0] for e in pending if sa.inspect(e).persistent]
    g.setdefault(READY, []).extend(ids)


@sa.event.listens_for(db.session, "after_soft_rollback")
def _forget_rolled_back(session, previous_transaction) -> None:
    """An email whose transaction rolled back was never stored: forget it."""
    pending = session.info.get(PENDING)
    if pending:
        session.info[PENDING] = [e for e in pending if e in session]


def take_ready_ids() -> list[int]:
    """The ids committed in this app context and not yet handed to a sender."""
    return g.pop(READY, None) or []
