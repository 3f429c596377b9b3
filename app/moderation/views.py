"""The moderation queue and a listing seen by a moderator: approve, reject, correct, unpublish."""

from __future__ import annotations

from types import SimpleNamespace

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
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..forms import EmptyForm, select_choices
from ..models import Category, Listing
from ..security import safe_next
from . import actions, journal
from .forms import BulkApproveForm, CorrectionForm, RejectForm
from .journal import journal_query

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
def require_moderator():
    """Every page of the back office is for moderators only (403 for agents)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.is_moderator:
        abort(403)
    g.varies_on_htmx = True
    return None


@bp.app_context_processor
def moderation_globals():
    return {
        "moderation_pending_count": pending_count,
        "journal_labels": SimpleNamespace(
            action=journal.action_label, object=journal.object_label, changes=journal.changes
        ),
    }


def pending_count() -> int:
    """How many listings wait for a moderator."""
    return db.session.execute(
        db.select(db.func.count(Listing.id)).where(Listing.status == "pending")
    ).scalar_one()


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def page_number() -> int:
    """The ?page= asked for, kept within what a database offset accepts."""
    return min(max(request.args.get("page", 1, type=int), 1), 100_000)


def form_status(form) -> int:
    """A form sent back with errors: 200 for htmx (which swaps it), 422 otherwise."""
    return 200 if is_htmx() or not form.is_submitted() else 422


def _pending_listings() -> list[Listing]:
    return list(
        db.session.execute(
            db.select(Listing)
            .where(Listing.status == "pending")
            .options(
                selectinload(Listing.poster),
                selectinload(Listing.poster_service),
                selectinload(Listing.category),
                selectinload(Listing.site),
                selectinload(Listing.photos),
            )
            .order_by(Listing.waiting_since, Listing.id)
        )
        .scalars()
        .all()
    )


def reject_form_for(listing: Listing, formdata=None) -> RejectForm:
    kwargs = {} if formdata is not None else {"formdata": None}
    return RejectForm(prefix=f"refus-{listing.id}", **kwargs)


@bp.route("/")
def queue():
    """The listings waiting for approval, oldest first."""
    listings = _pending_listings()
    context = {
        "listings": listings,
        "reject_forms": {listing.id: reject_form_for(listing) for listing in listings},
        "bulk_form": BulkApproveForm(formdata=None),
    }
    if is_htmx():
        return render_template("moderation/partials/_queue.html", **context)
    return render_template("moderation/queue.html", **context)


@bp.route("/compteur")
def counter():
    """The number of pending listings shown in the header, polled by htmx."""
    if not is_htmx():
        return redirect(url_for(".queue"))
    return render_template("moderation/partials/_pending_count.html")


def _get_listing(listing_id: int) -> Listing:
    """A listing locked for this transaction when the request changes it."""
    if request.method == "POST":
        listing = actions.lock_listing(listing_id)
        if listing is None:
            abort(404)
        return listing
    return db.get_or_404(Listing, listing_id)


def _back():
    """Where a plain (non-htmx) action returns: the page it came from, on this site."""
    return redirect(safe_next(request.form.get("next")) or url_for(".queue"))


def _done_row(listing: Listing, message: str, category: str = "success"):
    """The queue row of a processed listing, with the header's counter updated out of band."""
    return render_template(
        "moderation/partials/_queue_item_done.html",
        listing=listing,
        message=message,
        category=category,
    )


@bp.route("/annonces/<int:listing_id>/approuver", methods=["POST"])
def approve(listing_id: int):
    """Publish a pending listing in one click."""
    listing = _get_listing(listing_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        actions.approve(listing, current_user)
    except actions.ModerationError as error:
        db.session.rollback()
        message, category = str(error), "warning"
    else:
        db.session.commit()
        message = _("Annonce « %(title)s » approuvée : elle est en ligne.", title=listing.title)
        category = "success"
    if is_htmx():
        return _done_row(listing, message, category)
    flash(message, category)
    return _back()


@bp.route("/annonces/<int:listing_id>/refuser", methods=["POST"])
def reject(listing_id: int):
    """Refuse a pending listing with a reason the poster will read."""
    listing = _get_listing(listing_id)
    form = reject_form_for(listing, request.form)
    if listing.status != "pending":
        message = _("Cette annonce a déjà été traitée.")
        if is_htmx():
            return _done_row(listing, message, "warning")
        flash(message, "warning")
        return _back()
    if form.validate_on_submit():
        actions.reject(listing, current_user, form.reason.data, form.detail.data or "")
        db.session.commit()
        message = _(
            "Annonce « %(title)s » refusée : le déposant a reçu le motif par courriel.",
            title=listing.title,
        )
        if is_htmx():
            return _done_row(listing, message)
        flash(message, "success")
        return _back()
    db.session.rollback()
    if is_htmx():
        return render_template(
            "moderation/partials/_queue_item.html",
            listing=listing,
            reject_form=form,
            open_reject=True,
        )
    if safe_next(request.form.get("next")) == url_for(".listing", listing_id=listing.id):
        return _listing_page(listing, reject_form=form, status=422)
    return _queue_with_errors(listing, form)


def _queue_with_errors(listing: Listing, form: RejectForm):
    listings = _pending_listings()
    reject_forms = {item.id: reject_form_for(item) for item in listings}
    reject_forms[listing.id] = form
    return (
        render_template(
            "moderation/queue.html",
            listings=listings,
            reject_forms=reject_forms,
            bulk_form=BulkApproveForm(formdata=None),
            open_reject_id=listing.id,
        ),
        422,
    )


@bp.route("/approuver-selection", methods=["POST"])
def approve_selection():
    """Approve every ticked listing at once."""
    form = BulkApproveForm()
    if form.validate_on_submit():
        approved, skipped = actions.approve_many(form.listing_ids.data, current_user)
        db.session.commit()
        if approved:
            flash(
                ngettext(
                    "%(num)d annonce approuvée : elle est en ligne.",
                    "%(num)d annonces approuvées : elles sont en ligne.",
                    len(approved),
                ),
                "success",
            )
        if skipped:
            flash(
                ngettext(
                    "%(num)d annonce avait déjà été traitée.",
                    "%(num)d annonces avaient déjà été traitées.",
                    skipped,
                ),
                "warning",
            )
    else:
        for error in form.listing_ids.errors:
            flash(str(error), "error")
    if is_htmx():
        listings = _pending_listings()
        return render_template(
            "moderation/partials/_queue.html",
            listings=listings,
            reject_forms={listing.id: reject_form_for(listing) for listing in listings},
            bulk_form=BulkApproveForm(formdata=None),
            oob_flashes=True,
        )
    return redirect(url_for(".queue"))


def _category_choices(listing: Listing) -> list[tuple[int, str]]:
    categories = (
        db.session.execute(
            db.select(Category)
            .where(db.or_(Category.active.is_(True), Category.id == listing.category_id))
            .order_by(Category.name)
        )
        .scalars()
        .all()
    )
    return select_choices(
        [(0, _("— Choisissez une catégorie —"))]
        + [
            (c.id, c.name if c.active else _("%(name)s (désactivée)", name=c.name))
            for c in categories
        ]
    )


def _listing_page(listing: Listing, *, correction_form=None, reject_form=None, status=200):
    if correction_form is None:
        correction_form = CorrectionForm(formdata=None, obj=listing)
        correction_form.category_id.choices = _category_choices(listing)
    events = db.session.execute(journal_query(listing_id=listing.id).limit(50)).scalars().all()
    return (
        render_template(
            "moderation/listing.html",
            listing=listing,
            correction_form=correction_form,
            reject_form=reject_form or reject_form_for(listing),
            open_reject=reject_form is not None,
            events=events,
        ),
        status,
    )


def _load_listing_for_page(listing_id: int) -> Listing:
    listing = db.session.execute(
        db.select(Listing)
        .where(Listing.id == listing_id)
        .options(
            selectinload(Listing.poster),
            selectinload(Listing.poster_service),
            selectinload(Listing.category),
            selectinload(Listing.site),
            selectinload(Listing.photos),
            selectinload(Listing.transfers),
        )
    ).scalar_one_or_none()
    if listing is None:
        abort(404)
    return listing


@bp.route("/annonces/<int:listing_id>")
def listing(listing_id: int):
    """Everything about one listing for a moderator, with its corrections and its journal."""
    return _listing_page(_load_listing_for_page(listing_id))


@bp.route("/annonces/<int:listing_id>/corriger", methods=["POST"])
def correct(listing_id: int):
    """Fix a listing's category, value or weight."""
    listing = _get_listing(listing_id)
    form = CorrectionForm()
    form.category_id.choices = _category_choices(listing)
    if form.validate_on_submit():
        category = db.session.get(Category, form.category_id.data)
        try:
            changed = actions.correct(
                listing,
                current_user,
                category=category,
                estimated_value=form.estimated_value.data,
                weight_kg=form.weight_kg.data,
            )
        except actions.ModerationError as error:
            db.session.rollback()
            flash(str(error), "warning")
        else:
            db.session.commit()
            if changed:
                flash(_("Correction enregistrée."), "success")
            else:
                flash(_("Rien n'a changé."), "info")
        return redirect(url_for(".listing", listing_id=listing_id))
    db.session.rollback()
    return _listing_page(_load_listing_for_page(listing_id), correction_form=form, status=422)


@bp.route("/annonces/<int:listing_id>/depublier", methods=["POST"])
def unpublish(listing_id: int):
    """Take a published listing offline and back to the queue."""
    listing = _get_listing(listing_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        actions.unpublish(listing, current_user)
    except actions.ModerationError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        flash(_("Annonce retirée de la liste : elle attend de nouveau une modération."), "success")
    return redirect(url_for(".listing", listing_id=listing_id))
