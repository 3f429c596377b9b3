"""Queries of the listings feature: browse filters, reference-data choices."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Category,
    ContactRequest,
    Listing,
    Organisation,
    Service,
    Site,
    choosable_services,
)
from .rules import PUBLIC_STATUSES
from .search import matching_listing_ids


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class Reading:
    """What the listing page must know of a listing and its reader before rendering it."""

    title: str
    status: str
    poster_id: int
    contacted: bool


def reading(listing_id: int, reader_id: int) -> Reading | None:
    """The listing's title, status and poster, and whether this reader made contact: one row."""
    row = db.session.execute(
        sa.select(Listing.title, Listing.status, Listing.poster_id, ContactRequest.id)
        .outerjoin(
            ContactRequest,
            (ContactRequest.listing_id == Listing.id) & (ContactRequest.requester_id == reader_id),
        )
        .where(Listing.id == listing_id)
    ).one_or_none()
    if row is None:
        return None
    return Reading(row[0], row[1], row[2], row[3] is not None)


def card_options():
    """What a listing card shows, loaded in a fixed number of queries."""
    return (
        selectinload(Listing.category),
        selectinload(Listing.site),
        selectinload(Listing.poster_service).selectinload(Service.organisation),
        selectinload(Listing.photos),
    )


def browse(filters: dict, page: int, per_page: int) -> Page:
    """The published and reserved listings matching the filters, one page of them."""
    conditions = [Listing.status.in_(PUBLIC_STATUSES)]
    if filters.get("q"):
        match = matching_listing_ids(filters["q"])
        if match is not None:
            conditions.append(match)
    if filters.get("category"):
        conditions.append(Listing.category_id == filters["category"])
    if filters.get("site"):
        conditions.append(Listing.site_id == filters["site"])
    if filters.get("service"):
        conditions.append(Listing.poster_service_id == filters["service"])
    elif filters.get("organisation"):
        conditions.append(
            Listing.poster_service_id.in_(
                sa.select(Service.id).where(Service.organisation_id == filters["organisation"])
            )
        )
    if filters.get("condition"):
        conditions.append(Listing.condition == filters["condition"])

    total = db.session.execute(sa.select(sa.func.count(Listing.id)).where(*conditions)).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    if filters.get("sort") == "available":
        order = (Listing.available_from.asc().nulls_first(), Listing.id.desc())
    else:
        order = (Listing.published_at.desc(), Listing.id.desc())
    items = (
        db.session.execute(
            sa.select(Listing)
            .where(*conditions)
            .options(*card_options())
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .scalars()
        .all()
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


def category_choices(include_inactive_id: int | None = None) -> list[tuple[int, str]]:
    condition = Category.active.is_(True)
    if include_inactive_id:
        condition = condition | (Category.id == include_inactive_id)
    rows = db.session.execute(
        sa.select(Category.id, Category.name).where(condition).order_by(Category.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def site_choices(include_inactive_id: int | None = None) -> list[tuple[int, str]]:
    condition = Site.active.is_(True)
    if include_inactive_id:
        condition = condition | (Site.id == include_inactive_id)
    rows = db.session.execute(
        sa.select(Site.id, Site.name).where(condition).order_by(Site.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def organisation_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name).order_by(Organisation.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def service_choices() -> list[tuple[int, str]]:
    """Services that agents may pick, labelled with their organisation: 'Écoles (Ville)'."""
    rows = sorted(choosable_services(), key=lambda row: (row[1], row[2]))
    return [(sid, f"{name} ({short or org})") for sid, name, org, short in rows]
