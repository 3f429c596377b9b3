"""Forms of the contact feature."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length

MESSAGE_MAX = 1000


def clean_message(value: str | None) -> str:
    """Unix line ends, no other control character (PostgreSQL refuses NUL), no outer blanks."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c in "\n\t" or (ord(c) >= 32 and c != "\x7f")).strip()


class ContactForm(FlaskForm):
    message = TextAreaField(
        _l("Votre message au déposant (facultatif)"),
        validators=[
            Length(
                max=MESSAGE_MAX,
                message=_l(
                    "Votre message fait %(length)d caractères : raccourcissez-le à %(max)d au plus."
                ),
            )
        ],
        filters=[clean_message],
    )
    next = HiddenField()


class ReserveForm(FlaskForm):
    requester_id = IntegerField(validators=[DataRequired()])
    next = HiddenField()


class ReleaseForm(FlaskForm):
    next = HiddenField()
