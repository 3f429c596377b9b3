"""The rules of contact and reservation, and the emails they send."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..audit import record, snapshot
from ..extensions import db
from ..mail import queue_email
from ..mail.outbox import absolute_url
from ..models import ContactRequest, Listing, User, utcnow

CONTACTABLE = ("published", "reserved")
RESERVATION_FIELDS = ("status", "reserved_for_id", "reserved_at")


class AlreadyContacted(Exception):
    """This agent already contacted the poster about this listing."""

    def __init__(self, contact: ContactRequest):
        super().__init__(contact.id)
        self.contact = contact


class TooManyContacts(Exception):
    """The agent reached CONTACTS_PER_HOUR."""


class NotAContact(Exception):
    """A reservation for someone who never made contact."""


class NotReservable(Exception):
    """The listing is not online, or not reserved when releasing."""


def manages(listing: Listing, user) -> bool:
    """The poster and moderators see who made contact and reserve or release."""
    return listing.poster_id == user.id or bool(user.is_moderator)


def contact_of(listing_id: int, requester_id: int) -> ContactRequest | None:
    return db.session.execute(
        db.select(ContactRequest).where(
            ContactRequest.listing_id == listing_id, ContactRequest.requester_id == requester_id
        )
    ).scalar_one_or_none()


def contact_poster(listing: Listing, requester: User, message: str) -> ContactRequest:
    """Record the contact and queue the email to the poster (moderators in copy).

    The caller commits. Raises AlreadyContacted or TooManyContacts, in which case nothing is
    recorded and nothing is sent.
    """
    existing = contact_of(listing.id, requester.id)
    if existing is not None:
        raise AlreadyContacted(existing)
    # Serialise one agent's contacts (PostgreSQL) so the hourly count holds across workers;
    # SQLite's write lock, taken when the request began, already does.
    db.session.execute(db.select(User.id).where(User.id == requester.id).with_for_update())
    now = utcnow()
    recent = db.session.execute(
        db.select(db.func.count(ContactRequest.id)).where(
            ContactRequest.requester_id == requester.id,
            ContactRequest.created_at > now - timedelta(hours=1),
        )
    ).scalar_one()
    if recent >= int(current_app.config["CONTACTS_PER_HOUR"]):
        raise TooManyContacts()
    contact = ContactRequest(
        listing_id=listing.id, requester_id=requester.id, message=message, created_at=now
    )
    db.session.add(contact)
    try:
        db.session.flush()
    except IntegrityError:  # the same agent's other click won the race
        db.session.rollback()
        raise AlreadyContacted(contact_of(listing.id, requester.id)) from None
    from ..listings.rules import moderation_recipients  # here: listings' views import this package

    poster = listing.poster
    cc = [a for a in moderation_recipients() if a.lower() != poster.email.lower()]
    queue_email(
        to=poster.email,
        cc=cc,
        reply_to=requester.email,
        subject=_l(
            "%(name)s est intéressé(e) par votre annonce « %(title)s »",
            name=requester.name or requester.email,
            title=listing.title,
        ),
        template="contact_request",
        kind="contact",
        listing=listing,
        poster=poster,
        requester=requester,
        message=message,
        sent_at=now,
        listing_url=absolute_url("listings.detail", listing_id=listing.id),
        mine_url=absolute_url("listings.mine"),
    )
    return contact


def reserve(listing: Listing, requester_id: int) -> bool:
    """Reserve the listing for one agent who made contact and tell them; False if unchanged."""
    if listing.status not in CONTACTABLE:
        raise NotReservable()
    contact = contact_of(listing.id, requester_id)
    if contact is None:
        raise NotAContact()
    if listing.status == "reserved" and listing.reserved_for_id == requester_id:
        return False
    before = snapshot(listing, RESERVATION_FIELDS)
    listing.status = "reserved"
    listing.reserved_for_id = requester_id
    listing.reserved_at = utcnow()
    record("listing.reserve", listing, before=before, after=snapshot(listing, RESERVATION_FIELDS))
    requester = contact.requester
    poster = listing.poster
    queue_email(
        to=requester.email,
        reply_to=poster.email,
        subject=_l("L'annonce « %(title)s » vous est réservée", title=listing.title),
        template="contact_reserved",
        kind="reservation",
        listing=listing,
        poster=poster,
        requester=requester,
        listing_url=absolute_url("listings.detail", listing_id=listing.id),
    )
    return True


def release(listing: Listing) -> None:
    """Put a reserved listing back online for everyone."""
    if listing.status != "reserved":
        raise NotReservable()
    before = snapshot(listing, RESERVATION_FIELDS)
    listing.status = "published"
    listing.reserved_for_id = None
    listing.reserved_at = None
    record("listing.release", listing, before=before, after=snapshot(listing, RESERVATION_FIELDS))
