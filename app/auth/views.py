"""Routes of the sign-in feature."""

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..forms import select_choices
from ..models import Service, SignInAttempt, User, choosable_services, utcnow
from ..security import current_path, log_event, safe_next
from .forms import LoginForm, ProfileForm

bp = Blueprint("auth", __name__)


@bp.before_app_request
def sign_in_remote_user():
    """In remote_user mode, the intranet web server tells who the visitor is."""
    if current_app.config["AUTH_MODE"] != "remote_user" or request.endpoint in (
        "static",
        "main.healthz",
    ):
        return None
    identity = remote_identity()
    if current_user.is_authenticated:
        if identity and identity == current_user.email:
            return _require_profile()
        fresh_session()
        logout_user()
    if not identity:
        log_event("signin.remote.missing", ip=request.remote_addr, path=request.path)
        abort(401)
    g.db_write_intent = True
    user = db.session.execute(db.select(User).where(User.email == identity)).scalar_one_or_none()
    if user is None:
        user = User(email=identity, active=True)
        db.session.add(user)
        log_event("signin.remote.created", email=identity)
    if not user.active:
        log_event("signin.denied.inactive", email=identity, ip=request.remote_addr)
        db.session.rollback()
        abort(403)
    user.last_seen_at = utcnow()
    db.session.commit()
    fresh_session()
    login_user(user)
    log_event("signin.remote", email=identity, ip=request.remote_addr)
    return _require_profile()


def _require_profile():
    if current_user.needs_profile and request.endpoint not in ("auth.welcome", "auth.set_language"):
        return redirect(url_for("auth.welcome", next=current_path()))
    return None


def remote_identity() -> str | None:
    """The user's email from REMOTE_USER, or from the configured header of a trusted proxy."""
    cfg = current_app.config
    raw = request.environ.get("REMOTE_USER")
    header = cfg.get("REMOTE_USER_HEADER")
    if not raw and header:
        orig = request.environ.get("werkzeug.proxy_fix.orig", {})
        peer = orig.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR")
        if peer in cfg["TRUSTED_PROXIES"]:
            raw = request.headers.get(header)
        elif request.headers.get(header):
            log_event("signin.remote.untrusted_header", ip=peer)
    if not raw:
        return None
    identity = raw.strip().lower()
    if "\\" in identity:  # DOMAIN\login
        identity = identity.rsplit("\\", 1)[1]
    if "@" not in identity and cfg.get("REMOTE_USER_EMAIL_DOMAIN"):
        identity = f"{identity}@{cfg['REMOTE_USER_EMAIL_DOMAIN']}"
    if not identity or len(identity) > 254 or any(ord(c) < 33 for c in identity):
        return None
    return identity


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """Sign in with an email address and a password."""
    if current_app.config["AUTH_MODE"] != "local":
        abort(404)
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("listings.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if _too_many_failures(email):
            log_event("signin.throttled", email=email, ip=request.remote_addr)
            form.password.errors.append(
                _(
                    "Trop de tentatives. Attendez %(minutes)d minutes puis réessayez, "
                    "ou demandez à un modérateur de vérifier votre compte.",
                    minutes=current_app.config["SIGNIN_FAILURE_WINDOW_MINUTES"],
                )
            )
            status = 429
        else:
            user = db.session.execute(
                db.select(User).where(User.email == email)
            ).scalar_one_or_none()
            ok = user is not None and user.active and user.check_password(form.password.data)
            db.session.add(SignInAttempt(email=email, ip=request.remote_addr or "", succeeded=ok))
            if ok:
                user.last_seen_at = utcnow()
                db.session.commit()
                fresh_session()
                login_user(user, remember=form.remember.data)
                session.permanent = True
                log_event("signin.ok", email=email, ip=request.remote_addr)
                return redirect(next_url or url_for("listings.index"))
            db.session.commit()
            log_event("signin.failed", email=email, ip=request.remote_addr)
            form.password.errors.append(
                _("Adresse e-mail ou mot de passe incorrect. Vérifiez-les puis réessayez.")
            )
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form, next=next_url), status


def _too_many_failures(email: str) -> bool:
    cfg = current_app.config
    since = utcnow() - timedelta(minutes=cfg["SIGNIN_FAILURE_WINDOW_MINUTES"])
    failures = db.session.execute(
        db.select(db.func.count(SignInAttempt.id)).where(
            SignInAttempt.email == email,
            SignInAttempt.succeeded.is_(False),
            SignInAttempt.at >= since,
        )
    ).scalar_one()
    return failures >= cfg["SIGNIN_MAX_FAILURES"]


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    """Sign out and end every open session of this user."""
    current_user.rotate_auth_token()
    db.session.commit()
    log_event("signout", email=current_user.email)
    # Renew first: logout_user() then marks the remember-me cookie for deletion.
    fresh_session()
    logout_user()
    if current_app.config["AUTH_MODE"] == "remote_user":
        return render_template("auth/signed_out.html")
    flash(_("Vous êtes déconnecté(e)."), "success")
    return redirect(url_for("auth.login"))


def _service_choices():
    return select_choices(
        [(0, _("— Choisissez votre service —"))]
        + [(sid, f"{org} — {name}") for sid, name, org, _short in choosable_services()]
    )


def _edit_profile(template: str, success_message: str, default_next: str):
    form = ProfileForm(obj=current_user)
    form.service_id.choices = _service_choices()
    if request.method == "GET":
        form.service_id.data = current_user.service_id or 0
    if form.validate_on_submit():
        if db.session.get(Service, form.service_id.data) is None:
            form.service_id.errors.append(_("Choisissez votre service dans la liste."))
        else:
            current_user.name = form.name.data.strip()
            current_user.phone = (form.phone.data or "").strip()
            current_user.service_id = form.service_id.data
            db.session.commit()
            flash(success_message, "success")
            return redirect(safe_next(request.args.get("next")) or default_next)
    status = 422 if form.is_submitted() else 200
    return render_template(template, form=form), status


@bp.route("/profil", methods=["GET", "POST"])
@login_required
def profile():
    """See and change one's own name, phone and service."""
    return _edit_profile("auth/profile.html", _("Profil enregistré."), url_for("auth.profile"))


@bp.route("/bienvenue", methods=["GET", "POST"])
@login_required
def welcome():
    """First visit through the intranet: ask once for name, phone and service."""
    return _edit_profile(
        "auth/welcome.html", _("Bienvenue ! Votre profil est prêt."), url_for("listings.index")
    )


def fresh_session() -> None:
    """Start a new session (no fixation, nothing left over), keeping the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/langue/<lang>", methods=["POST"])
def set_language(lang):
    """Switch the interface language for this session."""
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
