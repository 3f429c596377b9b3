"""Every figure of the statistics, each computed by one SQL aggregate, money as Decimal.

The exchanges (transfers) carry their own share of value, weight and CO2e, fixed when they were
recorded; the listings figures use the listing's weight, else its category default × quantity.
Periods are cut at midnight in Paris, so the same figure comes out on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Category, Kilograms, Listing, Money, Organisation, Service, Transfer
from .periods import PARIS, Period

ZERO_EUROS = Decimal("0.00")
ZERO_KG = Decimal("0.000")
OUTCOMES = ("exchanged", "discarded", "unavailable", "open", "rejected")

GivingService = aliased(Service, name="giving_service")
GivingOrg = aliased(Organisation, name="giving_org")
ReceivingService = aliased(Service, name="receiving_service")
ReceivingOrg = aliased(Organisation, name="receiving_org")


def period_bucket(column, periods: list[Period]) -> sa.Case:
    """The key of the period (of consecutive ones) that `column`'s instant falls in.

    A CASE on the UTC instants where each period ends: the same SQL on every database, and
    periods cut at midnight Paris time (SQLite has no time zones). Filter on the whole range too.
    """
    return sa.case(*((column < p.end_utc, p.key) for p in periods), else_=sa.null())


def in_period(column, period: Period):
    return sa.and_(column >= period.start_utc, column < period.end_utc)


def money_sum(column):
    return sa.type_coerce(sa.func.coalesce(sa.func.sum(column), 0), Money)


def kg_sum(column):
    return sa.type_coerce(sa.func.coalesce(sa.func.sum(column), 0), Kilograms)


def listing_weight_kg():
    """SQL for a listing's weight: the poster's figure, else the category default × quantity."""
    return sa.type_coerce(
        sa.func.coalesce(Listing.weight_kg, Category.default_unit_weight_kg * Listing.quantity),
        Kilograms,
    )


def listing_co2e_kg():
    """SQL for the CO2e of a listing's whole quantity, from its category factor."""
    return sa.type_coerce(Category.co2e_kg_per_unit * Listing.quantity, Kilograms)


def outcome_of_listing():
    """SQL for where a listing stands: its closure reason, 'open' or 'rejected'."""
    return sa.case(
        # A closed listing always has its reason; none would count as "no longer available".
        (Listing.status == "closed", sa.func.coalesce(Listing.closure_reason, "unavailable")),
        (Listing.status == "rejected", "rejected"),
        else_="open",
    )


def _money(value) -> Decimal:
    return ZERO_EUROS if value is None else Decimal(value).quantize(ZERO_EUROS)


def _kg(value) -> Decimal:
    return ZERO_KG if value is None else Decimal(value).quantize(ZERO_KG)


@dataclass(frozen=True)
class ExchangeFigures:
    """What was exchanged: how many transfers and objects, their value, weight and CO2e."""

    exchanges: int = 0
    quantity: int = 0
    value: Decimal = ZERO_EUROS
    weight_kg: Decimal = ZERO_KG
    co2e_kg: Decimal = ZERO_KG

    @classmethod
    def from_row(cls, row) -> ExchangeFigures:
        return cls(
            exchanges=int(row.exchanges or 0),
            quantity=int(row.quantity or 0),
            value=_money(row.value),
            weight_kg=_kg(row.weight_kg),
            co2e_kg=_kg(row.co2e_kg),
        )


def add_exchanges(figures: list[ExchangeFigures]) -> ExchangeFigures:
    """Several periods' exchange figures added up (exact: each is already in cents, grams)."""
    return ExchangeFigures(
        exchanges=sum(f.exchanges for f in figures),
        quantity=sum(f.quantity for f in figures),
        value=sum((f.value for f in figures), ZERO_EUROS),
        weight_kg=sum((f.weight_kg for f in figures), ZERO_KG),
        co2e_kg=sum((f.co2e_kg for f in figures), ZERO_KG),
    )


def _exchange_columns():
    return (
        sa.func.count(Transfer.id).label("exchanges"),
        sa.func.coalesce(sa.func.sum(Transfer.quantity), 0).label("quantity"),
        money_sum(Transfer.value_share).label("value"),
        kg_sum(Transfer.weight_share_kg).label("weight_kg"),
        kg_sum(Transfer.co2e_share_kg).label("co2e_kg"),
    )


def exchange_totals(period: Period) -> ExchangeFigures:
    """€ saved, exchanges, objects, kg and kg CO2e avoided by the exchanges of the period."""
    row = db.session.execute(
        sa.select(*_exchange_columns()).where(in_period(Transfer.at, period))
    ).one()
    return ExchangeFigures.from_row(row)


@dataclass(frozen=True)
class OutcomeLine:
    outcome: str
    listings: int
    quantity: int
    value: Decimal


def outcomes_by_month(months: list[Period]) -> dict[str, dict[str, OutcomeLine]]:
    """Per month, the listings posted then, by where they stand now (one grouped query)."""
    by_month: dict[str, dict[str, OutcomeLine]] = {m.key: {} for m in months}
    if not months:
        return by_month
    whole = Period("custom", months[0].start, months[-1].end)
    bucket = period_bucket(Listing.created_at, months).label("bucket")
    outcome = outcome_of_listing().label("outcome")
    rows = db.session.execute(
        sa.select(
            bucket,
            outcome,
            sa.func.count(Listing.id).label("listings"),
            sa.func.coalesce(sa.func.sum(Listing.quantity), 0).label("quantity"),
            money_sum(Listing.estimated_value).label("value"),
        )
        .where(in_period(Listing.created_at, whole))
        .group_by(bucket, outcome)
    ).all()
    for row in rows:
        by_month[row.bucket][row.outcome] = OutcomeLine(
            row.outcome, int(row.listings), int(row.quantity), _money(row.value)
        )
    return by_month


def outcome_split(months: list[dict[str, OutcomeLine]]) -> list[OutcomeLine]:
    """The outcome lines of several months added up, one line per outcome."""
    return [
        OutcomeLine(
            outcome=name,
            listings=sum(m[name].listings for m in months if name in m),
            quantity=sum(m[name].quantity for m in months if name in m),
            value=sum((m[name].value for m in months if name in m), ZERO_EUROS),
        )
        for name in OUTCOMES
    ]


def listings_posted(split: list[OutcomeLine]) -> int:
    """How many listings were posted in the period (the outcome split adds up to it)."""
    return sum(line.listings for line in split)


@dataclass(frozen=True)
class BreakdownLine:
    label: str
    organisation: str
    figures: ExchangeFigures
    giving: str = ""
    receiving: str = ""


def exchanges_joined():
    """Each exchange with its listing, and the giving and receiving services and organisations."""
    return (
        sa.select()
        .select_from(Transfer)
        .join(Listing, Transfer.listing_id == Listing.id)
        .join(GivingService, Listing.poster_service_id == GivingService.id)
        .join(GivingOrg, GivingService.organisation_id == GivingOrg.id)
        .join(ReceivingService, Transfer.receiving_service_id == ReceivingService.id)
        .join(ReceivingOrg, ReceivingService.organisation_id == ReceivingOrg.id)
    )


def org_name(org) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.nullif(org.short_name, ""), org.name)


def _totals_by(*keys, period: Period, of_listing: bool = True) -> sa.Subquery:
    """The exchanges of the period summed per `keys` (ids), before any name is joined.

    Summing first over the covering indexes (0008) and joining the names of a few dozen groups
    afterwards is several times faster than joining names to every exchange. `of_listing`:
    some key is a column of the exchanged listing.
    """
    query = sa.select(*keys, *_exchange_columns()).where(in_period(Transfer.at, period))
    if of_listing:
        query = query.select_from(Transfer).join(Listing, Transfer.listing_id == Listing.id)
    return query.group_by(*keys).subquery()


def _summed(totals: sa.Subquery):
    """The exchange columns of a breakdown, summing a `_totals_by` subquery once more."""
    return (
        sa.func.sum(totals.c.exchanges).label("exchanges"),
        sa.func.sum(totals.c.quantity).label("quantity"),
        money_sum(totals.c.value).label("value"),
        kg_sum(totals.c.weight_kg).label("weight_kg"),
        kg_sum(totals.c.co2e_kg).label("co2e_kg"),
    )


def flows_between_organisations(period: Period) -> list[BreakdownLine]:
    """Exchanges by giving and receiving organisation (Agglo → Ville, Ville → Ville …)."""
    totals = _totals_by(
        Listing.poster_service_id.label("giving_id"),
        Transfer.receiving_service_id.label("receiving_id"),
        period=period,
    )
    giving, receiving = (
        org_name(GivingOrg).label("giving"),
        org_name(ReceivingOrg).label("receiving"),
    )
    rows = db.session.execute(
        sa.select(giving, receiving, *_summed(totals))
        .join(GivingService, GivingService.id == totals.c.giving_id)
        .join(GivingOrg, GivingService.organisation_id == GivingOrg.id)
        .join(ReceivingService, ReceivingService.id == totals.c.receiving_id)
        .join(ReceivingOrg, ReceivingService.organisation_id == ReceivingOrg.id)
        .group_by(GivingOrg.id, ReceivingOrg.id, giving, receiving)
        .order_by(giving, receiving)
    ).all()
    return [
        BreakdownLine(
            label=f"{row.giving} → {row.receiving}",
            organisation="",
            figures=ExchangeFigures.from_row(row),
            giving=row.giving,
            receiving=row.receiving,
        )
        for row in rows
    ]


def by_service(period: Period, side: str) -> list[BreakdownLine]:
    """Exchanges by giving service (side='giving') or by receiving service ('receiving')."""
    key = Listing.poster_service_id if side == "giving" else Transfer.receiving_service_id
    totals = _totals_by(key.label("service_id"), period=period, of_listing=side == "giving")
    organisation = org_name(Organisation).label("org")
    rows = db.session.execute(
        sa.select(Service.name.label("name"), organisation, *_summed(totals))
        .join(Service, Service.id == totals.c.service_id)
        .join(Organisation, Service.organisation_id == Organisation.id)
        .group_by(Service.id, Service.name, organisation)
        .order_by(money_sum(totals.c.value).desc(), Service.name)
    ).all()
    return [
        BreakdownLine(label=row.name, organisation=row.org, figures=ExchangeFigures.from_row(row))
        for row in rows
    ]


def by_category(period: Period) -> list[BreakdownLine]:
    """Exchanges by category of the listing."""
    totals = _totals_by(Listing.category_id.label("category_id"), period=period)
    rows = db.session.execute(
        sa.select(Category.name.label("name"), *_summed(totals))
        .join(Category, Category.id == totals.c.category_id)
        .group_by(Category.id, Category.name)
        .order_by(money_sum(totals.c.value).desc(), Category.name)
    ).all()
    return [
        BreakdownLine(label=row.name, organisation="", figures=ExchangeFigures.from_row(row))
        for row in rows
    ]


@dataclass(frozen=True)
class TrendPoint:
    period: Period
    figures: ExchangeFigures
    listings_posted: int


def exchanges_by_period(periods: list[Period]) -> dict[str, ExchangeFigures]:
    """Per period (consecutive ones: months, half-years), the exchanges' figures in one
    grouped query; a period without exchanges has zeros."""
    if not periods:
        return {}
    whole = Period("custom", periods[0].start, periods[-1].end)
    bucket = period_bucket(Transfer.at, periods).label("bucket")
    found = {
        row.bucket: ExchangeFigures.from_row(row)
        for row in db.session.execute(
            sa.select(bucket, *_exchange_columns())
            .where(in_period(Transfer.at, whole))
            .group_by(bucket)
        ).all()
    }
    return {p.key: found.get(p.key, ExchangeFigures()) for p in periods}


def first_activity_year() -> int | None:
    """The year of the first listing ever posted (for the period choices)."""
    first = db.session.execute(sa.select(sa.func.min(Listing.created_at))).scalar()
    if first is None:
        return None
    return first.astimezone(PARIS).year
