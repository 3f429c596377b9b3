"""The closure form: a reason, and what each reason needs."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from ..models import User, choosable_services
from .rules import DESTINATION_LABELS, REASON_LABELS


def optional_int(value):
    """'' (nothing chosen) becomes None, anything else an int (ValueError if not a number)."""
    if value in (None, ""):
        return None
    return int(value)


class ClosureForm(FlaskForm):
    reason = RadioField(_l("Pourquoi clôturez-vous l'annonce ?"), validate_choice=False, coerce=str)
    quantity = IntegerField(
        _l("Combien d'objets ce service a-t-il récupérés ?"),
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("Indiquez un nombre d'objets, 1 au moins.")),
        ],
    )
    receiving_service_id = SelectField(
        _l("Service qui a récupéré l'objet"), coerce=optional_int, validate_choice=False
    )
    receiving_user_id = SelectField(
        _l("Agent qui l'a récupéré (facultatif)"), coerce=optional_int, validate_choice=False
    )
    destination = RadioField(
        _l("Où est-il parti ? (facultatif)"), validate_choice=False, coerce=str
    )
    detail = TextAreaField(
        _l("Commentaire (facultatif)"),
        validators=[Length(max=500, message=_l("500 caractères au plus."))],
    )

    def __init__(self, *args, reasons, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [SelectChoice(r, REASON_LABELS[r]) for r in reasons]
        self.destination.choices = [SelectChoice(k, v) for k, v in DESTINATION_LABELS.items()]
        self.receiving_service_id.choices = service_choices()
        self.receiving_user_id.choices = [
            SelectChoice("", _l("— Je ne sais pas —")),
            *(SelectChoice(str(u.id), _agent_label(u)) for u in candidates),
        ]
        self.reasons = reasons
        self._candidate_ids = {u.id for u in candidates}

    def validate_reason(self, field):
        if field.data not in self.reasons:
            field.errors.append(_l("Choisissez le motif de clôture."))

    def validate_destination(self, field):
        if field.data and field.data not in DESTINATION_LABELS:
            field.errors.append(_l("Choisissez où l'objet est parti dans la liste."))

    def validate_receiving_user_id(self, field):
        if field.data is not None and field.data not in self._candidate_ids:
            field.errors.append(
                _l("Choisissez l'agent parmi ceux qui ont pris contact, ou laissez vide.")
            )


def _agent_label(user: User) -> str:
    if user.service is not None:
        return f"{user.name or user.email} ({user.service.name})"
    return user.name or user.email


def service_choices() -> list[SelectChoice]:
    """Active services, grouped by organisation, after an empty first choice."""
    return [SelectChoice("", _l("— Choisissez le service —"))] + [
        SelectChoice(str(sid), name, optgroup=org)
        for sid, name, org, _short in choosable_services()
    ]
