"""SMTP transport: a timeout and certificate checks on every connection, errors sorted for retry.

Flask-Mail opens connections without a timeout and calls starttls() without an SSL context (so
the server's certificate is never verified); this module replaces its transport with smtplib
used directly.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, formataddr, getaddresses, parseaddr

from ..models import OutboxEmail

RETRY = "retry"
FAILED = "failed"


class _SmtpPolicy(EmailPolicy):
    """The SMTP email policy (CR/LF refused in headers), with a Subject folded correctly.

    Python 3.11's folder loses the space between an ASCII word and the next encoded word when
    it folds a long non-ASCII subject ("est intéressé" arrives as "estintéressé"); the legacy
    Header encoder splits inside the encoded text instead, which keeps every space.
    """

    def fold_binary(self, name, value):
        text = str(value)
        if name.lower() == "subject" and not text.isascii():
            folded = Header(text, "utf-8", header_name=name).encode(linesep=self.linesep)
            return f"{name}: {folded}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


SMTP_POLICY = _SmtpPolicy(linesep="\r\n")


@dataclass(frozen=True)
class SmtpSettings:
    """The MAIL_* settings of one application, read once per run."""

    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float
    ca_file: str | None
    local_hostname: str | None

    @classmethod
    def from_config(cls, config) -> SmtpSettings:
        sender = config.get("MAIL_DEFAULT_SENDER") or "reemploi@localhost"
        if isinstance(sender, tuple | list):  # Flask-Mail also accepts (name, address)
            sender = formataddr((sender[0], sender[1]))
        host = config["BASE_URL"].split("//", 1)[-1].split("/", 1)[0].split(":")[0]
        return cls(
            server=config["MAIL_SERVER"],
            port=int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            sender=sender,
            timeout=float(config.get("MAIL_TIMEOUT") or 10),
            ca_file=config.get("MAIL_CA_FILE") or None,
            local_hostname=host or None,
        )


class ConnectionFailed(Exception):
    """The SMTP server could not be reached or refused the session (not this email's fault)."""


def build_message(email: OutboxEmail, sender: str) -> EmailMessage:
    """The MIME message of an outbox row; the email policy refuses CR/LF in any header."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = email.to
    if email.cc:
        message["Cc"] = email.cc
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(email.created_at)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office loops
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    return message


def recipients(email: OutboxEmail) -> list[str]:
    """Every envelope recipient (To then Cc), each once."""
    found = [addr for _name, addr in getaddresses([email.to, email.cc]) if addr]
    return list(dict.fromkeys(found))


class SmtpConnection:
    """One SMTP session, opened on first use and reused for the following emails."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _tls_context(self) -> ssl.SSLContext:
        # Verifies the chain and the host name; MAIL_CA_FILE for an internal CA.
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def open(self) -> None:
        s = self.settings
        try:
            if s.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    s.server,
                    s.port,
                    local_hostname=s.local_hostname,
                    timeout=s.timeout,
                    context=self._tls_context(),
                )
            else:
                smtp = smtplib.SMTP(
                    s.server, s.port, local_hostname=s.local_hostname, timeout=s.timeout
                )
            try:
                if s.use_tls and not s.use_ssl:
                    smtp.starttls(context=self._tls_context())
                if s.username:
                    smtp.login(s.username, s.password or "")
            except BaseException:
                smtp.close()
                raise
        except (OSError, smtplib.SMTPException) as error:
            raise ConnectionFailed(describe(error)) from error
        self._smtp = smtp

    def send(self, email: OutboxEmail) -> dict:
        """Send one email; return the recipients the server refused while accepting others."""
        message = build_message(email, self.settings.sender)
        if self._smtp is None:
            self.open()
        envelope_from = parseaddr(self.settings.sender)[1] or self.settings.sender
        try:
            return self._smtp.sendmail(envelope_from, recipients(email), message.as_bytes())
        except smtplib.SMTPServerDisconnected:
            self.close()
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def classify(error: BaseException) -> str:
    """RETRY for what may work later (4xx, timeout, refused connection), FAILED for a 5xx."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return FAILED if codes and all(500 <= code < 600 for code in codes) else RETRY
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return FAILED if 500 <= error.smtp_code < 600 else RETRY
    if isinstance(error, ValueError):  # a header the email policy refuses: retrying cannot help
        return FAILED
    return RETRY


def describe(error: BaseException) -> str:
    """A one-line account of an SMTP error, for the outbox and the moderators' page."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "all recipients " + describe_refused(error.recipients)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {error.verify_message or error}"
    if isinstance(error, TimeoutError):
        return "timeout"
    return f"{type(error).__name__}: {error}"


def describe_refused(refused: dict) -> str:
    """The recipients a server refused while it accepted the others."""
    return "refused: " + "; ".join(
        f"{addr}: {code} {_text(text)}" for addr, (code, text) in refused.items()
    )


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())
