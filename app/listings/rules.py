"""Business rules of listings: who sees and edits what, submitting, editing, remoderation."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import audit
from ..extensions import db
from ..mail import queue_email
from ..mail.outbox import absolute_url
from ..models import Listing, Photo, User, utcnow

PUBLIC_STATUSES = ("published", "reserved")
# Editing one of these on a published listing sends it back to moderation.
MODERATED_FIELDS = ("title", "description", "category_id")
EDITABLE_FIELDS = (
    "title",
    "description",
    "category_id",
    "quantity",
    "condition",
    "estimated_value",
    "weight_kg",
    "site_id",
    "location_detail",
    "available_from",
)
JOURNAL_FIELDS = (*EDITABLE_FIELDS, "status", "quantity_left")


def is_owner_or_moderator(listing: Listing, user: User) -> bool:
    return user.is_moderator or listing.poster_id == user.id


def can_view(listing: Listing, user: User) -> bool:
    """Pending and rejected listings are seen by their poster and moderators only."""
    return listing.status in (*PUBLIC_STATUSES, "closed") or is_owner_or_moderator(listing, user)


def sees_shared_page(reading, user: User) -> bool:
    """Readers who may see the listing but neither posted it, moderate nor made contact all
    see the same page (so it can be rendered once for them all)."""
    return (
        can_view(reading, user)
        and not is_owner_or_moderator(reading, user)
        and not reading.contacted
    )


def can_edit(listing: Listing, user: User) -> bool:
    return listing.status != "closed" and is_owner_or_moderator(listing, user)


def can_see_value(listing: Listing, user: User) -> bool:
    """Value and weight are shown to the poster and moderators only."""
    return is_owner_or_moderator(listing, user)


def can_view_photo(photo: Photo, user: User) -> bool:
    if photo.listing is None:  # still attached to an unsent form
        return photo.uploaded_by_id == user.id
    return can_view(photo.listing, user)


def moderation_recipients() -> list[str]:
    """The moderation addresses: MODERATION_EMAILS, else every active moderator."""
    configured = current_app.config.get("MODERATION_EMAILS") or []
    if configured:
        return list(configured)
    return list(
        db.session.execute(
            db.select(User.email)
            .where(User.is_moderator.is_(True), User.active.is_(True))
            .order_by(User.id)
        ).scalars()
    )


def listing_url(listing: Listing, endpoint: str = "listings.detail") -> str:
    """An absolute link for emails, from BASE_URL (sub-path included), never from the Host."""
    return absolute_url(endpoint, listing_id=listing.id)


def _notify_moderators(listing: Listing, resubmitted: bool) -> None:
    recipients = moderation_recipients()
    if not recipients:
        return
    queue_email(
        to=recipients,
        subject=_l("Annonce à modérer : %(title)s", title=listing.title),
        template="listing_submitted",
        kind="listing_submitted",
        listing=listing,
        resubmitted=resubmitted,
        url=absolute_url("moderation.queue"),
        listing_link=listing_url(listing),
    )


def attach_photos(listing: Listing, photos: list[Photo]) -> None:
    """Give the listing these photos, in this order."""
    for position, photo in enumerate(photos):
        photo.position = position
        if photo not in listing.photos:
            listing.photos.append(photo)


def submit_listing(listing: Listing, poster: User, photos: list[Photo]) -> Listing:
    """Record a new listing as pending, tell the moderators; the caller commits."""
    listing.poster = poster
    listing.poster_service_id = poster.service_id
    listing.status = "pending"
    listing.quantity_left = listing.quantity
    db.session.add(listing)
    attach_photos(listing, photos)
    db.session.flush()
    audit.record("listing.submitted", listing, after=audit.snapshot(listing, JOURNAL_FIELDS))
    _notify_moderators(listing, resubmitted=False)
    return listing


def update_listing(
    listing: Listing, changes: dict, photos: list[Photo], removed: list[Photo], actor: User
) -> bool:
    """Apply an edit; return True if it sent the listing back to moderation. Caller commits."""
    before = audit.snapshot(listing, JOURNAL_FIELDS)
    old_photo_order = [p.id for p in listing.photos]
    significant = any(getattr(listing, f) != changes[f] for f in MODERATED_FIELDS if f in changes)
    for name, value in changes.items():
        setattr(listing, name, value)
    sold = listing.quantity - (before["quantity"] - before["quantity_left"])
    listing.quantity_left = max(sold, 0)
    for photo in removed:
        listing.photos.remove(photo)
    attach_photos(listing, photos)
    significant = significant or [p.id for p in photos] != old_photo_order
    back_to_moderation = False
    if listing.status == "rejected":
        listing.status = "pending"
        listing.rejection_reason = ""
        back_to_moderation = True
    elif (
        listing.status in PUBLIC_STATUSES
        and significant
        and current_app.config["REMODERATE_ON_EDIT"]
        and not actor.is_moderator
    ):
        listing.status = "pending"
        back_to_moderation = True
    if back_to_moderation:
        listing.submitted_at = utcnow()
    db.session.flush()
    action = "listing.resubmitted" if back_to_moderation else "listing.edited"
    audit.record(action, listing, before=before, after=audit.snapshot(listing, JOURNAL_FIELDS))
    if back_to_moderation:
        _notify_moderators(listing, resubmitted=True)
    return back_to_moderation
