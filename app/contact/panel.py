"""The contact panel of a listing: what the current user sees and may do there."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import ContactRequest, Listing, User
from .forms import ContactForm
from .rules import CONTACTABLE, contact_of, manages


@dataclass
class ContactPanel:
    """What the contact panel of one listing shows to the current user."""

    listing: Listing
    is_poster: bool
    manages: bool
    my_contact: ContactRequest | None
    contacts: list[ContactRequest] = field(default_factory=list)

    @property
    def can_contact(self) -> bool:
        return not self.is_poster and self.listing.status in CONTACTABLE

    @property
    def shows_agent_part(self) -> bool:
        return not self.is_poster and (self.my_contact is not None or self.can_contact)

    @property
    def shows_contacts(self) -> bool:
        return self.manages and (bool(self.contacts) or self.listing.status in CONTACTABLE)

    @property
    def reserved_contact(self) -> ContactRequest | None:
        """The contact the listing is reserved for (a reservation always goes to a contact)."""
        return next(
            (c for c in self.contacts if c.requester_id == self.listing.reserved_for_id), None
        )

    @cached_property
    def form(self) -> ContactForm:
        return ContactForm(formdata=None)


def _contacts_query():
    return db.select(ContactRequest).options(
        selectinload(ContactRequest.requester).selectinload(User.service)
    )


def contact_panel(listing: Listing, user) -> ContactPanel:
    """The panel of one listing, in a fixed number of queries whatever the number of contacts."""
    is_poster = listing.poster_id == user.id
    if manages(listing, user):
        contacts = list(
            db.session.execute(
                _contacts_query()
                .where(ContactRequest.listing_id == listing.id)
                .order_by(ContactRequest.created_at, ContactRequest.id)
            ).scalars()
        )
        mine = next((c for c in contacts if c.requester_id == user.id), None)
        return ContactPanel(listing, is_poster, True, None if is_poster else mine, contacts)
    return ContactPanel(listing, False, False, contact_of(listing.id, user.id))


def contact_panels(listings: list[Listing], user) -> dict[int, ContactPanel]:
    """The panels of the poster's own listings (Mes annonces), in a fixed number of queries."""
    ids = [listing.id for listing in listings]
    by_listing: dict[int, list[ContactRequest]] = {i: [] for i in ids}
    if ids:
        for contact in db.session.execute(
            _contacts_query()
            .where(ContactRequest.listing_id.in_(ids))
            .order_by(ContactRequest.created_at, ContactRequest.id)
        ).scalars():
            by_listing[contact.listing_id].append(contact)
    return {
        listing.id: ContactPanel(
            listing,
            listing.poster_id == user.id,
            manages(listing, user),
            None,
            by_listing[listing.id],
        )
        for listing in listings
    }
