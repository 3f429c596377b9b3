"""The shared French decimal field: what it reads, and the one message it gives otherwise."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.forms import FrenchDecimalField


class AmountForm(FlaskForm):
    class Meta:
        csrf = False

    amount = FrenchDecimalField("Montant")


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1 234,50", Decimal("1234.50")),
        ("1\u202f234,5 €", Decimal("1234.50")),
        ("12.5", Decimal("12.50")),
        ("1,500", Decimal("1.50")),  # trailing zeros are not extra decimals
        ("0", Decimal("0.00")),
    ],
)
def test_a_number_typed_the_french_way_is_read(app, typed, read):
    with app.test_request_context():
        form = AmountForm(formdata=MultiDict({"amount": typed}))
        assert form.validate(), form.errors
        assert form.amount.data == read


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("douze", "Indiquez un nombre, par exemple 25 ou 12,50."),
        ("Infinity", "Indiquez un nombre, par exemple 25 ou 12,50."),
        ("1,234", "2 chiffres après la virgule au plus."),
        ("1E40", "Nombre trop grand."),
    ],
)
def test_anything_else_gets_one_french_message_and_is_shown_back(app, typed, message):
    with app.test_request_context():
        form = AmountForm(formdata=MultiDict({"amount": typed}))
        assert not form.validate()
        assert form.amount.errors == [message]
        assert form.amount._value() == typed
