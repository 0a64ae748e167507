"""The reminder subscription form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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
