"""Security headers, the session loader, sign-in logging and the HTMX-aware unauthorized handler."""

import logging
from urllib.parse import urljoin, urlsplit

from flask import Flask, Response, current_app, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import db, login_manager
from .models import User

security_log = logging.getLogger("reemploi.security")

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def init_security(app: Flask) -> None:
    """Register the session loader, the unauthorized handler and the response headers."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    app.after_request(set_security_headers)
    app.jinja_env.globals["current_path"] = current_path
    if not security_log.handlers and not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        security_log.addHandler(handler)
        security_log.setLevel(logging.INFO)


def load_user(token: str) -> User | None:
    """Find the user whose current session token this is; a rotated token finds nobody."""
    if not token:
        return None
    return db.session.execute(
        db.select(User).where(User.auth_token == token, User.active.is_(True))
    ).scalar_one_or_none()


def unauthorized() -> Response:
    """Send to the sign-in page; an htmx request is told to navigate there instead of swapping."""
    if current_app.config["AUTH_MODE"] == "remote_user":
        from flask import abort

        abort(401)
    target = url_for("auth.login", next=current_path())
    if request.headers.get("HX-Request"):
        response = Response(status=204)
        response.headers["HX-Redirect"] = target
        return response
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(target)


def current_path() -> str:
    """This request's path and query, sub-path included, to come back to after a detour."""
    return request.script_root + request.full_path.rstrip("?")


def safe_next(target: str | None) -> str | None:
    """Keep a redirect target only if it stays on this site."""
    if not target:
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    host = urlsplit(request.host_url)
    resolved = urlsplit(urljoin(request.host_url, target))
    if resolved.netloc != host.netloc:
        return None
    return target


def set_security_headers(response: Response) -> Response:
    """Apply the headers of SECURITY.md to every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.headers.get("HX-Request") is not None or g.get("varies_on_htmx"):
        response.vary.add("HX-Request")
    if g.get("private_cache"):
        # Photos never change once stored (random names): the agent's browser may keep them.
        headers["Cache-Control"] = "private, max-age=86400"
    elif current_user and current_user.is_authenticated and request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response


def log_event(event: str, **fields) -> None:
    """Log a security event on one line, with CR/LF and other control characters escaped."""
    parts = [event]
    for key, value in fields.items():
        text = str(value).encode("unicode_escape").decode("ascii")
        parts.append(f"{key}={text}")
    security_log.info(" ".join(parts))
