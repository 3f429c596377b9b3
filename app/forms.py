"""Form helpers shared by every feature."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for a bare button that changes something."""


def select_choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices; labels may be lazy strings."""
    return [SelectChoice(value, str(label)) for value, label in pairs]
