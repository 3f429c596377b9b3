"""Email: every message is written to the outbox in the caller's transaction, then sent.

An email queued by a request goes out once the response has been handed to the client
(`call_on_close`), so a slow or absent SMTP server never delays the page; one queued outside a
request (a command) goes out when its application context ends. Whatever could not be sent stays
queued for `flask reemploi send-mail`.
"""

from __future__ import annotations

import logging
from functools import partial

from flask import Flask, Response, current_app

from ..extensions import db
from .outbox import queue_email, send_after_commit, take_ready_ids
from .sending import mail_configured, send_outbox

__all__ = ["init_app", "queue_email", "send_after_commit", "send_outbox"]

log = logging.getLogger("reemploi.mail")


def init_app(app: Flask) -> None:
    """Register the senders, the routes and the `send-mail` command."""
    from ..cli import reemploi
    from .cli import send_mail_command
    from .views import bp, dev_bp

    app.after_request(_send_after_response)
    app.teardown_appcontext(_send_at_teardown)
    app.register_blueprint(bp)
    if app.config["DEVELOPMENT"]:
        app.register_blueprint(dev_bp)
    reemploi.add_command(send_mail_command)


def _send_after_response(response: Response) -> Response:
    ids = take_ready_ids()
    if ids and mail_configured():
        response.call_on_close(partial(_send_in_app, current_app._get_current_object(), ids))
    return response


def _send_in_app(app: Flask, ids: list[int]) -> None:
    """Runs after the response was sent, outside any request: never raise into the server."""
    with app.app_context():
        _send_quietly(ids)


def _send_at_teardown(_error) -> None:
    ids = take_ready_ids()
    if ids and mail_configured():
        # End the caller's session first: on SQLite an open transaction outside a request holds
        # the write lock, which the sender's own session needs to claim the emails.
        db.session.remove()
        _send_quietly(ids)


def _send_quietly(ids: list[int]) -> None:
    try:
        send_outbox(ids)
    except Exception:
        # The emails stay queued; `send-mail` will take them.
        log.exception("sending after commit failed for outbox emails %s", ids)
