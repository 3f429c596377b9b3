"""Réemploi: the internal reuse platform of a local authority."""

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Defaults
from .extensions import csrf, db, login_manager, migrate
from .extensions import mail as mail_extension  # `mail` is also the name of the app.mail package

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    """Build the application: defaults, instance/config.py, FLASK_* variables, test mapping."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("REEMPLOI_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    _complete_config(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    mail_extension.init_app(app)

    from .database import init_database
    from .i18n import init_i18n
    from .security import init_security

    init_i18n(app)
    init_database(app)
    init_security(app)

    _wrap_proxies(app)

    from . import auth, cli, closure, contact, listings, main, moderation, stats
    from .mail import init_app as init_mail

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(listings.bp)
    app.register_blueprint(closure.bp)
    app.register_blueprint(stats.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(contact.bp)
    cli.init_app(app)
    init_mail(app)
    return app


def _complete_config(app: Flask) -> None:
    """Fill the settings whose default depends on other settings."""
    cfg = app.config
    if not cfg.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY manquante : renseignez-la dans instance/config.py ou FLASK_SECRET_KEY."
        )
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "reemploi.sqlite"
        )
    if cfg.get("SESSION_COOKIE_SECURE") is None:
        cfg["SESSION_COOKIE_SECURE"] = not cfg["DEVELOPMENT"]
    if cfg.get("REMEMBER_COOKIE_SECURE") is None:
        cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]
    for key in ("PERMANENT_SESSION_LIFETIME", "REMEMBER_COOKIE_DURATION"):
        if isinstance(cfg[key], int | float):
            cfg[key] = timedelta(seconds=cfg[key])
    if not cfg.get("UPLOAD_FOLDER"):
        cfg["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "uploads")
    if cfg["AUTH_MODE"] not in ("local", "remote_user"):
        raise RuntimeError("AUTH_MODE doit valoir « local » ou « remote_user ».")
    if isinstance(cfg.get("MODERATION_EMAILS"), str):
        cfg["MODERATION_EMAILS"] = [
            a.strip() for a in cfg["MODERATION_EMAILS"].split(",") if a.strip()
        ]
    cfg["BASE_URL"] = cfg["BASE_URL"].rstrip("/")


def _wrap_proxies(app: Flask) -> None:
    """Trust X-Forwarded-* only for the number of proxies IT configured."""
    counts = {
        key: int(app.config[f"PROXY_FIX_X_{key.upper()}"])
        for key in ("for", "proto", "host", "prefix")
    }
    if any(counts.values()):
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=counts["for"],
            x_proto=counts["proto"],
            x_host=counts["host"],
            x_prefix=counts["prefix"],
        )
