"""Forms of the statistics: the period chooser, a weight correction, a report's validation."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..forms import FrenchDecimalField
from . import periods
from .periods import Period

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
MAX_CUSTOM_DAYS = 366 * 10
MAX_KG = Decimal("999999999.999")


class PeriodForm(FlaskForm):
    """The dashboard's filter, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    periode = SelectField(_l("Période"), validate_choice=False)
    mois = StringField(_l("Mois"))
    semestre = SelectField(_l("Semestre"), validate_choice=False)
    annee = IntegerField(
        _l("Année"),
        validators=[
            Optional(),
            NumberRange(min=2000, max=2999, message=_l("Indiquez une année entre 2000 et 2999.")),
        ],
    )
    du = DateField(_l("Du"), validators=[Optional()])
    au = DateField(_l("Au (inclus)"), validators=[Optional()])

    def __init__(self, *args, first_year: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = periods.paris_today()
        self.periode.choices = [
            SelectChoice("month", _l("Un mois")),
            SelectChoice("half", _l("Un semestre")),
            SelectChoice("year", _l("Une année")),
            SelectChoice("custom", _l("Dates au choix")),
        ]
        first = min(first_year or today.year, today.year)
        halves = [periods.half_year(y, h) for y in range(today.year, first - 1, -1) for h in (2, 1)]
        self.semestre.choices = [SelectChoice(p.key, p.label) for p in halves if p.start <= today]
        if not self.periode.data:
            self.periode.data = "year"
        if not self.mois.data:
            self.mois.data = f"{today:%Y-%m}"
        if not self.semestre.data:
            self.semestre.data = periods.half_year_of(today).key
        if self.annee.data is None and not self.annee.raw_data:
            self.annee.data = today.year
        if self.du.data is None and not self.du.raw_data:
            self.du.data = date(today.year, 1, 1)
        if self.au.data is None and not self.au.raw_data:
            self.au.data = today

    def validate_periode(self, field):
        if field.data not in periods.KINDS:
            field.errors.append(_l("Choisissez un type de période dans la liste."))

    def validate_mois(self, field):
        found = MONTH_PATTERN.match(field.data or "")
        if self.periode.data == "month" and (
            not found or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1))
        ):
            field.errors.append(_l("Indiquez le mois sous la forme AAAA-MM, par exemple 2026-03."))

    def validate_semestre(self, field):
        if self.periode.data == "half" and periods.parse_half_year(field.data) is None:
            field.errors.append(_l("Choisissez un semestre dans la liste."))

    def validate_annee(self, field):
        if self.periode.data == "year" and field.data is None:
            field.errors.append(_l("Indiquez une année, par exemple 2026."))

    def validate_au(self, field):
        if self.periode.data != "custom":
            return
        if self.du.data is None or field.data is None:
            field.errors.append(_l("Indiquez les deux dates, au format JJ/MM/AAAA."))
        elif field.data < self.du.data:
            field.errors.append(_l("La date de fin doit suivre la date de début."))
        elif (field.data - self.du.data).days > MAX_CUSTOM_DAYS:
            field.errors.append(_l("Choisissez une période de dix ans au plus."))

    def period(self) -> Period:
        """The chosen period (call after validate())."""
        kind = self.periode.data
        if kind == "month":
            found = MONTH_PATTERN.match(self.mois.data)
            return periods.month(int(found.group(1)), int(found.group(2)))
        if kind == "half":
            return periods.parse_half_year(self.semestre.data)
        if kind == "year":
            return periods.year(self.annee.data)
        return periods.custom(self.du.data, self.au.data)


class WeightCorrectionForm(FlaskForm):
    """A moderator's correction of one exchange's estimated weight (and CO2e)."""

    weight_kg = FrenchDecimalField(
        _l("Poids (kg)"),
        places=3,
        validators=[
            InputRequired(_l("Indiquez le poids en kg, par exemple 12,5.")),
            NumberRange(min=0, max=MAX_KG, message=_l("Indiquez un poids positif.")),
        ],
    )
    co2e_kg = FrenchDecimalField(
        _l("CO2e évité (kg)"),
        places=3,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_KG, message=_l("Indiquez une valeur positive.")),
        ],
    )
