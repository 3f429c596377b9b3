"""Fixtures: an application per test on a database built by the migrations, clients, factories."""

from __future__ import annotations

import io
import os
import shutil
from datetime import date
from decimal import Decimal
from itertools import count

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy.pool import NullPool

from app import create_app
from app.extensions import db
from app.models import Category, Listing, Organisation, Service, Site, User, utcnow

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"


def base_config(uri: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": uri,
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://reemploi.test",
        "MAIL_SERVER": None,
        "MODERATION_EMAILS": [],
    }
    if uri.startswith("postgresql"):
        # Every connection closes when its session ends: none is left open for the garbage
        # collector to find (psycopg warns, and warnings are errors here).
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """Build the schema once with the migrations; each test then gets a copy (or a truncation)."""
    instance = tmp_path_factory.mktemp("template-instance")
    os.environ["REEMPLOI_INSTANCE_PATH"] = str(instance)
    if TEST_DATABASE_URL:
        app = create_app(base_config(TEST_DATABASE_URL))
        with app.app_context():
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
            upgrade()
            db.engine.dispose()
        return None
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


def _truncate_all(app) -> None:
    with app.app_context():
        # change_counter keeps its row: its triggers only ever add to it.
        tables = [t.name for t in db.metadata.sorted_tables if t.name != "change_counter"]
        quoted = ", ".join(f'"{name}"' for name in tables)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


@pytest.fixture
def make_app(migrated_template, tmp_path, monkeypatch):
    """Build an application on this test's own database, with extra settings."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("REEMPLOI_INSTANCE_PATH", str(instance))
    if TEST_DATABASE_URL:
        uri = TEST_DATABASE_URL
    else:
        target = tmp_path / "test.sqlite"
        shutil.copyfile(migrated_template, target)
        uri = f"sqlite:///{target}"
    made = []

    def _make(**extra):
        extra.setdefault("UPLOAD_FOLDER", str(tmp_path / "uploads"))
        application = create_app(base_config(uri, **extra))
        if TEST_DATABASE_URL and not made:
            _truncate_all(application)
        made.append(application)
        return application

    yield _make
    for application in made:
        with application.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Small builders of valid records; each call commits and returns a fresh record."""

    def __init__(self, app):
        self.app = app
        self._n = count(1)

    def _save(self, obj):
        with self.app.app_context():
            db.session.add(obj)
            db.session.commit()
            db.session.refresh(obj)
            db.session.expunge(obj)
        return obj

    def organisation(self, name=None, **kw):
        return self._save(Organisation(name=name or f"Collectivité {next(self._n)}", **kw))

    def service(self, name=None, organisation=None, **kw):
        org = organisation or self.organisation()
        return self._save(
            Service(name=name or f"Service {next(self._n)}", organisation_id=org.id, **kw)
        )

    def site(self, name=None, **kw):
        return self._save(Site(name=name or f"Site {next(self._n)}", address="1 rue", **kw))

    def category(self, name=None, weight="10", co2e="20", **kw):
        return self._save(
            Category(
                name=name or f"Catégorie {next(self._n)}",
                default_unit_weight_kg=Decimal(weight),
                co2e_kg_per_unit=Decimal(co2e),
                source_note="Source de test",
                **kw,
            )
        )

    def user(self, email=None, name=None, service=None, password=PASSWORD, **kw):
        n = next(self._n)
        service = service or self.service()
        user = User(
            email=email or f"agent{n}@example.org",
            name=name or f"Agent {n}",
            service_id=service.id,
            **kw,
        )
        if password:
            user.set_password(password)
        return self._save(user)

    def moderator(self, **kw):
        return self.user(is_moderator=True, **kw)

    def listing(self, poster=None, status="published", **kw):
        poster = poster or self.user()
        values = {
            "title": f"Objet {next(self._n)}",
            "description": "Une description",
            "quantity": 1,
            "condition": "good",
            "estimated_value": Decimal("50.00"),
            "available_from": date.today(),
            "professional_use_confirmed": True,
        }
        values.update(kw)
        values.setdefault("quantity_left", values["quantity"])
        if "category_id" not in values:
            values["category_id"] = self.category().id
        if "site_id" not in values:
            values["site_id"] = self.site().id
        if status in ("published", "reserved", "closed"):
            values.setdefault("published_at", utcnow())
        return self._save(
            Listing(
                poster_id=poster.id,
                poster_service_id=poster.service_id,
                status=status,
                **values,
            )
        )


@pytest.fixture
def make(app):
    return Factory(app)


def sign_in(client, user, password=PASSWORD):
    """Sign a test client in through the real sign-in form."""
    response = client.post("/connexion", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def login(client):
    """login(user): sign the test client in as this user."""
    return lambda user, password=PASSWORD: sign_in(client, user, password)


def image_bytes(fmt="JPEG", size=(64, 48), color=(200, 30, 30), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def scalar(app, statement):
    """Run one query in a fresh app context and return its scalar."""
    with app.app_context():
        return db.session.execute(statement).scalar()


def count_rows(app, model) -> int:
    return scalar(app, sa.select(sa.func.count()).select_from(model))


def pytest_terminal_summary(terminalreporter):
    """Say plainly how many browser tests ran, so a skipped browser never goes unnoticed."""
    counts = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        counts[outcome] = sum(
            1
            for report in terminalreporter.stats.get(outcome, [])
            if "/e2e/" in getattr(report, "nodeid", "").replace("\\", "/")
            and getattr(report, "when", "call") in ("call", "setup")
        )
    if any(counts.values()):
        terminalreporter.write_line(
            "browser tests (Chromium): "
            + ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
        )


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free 127.0.0.1 port; see tests/smtp.py."""
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp_server):
    """An application whose emails go to `smtp_server`."""
    return make_app(**smtp_server.config())
