"""The dashboard: every figure against the hand-worked ledger of tests/ledger.py."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Transfer
from app.stats import periods, queries
from app.stats.views import dashboard_figures
from tests.ledger import build_ledger, record_exchange

S1 = periods.half_year(2025, 1)
S2 = periods.half_year(2025, 2)
YEAR = periods.year(2025)
D = Decimal


@pytest.fixture
def ledger(app, make):
    return build_ledger(app, make)


def figures(app, period):
    with app.test_request_context():
        return dashboard_figures(period)


def totals_tuple(totals):
    return (totals.exchanges, totals.quantity, totals.value, totals.weight_kg, totals.co2e_kg)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (S1, (3, 10, D("103.33"), D("82.000"), D("223.040"))),
        (S2, (4, 17, D("246.67"), D("204.000"), D("567.000"))),
        (YEAR, (7, 27, D("350.00"), D("286.000"), D("790.040"))),
        (periods.month(2025, 6), (3, 10, D("103.33"), D("82.000"), D("223.040"))),
        # T2 was recorded on 30 June at 22:30 UTC: 1 July in Paris.
        (periods.month(2025, 7), (2, 15, D("180.00"), D("144.000"), D("375.000"))),
        (
            periods.custom(date(2025, 7, 1), date(2025, 7, 1)),
            (1, 7, D("84.00"), D("67.200"), D("175.000")),
        ),
        (
            periods.custom(date(2025, 6, 1), date(2025, 6, 30)),
            (3, 10, D("103.33"), D("82.000"), D("223.040")),
        ),
        (periods.year(2024), (0, 0, D("0.00"), D("0.000"), D("0.000"))),
    ],
    ids=["S1", "S2", "year", "june", "july", "custom-1-july", "custom-june", "empty-year"],
)
def test_exchange_totals_match_the_hand_worked_ledger(app, ledger, period, expected):
    assert totals_tuple(figures(app, period)["totals"]) == expected


def test_money_figures_are_decimal_to_the_cent(app, ledger):
    totals = figures(app, YEAR)["totals"]
    assert isinstance(totals.value, Decimal)
    assert totals.value.as_tuple().exponent == -2


def test_half_years_add_up_to_the_year(app, ledger):
    s1, s2, year = (figures(app, p)["totals"] for p in (S1, S2, YEAR))
    assert s1.value + s2.value == year.value
    assert s1.weight_kg + s2.weight_kg == year.weight_kg
    assert s1.exchanges + s2.exchanges == year.exchanges


@pytest.mark.parametrize(
    ("period", "expected", "posted"),
    [
        (
            S1,
            {
                "exchanged": (2, 23, D("340.00")),
                "discarded": (1, 10, D("25.00")),
                "unavailable": (0, 0, D("0.00")),
                "open": (1, 5, D("5.00")),
                "rejected": (1, 1, D("12.00")),
            },
            5,
        ),
        (
            S2,
            {
                "exchanged": (0, 0, D("0.00")),
                "discarded": (0, 0, D("0.00")),
                "unavailable": (1, 2, D("30.00")),
                "open": (1, 1, D("50.00")),
                "rejected": (0, 0, D("0.00")),
            },
            2,
        ),
    ],
    ids=["S1", "S2"],
)
def test_outcome_split_counts_the_listings_posted_by_what_became_of_them(
    app, ledger, period, expected, posted
):
    result = figures(app, period)
    got = {line.outcome: (line.listings, line.quantity, line.value) for line in result["split"]}
    assert got == expected
    assert result["listings_posted"] == posted


def test_flows_between_organisations_are_shown_as_such(app, ledger):
    flows = {
        line.label: (line.figures.exchanges, line.figures.value, line.figures.weight_kg)
        for line in figures(app, YEAR)["flows"]
    }
    assert flows == {
        "Agglo → Agglo": (1, D("84.00"), D("67.200")),
        "Agglo → Ville": (3, D("166.00"), D("128.800")),
        "Ville → Agglo": (2, D("66.66"), D("60.000")),
        "Ville → Ville": (1, D("33.34"), D("30.000")),
    }


@pytest.mark.parametrize(
    ("side", "expected"),
    [
        (
            "giving",
            {("Communication", "Agglo"): (4, D("250.00")), ("Écoles", "Ville"): (3, D("100.00"))},
        ),
        (
            "receiving",
            {
                ("Sports", "Ville"): (2, D("129.34")),
                ("Logistique", "Agglo"): (1, D("84.00")),
                ("Écoles", "Ville"): (2, D("70.00")),
                ("Communication", "Agglo"): (2, D("66.66")),
            },
        ),
    ],
)
def test_breakdown_by_giving_and_receiving_service(app, ledger, side, expected):
    lines = figures(app, YEAR)[side]
    got = {
        (line.label, line.organisation): (line.figures.exchanges, line.figures.value)
        for line in lines
    }
    assert got == expected
    values = [line.figures.value for line in lines]
    assert values == sorted(values, reverse=True)  # largest first


def test_breakdown_by_category(app, ledger):
    got = {
        line.label: (
            line.figures.quantity,
            line.figures.value,
            line.figures.weight_kg,
            line.figures.co2e_kg,
        )
        for line in figures(app, YEAR)["categories"]
    }
    assert got == {
        "Chaises": (20, D("240.00"), D("192.000"), D("500.000")),
        "Tables": (3, D("100.00"), D("90.000"), D("288.000")),
        "Fournitures": (4, D("10.00"), D("4.000"), D("2.040")),
    }


def test_trend_gives_each_month_of_the_year(app, ledger):
    trend = figures(app, YEAR)["trend"]
    assert [p.period.key for p in trend] == [f"2025-{m:02d}" for m in range(1, 13)]
    by_month = {p.period.key: (p.figures.value, p.listings_posted) for p in trend}
    assert by_month["2025-02"] == (D("0.00"), 1)
    assert by_month["2025-05"] == (D("0.00"), 1)
    assert by_month["2025-06"] == (D("103.33"), 3)
    assert by_month["2025-07"] == (D("180.00"), 1)
    assert by_month["2025-08"] == (D("33.33"), 1)
    assert by_month["2025-09"] == (D("33.34"), 0)
    assert sum(p.figures.value for p in trend) == D("350.00")


def test_trend_of_a_single_month_shows_the_twelve_months_up_to_it(app, ledger):
    trend = figures(app, periods.month(2025, 7))["trend"]
    assert [p.period.key for p in trend][0] == "2024-08"
    assert [p.period.key for p in trend][-1] == "2025-07"
    assert len(trend) == 12


def test_custom_range_cuts_its_first_and_last_month(app, ledger):
    period = periods.custom(date(2025, 6, 20), date(2025, 7, 5))
    trend = figures(app, period)["trend"]
    assert [(p.period.start, p.period.end) for p in trend] == [
        (date(2025, 6, 20), date(2025, 7, 1)),
        (date(2025, 7, 1), date(2025, 7, 6)),
    ]
    assert [p.figures.value for p in trend] == [D("43.33"), D("84.00")]


def _figure(html, name):
    found = re.search(rf'data-figure="{name}">([^<]+)<', html)
    return found.group(1).replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    ("query", "value", "weight", "exchanges", "listings"),
    [
        ("periode=half&semestre=2025-S1", "103,33 €", "82 kg", "3", "5"),
        ("periode=half&semestre=2025-S2", "246,67 €", "204 kg", "4", "2"),
        ("periode=year&annee=2025", "350,00 €", "286 kg", "7", "7"),
        ("periode=month&mois=2025-07", "180,00 €", "144 kg", "2", "1"),
        ("periode=custom&du=2025-07-01&au=2025-07-01", "84,00 €", "67,2 kg", "1", "0"),
    ],
)
def test_dashboard_page_shows_the_figures_in_french(
    client, login, ledger, query, value, weight, exchanges, listings
):
    login(ledger.moderator)
    html = client.get(f"/statistiques/?{query}").get_data(as_text=True)
    assert _figure(html, "value") == value
    assert _figure(html, "weight") == weight
    assert _figure(html, "exchanges") == exchanges
    assert _figure(html, "listings") == listings


def test_dashboard_lists_the_receiving_service_and_the_flows(client, login, ledger):
    login(ledger.moderator)
    html = client.get("/statistiques/?periode=year&annee=2025").get_data(as_text=True)
    receiving = html[html.index('id="by-receiving"') :]
    assert "Logistique" in receiving[: receiving.index("</table>")]
    flows = html[html.index('id="flows"') :]
    assert "Agglo → Ville" in flows and "entre collectivités" in flows


def test_dashboard_charts_are_svg_with_a_title_and_a_data_table(client, login, ledger):
    login(ledger.moderator)
    html = client.get("/statistiques/?periode=year&annee=2025").get_data(as_text=True)
    assert html.count('<svg class="chart"') == 3
    assert html.count('role="img"') == 3
    for chart_id in ("chart-split", "chart-trend", "chart-categories"):
        assert f'<title id="{chart_id}-title">' in html
    assert "style=" not in html


def test_dashboard_answers_htmx_with_the_partial_only(client, login, ledger):
    login(ledger.moderator)
    response = client.get("/statistiques/?periode=year&annee=2025", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="dashboard">')
    assert "<html" not in html
    assert "HX-Request" in response.headers.get("Vary", "")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("periode=custom&du=2025-07-01&au=2025-06-01", "au", "La date de fin doit suivre"),
        ("periode=month&mois=2025-13", "mois", "AAAA-MM"),
        ("periode=half&semestre=2025-S3", "semestre", "Choisissez un semestre"),
        ("periode=week", "periode", "Choisissez un type de période"),
        ("periode=year&annee=1700", "annee", "entre 2000 et 2999"),
    ],
)
def test_a_wrong_period_is_refused_next_to_its_field_keeping_what_was_typed(
    client, login, ledger, query, field, message
):
    login(ledger.moderator)
    response = client.get(f"/statistiques/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html
    assert message in html
    htmx = client.get(f"/statistiques/?{query}", headers={"HX-Request": "true"})
    assert htmx.status_code == 200


def test_agents_get_403_and_see_no_statistics_link(client, login, ledger):
    login(ledger.claire)
    page = client.get("/annonces/").get_data(as_text=True)
    assert "/statistiques/" not in page
    assert client.get("/statistiques/").status_code == 403


def test_moderators_see_the_statistics_link(client, login, ledger):
    login(ledger.moderator)
    page = client.get("/annonces/").get_data(as_text=True)
    assert 'href="/statistiques/"' in page


def _count_queries(app, client, url):
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_dashboard_runs_a_fixed_number_of_queries_whatever_the_rows(
    app, client, login, make, ledger
):
    login(ledger.moderator)
    url = "/statistiques/?periode=year&annee=2025"
    before = _count_queries(app, client, url)
    for index in range(5):
        listing = make.listing(
            poster=ledger.karim,
            category_id=ledger.categories["tables"].id,
            created_at=periods.paris_midnight(date(2025, 3, 1 + index)),
        ).id
        record_exchange(
            app,
            listing,
            ledger.services["sports"].id,
            1,
            periods.paris_midnight(date(2025, 3, 1 + index)),
            actor_id=ledger.karim.id,
        )
    assert _count_queries(app, client, url) == before


def test_month_bucket_is_paris_local_time_on_every_database(app, ledger):
    months = periods.months_of(YEAR)
    with app.app_context():
        bucket = queries.period_bucket(Transfer.at, months)
        rows = dict(
            db.session.execute(
                sa.select(Transfer.id, bucket).where(queries.in_period(Transfer.at, YEAR))
            )
            .tuples()
            .all()
        )
    assert rows[ledger.transfers["T2"]] == "2025-07"
    assert rows[ledger.transfers["T7"]] == "2025-06"


def test_cached_dashboard_follows_a_new_exchange_and_a_weight_correction(
    app, client, login, ledger, make
):
    from datetime import UTC, datetime

    login(ledger.moderator)
    url = "/statistiques/?periode=year&annee=2025"
    assert _figure(client.get(url).get_data(as_text=True), "value") == "350,00 €"
    assert _figure(client.get(url).get_data(as_text=True), "value") == "350,00 €"  # cached
    with app.app_context():
        transfer = db.session.execute(sa.select(Transfer).order_by(Transfer.id)).scalars().first()
        transfer.weight_share_kg += 100
        db.session.commit()
    assert _figure(client.get(url).get_data(as_text=True), "weight") == "386 kg"
    listing = make.listing(poster=ledger.moderator, estimated_value=Decimal("10.00"))
    record_exchange(
        app,
        listing.id,
        ledger.moderator.service_id,
        1,
        datetime(2025, 9, 1, tzinfo=UTC),
        actor_id=ledger.moderator.id,
    )
    assert _figure(client.get(url).get_data(as_text=True), "value") == "360,00 €"
