"""A real SMTP server for the tests: aiosmtpd on a free 127.0.0.1 port, recording what it accepts.

It can be told to answer a given reply to the next DATA commands (451, 550…), to refuse some
recipients, to be slow, or be stopped and started again on the same port.
"""

from __future__ import annotations

import asyncio
import email
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return None if value is None else str(value)

    def body(self, subtype: str = "plain") -> str:
        content = self.message.get_body(preferencelist=(subtype,)).get_content()
        return content.replace("\r\n", "\n")  # line ends as sent on the wire, back to \n


class RecordingHandler:
    """aiosmtpd handler: records accepted messages; scripted replies for the next ones."""

    def __init__(self):
        self.messages: list[Received] = []
        self.replies: list[str] = []  # answers to the next DATA commands, then "250"
        self.always: str | None = None  # answer to every DATA command while set
        self.refused_rcpts: dict[str, str] = {}  # address -> reply to its RCPT
        self.delay = 0.0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refused_rcpts.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            reply = self.replies.pop(0) if self.replies else self.always
            if reply:
                return reply
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start, stop and script a real SMTP server on one loopback port."""

    def __init__(self, tls_context: ssl.SSLContext | None = None, implicit_tls: bool = False):
        self.port = free_port()
        self.handler = RecordingHandler()
        self._tls_context = tls_context
        self._implicit_tls = implicit_tls
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def wait_for_messages(self, count: int = 1, timeout: float = 15) -> list[Received]:
        """The accepted messages once there are `count` of them (emails leave after the page)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages

    def config(self, **extra) -> dict:
        """The MAIL_* settings that point the application at this server."""
        return {"MAIL_SERVER": HOST, "MAIL_PORT": self.port, "MAIL_TIMEOUT": 5, **extra}

    def start(self) -> SmtpServer:
        kwargs: dict = {}
        if self._implicit_tls:
            kwargs["ssl_context"] = self._tls_context
        elif self._tls_context is not None:
            kwargs["tls_context"] = self._tls_context
        self._controller = Controller(
            self.handler, hostname=HOST, port=self.port, ready_timeout=10, **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the CA file is the certificate itself)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
