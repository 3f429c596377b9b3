"""The six-monthly report: the exchanged items of a half-year, corrected, then frozen."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..audit import record, snapshot
from ..closure.rules import GRAM
from ..extensions import db
from ..models import Category, Listing, Transfer, User, WeightReport, utcnow
from . import periods
from .periods import Period
from .queries import (
    ExchangeFigures,
    GivingOrg,
    GivingService,
    ReceivingOrg,
    ReceivingService,
    exchange_totals,
    exchanges_by_period,
    exchanges_joined,
    first_activity_year,
    in_period,
    org_name,
)

BASIS_LABELS = {
    "declared": _l("poids indiqué par le déposant"),
    "category": _l("poids par défaut de la catégorie × quantité"),
    "corrected": _l("corrigé par un modérateur"),
}


class ReportRefused(ValueError):
    """A change the report's state forbids; the message is French."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class ReportFrozen(ReportRefused):
    """The report of this half-year is validated: nothing in it may change."""

    def __init__(self):
        super().__init__(_l("Ce bilan est validé : il ne peut plus être modifié."))


@dataclass(frozen=True)
class ReportItem:
    """One exchange of the half-year, as the report shows it."""

    transfer_id: int
    at: datetime
    listing_id: int
    title: str
    category: str
    quantity: int
    giving_org: str
    giving_service: str
    receiving_org: str
    receiving_service: str
    value: Decimal
    weight_kg: Decimal
    co2e_kg: Decimal
    basis: str

    def to_json(self) -> dict:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        for name in ("value", "weight_kg", "co2e_kg"):
            data[name] = str(data[name])
        return data

    @classmethod
    def from_json(cls, data: dict) -> ReportItem:
        values = dict(data)
        values["at"] = datetime.fromisoformat(values["at"])
        for name in ("value", "weight_kg", "co2e_kg"):
            values[name] = Decimal(values[name])
        return cls(**values)


@dataclass(frozen=True)
class HalfYear:
    period: Period
    figures: ExchangeFigures
    report: WeightReport | None


def report_of(period: Period) -> WeightReport | None:
    """The validated report of this half-year, if there is one."""
    return db.session.execute(
        db.select(WeightReport).where(WeightReport.period == period.key)
    ).scalar_one_or_none()


def half_years() -> list[HalfYear]:
    """Every half-year from the first listing to today, newest first, with figures or report."""
    today = periods.paris_today()
    first = first_activity_year() or today.year
    halves = [
        periods.half_year(y, h)
        for y in range(first, today.year + 1)
        for h in (1, 2)
        if periods.half_year(y, h).start <= today
    ]
    totals = exchanges_by_period(halves)
    reports = {
        r.period: r
        for r in db.session.execute(
            db.select(WeightReport).options(selectinload(WeightReport.validated_by))
        )
        .scalars()
        .all()
    }
    return [
        HalfYear(period=p, figures=totals[p.key], report=reports.get(p.key))
        for p in reversed(halves)
    ]


def live_items(period: Period) -> list[ReportItem]:
    """The exchanges of the period with their current weight and CO2e shares, oldest first."""
    basis = sa.case(
        (Transfer.weight_corrected_at.is_not(None), "corrected"),
        (Listing.weight_kg.is_not(None), "declared"),
        else_="category",
    )
    rows = db.session.execute(
        exchanges_joined()
        .join(Category, Listing.category_id == Category.id)
        .add_columns(
            Transfer.id.label("transfer_id"),
            Transfer.at,
            Listing.id.label("listing_id"),
            Listing.title,
            Category.name.label("category"),
            Transfer.quantity,
            org_name(GivingOrg).label("giving_org"),
            GivingService.name.label("giving_service"),
            org_name(ReceivingOrg).label("receiving_org"),
            ReceivingService.name.label("receiving_service"),
            Transfer.value_share.label("value"),
            Transfer.weight_share_kg.label("weight_kg"),
            Transfer.co2e_share_kg.label("co2e_kg"),
            basis.label("basis"),
        )
        .where(in_period(Transfer.at, period))
        .order_by(Transfer.at, Transfer.id)
    ).all()
    return [ReportItem(**row._asdict()) for row in rows]


def frozen_items(report: WeightReport) -> list[ReportItem]:
    return [ReportItem.from_json(item) for item in (report.snapshot or {}).get("items", [])]


def frozen_categories(report: WeightReport) -> list[dict]:
    return list((report.snapshot or {}).get("categories", []))


def live_categories(period: Period) -> list[dict]:
    """The categories of the period's exchanges with their factors and sources."""
    used = (
        db.select(Listing.category_id)
        .join(Transfer, Transfer.listing_id == Listing.id)
        .where(in_period(Transfer.at, period))
    )
    categories = db.session.execute(
        db.select(Category).where(Category.id.in_(used)).order_by(Category.name)
    ).scalars()
    return [
        snapshot(c, ("name", "default_unit_weight_kg", "co2e_kg_per_unit", "source_note"))
        for c in categories
    ]


def correct_weight(
    period: Period,
    transfer: Transfer,
    weight_kg: Decimal,
    co2e_kg: Decimal | None,
    *,
    actor: User,
) -> None:
    """Replace an exchange's estimated weight (and CO2e) before the report is validated."""
    if report_of(period) is not None:
        raise ReportFrozen()
    before = snapshot(transfer, ("weight_share_kg", "co2e_share_kg", "weight_corrected_at"))
    transfer.weight_share_kg = weight_kg.quantize(GRAM, ROUND_HALF_UP)
    if co2e_kg is not None:
        transfer.co2e_share_kg = co2e_kg.quantize(GRAM, ROUND_HALF_UP)
    transfer.weight_corrected_at = utcnow()
    after = snapshot(transfer, ("weight_share_kg", "co2e_share_kg", "weight_corrected_at"))
    record("transfer.weight_corrected", transfer, before=before, after=after, actor=actor)


def validate_report(period: Period, *, actor: User) -> WeightReport:
    """Freeze the half-year's report: its items, totals and category factors as they are now."""
    if not period.has_ended():
        raise ReportRefused(
            _l(
                "Le semestre n'est pas terminé : vous pourrez valider son bilan "
                "à partir du %(day)s.",
                day=period.end.strftime("%d/%m/%Y"),
            )
        )
    if report_of(period) is not None:
        raise ReportFrozen()
    totals = exchange_totals(period)
    items = live_items(period)
    report = WeightReport(
        period=period.key,
        period_start=period.start,
        period_end=period.last_day,
        item_count=totals.exchanges,
        total_value=totals.value,
        total_weight_kg=totals.weight_kg,
        total_co2e_kg=totals.co2e_kg,
        snapshot={
            "items": [item.to_json() for item in items],
            "categories": live_categories(period),
            "totals": {
                "exchanges": totals.exchanges,
                "quantity": totals.quantity,
                "value": str(totals.value),
                "weight_kg": str(totals.weight_kg),
                "co2e_kg": str(totals.co2e_kg),
            },
        },
        validated_by_id=actor.id,
        validated_at=utcnow(),
    )
    db.session.add(report)
    db.session.flush()
    record(
        "weight_report.validated",
        report,
        after=snapshot(
            report,
            ("period", "item_count", "total_value", "total_weight_kg", "total_co2e_kg"),
        ),
        actor=actor,
    )
    return report


def frozen_totals(report: WeightReport) -> ExchangeFigures:
    quantity = int((report.snapshot or {}).get("totals", {}).get("quantity", 0))
    return ExchangeFigures(
        exchanges=report.item_count,
        quantity=quantity,
        value=report.total_value,
        weight_kg=report.total_weight_kg,
        co2e_kg=report.total_co2e_kg,
    )
