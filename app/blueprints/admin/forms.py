"""Forms for managing staff accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class NewUserForm(FlaskForm):
    """A new aidant (or coordinator) account."""

    email = EmailField(
        _l("Adresse e-mail"),
        validators=[DataRequired(_l("Indiquez l'adresse e-mail.")), Length(max=254)],
    )
    display_name = StringField(_l("Prénom et nom"), validators=[Length(max=120)])
    organisation = StringField(
        _l("Structure (affichée sur les badges validés)"), validators=[Length(max=160)]
    )
    role = SelectField(
        _l("Rôle"),
        choices=[
            SelectChoice("aidant", _l("Aidant numérique")),
            SelectChoice("coordinator", _l("Coordinateur")),
        ],
        default="aidant",
    )


class ActionForm(FlaskForm):
    """An empty form: only its CSRF token, for buttons that change something."""
