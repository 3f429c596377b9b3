"""What moderators do to listings and accounts: plain functions, each journaled, emailing whom
it concerns. They add to the session; the caller commits once, so the change, its journal entry
and its email are saved together or not at all."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..audit import record, snapshot
from ..extensions import db
from ..listings.rules import listing_url
from ..mail import queue_email
from ..mail.outbox import absolute_url
from ..models import Category, Listing, User, utcnow

REJECTION_REASONS = (
    ("personal_use", _l("Usage personnel")),
    ("it_equipment", _l("Matériel informatique")),
    ("missing_photo", _l("Photo manquante")),
    ("duplicate", _l("Doublon")),
    ("other", _l("Autre")),
)
OPEN_STATUSES = ("pending", "published", "reserved", "rejected")
STATUS_FIELDS = ("status", "published_at", "rejection_reason")


class ModerationError(Exception):
    """An action the record's current state does not allow; the message says why, in French."""


def listing_edit_url(listing: Listing) -> str:
    return listing_url(listing, "listings.edit")


def _email(to, subject, template: str, **context) -> None:
    """Queue an email of this kind (its subject a lazy string, see queue_email)."""
    queue_email(to=to, subject=subject, template=template, kind=template, **context)


def lock_listing(listing_id: int) -> Listing | None:
    """Load a listing, locked against a second moderator acting on it at the same moment."""
    return db.session.execute(
        db.select(Listing).where(Listing.id == listing_id).with_for_update()
    ).scalar_one_or_none()


def _require_status(listing: Listing, allowed: tuple[str, ...]) -> None:
    if listing.status not in allowed:
        raise ModerationError(
            _(
                "L'annonce « %(title)s » a déjà été traitée (elle est maintenant : %(status)s).",
                title=listing.title,
                status=status_label(listing.status),
            )
        )


STATUS_LABELS = {
    "pending": _l("en attente de modération"),
    "published": _l("en ligne"),
    "reserved": _l("réservée"),
    "rejected": _l("refusée"),
    "closed": _l("clôturée"),
}


def status_label(status: str | None) -> str:
    return str(STATUS_LABELS.get(status, status or ""))


def approve(listing: Listing, moderator: User) -> None:
    """Publish a pending listing and tell its poster it is online."""
    _require_status(listing, ("pending",))
    before = snapshot(listing, STATUS_FIELDS)
    listing.status = "published"
    listing.published_at = utcnow()
    listing.rejection_reason = ""
    record(
        "listing.approved",
        listing,
        before=before,
        after=snapshot(listing, STATUS_FIELDS),
        actor=moderator,
    )
    _email(
        listing.poster.email,
        _l("Votre annonce est en ligne : %(title)s", title=listing.title),
        "listing_approved",
        listing=listing,
        url=listing_url(listing),
    )


def approve_many(listing_ids: Iterable[int], moderator: User) -> tuple[list[Listing], int]:
    """Approve the listed ids that are still pending; return them and how many were not."""
    ids = list(dict.fromkeys(listing_ids))
    listings = (
        db.session.execute(
            db.select(Listing)
            .where(Listing.id.in_(ids), Listing.status == "pending")
            .order_by(Listing.waiting_since, Listing.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    for listing in listings:
        approve(listing, moderator)
    return listings, len(ids) - len(listings)


def rejection_text(reason: str, detail: str) -> str:
    """What the poster reads: the reason from the list, then the moderator's words."""
    labels = dict(REJECTION_REASONS)
    if reason not in labels:
        raise ValueError(f"unknown rejection reason: {reason!r}")
    label = str(labels[reason])
    detail = " ".join((detail or "").split())
    return f"{label} : {detail}" if detail else label


def reject(listing: Listing, moderator: User, reason: str, detail: str = "") -> None:
    """Refuse a pending listing with a reason; the poster is told why and how to correct it."""
    _require_status(listing, ("pending",))
    if reason == "other" and not (detail or "").strip():
        raise ModerationError(_("Avec le motif « Autre », expliquez le refus au déposant."))
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = rejection_text(reason, detail)[:500]
    before = snapshot(listing, STATUS_FIELDS)
    listing.status = "rejected"
    listing.rejection_reason = text
    record(
        "listing.rejected",
        listing,
        before=before,
        after={**snapshot(listing, STATUS_FIELDS), "reason_code": reason},
        actor=moderator,
    )
    _email(
        listing.poster.email,
        _l("Votre annonce n'a pas été publiée : %(title)s", title=listing.title),
        "listing_rejected",
        listing=listing,
        reason=text,
        url=listing_edit_url(listing),
    )


CORRECTABLE = ("category_id", "estimated_value", "weight_kg")


def correct(
    listing: Listing,
    moderator: User,
    *,
    category: Category,
    estimated_value: Decimal,
    weight_kg: Decimal | None,
) -> bool:
    """Fix a listing's category, value or weight; return False when nothing changed."""
    if listing.status == "closed":
        raise ModerationError(
            _("Cette annonce est clôturée : ses chiffres sont figés dans les statistiques.")
        )
    if listing.transfers:
        raise ModerationError(
            _(
                "Une partie de cette annonce a déjà été échangée : ses chiffres sont figés "
                "dans les statistiques (corrigez le poids d'un échange dans le bilan semestriel)."
            )
        )
    before = snapshot(listing, CORRECTABLE)
    before_names = {"category": listing.category.name}
    listing.category = category
    listing.category_id = category.id  # the relationship alone sets the column only at flush
    listing.estimated_value = estimated_value
    listing.weight_kg = weight_kg
    after = snapshot(listing, CORRECTABLE)
    changed = [name for name in CORRECTABLE if before[name] != after[name]]
    if not changed:
        return False
    old = {name: before[name] for name in changed}
    new = {name: after[name] for name in changed}
    if "category_id" in changed:
        old["category"] = before_names["category"]
        new["category"] = category.name
    record("listing.corrected", listing, before=old, after=new, actor=moderator)
    return True


def unpublish(listing: Listing, moderator: User) -> None:
    """Take a listing off the browse page and back to the moderation queue; tell its poster."""
    _require_status(listing, ("published", "reserved"))
    fields = (*STATUS_FIELDS, "reserved_for_id")
    before = snapshot(listing, fields)
    listing.status = "pending"
    listing.submitted_at = utcnow()
    listing.reserved_for_id = None
    listing.reserved_at = None
    record(
        "listing.unpublished",
        listing,
        before=before,
        after=snapshot(listing, fields),
        actor=moderator,
    )
    _email(
        listing.poster.email,
        _l("Votre annonce est retirée de la publication : %(title)s", title=listing.title),
        "listing_unpublished",
        listing=listing,
        url=listing_url(listing),
    )


# --- Accounts -------------------------------------------------------------------------------


def active_moderator_count() -> int:
    return db.session.execute(
        db.select(db.func.count(User.id)).where(User.is_moderator.is_(True), User.active.is_(True))
    ).scalar_one()


def _is_last_moderator(user: User) -> bool:
    return user.is_moderator and user.active and active_moderator_count() <= 1


def deactivate_user(user: User, moderator: User) -> None:
    """Stop an account: it cannot sign in, and its open sessions end now."""
    if user.id == moderator.id:
        raise ModerationError(
            _(
                "Vous ne pouvez pas désactiver votre propre compte : "
                "demandez-le à un autre modérateur."
            )
        )
    if not user.active:
        raise ModerationError(_("Ce compte est déjà désactivé."))
    user.active = False
    user.rotate_auth_token()
    record(
        "user.deactivated", user, before={"active": True}, after={"active": False}, actor=moderator
    )


def activate_user(user: User, moderator: User) -> None:
    """Let a deactivated account sign in again."""
    if user.active:
        raise ModerationError(_("Ce compte est déjà actif."))
    user.active = True
    record(
        "user.activated", user, before={"active": False}, after={"active": True}, actor=moderator
    )


def grant_moderator(user: User, moderator: User) -> None:
    """Give the moderator role."""
    if user.is_moderator:
        raise ModerationError(_("%(name)s est déjà modérateur.", name=str(user)))
    if not user.active:
        raise ModerationError(_("Réactivez d'abord ce compte."))
    user.is_moderator = True
    record(
        "user.moderator_granted",
        user,
        before={"is_moderator": False},
        after={"is_moderator": True},
        actor=moderator,
    )


def revoke_moderator(user: User, moderator: User) -> None:
    """Take the moderator role back, never from the last active moderator."""
    if not user.is_moderator:
        raise ModerationError(_("%(name)s n'est pas modérateur.", name=str(user)))
    if _is_last_moderator(user):
        raise ModerationError(
            _(
                "Vous êtes le dernier modérateur : nommez d'abord quelqu'un d'autre, "
                "sinon plus personne ne pourra modérer les annonces."
            )
        )
    user.is_moderator = False
    record(
        "user.moderator_revoked",
        user,
        before={"is_moderator": True},
        after={"is_moderator": False},
        actor=moderator,
    )


def find_colleague(email: str) -> User | None:
    email = (email or "").strip().lower()
    return db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()


def transfer_listings(leaving: User, colleague: User, moderator: User) -> list[Listing]:
    """Give the open listings of a leaving agent to a colleague, who is told by email."""
    if colleague.id == leaving.id:
        raise ModerationError(_("Choisissez un autre compte que celui qui part."))
    if not colleague.active:
        raise ModerationError(_("Le compte de ce collègue est désactivé : choisissez-en un autre."))
    listings = (
        db.session.execute(
            db.select(Listing)
            .where(Listing.poster_id == leaving.id, Listing.status.in_(OPEN_STATUSES))
            .order_by(Listing.created_at, Listing.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    if not listings:
        raise ModerationError(_("%(name)s n'a aucune annonce en cours.", name=str(leaving)))
    for listing in listings:
        listing.poster = colleague
        record(
            "listing.transferred",
            listing,
            before={"poster_id": leaving.id, "poster": f"{leaving} <{leaving.email}>"},
            after={"poster_id": colleague.id, "poster": f"{colleague} <{colleague.email}>"},
            actor=moderator,
        )
    _email(
        colleague.email,
        _l("Vous reprenez les annonces de %(name)s", name=str(leaving)),
        "listings_transferred",
        leaving=leaving,
        colleague=colleague,
        listings=[(listing, listing_url(listing)) for listing in listings],
        my_listings_url=absolute_url("listings.mine"),
    )
    return listings
