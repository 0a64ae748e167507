"""The reminder subscription form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, Field, SelectField, SelectMultipleField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.sms import normalise_phone


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _phone_number(_form: FlaskForm, field: Field) -> None:
    if field.data and normalise_phone(field.data) is None:
        raise ValidationError(
            _l("Ce numéro de téléphone n'est pas complet. Exemple : 06 12 34 56 78")
        )


class SubscribeForm(FlaskForm):
    """Email, neighbourhoods and, optionally, what the person will come for."""

    email = EmailField(
        _l("Votre adresse e-mail"),
        validators=[
            DataRequired(_l("Écrivez votre adresse e-mail.")),
            Email(_l("Cette adresse e-mail n'est pas complète. Exemple : nom@exemple.fr")),
            Length(max=254, message=_l("Cette adresse e-mail est trop longue.")),
        ],
    )
    neighbourhoods = CheckboxesField(
        _l("Vos quartiers"),
        validators=[DataRequired(_l("Choisissez au moins un quartier."))],
    )
    procedure = SelectField(_l("Je viendrai pour… (facultatif)"), default="")
    # Shown only when an SMS gateway is configured (the view removes it otherwise).
    phone = TelField(
        _l("Votre téléphone portable, pour recevoir aussi un SMS (facultatif)"),
        validators=[Optional(), Length(max=40), _phone_number],
        render_kw={"autocomplete": "tel"},
    )
