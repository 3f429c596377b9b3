"""End-to-end fixtures: the app served by a real server on a free loopback port, Debian's Chromium.

Never a browser download: Playwright drives /usr/bin/chromium (or CHROMIUM_PATH). Without it the
tests skip with the reason, except under CI=true where a skipped browser test is a failure.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    if not os.path.exists(CHROMIUM):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: browser tests must run in CI")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@dataclass
class LiveServer:
    app: Flask
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@contextmanager
def _serve(app: Flask):
    """Load the demo data and serve `app` on 127.0.0.1 on a free port until the block ends."""
    from app.demo import seed_demo

    with app.app_context():
        seed_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield LiveServer(app=app, url=app.config["BASE_URL"])
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        _wait_for_connections_back(app)


def _wait_for_connections_back(app: Flask, timeout: float = 10) -> None:
    """Let request threads finish their database work (an email sent after the response) before
    the engine is disposed, or a connection checked out then is never closed."""
    from app.extensions import db

    with app.app_context():
        pool = db.engine.pool
    deadline = time.monotonic() + timeout
    while getattr(pool, "checkedout", lambda: 0)() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def live_server(make_app):
    """The application, with CSRF on and the demo data, served on 127.0.0.1 on a free port."""
    with _serve(make_app(WTF_CSRF_ENABLED=True, DEVELOPMENT=True)) as server:
        yield server


@pytest.fixture
def mail_live_server(make_app, smtp_server):
    """Like live_server, with its emails sent to the test SMTP server (`smtp_server`)."""
    settings = smtp_server.config(MAIL_TIMEOUT=30)  # a loaded machine is not a dead server
    app = make_app(WTF_CSRF_ENABLED=True, DEVELOPMENT=True, **settings)
    with _serve(app) as server:
        yield server


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) in French, and its page."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    new_page = context.new_page()
    yield new_page
    # Let responses still in flight (thumbnails) finish: the development server does not close
    # a response whose connection the browser dropped, and the open photo file then leaks.
    from playwright.sync_api import Error as PlaywrightError

    try:
        new_page.wait_for_load_state("networkidle", timeout=5000)
    except PlaywrightError:
        pass
    context.close()


def sign_in_as(page, live_server, email, password=None):
    """Sign in through the real form."""
    from app.demo import DEMO_PASSWORD

    page.goto(live_server("/connexion"))
    page.get_by_label("Adresse e-mail professionnelle").fill(email)
    page.get_by_label("Mot de passe").fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
