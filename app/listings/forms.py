"""Forms of the listings feature."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
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
from wtforms.widgets import TextInput

from ..forms import select_choices

CONDITION_LABELS = {
    "new": _l("Neuf"),
    "good": _l("Bon état"),
    "used": _l("Usagé"),
    "to_repair": _l("À réparer"),
}

SORT_LABELS = {
    "recent": _l("Les plus récentes"),
    "available": _l("Disponibles au plus tôt"),
}


class FrenchDecimalField(Field):
    """A decimal typed the French way: '1 234,50', '12.5' or '30 €' all read as numbers."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, places=2, maximum=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places = places
        self.maximum = maximum

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
        raw = valuelist[0] or ""
        text = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
        text = text.replace(",", ".").strip()
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(_l("Indiquez un nombre, par exemple 25 ou 12,50.")) from None
        if not value.is_finite():
            raise ValueError(_l("Indiquez un nombre, par exemple 25 ou 12,50."))
        if value.as_tuple().exponent < -self.places:
            raise ValueError(_l("%(n)d chiffres après la virgule au plus.", n=self.places))
        if value < 0:
            raise ValueError(_l("Le nombre ne peut pas être négatif."))
        if self.maximum is not None and value > self.maximum:
            raise ValueError(_l("Nombre trop grand (%(max)s au plus).", max=self.maximum))
        self.data = value


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
        maximum=Decimal("1000000"),
        validators=[InputRequired(_l("Estimez la valeur en euros (0 si elle est nulle)."))],
    )
    weight_kg = FrenchDecimalField(
        _l("Poids total en kg (facultatif)"),
        places=3,
        maximum=Decimal("100000"),
        validators=[Optional()],
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
