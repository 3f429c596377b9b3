"""The configuration contract: defaults, instance/config.py, FLASK_* variables, test mapping."""

import pytest

from app import create_app
from app.setup_instance import ensure_instance_config


def test_instance_file_then_environment_then_test_mapping_override_in_order(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        'SECRET_KEY = "from-file"\nAPP_NAME = "Fichier"\nBASE_URL = "https://file.example/"\n'
        "MAIL_PORT = 2525\n"
    )
    monkeypatch.setenv("REEMPLOI_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("FLASK_APP_NAME", "Environnement")
    monkeypatch.setenv("FLASK_MAIL_PORT", "587")
    app = create_app({"MAIL_PORT": 465, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["APP_NAME"] == "Environnement"
    assert app.config["MAIL_PORT"] == 465
    assert app.config["BASE_URL"] == "https://file.example"  # trailing slash removed
    assert app.config["AUTH_MODE"] == "local"  # default kept


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("REEMPLOI_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst'}/reemploi.sqlite"
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "inst" / "uploads")


def test_missing_secret_key_stops_start_up_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("REEMPLOI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_unknown_auth_mode_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("REEMPLOI_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="AUTH_MODE"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "AUTH_MODE": "ldap"})


@pytest.mark.parametrize(
    ("development", "secure"), [(False, True), (True, False)], ids=["production", "development"]
)
def test_cookies_are_secure_unless_in_development(tmp_path, monkeypatch, development, secure):
    monkeypatch.setenv("REEMPLOI_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "DEVELOPMENT": development}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_DURATION"].days <= 30


def test_moderation_emails_accept_a_comma_separated_string(tmp_path, monkeypatch):
    monkeypatch.setenv("REEMPLOI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_MODERATION_EMAILS", "a@x.fr, b@x.fr")
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["MODERATION_EMAILS"] == ["a@x.fr", "b@x.fr"]


def test_first_run_writes_a_secret_key_once(tmp_path):
    assert ensure_instance_config(tmp_path) is True
    first = (tmp_path / "config.py").read_text()
    assert "SECRET_KEY" in first and len(first) > 60
    assert ensure_instance_config(tmp_path) is False
    assert (tmp_path / "config.py").read_text() == first
    assert (tmp_path / "config.py").stat().st_mode & 0o077 == 0


def test_example_config_documents_every_setting_of_the_contract():
    from pathlib import Path

    from app.config import Defaults

    example = (Path(__file__).parent.parent / "instance" / "config.example.py").read_text()
    keys = [k for k in vars(Defaults) if k.isupper()]
    missing = [k for k in keys if k not in example]
    assert missing == []
