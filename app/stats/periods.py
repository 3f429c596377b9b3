"""Periods of the statistics: month, half-year, year or custom range, in Paris local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _

PARIS = ZoneInfo("Europe/Paris")
KINDS = ("month", "half", "year", "custom")
HALF_YEAR_KEY = re.compile(r"^(\d{4})-S([12])$")


def paris_midnight(day: date) -> datetime:
    """The instant, in UTC, at which this day starts in Paris."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)


def paris_today() -> date:
    return datetime.now(PARIS).date()


@dataclass(frozen=True)
class Period:
    """From `start` (included) to `end` (excluded), both days in Paris local time."""

    kind: str
    start: date
    end: date

    @property
    def start_utc(self) -> datetime:
        return paris_midnight(self.start)

    @property
    def end_utc(self) -> datetime:
        return paris_midnight(self.end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def key(self) -> str:
        """A short stable name: 2026-03, 2026-S1, 2026, or 2026-01-15..2026-03-10."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "half":
            return f"{self.start.year}-S{1 if self.start.month == 1 else 2}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.last_day.isoformat()}"

    @property
    def label(self) -> str:
        """The period in plain French."""
        if self.kind == "month":
            return format_date(self.start, "MMMM y")
        if self.kind == "half":
            if self.start.month == 1:
                return _("1er semestre %(year)d", year=self.start.year)
            return _("2e semestre %(year)d", year=self.start.year)
        if self.kind == "year":
            return _("année %(year)d", year=self.start.year)
        return _(
            "du %(start)s au %(end)s",
            start=format_date(self.start, "d MMMM y"),
            end=format_date(self.last_day, "d MMMM y"),
        )

    def query_args(self) -> dict[str, str]:
        """The query string that selects this period on the dashboard and in the exports."""
        if self.kind == "month":
            return {"periode": "month", "mois": self.key}
        if self.kind == "half":
            return {"periode": "half", "semestre": self.key}
        if self.kind == "year":
            return {"periode": "year", "annee": self.key}
        return {"periode": "custom", "du": self.start.isoformat(), "au": self.last_day.isoformat()}

    def has_ended(self, today: date | None = None) -> bool:
        return self.end <= (today or paris_today())


def month(year: int, month_number: int) -> Period:
    start = date(year, month_number, 1)
    end = date(year + month_number // 12, month_number % 12 + 1, 1)
    return Period("month", start, end)


def half_year(year: int, half: int) -> Period:
    if half == 1:
        return Period("half", date(year, 1, 1), date(year, 7, 1))
    return Period("half", date(year, 7, 1), date(year + 1, 1, 1))


def year(year_number: int) -> Period:
    return Period("year", date(year_number, 1, 1), date(year_number + 1, 1, 1))


def custom(first_day: date, last_day: date) -> Period:
    """From first_day to last_day, both included."""
    return Period("custom", first_day, last_day + timedelta(days=1))


def half_year_of(day: date) -> Period:
    return half_year(day.year, 1 if day.month <= 6 else 2)


def parse_half_year(key: str) -> Period | None:
    """'2026-S1' -> the first half of 2026; anything else -> None."""
    found = HALF_YEAR_KEY.match(key or "")
    if not found or not 2000 <= int(found.group(1)) <= 2999:
        return None
    return half_year(int(found.group(1)), int(found.group(2)))


def months_of(period: Period) -> list[Period]:
    """The calendar months that the period covers, the first and last cut to the period."""
    result = []
    cursor = date(period.start.year, period.start.month, 1)
    while cursor < period.end:
        whole = month(cursor.year, cursor.month)
        start, end = max(whole.start, period.start), min(whole.end, period.end)
        result.append(
            Period("month", start, end) if (start, end) != (whole.start, whole.end) else whole
        )
        cursor = whole.end
    return result


def trend_months(period: Period) -> list[Period]:
    """The months of the trend chart: the period's, or the twelve up to it for a single month."""
    if period.kind == "month":
        first = period.start.replace(day=1)
        for _step in range(11):
            first = (first - timedelta(days=1)).replace(day=1)
        return months_of(Period("custom", first, period.end))
    return months_of(period)
