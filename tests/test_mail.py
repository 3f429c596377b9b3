"""The outbox against a real SMTP server: sending after commit, retries, failures, TLS, workers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader

from app.extensions import db
from app.mail import queue_email, send_outbox
from app.mail.sending import retry_delay
from app.models import AuditEvent, OutboxEmail, utcnow
from tests.conftest import count_rows, scalar, sign_in
from tests.smtp import HOST, SmtpServer, make_certificate, server_tls_context

PROJECT = Path(__file__).resolve().parent.parent
NOTE = {"mail/test_note.txt": "Texte : {{ body }}", "mail/test_note.html": "<p>{{ body }}</p>"}


def with_note_template(app):
    """Give the application a small email template of its own."""
    app.jinja_loader = ChoiceLoader([DictLoader(NOTE), app.jinja_loader])
    return app


def queue_note(app, to="poster@example.org", subject="Une note", body="Bonjour", **kw) -> int:
    """Queue one email and commit, as a command would; the app context then ends (and sends)."""
    with app.app_context():
        email = queue_email(to=to, subject=subject, template="test_note", body=body, **kw)
        db.session.commit()
        return email.id


def outbox_row(app, email_id) -> OutboxEmail:
    with app.app_context():
        row = db.session.get(OutboxEmail, email_id)
        db.session.expunge(row)
        return row


def run_send_mail(app):
    return app.test_cli_runner().invoke(args=["reemploi", "send-mail"])


@pytest.fixture
def note_app(make_app, smtp_server):
    return with_note_template(make_app(**smtp_server.config()))


def test_committed_email_is_sent_with_its_headers_and_both_bodies(note_app, smtp_server):
    email_id = queue_note(
        note_app,
        to="poster@example.org",
        cc=["moderation@example.org"],
        reply_to="requester@example.org",
        subject="Une chaise vous attend",
        body="Ligne é",
    )
    [received] = smtp_server.messages
    row = outbox_row(note_app, email_id)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert received.header("To") == "poster@example.org"
    assert received.header("Cc") == "moderation@example.org"
    assert received.header("Reply-To") == "requester@example.org"
    assert received.header("Subject") == "[Réemploi] Une chaise vous attend"
    assert received.header("Message-ID") == row.message_id
    assert received.header("Auto-Submitted") == "auto-generated"
    assert received.body("plain").strip() == "Texte : Ligne é"
    assert received.body("html").strip() == "<p>Ligne é</p>"
    assert sorted(received.rcpt_tos) == ["moderation@example.org", "poster@example.org"]


def test_rolled_back_email_is_neither_stored_nor_sent(note_app, smtp_server):
    with note_app.app_context():
        queue_email(to="a@example.org", subject="x", template="test_note", body="x")
        db.session.rollback()
    assert count_rows(note_app, OutboxEmail) == 0
    assert smtp_server.messages == []


def test_without_mail_server_the_email_stays_queued_untouched(make_app):
    app = with_note_template(make_app(MAIL_SERVER=None))
    row = outbox_row(app, queue_note(app))
    assert (row.status, row.attempts, row.last_error) == ("queued", 0, "")
    result = run_send_mail(app)
    assert result.exit_code == 1
    assert "MAIL_SERVER" in result.output


def test_email_queued_by_a_request_goes_out_only_once_the_response_is_closed(note_app, smtp_server):
    def note():
        queue_email(to="a@example.org", subject="Depuis une page", template="test_note", body="b")
        db.session.commit()
        return "ok"

    note_app.add_url_rule("/test-note", "test_note", note, methods=["POST"])
    response = note_app.test_client().post("/test-note")
    assert response.status_code == 200
    assert smtp_server.messages == []  # the page was answered before any SMTP work
    response.close()  # what a WSGI server does once the response is written
    assert [m.header("Subject") for m in smtp_server.messages] == ["[Réemploi] Depuis une page"]


def test_server_answering_451_then_accepting_delivers_exactly_once_after_send_mail(
    make_app, smtp_server
):
    app = with_note_template(make_app(**smtp_server.config(MAIL_RETRY_BASE_SECONDS=0)))
    smtp_server.handler.replies = ["451 4.3.0 Essayez plus tard"]
    email_id = queue_note(app)
    row = outbox_row(app, email_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "451" in row.last_error
    assert smtp_server.messages == []

    first = run_send_mail(app)
    second = run_send_mail(app)
    assert first.exit_code == 0, first.output
    assert "1 envoyé(s)" in first.output
    assert second.exit_code == 0 and second.output == ""
    [received] = smtp_server.messages
    row = outbox_row(app, email_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert received.header("Message-ID") == row.message_id  # the retry is recognisable


def test_email_is_not_retried_before_its_back_off_is_over(make_app, smtp_server):
    app = with_note_template(make_app(**smtp_server.config(MAIL_RETRY_BASE_SECONDS=3600)))
    smtp_server.handler.replies = ["421 4.7.0 Trop de connexions"]
    email_id = queue_note(app)
    before = utcnow()
    row = outbox_row(app, email_id)
    assert row.status == "queued"
    assert timedelta(minutes=59) < row.next_attempt_at - before <= timedelta(hours=1)
    assert run_send_mail(app).output == ""
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (6, 32), (9, 256), (10, 360), (30, 360)]
)
def test_retry_delay_doubles_from_the_base_and_is_capped_at_six_hours(app, attempts, minutes):
    with app.app_context():
        assert retry_delay(attempts) == timedelta(minutes=minutes)


def test_permanent_550_marks_the_email_failed_with_the_error(note_app, smtp_server):
    smtp_server.handler.always = "550 5.1.1 Boîte inconnue"
    email_id = queue_note(note_app)
    row = outbox_row(note_app, email_id)
    assert row.status == "failed"
    assert row.last_error.startswith("550")
    smtp_server.handler.always = None
    assert run_send_mail(note_app).output == ""  # a failed email is not retried by itself
    assert smtp_server.messages == []


def test_email_is_marked_failed_after_the_last_allowed_attempt(make_app, smtp_server):
    app = with_note_template(
        make_app(**smtp_server.config(MAIL_RETRY_BASE_SECONDS=0, MAIL_MAX_ATTEMPTS=2))
    )
    smtp_server.handler.always = "451 4.3.0 Plus tard"
    email_id = queue_note(app)
    assert outbox_row(app, email_id).status == "queued"
    run_send_mail(app)
    row = outbox_row(app, email_id)
    assert (row.status, row.attempts) == ("failed", 2)
    assert "451" in row.last_error and "2 attempts" in row.last_error


def test_one_refused_recipient_does_not_stop_delivery_to_the_others(note_app, smtp_server):
    smtp_server.handler.refused_rcpts = {"gone@example.org": "550 5.1.1 Inconnu"}
    email_id = queue_note(note_app, to="poster@example.org", cc=["gone@example.org"])
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["poster@example.org"]
    row = outbox_row(note_app, email_id)
    assert row.status == "sent"
    assert "gone@example.org: 550" in row.last_error


def test_every_recipient_refused_temporarily_is_retried(note_app, smtp_server):
    smtp_server.handler.refused_rcpts = {"poster@example.org": "450 4.2.1 Boîte occupée"}
    row = outbox_row(note_app, queue_note(note_app))
    assert row.status == "queued" and "450" in row.last_error


def test_refused_connection_leaves_the_email_queued_and_send_mail_says_so(make_app, smtp_server):
    app = with_note_template(make_app(**smtp_server.config(MAIL_RETRY_BASE_SECONDS=0)))
    smtp_server.stop()
    email_id = queue_note(app)
    row = outbox_row(app, email_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    result = run_send_mail(app)
    assert result.exit_code == 1
    assert "injoignable" in result.output
    smtp_server.start()
    assert run_send_mail(app).exit_code == 0
    assert len(smtp_server.messages) == 1
    assert outbox_row(app, email_id).status == "sent"


def test_server_that_never_answers_times_out_and_the_email_stays_queued(make_app):
    silent = socket.socket()
    silent.bind((HOST, 0))
    silent.listen(1)  # accepts the TCP connection, never says hello
    try:
        app = with_note_template(
            make_app(MAIL_SERVER=HOST, MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=0.5)
        )
        row = outbox_row(app, queue_note(app))
    finally:
        silent.close()
    assert (row.status, row.attempts) == ("queued", 1)
    assert "timeout" in row.last_error.lower() or "timed out" in row.last_error.lower()


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Bonjour\r\nBcc: intrus@example.org", "[Réemploi] Bonjour Bcc: intrus@example.org"),
        ("A\nX-Injected: 1\n\nCorps", "[Réemploi] A X-Injected: 1 Corps"),
        ("x" * 500, "[Réemploi] " + "x" * 239),
    ],
    ids=["crlf-bcc", "lf-header-and-body", "too-long"],
)
def test_subject_cannot_add_headers_or_break_the_email(note_app, smtp_server, subject, expected):
    queue_note(note_app, subject=subject)
    [received] = smtp_server.messages
    assert received.header("Subject") == expected
    assert received.message["Bcc"] is None and received.message["X-Injected"] is None
    assert received.rcpt_tos == ["poster@example.org"]


def test_long_accented_subject_keeps_every_space_once_folded(note_app, smtp_server):
    subject = "L'annonce « Ramettes de papier A4 recyclé pour les écoles » vous est réservée"
    queue_note(note_app, subject=subject)
    assert smtp_server.messages[0].header("Subject") == "[Réemploi] " + subject


@pytest.mark.parametrize(
    "address",
    ["victim@example.org\r\nBcc: intrus@example.org", "a@example.org\nCc: b@example.org"],
)
def test_address_with_a_line_break_is_refused_before_anything_is_stored(note_app, address):
    with note_app.app_context(), pytest.raises(ValueError):
        queue_email(to=address, subject="x", template="test_note", body="x")
    assert count_rows(note_app, OutboxEmail) == 0


def test_stored_subject_with_a_line_break_is_never_sent_as_a_header(note_app, smtp_server):
    """Defence in depth: even a row written behind queue_email's back cannot inject."""
    with note_app.app_context():
        row = OutboxEmail(
            to="a@example.org",
            subject="Sujet\r\nBcc: intrus@example.org",
            text="x",
            message_id="<forged@reemploi.test>",
        )
        db.session.add(row)
        db.session.commit()
        email_id = row.id
    with note_app.app_context():
        report = send_outbox([email_id])
    assert report.failed == 1
    assert outbox_row(note_app, email_id).status == "failed"
    assert smtp_server.messages == []


def test_email_left_sending_by_a_killed_worker_is_taken_again_after_its_lease(
    make_app, smtp_server
):
    app = with_note_template(make_app(MAIL_SERVER=None))
    stale, fresh = queue_note(app, subject="ancien"), queue_note(app, subject="en cours")
    with app.app_context():
        now = utcnow()
        for email_id, lease_end in (
            (stale, now - timedelta(minutes=1)),
            (fresh, now + timedelta(minutes=4)),
        ):
            row = db.session.get(OutboxEmail, email_id)
            row.status, row.attempts, row.next_attempt_at = "sending", 1, lease_end
        db.session.commit()
    app.config.update(smtp_server.config())
    assert run_send_mail(app).exit_code == 0
    assert [m.header("Subject") for m in smtp_server.messages] == ["[Réemploi] ancien"]
    assert outbox_row(app, fresh).status == "sending"


def test_two_concurrent_send_mail_runs_deliver_each_email_once(make_app, smtp_server, tmp_path):
    app = with_note_template(make_app(MAIL_SERVER=None))
    ids = [queue_note(app, to=f"agent{n}@example.org", subject=f"n{n}") for n in range(30)]
    smtp_server.handler.delay = 0.03  # both runs are still busy when the other claims
    env = {
        **os.environ,
        "REEMPLOI_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "FLASK_SECRET_KEY": "worker",
        "FLASK_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "FLASK_MAIL_SERVER": HOST,
        "FLASK_MAIL_PORT": str(smtp_server.port),
        "FLASK_BASE_URL": "http://reemploi.test",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "reemploi", "send-mail"]
    workers = [
        subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    reported = [int(output.split(" envoyé")[0] or 0) for output in outputs]
    assert sum(reported) == len(ids), outputs  # each run says what it sent; together, all once
    subjects = sorted(m.header("Subject") for m in smtp_server.messages)
    assert subjects == sorted(f"[Réemploi] n{n}" for n in range(30))
    assert scalar(app, sa.select(sa.func.count()).where(OutboxEmail.status == "sent")) == len(ids)
    assert scalar(app, sa.select(sa.func.sum(OutboxEmail.attempts))) == len(ids)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_server_certificate_is_verified_against_the_configured_ca(make_app, certificate, mode):
    cert, key = certificate
    server = SmtpServer(server_tls_context(cert, key), implicit_tls=mode == "ssl").start()
    try:
        tls = {"MAIL_USE_TLS": mode == "starttls", "MAIL_USE_SSL": mode == "ssl"}
        untrusting = with_note_template(make_app(**server.config(**tls)))
        row = outbox_row(untrusting, queue_note(untrusting, subject="sans CA"))
        assert row.status == "queued"
        assert "certificate verification failed" in row.last_error
        assert server.messages == []

        trusting = with_note_template(make_app(**server.config(MAIL_CA_FILE=str(cert), **tls)))
        row = outbox_row(trusting, queue_note(trusting, subject="avec CA"))
        assert row.status == "sent", row.last_error
        assert [m.header("Subject") for m in server.messages] == ["[Réemploi] avec CA"]
    finally:
        server.stop()


# --- Pages ----------------------------------------------------------------------------------


def test_development_page_lists_every_email_with_its_text(make_app):
    app = with_note_template(make_app(DEVELOPMENT=True))
    queue_note(app, subject="Visible en dev", body="Le corps <b>échappé</b>")
    from tests.conftest import Factory

    client = sign_in(app.test_client(), Factory(app).user())
    assert 'href="/dev/courriels"' in client.get("/profil").get_data(as_text=True)
    page = client.get("/dev/courriels").get_data(as_text=True)
    assert "[Réemploi] Visible en dev" in page
    assert "Texte : Le corps &lt;b&gt;échappé&lt;/b&gt;" in page


def test_development_page_does_not_exist_outside_development(client, make, login):
    login(make.moderator())
    assert client.get("/dev/courriels").status_code == 404
    assert "/dev/courriels" not in client.get("/profil").get_data(as_text=True)


def test_moderators_see_waiting_and_failed_emails_but_not_sent_ones(make_app, smtp_server, make):
    app = with_note_template(make_app(**smtp_server.config()))
    smtp_server.handler.replies = ["550 5.1.1 Inconnu", "451 4.3.0 Plus tard"]
    queue_note(app, subject="refusé")
    queue_note(app, subject="en attente")
    queue_note(app, subject="parti")
    client = sign_in(app.test_client(), make.moderator())
    queue_page = client.get("/moderation/").get_data(as_text=True)
    assert 'href="/moderation/courriels"' in queue_page  # reached from the moderation menu
    page = client.get("/moderation/courriels").get_data(as_text=True)
    assert 'aria-current="page">Courriels<' in page
    assert "[Réemploi] refusé" in page and "550 5.1.1 Inconnu" in page and "En échec" in page
    assert "[Réemploi] en attente" in page and "451 4.3.0 Plus tard" in page
    assert "[Réemploi] parti" not in page


def test_agent_cannot_see_the_moderators_outbox(client, make, login):
    login(make.user())
    assert client.get("/moderation/courriels").status_code == 403


def test_moderator_retries_a_failed_email_which_is_sent_and_journaled(make_app, smtp_server, make):
    app = with_note_template(make_app(**smtp_server.config()))
    smtp_server.handler.replies = ["550 5.7.1 Refusé"]
    email_id = queue_note(app)
    assert outbox_row(app, email_id).status == "failed"
    moderator = make.moderator()
    client = sign_in(app.test_client(), moderator)
    response = client.post(f"/moderation/courriels/{email_id}/renvoyer")
    assert response.status_code == 302
    assert "Le courriel a été envoyé." in client.get("/moderation/courriels").get_data(as_text=True)
    assert outbox_row(app, email_id).status == "sent"
    assert len(smtp_server.messages) == 1
    with app.app_context():
        event = db.session.execute(sa.select(AuditEvent)).scalar_one()
        assert (event.action, event.actor_id, event.object_id) == (
            "email.retry",
            moderator.id,
            email_id,
        )
        assert event.before["status"] == "failed" and event.after["status"] == "queued"


def test_retrying_an_email_already_sent_changes_nothing(note_app, smtp_server, make):
    email_id = queue_note(note_app)
    client = sign_in(note_app.test_client(), make.moderator())
    client.post(f"/moderation/courriels/{email_id}/renvoyer")
    assert len(smtp_server.messages) == 1
    assert count_rows(note_app, AuditEvent) == 0
