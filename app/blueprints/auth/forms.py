"""Login form (fields ``email``, ``password``, ``csrf_token``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    """Email and password of a staff member."""

    email = EmailField(
        _l("Adresse e-mail"),
        validators=[DataRequired(_l("Indiquez votre adresse e-mail.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(FlaskForm):
    """A staff member's own password change."""

    current = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(_l("Indiquez votre mot de passe actuel.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(_l("Indiquez le nouveau mot de passe.")), Length(max=200)],
        description=_l(
            "Au moins 10 caractères, difficile à deviner : par exemple trois ou quatre mots "
            "sans rapport entre eux."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Nouveau mot de passe, encore une fois"),
        validators=[
            DataRequired(_l("Retapez le nouveau mot de passe.")),
            EqualTo("new", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
