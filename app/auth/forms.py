"""Forms of the sign-in feature."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

PHONE_PATTERN = r"^[0-9+().\s-]*$"


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail professionnelle"),
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            Length(max=254, message=_l("Adresse trop longue.")),
        ],
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[
            DataRequired(_l("Indiquez votre mot de passe.")),
            Length(max=200, message=_l("Mot de passe trop long.")),
        ],
    )
    remember = BooleanField(_l("Rester connecté(e) sur cet ordinateur"))


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Prénom et nom"),
        validators=[
            DataRequired(_l("Indiquez votre prénom et votre nom.")),
            Length(max=120, message=_l("120 caractères au plus.")),
        ],
    )
    phone = StringField(
        _l("Téléphone professionnel"),
        validators=[
            Optional(),
            Length(max=40, message=_l("40 caractères au plus.")),
            Regexp(PHONE_PATTERN, message=_l("Chiffres, espaces et + ( ) . - seulement.")),
        ],
    )
    service_id = SelectField(
        _l("Votre service"),
        coerce=int,
        validators=[DataRequired(_l("Choisissez votre service dans la liste."))],
    )
