"""Forms of the listings feature."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    MultipleFileField,
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
    ValidationError,
)

from ..forms import FrenchDecimalField, select_choices

CONDITION_LABELS = {
    "new": _l("Neuf"),
    "good": _l("Bon état"),
    "used": _l("Usagé"),
    "to_repair": _l("À réparer"),
}

MAX_VALUE = Decimal("1000000")
MAX_WEIGHT = Decimal("100000")

SORT_LABELS = {
    "recent": _l("Les plus récentes"),
    "available": _l("Disponibles au plus tôt"),
}


class ListingForm(FlaskForm):
    title = StringField(
        _l("Titre de l'annonce"),
        validators=[
            DataRequired(_l("Donnez un titre à l'annonce.")),
            Length(min=3, max=120, message=_l("Entre 3 et 120 caractères.")),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[
            DataRequired(_l("Décrivez l'objet : dimensions, couleur, défauts éventuels.")),
            Length(max=5000, message=_l("5 000 caractères au plus.")),
        ],
    )
    category_id = SelectField(
        _l("Catégorie"),
        coerce=int,
        validators=[DataRequired(_l("Choisissez une catégorie."))],
    )
    quantity = IntegerField(
        _l("Quantité"),
        default=1,
        validators=[
            InputRequired(_l("Indiquez combien d'objets vous donnez.")),
            NumberRange(min=1, max=10000, message=_l("Entre 1 et 10 000.")),
        ],
    )
    condition = SelectField(
        _l("État"),
        default="good",
        validators=[DataRequired(_l("Choisissez l'état de l'objet."))],
    )
    estimated_value = FrenchDecimalField(
        _l("Valeur estimée en euros, pour toute la quantité"),
        validators=[
            InputRequired(_l("Estimez la valeur en euros (0 si elle est nulle).")),
            NumberRange(min=0, max=MAX_VALUE, message=_l("Entre 0 et 1 000 000 €.")),
        ],
    )
    weight_kg = FrenchDecimalField(
        _l("Poids total en kg (facultatif)"),
        places=3,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_WEIGHT, message=_l("Entre 0 et 100 000 kg.")),
        ],
    )
    site_id = SelectField(
        _l("Site où voir et récupérer l'objet"),
        coerce=int,
        validators=[DataRequired(_l("Choisissez un site."))],
    )
    location_detail = StringField(
        _l("Emplacement précis (facultatif)"),
        validators=[Length(max=200, message=_l("200 caractères au plus."))],
    )
    available_from = DateField(
        _l("Disponible à partir du"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    photos = MultipleFileField(_l("Photos (JPEG, PNG ou WEBP)"))
    professional_use_confirmed = BooleanField(
        _l(
            "Je confirme que cet objet est destiné à un usage strictement professionnel et "
            "qu'il ne s'agit pas de matériel informatique."
        ),
        validators=[DataRequired(_l("Cochez cette case pour publier l'annonce."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.condition.choices = select_choices(CONDITION_LABELS.items())

    def validate_available_from(self, field):
        if field.data and field.data > date.today() + timedelta(days=366):
            raise ValidationError(_l("Choisissez une date dans l'année qui vient."))
        if field.data and field.data < date(2000, 1, 1):
            raise ValidationError(_l("Date invalide."))


class BrowseForm(FlaskForm):
    """The filters of the browse page, read from the query string (no CSRF: a GET)."""

    class Meta:
        csrf = False

    q = StringField(_l("Rechercher"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Catégorie"), coerce=int, validators=[Optional()])
    site = SelectField(_l("Site"), coerce=int, validators=[Optional()])
    organisation = SelectField(_l("Collectivité"), coerce=int, validators=[Optional()])
    service = SelectField(_l("Service"), coerce=int, validators=[Optional()])
    condition = SelectField(_l("État"), validators=[Optional()])
    sort = SelectField(_l("Trier par"), default="recent")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sort.choices = select_choices(SORT_LABELS.items())
