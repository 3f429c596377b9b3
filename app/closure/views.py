"""Routes of the closure feature."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..listings.rules import can_view
from ..models import Listing, Service, User
from .forms import ClosureForm
from .rules import (
    DESTINATION_LABELS,
    REASON_LABELS,
    ClosureRefused,
    allowed_reasons,
    close_listing,
    contact_candidates,
    may_close,
)

bp = Blueprint("closure", __name__)


def _listing_to_close(listing_id: int) -> Listing:
    """The listing, if the current user may close it: 404 if unknown or not theirs to see."""
    statement = (
        db.select(Listing)
        .where(Listing.id == listing_id)
        .options(
            selectinload(Listing.category),
            selectinload(Listing.reserved_for),
            selectinload(Listing.transfers),
        )
    )
    if request.method == "POST":
        statement = statement.with_for_update(of=Listing)  # two closures queue, never overlap
    listing = db.session.execute(statement).scalar_one_or_none()
    if listing is None:
        abort(404)
    if not may_close(current_user, listing):
        abort(403 if can_view(listing, current_user) else 404)
    return listing


def after_close_url(listing: Listing) -> str:
    """The poster goes back to Mes annonces (where a closed listing stays), a moderator to it."""
    if listing.poster_id == current_user.id:
        return url_for("listings.mine", _anchor=f"listing-{listing.id}")
    return url_for("listings.detail", listing_id=listing.id)


@bp.route("/annonces/<int:listing_id>/cloturer", methods=["GET", "POST"])
@login_required
def close(listing_id):
    """Close a listing with its reason, or record that part of its quantity was exchanged."""
    listing = _listing_to_close(listing_id)
    htmx = bool(request.headers.get("HX-Request"))
    if listing.status == "closed":
        status = 409 if request.method == "POST" else 200
        if status == 409:
            flash(_("Cette annonce est déjà clôturée."), "error")
        return render_template("closure/close.html", listing=listing, form=None), status

    reasons = allowed_reasons(listing)
    candidates = contact_candidates(listing)
    form = ClosureForm(reasons=reasons, candidates=candidates)
    if request.method == "GET":
        form.quantity.data = listing.quantity_left
        if len(reasons) == 1:
            form.reason.data = reasons[0]
        if listing.reserved_for is not None:
            form.receiving_user_id.data = listing.reserved_for.id
            form.receiving_service_id.data = listing.reserved_for.service_id

    if form.validate_on_submit():
        try:
            transfer = close_listing(
                listing,
                form.reason.data,
                quantity=form.quantity.data,
                receiving_service=_get(Service, form.receiving_service_id.data),
                receiving_user=_get(User, form.receiving_user_id.data),
                detail=form.detail.data or "",
                destination=form.destination.data or None,
                actor=current_user,
            )
        except ClosureRefused as refused:
            db.session.rollback()
            target = getattr(form, refused.field) if refused.field else None
            (target.errors if target is not None else form.form_errors).append(refused.message)
        else:
            db.session.commit()
            flash(_success_message(listing, transfer), "success")
            destination = after_close_url(listing)
            if htmx:
                return "", 204, {"HX-Redirect": destination}
            return redirect(destination)

    status = 422 if form.is_submitted() and not htmx else 200
    template = "closure/partials/_form.html" if htmx else "closure/close.html"
    return render_template(template, listing=listing, form=form), status


def _get(model, ident):
    return db.session.get(model, ident) if ident is not None else None


def _success_message(listing: Listing, transfer) -> str:
    if transfer is not None and listing.status != "closed":
        return ngettext(
            "Échange enregistré : %(num)d objet pour le service %(service)s. "
            "Il en reste %(left)d en ligne.",
            "Échange enregistré : %(num)d objets pour le service %(service)s. "
            "Il en reste %(left)d en ligne.",
            transfer.quantity,
            service=transfer.receiving_service.name,
            left=listing.quantity_left,
        )
    if transfer is not None:
        return _(
            "Annonce clôturée : objet échangé avec le service %(service)s. Merci !",
            service=transfer.receiving_service.name,
        )
    return _(
        "Annonce clôturée (%(reason)s). Elle reste visible dans vos annonces.",
        reason=REASON_LABELS[listing.closure_reason],
    )


@bp.app_context_processor
def closure_labels():
    """The French words for closure reasons and destinations, for every template."""
    return {"closure_labels": {"reasons": REASON_LABELS, "destinations": DESTINATION_LABELS}}
