"""What closing a listing records: its reason, the transfer with its shares, the journal."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..audit import record, snapshot
from ..extensions import db
from ..listings.rules import is_owner_or_moderator
from ..models import (
    CLOSURE_REASONS,
    DISCARD_DESTINATIONS,
    ContactRequest,
    Listing,
    Service,
    Transfer,
    User,
    utcnow,
)

CENT = Decimal("0.01")
GRAM = Decimal("0.001")
OPEN_STATUSES = ("published", "reserved")
# A listing that never went online was offered to nobody: it cannot have been exchanged or
# thrown away through the platform, it can only be withdrawn.
UNPUBLISHED_STATUSES = ("pending", "rejected")

REASON_LABELS = {
    "exchanged": _l("Échangé avec un autre service"),
    "discarded": _l("Jeté"),
    "unavailable": _l("Plus disponible"),
}
DESTINATION_LABELS = {
    "waste_centre": _l("Déchetterie"),
    "recycling": _l("Filière de recyclage"),
    "other": _l("Autre"),
}
LISTING_FIELDS = (
    "status",
    "quantity_left",
    "closure_reason",
    "closure_detail",
    "discard_destination",
    "closed_at",
)
TRANSFER_FIELDS = (
    "listing_id",
    "quantity",
    "receiving_service_id",
    "receiving_user_id",
    "value_share",
    "weight_share_kg",
    "co2e_share_kg",
    "note",
)


class ClosureRefused(ValueError):
    """A closure the rules refuse; the message is French and says what to do instead."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def may_close(user: User, listing: Listing) -> bool:
    """The poster and the moderators may close a listing."""
    return is_owner_or_moderator(listing, user)


def allowed_reasons(listing: Listing) -> tuple[str, ...]:
    """The closure reasons that make sense for this listing in its current status."""
    if listing.status in OPEN_STATUSES:
        return CLOSURE_REASONS
    if listing.status in UNPUBLISHED_STATUSES:
        return ("unavailable",)
    return ()


def listing_weight_kg(listing: Listing) -> Decimal:
    """The weight of the whole quantity: the poster's figure, else the category default."""
    return listing.effective_weight_kg


def listing_co2e_kg(listing: Listing) -> Decimal:
    """The CO2e avoided by reusing the whole quantity, from the category's factor."""
    return listing.category.co2e_kg_per_unit * listing.quantity


def contact_candidates(listing: Listing) -> list[User]:
    """The agents who made contact about the listing (and the one it is reserved for)."""
    requester_ids = db.select(ContactRequest.requester_id).where(
        ContactRequest.listing_id == listing.id
    )
    condition = User.id.in_(requester_ids)
    if listing.reserved_for_id is not None:
        condition = sa.or_(condition, User.id == listing.reserved_for_id)
    return list(
        db.session.execute(
            db.select(User)
            .where(condition)
            .options(selectinload(User.service))
            .order_by(User.name, User.email)
        )
        .scalars()
        .all()
    )


def share(total: Decimal, part: int, whole: int, already: Decimal, *, last: bool, step: Decimal):
    """This transfer's part of a listing total, rounded half up; the last one takes the rest.

    A part never goes past what is left, so the shares of a listing never exceed its total
    and, once its whole quantity is exchanged, add up to it exactly.
    """
    left = max(total - already, Decimal(0))
    if last:
        return left.quantize(step, ROUND_HALF_UP)
    proportional = (total * part / whole).quantize(step, ROUND_HALF_UP)
    return min(proportional, left)


def _shares_so_far(listing: Listing) -> tuple[Decimal, Decimal, Decimal]:
    row = db.session.execute(
        db.select(
            sa.func.coalesce(sa.func.sum(Transfer.value_share), 0),
            sa.func.coalesce(sa.func.sum(Transfer.weight_share_kg), 0),
            sa.func.coalesce(sa.func.sum(Transfer.co2e_share_kg), 0),
        ).where(Transfer.listing_id == listing.id)
    ).one()
    value, weight, co2e = (Decimal(str(v)) for v in row)
    return value.quantize(CENT), weight.quantize(GRAM), co2e.quantize(GRAM)


def close_listing(
    listing: Listing,
    reason: str,
    *,
    quantity: int | None = None,
    receiving_service: Service | None = None,
    receiving_user: User | None = None,
    detail: str = "",
    destination: str | None = None,
    actor: User,
) -> Transfer | None:
    """Record the end (or, for part of the quantity, an exchange) of a listing.

    `exchanged` records a Transfer of `quantity` (default: all that is left) to the receiving
    service; if some is left the listing stays online with the rest. Every change is journaled.
    The caller commits. Raises ClosureRefused when the rules say no.
    """
    if listing.status == "closed":
        raise ClosureRefused(_l("Cette annonce est déjà clôturée."))
    if reason not in CLOSURE_REASONS:
        raise ClosureRefused(_l("Choisissez le motif de clôture."), "reason")
    if reason not in allowed_reasons(listing):
        raise ClosureRefused(
            _l(
                "Cette annonce n'a pas été mise en ligne : elle ne peut être clôturée que "
                "comme « plus disponible »."
            ),
            "reason",
        )
    detail = (detail or "").strip()
    before = snapshot(listing, LISTING_FIELDS)
    now = utcnow()

    transfer = None
    if reason == "exchanged":
        transfer = _record_transfer(
            listing, quantity, receiving_service, receiving_user, detail, actor, now
        )
        if listing.quantity_left > 0:
            record(
                "listing.partially_exchanged",
                listing,
                before=before,
                after={**snapshot(listing, LISTING_FIELDS), "transfer_id": transfer.id},
                actor=actor,
            )
            return transfer
    elif reason == "discarded":
        if destination is not None and destination not in DISCARD_DESTINATIONS:
            raise ClosureRefused(
                _l("Choisissez où l'objet est parti dans la liste."), "destination"
            )
        listing.discard_destination = destination

    listing.status = "closed"
    listing.closure_reason = reason
    listing.closure_detail = detail
    listing.closed_at = now
    after = snapshot(listing, LISTING_FIELDS)
    if transfer is not None:
        after["transfer_id"] = transfer.id
    record("listing.closed", listing, before=before, after=after, actor=actor)
    return transfer


def _record_transfer(listing, quantity, receiving_service, receiving_user, note, actor, now):
    if receiving_service is None and receiving_user is not None:
        receiving_service = receiving_user.service  # the agent's own service, when not given
    if receiving_service is None:
        raise ClosureRefused(
            _l("Choisissez le service qui a récupéré l'objet."), "receiving_service_id"
        )
    if not receiving_service.active:
        raise ClosureRefused(
            _l("Ce service n'existe plus : choisissez-en un autre dans la liste."),
            "receiving_service_id",
        )
    if quantity is None:
        quantity = listing.quantity_left
    if not 1 <= quantity <= listing.quantity_left:
        raise ClosureRefused(
            _l(
                "Indiquez une quantité entre 1 et %(left)d (ce qui reste de l'annonce).",
                left=listing.quantity_left,
            ),
            "quantity",
        )
    if receiving_user is not None and receiving_user.id not in {
        u.id for u in contact_candidates(listing)
    }:
        raise ClosureRefused(
            _l("Choisissez l'agent parmi ceux qui ont pris contact, ou laissez vide."),
            "receiving_user_id",
        )

    last = quantity == listing.quantity_left
    value_so_far, weight_so_far, co2e_so_far = _shares_so_far(listing)
    transfer = Transfer(
        listing_id=listing.id,
        quantity=quantity,
        receiving_service_id=receiving_service.id,
        receiving_user_id=receiving_user.id if receiving_user is not None else None,
        value_share=share(
            listing.estimated_value, quantity, listing.quantity, value_so_far, last=last, step=CENT
        ),
        weight_share_kg=share(
            listing_weight_kg(listing),
            quantity,
            listing.quantity,
            weight_so_far,
            last=last,
            step=GRAM,
        ),
        co2e_share_kg=share(
            listing_co2e_kg(listing), quantity, listing.quantity, co2e_so_far, last=last, step=GRAM
        ),
        at=now,
        recorded_by_id=actor.id,
        note=note,
    )
    db.session.add(transfer)
    listing.quantity_left -= quantity
    db.session.flush()
    record("transfer.created", transfer, after=snapshot(transfer, TRANSFER_FIELDS), actor=actor)
    return transfer
