"""Forms of the moderation back office; each binds only its own fields."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from ..forms import FrenchDecimalField, select_choices
from .actions import REJECTION_REASONS

MAX_VALUE = Decimal("1000000")
LINE_BREAKS = "\r\n\t"


class PlainText:
    """Refuse control characters (PostgreSQL refuses NUL; none belongs in a name or a note)."""

    def __init__(self, multiline: bool = False):
        self.allowed = LINE_BREAKS if multiline else ""

    def __call__(self, form, field):
        text = field.data or ""
        if any((ord(c) < 32 or ord(c) == 127) and c not in self.allowed for c in text):
            raise StopValidation(
                _l("Ce texte contient un caractère invisible non autorisé : retapez-le.")
            )


MAX_WEIGHT = Decimal("100000")


class IdListField(Field):
    """The ids of the ticked boxes sharing this field's name."""

    def _value(self):
        return ""

    def process_formdata(self, valuelist):
        ids = []
        for raw in valuelist:
            if not raw.isdigit() or len(raw) > 12:
                self.data = []
                raise ValueError(_l("Sélection invalide : rechargez la page puis réessayez."))
            ids.append(int(raw))
        self.data = list(dict.fromkeys(ids))

    def process_data(self, value):
        self.data = list(value or [])


class RejectForm(FlaskForm):
    reason = SelectField(
        _l("Motif du refus"),
        validators=[DataRequired(_l("Choisissez un motif dans la liste."))],
    )
    detail = TextAreaField(
        _l("Précisions pour le déposant"),
        validators=[
            PlainText(multiline=True),
            Length(max=400, message=_l("400 caractères au plus.")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = select_choices(
            [("", _l("— Choisissez un motif —")), *REJECTION_REASONS]
        )

    def validate_detail(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Avec le motif « Autre », expliquez le refus au déposant."))


class BulkApproveForm(FlaskForm):
    listing_ids = IdListField(_l("Annonces sélectionnées"))

    def validate_listing_ids(self, field):
        if not field.data:
            raise ValidationError(_l("Cochez au moins une annonce à approuver."))


def _amount_validators(maximum: Decimal, message):
    return [NumberRange(min=Decimal("0"), max=maximum, message=message)]


class CorrectionForm(FlaskForm):
    category_id = SelectField(
        _l("Catégorie"),
        coerce=int,
        validators=[DataRequired(_l("Choisissez une catégorie dans la liste."))],
    )
    estimated_value = FrenchDecimalField(
        _l("Valeur estimée totale (€)"),
        validators=[
            InputRequired(_l("Indiquez la valeur estimée, 0 si elle est nulle.")),
            *_amount_validators(MAX_VALUE, _l("Entre 0 et 1 000 000 €.")),
        ],
    )
    weight_kg = FrenchDecimalField(
        _l("Poids total (kg)"),
        places=3,
        validators=[Optional(), *_amount_validators(MAX_WEIGHT, _l("Entre 0 et 100 000 kg."))],
    )


class CategoryForm(FlaskForm):
    name = StringField(
        _l("Nom"),
        validators=[
            PlainText(),
            DataRequired(_l("Indiquez le nom de la catégorie.")),
            Length(max=120, message=_l("120 caractères au plus.")),
        ],
    )
    default_unit_weight_kg = FrenchDecimalField(
        _l("Poids unitaire par défaut (kg)"),
        places=3,
        validators=[
            InputRequired(_l("Indiquez le poids d'une unité, en kg.")),
            *_amount_validators(MAX_WEIGHT, _l("Entre 0 et 100 000 kg.")),
        ],
    )
    co2e_kg_per_unit = FrenchDecimalField(
        _l("Émissions évitées par unité (kg CO2e)"),
        places=3,
        validators=[
            InputRequired(_l("Indiquez les kg de CO2e évités par unité réemployée.")),
            *_amount_validators(MAX_WEIGHT, _l("Entre 0 et 100 000 kg CO2e.")),
        ],
    )
    source_note = TextAreaField(
        _l("Source du poids et du facteur CO2e"),
        validators=[
            PlainText(multiline=True),
            DataRequired(_l("Indiquez d'où viennent ces chiffres (ADEME, FIRA, WRAP, pesée…).")),
            Length(max=500, message=_l("500 caractères au plus.")),
        ],
    )
    active = BooleanField(_l("Proposée aux agents"), default=True)


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Nom"),
        validators=[
            PlainText(),
            DataRequired(_l("Indiquez le nom de la collectivité.")),
            Length(max=120, message=_l("120 caractères au plus.")),
        ],
    )
    short_name = StringField(
        _l("Nom court"),
        validators=[PlainText(), Length(max=40, message=_l("40 caractères au plus."))],
    )
    active = BooleanField(_l("Active"), default=True)


class ServiceForm(FlaskForm):
    name = StringField(
        _l("Nom du service"),
        validators=[
            PlainText(),
            DataRequired(_l("Indiquez le nom du service.")),
            Length(max=160, message=_l("160 caractères au plus.")),
        ],
    )
    organisation_id = SelectField(
        _l("Collectivité"),
        coerce=int,
        validators=[DataRequired(_l("Choisissez la collectivité dans la liste."))],
    )
    active = BooleanField(_l("Actif"), default=True)


class SiteForm(FlaskForm):
    name = StringField(
        _l("Nom du site"),
        validators=[
            PlainText(),
            DataRequired(_l("Indiquez le nom du site.")),
            Length(max=160, message=_l("160 caractères au plus.")),
        ],
    )
    address = StringField(
        _l("Adresse"),
        validators=[PlainText(), Length(max=300, message=_l("300 caractères au plus."))],
    )
    active = BooleanField(_l("Actif"), default=True)


class ImportServicesForm(FlaskForm):
    file = FileField(
        _l("Fichier CSV"),
        validators=[FileRequired(_l("Choisissez le fichier CSV à importer."))],
    )


class TransferForm(FlaskForm):
    colleague_email = EmailField(
        _l("Adresse e-mail du collègue qui reprend les annonces"),
        validators=[
            PlainText(),
            DataRequired(_l("Indiquez l'adresse e-mail du collègue.")),
            Length(max=254, message=_l("Adresse trop longue.")),
        ],
    )


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Nom, adresse e-mail ou service"),
        validators=[
            Optional(),
            PlainText(),
            Length(max=100, message=_l("100 caractères au plus.")),
        ],
    )


class JournalFilterForm(FlaskForm):
    class Meta:
        csrf = False

    person = SearchField(
        _l("Personne (nom ou e-mail)"),
        validators=[
            Optional(),
            PlainText(),
            Length(max=100, message=_l("100 caractères au plus.")),
        ],
    )
    listing = IntegerField(
        _l("Numéro d'annonce"),
        validators=[
            Optional(),
            NumberRange(min=1, max=2_000_000_000, message=_l("Un numéro d'annonce.")),
        ],
    )
    date_from = DateField(_l("Du"), validators=[Optional()])
    date_to = DateField(_l("Au"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("La date de fin précède la date de début."))
