"""Routes of the listings feature: browse, post, detail, edit, Mes annonces, photos."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from ..cache import cached, cached_fragment, csrf_placeholder, fragment_key, with_csrf_token
from ..contact.panel import ContactPanel, contact_panel, contact_panels
from ..extensions import db
from ..forms import select_choices
from ..models import Listing, Photo, Service
from ..photos import SIZES, PhotoError, delete_photo_files, photo_path, store_photo
from ..stats.periods import paris_today
from . import queries, rules
from .forms import CONDITION_LABELS, BrowseForm, ListingForm

bp = Blueprint("listings", __name__)

STATUS_GROUPS = (
    ("pending", _l("En attente de modération")),
    ("published", _l("En ligne")),
    ("reserved", _l("Réservées")),
    ("rejected", _l("Refusées")),
    ("closed", _l("Clôturées")),
)


def is_htmx() -> bool:
    """An htmx request that swaps a fragment (not a history restore, which wants the page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


@bp.app_context_processor
def listing_helpers():
    return {
        "condition_label": lambda code: CONDITION_LABELS.get(code, code),
        "can_see_value": rules.can_see_value,
        "can_edit_listing": rules.can_edit,
        "today": paris_today(),
    }


# --- Browse ---------------------------------------------------------------------------------


@bp.route("/annonces/")
@login_required
def index():
    """Browse the listings that are online, with instant filters."""
    g.varies_on_htmx = True
    htmx = is_htmx()
    html = cached_fragment(f"browse-{htmx}", lambda: _render_browse(htmx))
    if htmx:
        return html
    return render_template("listings/index.html", browse=html)


def _render_browse(htmx: bool) -> str:
    """The filters and one page of results (or the results alone for htmx)."""
    form = BrowseForm(request.args)
    form.category.choices = select_choices([(0, _("Toutes")), *queries.category_choices()])
    form.site.choices = select_choices([(0, _("Tous")), *queries.site_choices()])
    form.organisation.choices = select_choices([(0, _("Toutes")), *queries.organisation_choices()])
    form.service.choices = select_choices([(0, _("Tous")), *queries.service_choices()])
    form.condition.choices = select_choices([("", _("Tous")), *CONDITION_LABELS.items()])
    form.validate()
    filters = {
        name: (field.data if not field.errors else None) for name, field in form._fields.items()
    }
    page = queries.browse(
        filters, request.args.get("page", 1, type=int), current_app.config["LISTINGS_PER_PAGE"]
    )
    query_args = {k: v for k, v in request.args.items() if k != "page" and v not in ("", "0", None)}
    context = {"form": form, "page": page, "query_args": query_args, "filters": filters}
    template = "listings/partials/_results.html" if htmx else "listings/partials/_browse.html"
    return render_template(template, **context)


# --- Post and edit --------------------------------------------------------------------------


def _fill_choices(form: ListingForm, listing: Listing | None = None) -> None:
    placeholder = (0, _("— Choisissez —"))
    form.category_id.choices = select_choices(
        [placeholder, *queries.category_choices(listing.category_id if listing else None)]
    )
    form.site_id.choices = select_choices(
        [placeholder, *queries.site_choices(listing.site_id if listing else None)]
    )


def _staged_photos(listing: Listing | None) -> list[Photo]:
    """The photos this form already holds: uploaded earlier, in the order the form gives."""
    ids = [int(v) for v in request.form.getlist("photo_ids") if v.isdigit()][:50]
    if not ids:
        return []
    photos = db.session.execute(
        db.select(Photo).where(Photo.id.in_(ids), Photo.uploaded_by_id.isnot(None))
    ).scalars()
    allowed = {}
    for photo in photos:
        if photo.listing_id is None and photo.uploaded_by_id == current_user.id:
            allowed[photo.id] = photo
        elif listing is not None and photo.listing_id == listing.id:
            allowed[photo.id] = photo
    return [allowed[i] for i in dict.fromkeys(ids) if i in allowed]


def _ordered(photos: list[Photo]) -> list[Photo]:
    """Apply the positions typed in the form (order-<id>), keeping the current order on ties."""

    def key(item):
        index, photo = item
        raw = request.form.get(f"order-{photo.id}", "")
        return (int(raw) if raw.isdigit() else index + 1, index)

    return [photo for _, photo in sorted(enumerate(photos), key=key)]


def _receive_uploads(form: ListingForm, kept: list[Photo], errors: list[str]) -> list[Photo]:
    """Store the new files; keep every valid one even if another file or field is wrong."""
    limit = current_app.config["MAX_PHOTOS"]
    new_photos = []
    files = [f for f in request.files.getlist(form.photos.name) if f and f.filename]
    for upload in files:
        name = upload.filename[:80]
        if len(kept) + len(new_photos) >= limit:
            errors.append(_("%(name)s : %(max)d photos au plus par annonce.", name=name, max=limit))
            continue
        try:
            stored = store_photo(upload.read())
        except PhotoError as error:
            errors.append(f"{name} : {error}")
            continue
        photo = Photo(
            stored_name=stored.stored_name,
            width=stored.width,
            height=stored.height,
            uploaded_by_id=current_user.id,
        )
        db.session.add(photo)
        new_photos.append(photo)
    if new_photos:
        # Saved now so that a form sent back with errors still holds them.
        db.session.commit()
    return new_photos


def _form_response(template: str, form: ListingForm, photos: list[Photo], **context):
    status = 200
    if form.is_submitted():
        status = 200 if is_htmx() else 422
    return (
        render_template(
            template,
            form=form,
            photos=photos,
            max_photos=current_app.config["MAX_PHOTOS"],
            **context,
        ),
        status,
    )


def _validate(form: ListingForm, photo_errors: list[str]) -> bool:
    """Validate the fields, then add the photo errors found while storing the uploads."""
    valid = form.validate()
    if photo_errors:
        form.photos.errors = [*form.photos.errors, *photo_errors]
        valid = False
    return valid


@bp.route("/annonces/nouvelle", methods=["GET", "POST"])
@login_required
def new():
    """Post a listing; it waits for a moderator."""
    if current_user.service_id is None:
        flash(_("Indiquez d'abord votre service dans votre profil."), "warning")
        return redirect(url_for("auth.profile", next=url_for("listings.new")))
    form = ListingForm()
    _fill_choices(form)
    photos: list[Photo] = []
    if form.is_submitted():
        photos = _ordered(_staged_photos(None))
        photo_errors: list[str] = []
        photos += _receive_uploads(form, photos, photo_errors)
        valid = _validate(form, photo_errors)
        if valid:
            listing = Listing(
                title=form.title.data.strip(),
                description=form.description.data.strip(),
                category_id=form.category_id.data,
                quantity=form.quantity.data,
                condition=form.condition.data,
                estimated_value=form.estimated_value.data,
                weight_kg=form.weight_kg.data,
                site_id=form.site_id.data,
                location_detail=(form.location_detail.data or "").strip(),
                available_from=form.available_from.data,
                professional_use_confirmed=True,
            )
            rules.submit_listing(listing, current_user, photos)
            db.session.commit()
            flash(
                _(
                    "Annonce enregistrée. Un modérateur va la relire : elle sera en ligne "
                    "dès qu'il l'aura validée, et vous serez prévenu(e) par e-mail."
                ),
                "success",
            )
            return redirect(url_for("listings.mine"))
    return _form_response("listings/new.html", form, photos)


def _get_listing_for(listing_id: int, check) -> Listing:
    listing = db.session.execute(
        db.select(Listing)
        .where(Listing.id == listing_id)
        .options(
            # The many-to-one parts in the same query; the photos in a second one.
            joinedload(Listing.category),
            joinedload(Listing.site),
            joinedload(Listing.poster),
            joinedload(Listing.poster_service).joinedload(Service.organisation),
            selectinload(Listing.photos),
        )
    ).scalar_one_or_none()
    if listing is None:
        abort(404)
    if not check(listing, current_user):
        abort(404 if not rules.can_view(listing, current_user) else 403)
    return listing


@bp.route("/annonces/<int:listing_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(listing_id):
    """Change a listing; a change that matters sends a published listing back to moderation."""
    listing = _get_listing_for(listing_id, rules.can_edit)
    form = ListingForm(obj=listing)
    _fill_choices(form, listing)
    if request.method == "GET":
        form.professional_use_confirmed.data = listing.professional_use_confirmed
        return _form_response("listings/edit.html", form, list(listing.photos), listing=listing)
    removed_ids = {int(v) for v in request.form.getlist("remove") if v.isdigit()}
    kept = _staged_photos(listing)
    removed = [p for p in listing.photos if p.id in removed_ids]
    kept = _ordered([p for p in kept if p.id not in removed_ids])
    photo_errors: list[str] = []
    kept += _receive_uploads(form, kept, photo_errors)
    valid = _validate(form, photo_errors)
    given = listing.quantity - listing.quantity_left
    if valid and form.quantity.data < max(given, 1):
        form.quantity.errors.append(
            _(
                "%(n)d objets ont déjà été donnés : la quantité ne peut pas être plus petite.",
                n=given,
            )
        )
        valid = False
    if valid:
        changes = {name: getattr(form, name).data for name in rules.EDITABLE_FIELDS}
        changes["title"] = changes["title"].strip()
        changes["description"] = changes["description"].strip()
        changes["location_detail"] = (changes["location_detail"] or "").strip()
        removed_names = [p.stored_name for p in removed]
        remoderated = rules.update_listing(listing, changes, kept, removed, current_user)
        db.session.commit()
        for name in removed_names:
            delete_photo_files(name)
        if remoderated:
            flash(
                _(
                    "Modifications enregistrées. L'annonce repasse en modération "
                    "avant d'être de nouveau en ligne."
                ),
                "success",
            )
        else:
            flash(_("Modifications enregistrées."), "success")
        return redirect(url_for("listings.detail", listing_id=listing.id))
    return _form_response("listings/edit.html", form, kept, listing=listing)


@bp.route("/annonces/poids-estime")
@login_required
def weight_hint():
    """The weight the statistics will assume if the poster leaves it empty (htmx hint)."""
    from ..models import Category

    category = db.session.get(Category, request.args.get("category_id", 0, type=int))
    quantity = request.args.get("quantity", 1, type=int) or 1
    return render_template(
        "listings/partials/_weight_hint.html",
        category=category,
        quantity=min(max(quantity, 1), 10000),
    )


# --- Detail, Mes annonces, photos ----------------------------------------------------------


@bp.route("/annonces/<int:listing_id>")
@login_required
def detail(listing_id):
    """One listing with its photos and everything an agent needs to decide."""
    reading = queries.reading(listing_id, current_user.id)
    if reading is None:
        abort(404)
    if rules.sees_shared_page(reading, current_user):
        article = cached(
            fragment_key("listing-article", listing_id, paris_today()),
            lambda: _render_shared_article(listing_id),
        )
        return render_template(
            "listings/detail.html", page_title=reading.title, article=with_csrf_token(article)
        )
    listing = _get_listing_for(listing_id, rules.can_view)
    panel = contact_panel(listing, current_user)
    return render_template(
        "listings/detail.html", page_title=listing.title, listing=listing, panel=panel
    )


def _render_shared_article(listing_id: int) -> str:
    """The article as every reader who neither manages the listing nor made contact sees it."""
    listing = _get_listing_for(listing_id, rules.can_view)
    return render_template(
        "listings/partials/_detail.html",
        listing=listing,
        panel=ContactPanel(listing, is_poster=False, manages=False, my_contact=None),
        # Back to the page itself, whatever query string the first reader came with.
        panel_state={"next": url_for("listings.detail", listing_id=listing_id)},
        csrf_token=csrf_placeholder,
    )


@bp.route("/mes-annonces")
@login_required
def mine():
    """The agent's own listings, grouped by status, with their actions."""
    listings = (
        db.session.execute(
            db.select(Listing)
            .where(Listing.poster_id == current_user.id)
            .options(*queries.card_options())
            .order_by(Listing.created_at.desc(), Listing.id.desc())
        )
        .scalars()
        .all()
    )
    panels = contact_panels(listings, current_user)
    groups = [
        (status, label, [item for item in listings if item.status == status])
        for status, label in STATUS_GROUPS
    ]
    return render_template(
        "listings/mine.html",
        groups=groups,
        panels=panels,
        total=len(listings),
    )


@bp.route("/photos/<int:photo_id>/<size>")
@login_required
def photo(photo_id, size):
    """Serve one size of a photo to whoever may see its listing."""
    if size not in SIZES:
        abort(404)
    item = db.session.get(Photo, photo_id)
    if item is None or not rules.can_view_photo(item, current_user):
        abort(404)
    try:
        # Read whole (a few hundred kB at most): no file stays open if the browser goes away.
        with open(photo_path(item.stored_name, size), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        abort(404)
    g.private_cache = True
    return Response(data, mimetype="image/jpeg")
