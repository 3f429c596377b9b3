"""Routes of the contact feature: contact the poster, reserve for one agent, release."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import format_moment
from ..models import Listing
from ..security import safe_next
from . import rules
from .forms import ContactForm, ReleaseForm, ReserveForm
from .panel import contact_panel

bp = Blueprint("contact", __name__)


def _is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def _listing_or_404(listing_id: int) -> Listing:
    listing = db.session.execute(
        db.select(Listing)
        .where(Listing.id == listing_id)
        .options(selectinload(Listing.poster), selectinload(Listing.reserved_for))
    ).scalar_one_or_none()
    if listing is None:
        abort(404)
    return listing


def _back(listing: Listing, target: str | None) -> str:
    """Where a plain (no JavaScript) form goes back to: its page, else the listing."""
    return safe_next(target) or url_for("listings.detail", listing_id=listing.id)


def _panel_response(listing: Listing, status: int = 200, **state):
    """The panel alone for htmx (always 200, or htmx would not swap it), else a full page."""
    g.varies_on_htmx = True
    state.setdefault("next", _back(listing, request.form.get("next")))
    context = {"panel": contact_panel(listing, current_user), "panel_state": state}
    if _is_htmx():
        return render_template("contact/partials/_panel.html", **context)
    return render_template("contact/contact.html", **context), status


@bp.route("/annonces/<int:listing_id>/contact", methods=["POST"])
@login_required
def contact(listing_id: int):
    """Tell the poster that this agent is interested: email to the poster, moderators in copy."""
    listing = _listing_or_404(listing_id)
    if listing.poster_id == current_user.id:
        abort(403)
    if listing.status not in rules.CONTACTABLE:
        abort(404)
    form = ContactForm()
    if not form.validate_on_submit():
        return _panel_response(listing, 422, form=form)
    try:
        rules.contact_poster(listing, current_user, form.message.data or "")
    except rules.AlreadyContacted as already:
        db.session.rollback()
        when = format_moment(already.contact.created_at)
        message = _(
            "Vous aviez déjà contacté le déposant le %(when)s : "
            "aucun nouveau courriel n'est envoyé.",
            when=when,
        )
        if _is_htmx():
            return _panel_response(listing, notice=message)
        flash(message, "info")
        return redirect(_back(listing, form.next.data), 303)
    except rules.TooManyContacts:
        db.session.rollback()
        form.message.errors = [
            _(
                "Vous avez déjà contacté %(n)d déposants dans l'heure : "
                "réessayez un peu plus tard.",
                n=int(current_app.config["CONTACTS_PER_HOUR"]),
            )
        ]
        return _panel_response(listing, 429, form=form)
    db.session.commit()
    if _is_htmx():
        return _panel_response(listing, just_sent=True)
    flash(_("Le déposant a été prévenu par e-mail."), "success")
    return redirect(_back(listing, form.next.data), 303)


def _managed_listing_or_404(listing_id: int) -> Listing:
    listing = _listing_or_404(listing_id)
    if not rules.manages(listing, current_user):
        if listing.status in rules.CONTACTABLE:
            abort(403)
        abort(404)
    return listing


@bp.route("/annonces/<int:listing_id>/reserver", methods=["POST"])
@login_required
def reserve(listing_id: int):
    """Mark the listing reserved for one agent who made contact; that agent is emailed."""
    listing = _managed_listing_or_404(listing_id)
    form = ReserveForm()
    if not form.validate_on_submit():
        flash(_("Choisissez la personne pour qui réserver, puis réessayez."), "error")
        return redirect(_back(listing, form.next.data), 303)
    try:
        changed = rules.reserve(listing, form.requester_id.data)
    except rules.NotReservable:
        db.session.rollback()
        flash(_("Cette annonce n'est plus en ligne : elle ne peut pas être réservée."), "error")
        return redirect(_back(listing, form.next.data), 303)
    except rules.NotAContact:
        db.session.rollback()
        flash(_("Seule une personne qui vous a contacté peut recevoir la réservation."), "error")
        return redirect(_back(listing, form.next.data), 303)
    db.session.commit()
    if changed:
        flash(
            _(
                "Annonce réservée pour %(name)s, qui en est informé(e) par e-mail.",
                name=listing.reserved_for.name or listing.reserved_for.email,
            ),
            "success",
        )
    return redirect(_back(listing, form.next.data), 303)


@bp.route("/annonces/<int:listing_id>/liberer", methods=["POST"])
@login_required
def release(listing_id: int):
    """Put a reserved listing back online for everyone."""
    listing = _managed_listing_or_404(listing_id)
    form = ReleaseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        rules.release(listing)
    except rules.NotReservable:
        db.session.rollback()
        flash(_("Cette annonce n'est pas réservée."), "info")
        return redirect(_back(listing, form.next.data), 303)
    db.session.commit()
    flash(_("La réservation est levée : l'annonce est de nouveau disponible pour tous."), "success")
    return redirect(_back(listing, form.next.data), 303)
