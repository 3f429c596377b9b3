"""Accounts: search, activate or deactivate, the moderator role, and handing listings over."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..forms import EmptyForm
from ..models import Listing, Service, User
from . import actions
from .forms import TransferForm, UserSearchForm
from .views import bp, form_status, is_htmx, page_number


def _search(query: str):
    statement = (
        db.select(User)
        .outerjoin(Service, User.service_id == Service.id)
        .options(selectinload(User.service).selectinload(Service.organisation))
        .order_by(db.func.lower(User.name), User.email)
    )
    words = query.strip().lower().split()
    for word in words[:5]:
        pattern = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        statement = statement.where(
            db.or_(
                db.func.lower(User.name).like(pattern),
                db.func.lower(User.email).like(pattern),
                db.func.lower(Service.name).like(pattern),
            )
        )
    return statement


@bp.route("/utilisateurs")
def users():
    """Find an account by name, email or service."""
    form = UserSearchForm(request.args)
    query = (form.q.data or "") if form.validate() else ""
    pagination = db.paginate(
        _search(query),
        page=page_number(),
        per_page=current_app.config["MODERATION_PAGE_SIZE"],
        error_out=False,
    )
    context = {"form": form, "pagination": pagination, "q": query}
    if is_htmx():
        return render_template("moderation/partials/_user_results.html", **context)
    return render_template("moderation/users.html", **context)


def _user_page(user: User, transfer_form=None, status=200):
    counts = dict(
        db.session.execute(
            db.select(Listing.status, db.func.count(Listing.id))
            .where(Listing.poster_id == user.id)
            .group_by(Listing.status)
        ).all()
    )
    colleagues = []
    if user.service_id is not None:
        colleagues = (
            db.session.execute(
                db.select(User.email)
                .where(
                    User.service_id == user.service_id,
                    User.id != user.id,
                    User.active.is_(True),
                )
                .order_by(User.email)
                .limit(200)
            )
            .scalars()
            .all()
        )
    return (
        render_template(
            "moderation/user.html",
            user=user,
            counts=counts,
            open_count=sum(counts.get(s, 0) for s in actions.OPEN_STATUSES),
            colleagues=colleagues,
            action_form=EmptyForm(formdata=None),
            transfer_form=transfer_form or TransferForm(formdata=None),
            is_last_moderator=user.is_moderator
            and user.active
            and actions.active_moderator_count() <= 1,
        ),
        status,
    )


def _load_user(user_id: int) -> User:
    if request.method == "POST":
        user = db.session.execute(
            db.select(User).where(User.id == user_id).with_for_update()
        ).scalar_one_or_none()
        if user is None:
            abort(404)
        return user
    return db.get_or_404(User, user_id, options=[selectinload(User.service)])


@bp.route("/utilisateurs/<int:user_id>")
def user(user_id: int):
    """One account: its listings, its state and its role."""
    return _user_page(_load_user(user_id))


def _account_action(user_id: int, action, success_message: str):
    user = _load_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action(user, current_user)
    except actions.ModerationError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        flash(success_message % {"name": str(user)}, "success")
    return redirect(url_for(".user", user_id=user_id))


@bp.route("/utilisateurs/<int:user_id>/desactiver", methods=["POST"])
def user_deactivate(user_id: int):
    """Deactivate an account and end its open sessions."""
    return _account_action(
        user_id,
        actions.deactivate_user,
        _("Compte de %(name)s désactivé : ses sessions ouvertes sont fermées."),
    )


@bp.route("/utilisateurs/<int:user_id>/activer", methods=["POST"])
def user_activate(user_id: int):
    """Let a deactivated account sign in again."""
    return _account_action(user_id, actions.activate_user, _("Compte de %(name)s réactivé."))


@bp.route("/utilisateurs/<int:user_id>/moderateur/donner", methods=["POST"])
def user_grant_moderator(user_id: int):
    """Make an agent a moderator."""
    return _account_action(
        user_id, actions.grant_moderator, _("%(name)s est maintenant modérateur.")
    )


@bp.route("/utilisateurs/<int:user_id>/moderateur/retirer", methods=["POST"])
def user_revoke_moderator(user_id: int):
    """Take the moderator role back (never from the last one)."""
    return _account_action(user_id, actions.revoke_moderator, _("%(name)s n'est plus modérateur."))


@bp.route("/utilisateurs/<int:user_id>/transferer", methods=["POST"])
def user_transfer(user_id: int):
    """Give the open listings of a leaving agent to a colleague."""
    user = _load_user(user_id)
    form = TransferForm()
    if form.validate_on_submit():
        colleague = actions.find_colleague(form.colleague_email.data)
        if colleague is None:
            form.colleague_email.errors.append(
                _("Aucun compte avec cette adresse. Vérifiez-la ou choisissez dans la liste.")
            )
        else:
            try:
                moved = actions.transfer_listings(user, colleague, current_user)
            except actions.ModerationError as error:
                form.colleague_email.errors.append(str(error))
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "%(num)d annonce transférée à %(name)s, qui a été prévenu(e) par courriel.",
                        "%(num)d annonces transférées à %(name)s, qui a été prévenu(e) "
                        "par courriel.",
                        len(moved),
                        name=str(colleague),
                    ),
                    "success",
                )
                return redirect(url_for(".user", user_id=user_id))
    db.session.rollback()
    return _user_page(db.get_or_404(User, user_id), transfer_form=form, status=form_status(form))
