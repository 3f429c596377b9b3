"""The six-monthly report: items with their estimate, corrections, validation, the frozen copy."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.models import AuditEvent, Category, Listing, Transfer, WeightReport
from tests.conftest import count_rows
from tests.ledger import build_ledger, record_exchange, utc

D = Decimal
S1 = "/statistiques/bilans/2025-S1"


@pytest.fixture
def ledger(app, make):
    return build_ledger(app, make)


@pytest.fixture
def moderator_client(client, login, ledger):
    login(ledger.moderator)
    return client


def report_csv(client, key="2025-S1"):
    body = client.get(f"/statistiques/bilans/{key}/export.csv").get_data().decode("utf-8")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))


def weight_of(app, transfer_id):
    with app.app_context():
        return db.session.get(Transfer, transfer_id).weight_share_kg


def correct(client, ledger, name, weight, co2e=""):
    transfer_id = ledger.transfers[name]
    return client.post(
        f"{S1}/echanges/{transfer_id}/poids",
        data={f"t{transfer_id}-weight_kg": weight, f"t{transfer_id}-co2e_kg": co2e},
    )


def test_draft_report_lists_the_half_years_exchanges_with_their_estimate(moderator_client, ledger):
    html = moderator_client.get(S1).get_data(as_text=True)
    assert "Brouillon" in html
    for name in ("T1", "T4", "T7"):
        assert f'data-transfer="{ledger.transfers[name]}"' in html
    for name in ("T2", "T3", "T5", "T6"):  # second half-year, T2 included (1 July in Paris)
        assert f'data-transfer="{ledger.transfers[name]}"' not in html
    assert 'data-figure="value">103,33\u00a0€<' in html
    assert 'data-figure="weight">82\u00a0kg<' in html
    assert "poids indiqué par le déposant" in html  # T4: the tables' declared weight
    assert "poids par défaut de la catégorie × quantité" in html


def test_report_csv_has_each_item_and_a_totals_line(moderator_client, ledger):
    rows = report_csv(moderator_client)
    header, items, total = rows[0], rows[1:-1], rows[-1]
    assert header[-4:] == ["Valeur (€)", "Poids (kg)", "CO2e évité (kg)", "Base de l'estimation"]
    assert [(r[2], r[4], r[9], r[10], r[11]) for r in items] == [
        ("Annonce L1", "5", "60,00", "48,000", "125,000"),
        ("Annonce L2", "1", "33,33", "30,000", "96,000"),
        ("Annonce L3", "4", "10,00", "4,000", "2,040"),
    ]
    assert total[2] == "Total : 3 échanges"
    assert total[9:12] == ["103,33", "82,000", "223,040"]


def test_report_xlsx_matches_the_csv(moderator_client):
    rows = report_csv(moderator_client)
    response = moderator_client.get(f"{S1}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == len(rows)
    assert Decimal(str(values[-1][9])) == D("103.33")
    assert Decimal(str(values[-1][10])) == D("82")


def test_moderator_corrects_an_items_weight_and_it_is_journaled(app, moderator_client, ledger):
    response = correct(moderator_client, ledger, "T7", "5,5", "2,805")
    assert response.status_code == 302
    assert weight_of(app, ledger.transfers["T7"]) == D("5.500")
    with app.app_context():
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "transfer.weight_corrected")
        ).scalar_one()
        assert (event.object_id, event.actor_id) == (ledger.transfers["T7"], ledger.moderator.id)
        assert event.before["weight_share_kg"] == "4.000"
        assert event.after["weight_share_kg"] == "5.500"
        assert event.after["co2e_share_kg"] == "2.805"
    html = moderator_client.get(S1).get_data(as_text=True)
    assert 'data-figure="weight">83,5\u00a0kg<' in html
    assert "corrigé par un modérateur" in html


def test_a_correction_shows_the_same_figure_on_the_dashboard_report_and_export(
    moderator_client, ledger
):
    correct(moderator_client, ledger, "T7", "5.5")
    dashboard = moderator_client.get("/statistiques/?periode=half&semestre=2025-S1")
    assert 'data-figure="weight">83,5\u00a0kg<' in dashboard.get_data(as_text=True)
    assert report_csv(moderator_client)[-1][10] == "83,500"
    exchanges = moderator_client.get(
        "/statistiques/export/echanges.csv?periode=half&semestre=2025-S1"
    ).get_data(as_text=True)
    assert "5,500" in exchanges


@pytest.mark.parametrize(
    ("weight", "message"),
    [("", "Indiquez le poids"), ("-3", "poids positif"), ("beaucoup", "")],
)
def test_an_invalid_correction_is_refused_next_to_the_field(
    app, moderator_client, ledger, weight, message
):
    response = correct(moderator_client, ledger, "T7", weight)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    transfer_id = ledger.transfers["T7"]
    assert f'id="t{transfer_id}-weight_kg-error"' in html
    assert message in html
    assert f'value="{weight}"' in html or weight == ""
    assert weight_of(app, transfer_id) == D("4.000")


def test_a_correction_through_another_half_year_is_not_found(app, moderator_client, ledger):
    transfer_id = ledger.transfers["T2"]  # 1 July in Paris: second half-year
    response = moderator_client.post(
        f"{S1}/echanges/{transfer_id}/poids", data={f"t{transfer_id}-weight_kg": "1"}
    )
    assert response.status_code == 404
    assert weight_of(app, transfer_id) == D("67.200")


def test_validating_freezes_the_report_with_who_and_when(app, moderator_client, ledger):
    correct(moderator_client, ledger, "T7", "5.5")
    response = moderator_client.post(f"{S1}/valider")
    assert response.status_code == 302
    with app.app_context():
        report = db.session.execute(sa.select(WeightReport)).scalar_one()
        assert (report.period, str(report.period_start), str(report.period_end)) == (
            "2025-S1",
            "2025-01-01",
            "2025-06-30",
        )
        assert (report.item_count, report.total_value) == (3, D("103.33"))
        assert (report.total_weight_kg, report.total_co2e_kg) == (D("83.500"), D("223.040"))
        assert report.validated_by_id == ledger.moderator.id
        assert report.validated_at is not None
        assert len(report.snapshot["items"]) == 3
        assert (
            db.session.execute(
                sa.select(AuditEvent.action).where(AuditEvent.object_type == "weight_report")
            ).scalar_one()
            == "weight_report.validated"
        )
    html = moderator_client.get(S1).get_data(as_text=True)
    assert "Bilan validé le" in html
    assert "/poids" not in html  # no more correction forms
    index = moderator_client.get("/statistiques/bilans").get_data(as_text=True)
    row = index[index.index('data-period="2025-S1"') :]
    assert "Validé" in row[: row.index("</tr>")]


def test_a_validated_report_refuses_corrections_and_a_second_validation(
    app, moderator_client, ledger
):
    moderator_client.post(f"{S1}/valider")
    refused = correct(moderator_client, ledger, "T7", "9")
    assert refused.status_code in (302, 303)
    assert weight_of(app, ledger.transfers["T7"]) == D("4.000")
    follow = moderator_client.get(S1).get_data(as_text=True)
    assert "Ce bilan est validé" in follow
    moderator_client.post(f"{S1}/valider")
    assert count_rows(app, WeightReport) == 1


def test_a_half_year_not_over_cannot_be_validated(app, moderator_client):
    from app.stats.periods import half_year_of, paris_today

    current = half_year_of(paris_today()).key
    page = moderator_client.get(f"/statistiques/bilans/{current}").get_data(as_text=True)
    assert "vous pourrez valider son bilan ensuite" in page
    moderator_client.post(f"/statistiques/bilans/{current}/valider")
    assert count_rows(app, WeightReport) == 0


def test_later_changes_to_categories_and_listings_do_not_alter_a_frozen_report(
    app, make, moderator_client, ledger
):
    moderator_client.post(f"{S1}/valider")
    before_csv = report_csv(moderator_client)
    before_xlsx = list(
        load_workbook(
            io.BytesIO(moderator_client.get(f"{S1}/export.xlsx").get_data())
        ).active.iter_rows(values_only=True)
    )
    with app.app_context():
        fournitures = db.session.get(Category, ledger.categories["fournitures"].id)
        fournitures.default_unit_weight_kg = D("2")
        fournitures.co2e_kg_per_unit = D("1.02")
        db.session.get(Category, ledger.categories["chaises"].id).name = "Sièges"
        db.session.get(Listing, ledger.listings["L1"]).title = "Titre changé"
        db.session.commit()

    assert report_csv(moderator_client) == before_csv
    after_xlsx = list(
        load_workbook(
            io.BytesIO(moderator_client.get(f"{S1}/export.xlsx").get_data())
        ).active.iter_rows(values_only=True)
    )
    assert after_xlsx == before_xlsx
    html = moderator_client.get(S1).get_data(as_text=True)
    assert "Annonce L1" in html and "Titre changé" not in html
    assert "Chaises" in html and "Sièges" not in html
    assert 'data-figure="weight">82\u00a0kg<' in html

    # A new exchange of office supplies now weighs 2 kg per unit.
    new = make.listing(
        poster=ledger.karim,
        category_id=ledger.categories["fournitures"].id,
        quantity=3,
        created_at=utc(2025, 9, 20, 9),
    ).id
    transfer_id = record_exchange(
        app, new, ledger.services["sports"].id, 3, utc(2025, 10, 1, 9), actor_id=ledger.karim.id
    )
    assert weight_of(app, transfer_id) == D("6.000")


def test_reports_index_lists_every_half_year_since_the_first_listing(moderator_client):
    html = moderator_client.get("/statistiques/bilans").get_data(as_text=True)
    assert 'data-period="2025-S1"' in html and 'data-period="2025-S2"' in html
    assert 'data-period="2024-S2"' not in html
    row = html[html.index('data-period="2025-S2"') :]
    row = row[: row.index("</tr>")]
    assert "246,67\u00a0€" in row and "204\u00a0kg" in row and "À valider" in row


def test_report_page_is_printable(moderator_client):
    html = moderator_client.get(S1).get_data(as_text=True)
    assert 'class="print-only"' in html
    assert 'class="no-print"' in html or 'no-print"' in html
    response = moderator_client.get("/static/css/app.css")
    assert "@media print" in response.get_data(as_text=True)
    response.close()


@pytest.mark.parametrize("key", ["2025-S3", "1999-S1", "bilan"])
def test_an_unknown_half_year_is_not_found(moderator_client, key):
    assert moderator_client.get(f"/statistiques/bilans/{key}").status_code == 404
