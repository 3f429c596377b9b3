"""The outbox: emails are stored with the action that causes them, and sent after the commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import current_app, render_template

from ..extensions import db
from ..models import OutboxEmail


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
    """
    prefix = current_app.config.get("MAIL_SUBJECT_PREFIX") or ""
    full_subject = _one_line(f"{prefix} {subject}" if prefix else subject, 250)
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
    return email
