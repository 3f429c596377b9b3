"""Routes that belong to no feature: home, health check, error pages."""

import re

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..security import log_event

bp = Blueprint("main", __name__)

ERROR_STATUSES = (400, 401, 403, 404, 405, 413, 429, 500)


@bp.route("/")
@login_required
def index():
    """Send a signed-in agent to the listings."""
    return redirect(url_for("listings.index"))


@bp.route("/healthz")
def healthz():
    """Answer 'ok' without touching the database (monitoring and load-test baseline)."""
    return Response("ok", mimetype="text/plain")


@bp.route("/theme.css")
def theme_css():
    """The brand colour from configuration, as a stylesheet (the CSP forbids inline styles)."""
    color = current_app.config["BRAND_COLOR"]
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", color or ""):
        color = "#00665e"
    css = f":root {{ --brand: {color}; }}\n"
    response = Response(css, mimetype="text/css")
    response.cache_control.max_age = 3600
    return response


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Show a French error page that says what to do next."""
    code = error.code or 500
    if code in (401, 403):
        who = current_user.email if current_user.is_authenticated else "-"
        log_event("access.denied", status=code, user=who, method=request.method, path=request.path)
    if code not in ERROR_STATUSES:
        return error
    db.session.rollback()
    if request.headers.get("HX-Request"):
        # htmx does not swap error responses; show the message in the flash area.
        response = Response(render_template("errors/_htmx_error.html", code=code), status=code)
        response.headers["HX-Retarget"] = "#flashes"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = Response(render_template("errors/error.html", code=code), status=code)
    if code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@bp.app_errorhandler(500)
def internal_error(error):
    """Show the French 500 page; the database transaction is rolled back."""
    db.session.rollback()
    return render_template("errors/error.html", code=500), 500
