"""Exports of the exchanges and listings: CSV for a French Excel, XLSX, the dashboard's filters."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.ledger import build_ledger, utc

D = Decimal
YEAR = "periode=year&annee=2025"


@pytest.fixture
def ledger(app, make):
    return build_ledger(app, make)


@pytest.fixture
def moderator_client(client, login, ledger):
    login(ledger.moderator)
    return client


def read_csv(response):
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # UTF-8 byte order mark, for Excel
    text = body.decode("utf-8")[1:]
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def french(value: str) -> Decimal:
    return Decimal(value.replace(",", "."))


def test_exchanges_csv_has_one_line_per_exchange_in_french_format(moderator_client):
    response = moderator_client.get(f"/statistiques/export/echanges.csv?{YEAR}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="reemploi-echanges-2025.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    header, lines = rows[0], rows[1:]
    assert header[:3] == ["Date de l'échange", "N° d'annonce", "Annonce"]
    assert len(lines) == 7
    by_title_and_date = {(line[2], line[0]): line for line in lines}
    # T2: 30 June 22:30 UTC, so 1 July 00:30 in Paris; 7 chairs, 84 €, 67.2 kg, 175 kg CO2e.
    t2 = by_title_and_date[("Annonce L1", "01/07/2025 00:30")]
    assert t2[4:9] == ["7", "Agglo", "Communication", "Agglo", "Logistique"]
    assert t2[10:13] == ["84,00", "67,200", "175,000"]
    t3 = next(line for line in lines if line[8] == "Sports" and line[2] == "Annonce L1")
    assert t3[9] == "Sophie"


def test_exchanges_csv_adds_up_to_the_dashboard_figures(moderator_client):
    lines = read_csv(moderator_client.get(f"/statistiques/export/echanges.csv?{YEAR}"))[1:]
    assert sum(french(line[10]) for line in lines) == D("350.00")
    assert sum(french(line[11]) for line in lines) == D("286.000")
    assert sum(french(line[12]) for line in lines) == D("790.040")
    page = moderator_client.get(f"/statistiques/?{YEAR}").get_data(as_text=True)
    assert 'data-figure="value">350,00\u00a0€<' in page


@pytest.mark.parametrize(
    ("query", "count", "total"),
    [
        ("periode=month&mois=2025-07", 2, D("180.00")),
        ("periode=half&semestre=2025-S1", 3, D("103.33")),
        ("periode=custom&du=2025-07-01&au=2025-07-01", 1, D("84.00")),
        ("periode=year&annee=2024", 0, D("0")),
    ],
)
def test_exchanges_export_follows_the_dashboard_period(moderator_client, query, count, total):
    lines = read_csv(moderator_client.get(f"/statistiques/export/echanges.csv?{query}"))[1:]
    assert len(lines) == count
    assert sum((french(line[10]) for line in lines), D("0")) == total


def test_listings_csv_has_every_listing_posted_in_the_period(moderator_client):
    rows = read_csv(
        moderator_client.get("/statistiques/export/annonces.csv?periode=half&semestre=2025-S1")
    )
    header, lines = rows[0], rows[1:]
    assert len(lines) == 5
    by_title = {line[2]: dict(zip(header, line, strict=True)) for line in lines}
    l1 = by_title["Annonce L1"]
    assert (l1["Statut"], l1["Motif de clôture"], l1["Quantité échangée"]) == (
        "Clôturée",
        "Échangé",
        "20",
    )
    assert (l1["Valeur estimée (€)"], l1["Valeur échangée (€)"]) == ("240,00", "240,00")
    assert l1["Poids estimé (kg)"] == "192,000"  # 20 × 9.6 kg, no weight given
    l3 = by_title["Annonce L3"]
    assert (l3["Motif de clôture"], l3["Où est-il parti"]) == ("Jeté", "Déchetterie")
    assert (l3["Quantité échangée"], l3["Quantité restante"], l3["Valeur échangée (€)"]) == (
        "4",
        "6",
        "10,00",
    )
    assert by_title["Annonce L2"]["Poids estimé (kg)"] == "90,000"  # declared by the poster
    assert by_title["Annonce L6"]["Statut"] == "En attente de modération"
    assert by_title["Annonce L7"]["Statut"] == "Refusée"


@pytest.mark.parametrize("kind", ["echanges", "annonces"])
def test_xlsx_export_has_the_same_lines_with_numbers_as_numbers(moderator_client, kind):
    csv_rows = read_csv(moderator_client.get(f"/statistiques/export/{kind}.csv?{YEAR}"))
    response = moderator_client.get(f"/statistiques/export/{kind}.xlsx?{YEAR}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == csv_rows[0]
    assert len(rows) == len(csv_rows)
    if kind == "echanges":
        assert sum(Decimal(str(r[10])) for r in rows[1:]) == D("350.00")
        assert isinstance(rows[1][0], datetime)
        assert isinstance(rows[1][4], int)


def _listing_titled(app, make, ledger, title):
    return make.listing(
        poster=ledger.claire,
        title=title,
        category_id=ledger.categories["tables"].id,
        created_at=utc(2025, 3, 3, 9),
    )


@pytest.mark.parametrize(
    "title",
    ['=HYPERLINK("http://evil.example")', "+33 6 00", "-2+3", "@SUM(A1)", "\tTab"],
)
def test_a_cell_that_would_be_a_formula_gets_a_leading_apostrophe(
    app, make, ledger, moderator_client, title
):
    _listing_titled(app, make, ledger, title)
    lines = read_csv(moderator_client.get(f"/statistiques/export/annonces.csv?{YEAR}"))[1:]
    titles = [line[2] for line in lines]
    assert "'" + title in titles
    sheet = load_workbook(
        io.BytesIO(moderator_client.get(f"/statistiques/export/annonces.xlsx?{YEAR}").get_data())
    ).active
    cells = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'" + title in cells
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_an_invalid_period_gives_400_for_an_export(moderator_client):
    response = moderator_client.get("/statistiques/export/echanges.csv?periode=month&mois=x")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/statistiques/",
        "/statistiques/export/echanges.csv",
        "/statistiques/export/echanges.xlsx",
        "/statistiques/export/annonces.csv",
        "/statistiques/export/annonces.xlsx",
        "/statistiques/bilans",
        "/statistiques/bilans/2025-S1",
        "/statistiques/bilans/2025-S1/export.csv",
        "/statistiques/bilans/2025-S1/export.xlsx",
    ],
)
def test_agents_never_see_totals_reports_or_exports(client, login, ledger, path):
    login(ledger.claire)
    response = client.get(path)
    assert response.status_code == 403
    assert "350" not in response.get_data(as_text=True)
