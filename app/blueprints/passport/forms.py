"""Forms of the Pass informatique (CSRF through Flask-WTF; step answers read by the view)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

# Deliberately loose: one @, a dot in the domain, no spaces (the SMTP server has the last word).
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StartForm(FlaskForm):
    """Start a self-assessment; the neighbourhood is optional (for the bus's planning)."""

    neighbourhood = SelectField(_l("Votre quartier (si vous voulez)"), choices=[], default="")
    pass_code = HiddenField()


class StepForm(FlaskForm):
    """One page of the assessment: the key of the page shown, the answer comes by name."""

    step_key = HiddenField()


class OpenForm(FlaskForm):
    """Type the code of a Pass."""

    code = StringField(
        _l("Le code de votre Pass"),
        validators=[DataRequired(_l("Écrivez le code de votre Pass.")), Length(max=40)],
    )


class ContactForm(FlaskForm):
    """Optional first name and email, kept only with consent."""

    first_name = StringField(_l("Votre prénom (facultatif)"), validators=[Length(max=80)])
    email = EmailField(
        _l("Votre adresse e-mail (facultatif)"), validators=[Optional(), Length(max=254)]
    )
    consent = BooleanField(
        _l("J'accepte que la mairie garde mon prénom et mon e-mail avec mon Pass.")
    )

    def validate_email(self, field: EmailField) -> None:
        if field.data and not EMAIL_PATTERN.match(field.data.strip()):
            raise ValidationError(
                _l("Cette adresse e-mail ne semble pas complète (nom@exemple.fr).")
            )


class ActionForm(FlaskForm):
    """Only a CSRF token, for buttons that change something."""


class NoteForm(FlaskForm):
    """An aidant's private note on a Pass."""

    text = TextAreaField(
        _l("Note privée (seuls les aidants et coordinateurs la voient)"),
        validators=[DataRequired(_l("La note est vide.")), Length(max=2000)],
    )


class ChecksForm(FlaskForm):
    """The practical checks an aidant observed (read by name) and an optional note."""

    note = TextAreaField(_l("Note privée (facultatif)"), validators=[Length(max=2000)])


class HandoverEmailForm(FlaskForm):
    """The address an aidant sends the Pass and its badges to (not kept unless it is the Pass's)."""

    email = EmailField(
        _l("Adresse e-mail de la personne"),
        validators=[DataRequired(_l("Écrivez l'adresse e-mail de la personne.")), Length(max=254)],
    )

    def validate_email(self, field: EmailField) -> None:
        if field.data and not EMAIL_PATTERN.match(field.data.strip()):
            raise ValidationError(
                _l("Cette adresse e-mail ne semble pas complète (nom@exemple.fr).")
            )
