"""Form helpers shared by every feature."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for a bare button that changes something."""


def select_choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices; labels may be lazy strings."""
    return [SelectChoice(value, str(label)) for value, label in pairs]


class FrenchDecimalField(Field):
    """A decimal typed the French way ('1 234,50', '12.5', '30 €'), shown back as typed.

    The field reads the number; ranges are its validators' business (NumberRange).
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, places=2, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places = places

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(self.data, "f").replace(".", ",")

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        text = "".join((valuelist[0] or "").split()).replace("€", "").replace(",", ".")
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(_l("Indiquez un nombre, par exemple 25 ou 12,50.")) from None
        if not value.is_finite():
            raise ValueError(_l("Indiquez un nombre, par exemple 25 ou 12,50."))
        if value.adjusted() >= 12:  # beyond any amount here, and beyond exact arithmetic
            raise ValueError(_l("Nombre trop grand."))
        if value.normalize().as_tuple().exponent < -self.places:  # "1,500" is 1,5
            raise ValueError(_l("%(n)d chiffres après la virgule au plus.", n=self.places))
        # As stored (12,5 kg is 12.500), so comparing with the stored value finds no change.
        self.data = value.quantize(Decimal(1).scaleb(-self.places))

    def pre_validate(self, form):
        if self.process_errors:  # one message is enough: skip the range check
            raise StopValidation()
