"""Language and time zone: French by default, English on request; times shown in Europe/Paris."""

from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask, current_app, has_request_context, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, gettext

from .extensions import babel


def select_locale() -> str:
    """French unless the user picked another offered language (commands have no session)."""
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel and the template filters that format numbers, money and dates."""
    from . import PROJECT_ROOT

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["euros"] = format_euros
    app.jinja_env.filters["kg"] = format_kg
    app.jinja_env.filters["datetime"] = format_moment
    app.jinja_env.filters["date"] = lambda v, fmt="d MMMM y": format_date(v, fmt) if v else ""
    app.jinja_env.filters["ago"] = time_ago
    app.jinja_env.globals["get_locale"] = get_locale


def format_moment(value: datetime | None) -> str:
    """A date and time in Paris, the way the reader's language writes them."""
    if value is None:
        return ""
    # TRANSLATORS: a Babel date pattern; quote literal words ('à', 'at').
    return format_datetime(value, gettext("d MMMM y 'à' HH:mm"))


def format_euros(value: Decimal | int | None) -> str:
    """1234.5 -> '1 234,50 €' in French."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), format="#,##0.00") + "\u00a0€"


def format_kg(value: Decimal | int | None) -> str:
    """Kilograms with at most one decimal."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), format="#,##0.#") + "\u00a0kg"


def time_ago(value: datetime | date | None) -> str:
    """A short French phrase for how long ago something happened."""
    from flask_babel import format_timedelta

    if value is None:
        return ""
    if isinstance(value, datetime):
        delta = value - datetime.now(UTC)
    else:
        delta = value - date.today()
    return format_timedelta(delta, granularity="minute", add_direction=True, threshold=0.9)
