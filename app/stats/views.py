"""Routes of the statistics: dashboard, exports and six-monthly reports, for moderators only."""

from __future__ import annotations

from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..cache import cached_fragment
from ..extensions import db
from ..forms import EmptyForm
from ..i18n import format_euros
from ..models import Transfer
from . import charts, exports, queries, reports
from .forms import PeriodForm, WeightCorrectionForm
from .periods import Period, parse_half_year, trend_months

bp = Blueprint("stats", __name__, url_prefix="/statistiques")
FORMATS = "any(csv, xlsx)"
OUTCOME_LABELS = {
    "exchanged": _l("Échangées"),
    "discarded": _l("Jetées"),
    "unavailable": _l("Plus disponibles"),
    "open": _l("Encore ouvertes"),
    "rejected": _l("Refusées par la modération"),
}


@bp.before_request
def moderators_only():
    """Totals in € and kg are for moderators: others get 403, anonymous users sign in."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.is_moderator:
        abort(403)
    return None


@bp.app_template_filter("kg_precise")
def kg_precise(value) -> str:
    """Kilograms with up to three decimals (weights of one object, category factors)."""
    if value is None or value == "":
        return ""
    return format_decimal(Decimal(value), format="#,##0.###") + "\u00a0kg"


def _period_form() -> PeriodForm:
    return PeriodForm(formdata=request.args, first_year=queries.first_activity_year())


@bp.route("/")
def dashboard():
    """€ saved, exchanges, outcomes, kg avoided and their breakdowns, for a chosen period."""
    g.varies_on_htmx = True
    form = _period_form()
    htmx = bool(request.headers.get("HX-Request"))
    template = "stats/partials/_dashboard.html" if htmx else "stats/dashboard.html"
    if not form.validate():
        status = 200 if htmx else 422
        return render_template(template, form=form, figures=None), status
    html = cached_fragment(
        "dashboard",
        lambda: render_template(
            "stats/partials/_dashboard.html",
            form=form,
            figures=dashboard_figures(form.period()),
            outcome_labels=OUTCOME_LABELS,
        ),
    )
    if htmx:
        return html
    return render_template("stats/dashboard.html", dashboard=html)


def dashboard_figures(period: Period) -> dict:
    """Every figure of the dashboard for the period (a fixed number of queries)."""
    months = trend_months(period)
    # The trend's months tile the period (a single month's trend shows the eleven before it
    # too): its totals and outcomes are those months' figures added up, without another scan.
    exchanges = queries.exchanges_by_period(months)
    outcomes = queries.outcomes_by_month(months)
    inside = [m.key for m in months if period.start <= m.start and m.end <= period.end]
    split = queries.outcome_split([outcomes[key] for key in inside])
    categories = queries.by_category(period)
    trend = [
        queries.TrendPoint(
            period=m,
            figures=exchanges[m.key],
            listings_posted=sum(line.listings for line in outcomes[m.key].values()),
        )
        for m in months
    ]
    return {
        "period": period,
        "totals": queries.add_exchanges([exchanges[key] for key in inside]),
        "listings_posted": queries.listings_posted(split),
        "split": split,
        "split_chart": charts.rows(
            [
                (str(OUTCOME_LABELS[line.outcome]), Decimal(line.listings), str(line.listings))
                for line in split
            ]
        ),
        "flows": queries.flows_between_organisations(period),
        "giving": queries.by_service(period, "giving"),
        "receiving": queries.by_service(period, "receiving"),
        "categories": categories,
        "category_chart": charts.rows(
            [(c.label, c.figures.value, format_euros(c.figures.value)) for c in categories]
        ),
        "trend": trend,
        "trend_chart": charts.columns(
            [
                (
                    format_date(p.period.start, "MMM"),
                    str(p.period.start.year) if i == 0 or p.period.start.month == 1 else "",
                    p.figures.value,
                    format_euros(p.figures.value),
                )
                for i, p in enumerate(trend)
            ]
        ),
    }


def _export_period() -> Period:
    form = _period_form()
    if not form.validate():
        abort(400)
    return form.period()


@bp.route(f"/export/echanges.<{FORMATS}:fmt>")
def export_exchanges(fmt):
    """Every exchange of the chosen period, as CSV or XLSX."""
    period = _export_period()
    rows = exports.exchange_rows(period)
    stem = exports.file_stem("echanges", period)
    if fmt == "csv":
        return exports.csv_response(stem, exports.EXCHANGE_COLUMNS, rows)
    return exports.xlsx_response(stem, _("Échanges"), exports.EXCHANGE_COLUMNS, rows)


@bp.route(f"/export/annonces.<{FORMATS}:fmt>")
def export_listings(fmt):
    """Every listing posted in the chosen period, as CSV or XLSX."""
    period = _export_period()
    rows = exports.listing_rows(period)
    stem = exports.file_stem("annonces", period)
    if fmt == "csv":
        return exports.csv_response(stem, exports.LISTING_COLUMNS, rows)
    return exports.xlsx_response(stem, _("Annonces"), exports.LISTING_COLUMNS, rows)


@bp.route("/bilans")
def reports_index():
    """Every half-year with its figures, validated or still to validate."""
    return render_template("stats/reports.html", half_years=reports.half_years())


def _half_year_or_404(key: str) -> Period:
    period = parse_half_year(key)
    if period is None:
        abort(404)
    return period


def _report_context(period: Period) -> dict:
    report = reports.report_of(period)
    if report is not None:
        return {
            "period": period,
            "report": report,
            "items": reports.frozen_items(report),
            "totals": reports.frozen_totals(report),
            "categories": reports.frozen_categories(report),
        }
    return {
        "period": period,
        "report": None,
        "items": reports.live_items(period),
        "totals": queries.exchange_totals(period),
        "categories": reports.live_categories(period),
    }


@bp.route("/bilans/<key>")
def report(key):
    """One half-year's report: its items, corrections and validation; printable."""
    period = _half_year_or_404(key)
    context = _report_context(period)
    return render_template(
        "stats/report.html",
        **context,
        basis_labels=reports.BASIS_LABELS,
        correction_forms={},
        confirm=EmptyForm(),
    )


@bp.route(f"/bilans/<key>/export.<{FORMATS}:fmt>")
def report_export(key, fmt):
    """One half-year's report as CSV or XLSX, with its totals line."""
    period = _half_year_or_404(key)
    context = _report_context(period)
    rows = exports.report_rows(context["items"], context["totals"], reports.BASIS_LABELS)
    stem = f"reemploi-bilan-{period.key}"
    if fmt == "csv":
        return exports.csv_response(stem, exports.REPORT_COLUMNS, rows)
    title = _("Bilan %(key)s", key=period.key)
    return exports.xlsx_response(stem, title, exports.REPORT_COLUMNS, rows)


@bp.route("/bilans/<key>/echanges/<int:transfer_id>/poids", methods=["POST"])
def correct_weight(key, transfer_id):
    """Correct the estimated weight (and CO2e) of one exchange of a report not yet validated."""
    period = _half_year_or_404(key)
    transfer = db.get_or_404(Transfer, transfer_id)
    if not (period.start_utc <= transfer.at < period.end_utc):
        abort(404)
    form = WeightCorrectionForm(prefix=f"t{transfer_id}")
    if form.validate_on_submit():
        try:
            reports.correct_weight(
                period, transfer, form.weight_kg.data, form.co2e_kg.data, actor=current_user
            )
        except reports.ReportRefused as refused:
            db.session.rollback()
            flash(str(refused.message), "error")
            return redirect(url_for("stats.report", key=period.key)), 303
        db.session.commit()
        flash(_("Poids corrigé pour l'échange n° %(id)d.", id=transfer.id), "success")
        return redirect(url_for("stats.report", key=period.key, _anchor=f"echange-{transfer.id}"))
    context = _report_context(period)
    forms = {transfer_id: form}
    return (
        render_template(
            "stats/report.html",
            **context,
            basis_labels=reports.BASIS_LABELS,
            correction_forms=forms,
            confirm=EmptyForm(),
        ),
        422,
    )


@bp.route("/bilans/<key>/valider", methods=["POST"])
def validate_report(key):
    """Freeze the half-year's report, with who validated it and when."""
    period = _half_year_or_404(key)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        reports.validate_report(period, actor=current_user)
        db.session.commit()
    except reports.ReportRefused as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
    except IntegrityError:  # validated at the same moment by another moderator
        db.session.rollback()
        flash(str(reports.ReportFrozen().message), "error")
    else:
        flash(_("Bilan du %(label)s validé : il ne changera plus.", label=period.label), "success")
    return redirect(url_for("stats.report", key=period.key))
