"""Forms of the public verifier."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from badges.openbadges import BadgeDataError, normalize_email


def _email_format(form: FlaskForm, field: EmailField) -> None:
    if field.data and field.data.strip():
        try:
            normalize_email(field.data)
        except BadgeDataError as error:
            raise ValidationError(_l("Cette adresse e-mail n'est pas valide.")) from error


def _pass_code_format(form: FlaskForm, field: StringField) -> None:
    from badges import passcode

    if field.data and field.data.strip() and passcode.normalise(field.data) is None:
        raise ValidationError(_l("Ce code de Pass n'est pas valide. Exemple : K7M-9QX-RT4."))


class EmailCheckForm(FlaskForm):
    """Optional email or Pass code to check against the badge's hashed recipient."""

    email = EmailField(
        _l("Adresse e-mail du titulaire (facultatif)"),
        validators=[Optional(), Length(max=254), _email_format],
    )
    pass_code = StringField(
        _l("Code du Pass du titulaire (facultatif)"),
        validators=[Optional(), Length(max=20), _pass_code_format],
    )


class ReceiveForm(FlaskForm):
    """« Recevoir mes badges par e-mail »: the Pass code, the email, and consent to keep it."""

    pass_code = StringField(
        _l("Le code de votre Pass"),
        validators=[
            DataRequired(_l("Tapez le code de votre Pass.")),
            Length(max=20),
            _pass_code_format,
        ],
    )
    email = EmailField(
        _l("Votre adresse e-mail"),
        validators=[
            DataRequired(_l("Tapez votre adresse e-mail.")),
            Length(max=254),
            _email_format,
        ],
    )
    consent = BooleanField(
        _l("J'accepte que le Mairie Bus garde cette adresse avec mon Pass pour mes badges.")
    )


class VerifyForm(EmailCheckForm):
    """A badge file (PNG image or JSON) to verify."""

    badge = FileField(_l("Le badge à vérifier (image PNG ou fichier JSON)"))

    def validate_badge(self, field: FileField) -> None:
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Choisissez le fichier du badge."))
