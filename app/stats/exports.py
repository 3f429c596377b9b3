"""CSV (for a French Excel) and XLSX files of the exchanges, the listings and the reports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import Response
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..closure.rules import DESTINATION_LABELS
from ..extensions import db
from ..models import Category, Listing, Organisation, Service, Site, Transfer, User
from .periods import PARIS, Period
from .queries import (
    GivingOrg,
    GivingService,
    ReceivingOrg,
    ReceivingService,
    exchanges_joined,
    in_period,
    listing_co2e_kg,
    listing_weight_kg,
    money_sum,
    org_name,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STATUS_LABELS = {
    "pending": _l("En attente de modération"),
    "published": _l("En ligne"),
    "reserved": _l("Réservée"),
    "rejected": _l("Refusée"),
    "closed": _l("Clôturée"),
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    title: object  # a lazy French string
    kind: str = "text"  # text, int, money, kg, date, datetime


def guard(text: str) -> str:
    """A cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _paris(moment: datetime) -> datetime:
    return moment.astimezone(PARIS).replace(tzinfo=None)


def csv_cell(value, kind: str) -> str:
    """A value as a French spreadsheet reads it: decimal comma, day/month/year."""
    if value is None:
        return ""
    if kind == "money":
        return f"{Decimal(value).quantize(Decimal('0.01'))}".replace(".", ",")
    if kind == "kg":
        return f"{Decimal(value).quantize(Decimal('0.001'))}".replace(".", ",")
    if kind == "int":
        return str(int(value))
    if kind == "datetime":
        return _paris(value).strftime("%d/%m/%Y %H:%M")
    if kind == "date":
        return value.strftime("%d/%m/%Y")
    return guard(str(value))


def csv_response(filename: str, columns: Sequence[Column], rows: Iterable[Sequence]) -> Response:
    """UTF-8 with a byte order mark and ';' between cells, so that Excel opens it as is."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([guard(str(c.title)) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(v, c.kind) for v, c in zip(row, columns, strict=True)])
    response = Response(buffer.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


NUMBER_FORMATS = {"money": "#,##0.00", "kg": "#,##0.000", "date": "DD/MM/YYYY"}
NUMBER_FORMATS["datetime"] = "DD/MM/YYYY HH:MM"


def xlsx_cell(value, kind: str):
    if value is None:
        return None
    if kind in ("money", "kg"):
        return Decimal(value)
    if kind == "int":
        return int(value)
    if kind == "datetime":
        return _paris(value)
    if kind == "date":
        return value if isinstance(value, date) else None
    return guard(str(value))


def xlsx_response(
    filename: str, sheet_title: str, columns: Sequence[Column], rows: Iterable[Sequence]
) -> Response:
    """One sheet, a bold header, numbers as numbers with French-friendly formats."""
    # Imported here: openpyxl adds about 8 MB to every worker that never exports.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)  # streams rows: thousands of lines stay quick
    sheet = workbook.create_sheet(sheet_title[:31])
    for index, column in enumerate(columns, start=1):
        width = max(12, min(40, len(str(column.title)) + 4))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_styled(sheet, str(c.title), font=bold) for c in columns])
    formats = [NUMBER_FORMATS.get(c.kind) for c in columns]
    for row in rows:
        sheet.append(
            [
                _styled(sheet, xlsx_cell(v, c.kind), number_format=f)
                for v, c, f in zip(row, columns, formats, strict=True)
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = Response(buffer.getvalue(), mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _styled(sheet, value, *, font=None, number_format=None):
    from openpyxl.cell import WriteOnlyCell

    if font is None and (number_format is None or value is None):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell


def file_stem(name: str, period: Period) -> str:
    return f"reemploi-{name}-{period.key.replace('..', '_')}"


EXCHANGE_COLUMNS = (
    Column(_l("Date de l'échange"), "datetime"),
    Column(_l("N° d'annonce"), "int"),
    Column(_l("Annonce")),
    Column(_l("Catégorie")),
    Column(_l("Quantité"), "int"),
    Column(_l("Collectivité qui donne")),
    Column(_l("Service qui donne")),
    Column(_l("Collectivité qui reçoit")),
    Column(_l("Service qui reçoit")),
    Column(_l("Agent qui a récupéré")),
    Column(_l("Valeur (€)"), "money"),
    Column(_l("Poids (kg)"), "kg"),
    Column(_l("CO2e évité (kg)"), "kg"),
    Column(_l("Commentaire")),
)


def exchange_rows(period: Period) -> list[tuple]:
    """Every exchange of the period, oldest first, with who gave and who received."""
    receiver = sa.orm.aliased(User, name="receiver")
    return db.session.execute(
        exchanges_joined()
        .join(Category, Listing.category_id == Category.id)
        .outerjoin(receiver, Transfer.receiving_user_id == receiver.id)
        .add_columns(
            Transfer.at,
            Listing.id,
            Listing.title,
            Category.name,
            Transfer.quantity,
            org_name(GivingOrg),
            GivingService.name,
            org_name(ReceivingOrg),
            ReceivingService.name,
            sa.func.coalesce(sa.func.nullif(receiver.name, ""), receiver.email),
            Transfer.value_share,
            Transfer.weight_share_kg,
            Transfer.co2e_share_kg,
            Transfer.note,
        )
        .where(in_period(Transfer.at, period))
        .order_by(Transfer.at, Transfer.id)
    ).all()


LISTING_COLUMNS = (
    Column(_l("N° d'annonce"), "int"),
    Column(_l("Déposée le"), "datetime"),
    Column(_l("Titre")),
    Column(_l("Catégorie")),
    Column(_l("Collectivité")),
    Column(_l("Service déposant")),
    Column(_l("Site")),
    Column(_l("Quantité"), "int"),
    Column(_l("Quantité échangée"), "int"),
    Column(_l("Quantité restante"), "int"),
    Column(_l("Statut")),
    Column(_l("Motif de clôture")),
    Column(_l("Où est-il parti")),
    Column(_l("Clôturée le"), "datetime"),
    Column(_l("Valeur estimée (€)"), "money"),
    Column(_l("Valeur échangée (€)"), "money"),
    Column(_l("Poids estimé (kg)"), "kg"),
    Column(_l("CO2e estimé (kg)"), "kg"),
)
REASON_TEXT = {
    "exchanged": _l("Échangé"),
    "discarded": _l("Jeté"),
    "unavailable": _l("Plus disponible"),
}


def listing_rows(period: Period) -> list[tuple]:
    """Every listing posted in the period, with what was exchanged of it."""
    exchanged = (
        sa.select(
            Transfer.listing_id.label("listing_id"),
            sa.func.sum(Transfer.quantity).label("quantity"),
            money_sum(Transfer.value_share).label("value"),
        )
        .join(Listing, Transfer.listing_id == Listing.id)
        .where(in_period(Listing.created_at, period))
        .group_by(Transfer.listing_id)
        .subquery("exchanged")
    )
    rows = db.session.execute(
        sa.select(
            Listing.id,
            Listing.created_at,
            Listing.title,
            Category.name,
            org_name(Organisation),
            Service.name,
            Site.name,
            Listing.quantity,
            sa.func.coalesce(exchanged.c.quantity, 0),
            Listing.quantity_left,
            Listing.status,
            Listing.closure_reason,
            Listing.discard_destination,
            Listing.closed_at,
            Listing.estimated_value,
            sa.type_coerce(sa.func.coalesce(exchanged.c.value, 0), exchanged.c.value.type),
            listing_weight_kg(),
            listing_co2e_kg(),
        )
        .select_from(Listing)
        .join(Category, Listing.category_id == Category.id)
        .join(Service, Listing.poster_service_id == Service.id)
        .join(Organisation, Service.organisation_id == Organisation.id)
        .join(Site, Listing.site_id == Site.id)
        .outerjoin(exchanged, exchanged.c.listing_id == Listing.id)
        .where(in_period(Listing.created_at, period))
        .order_by(Listing.created_at, Listing.id)
    ).all()
    return [
        (
            *row[:10],
            str(STATUS_LABELS.get(row[10], row[10])),
            str(REASON_TEXT.get(row[11], "")),
            str(DESTINATION_LABELS.get(row[12], "")),
            *row[13:],
        )
        for row in rows
    ]


REPORT_COLUMNS = (
    Column(_l("Date de l'échange"), "datetime"),
    Column(_l("N° d'annonce"), "int"),
    Column(_l("Annonce")),
    Column(_l("Catégorie")),
    Column(_l("Quantité"), "int"),
    Column(_l("Collectivité qui donne")),
    Column(_l("Service qui donne")),
    Column(_l("Collectivité qui reçoit")),
    Column(_l("Service qui reçoit")),
    Column(_l("Valeur (€)"), "money"),
    Column(_l("Poids (kg)"), "kg"),
    Column(_l("CO2e évité (kg)"), "kg"),
    Column(_l("Base de l'estimation")),
)


def report_rows(items, totals, basis_labels) -> list[tuple]:
    """The report's lines, then its totals line."""
    lines = [
        (
            i.at,
            i.listing_id,
            i.title,
            i.category,
            i.quantity,
            i.giving_org,
            i.giving_service,
            i.receiving_org,
            i.receiving_service,
            i.value,
            i.weight_kg,
            i.co2e_kg,
            str(basis_labels.get(i.basis, i.basis)),
        )
        for i in items
    ]
    lines.append(
        (
            None,
            None,
            ngettext("Total : %(num)d échange", "Total : %(num)d échanges", totals.exchanges),
            None,
            totals.quantity,
            None,
            None,
            None,
            None,
            totals.value,
            totals.weight_kg,
            totals.co2e_kg,
            None,
        )
    )
    return lines
