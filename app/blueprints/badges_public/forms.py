"""Forms of the public verifier."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField
from wtforms.validators import Length, Optional, ValidationError

from badges.openbadges import BadgeDataError, normalize_email


def _email_format(form: FlaskForm, field: EmailField) -> None:
    if field.data and field.data.strip():
        try:
            normalize_email(field.data)
        except BadgeDataError as error:
            raise ValidationError(_l("Cette adresse e-mail n'est pas valide.")) from error


class EmailCheckForm(FlaskForm):
    """Optional email to check against the badge's hashed recipient."""

    email = EmailField(
        _l("Adresse e-mail du titulaire (facultatif)"),
        validators=[Optional(), Length(max=254), _email_format],
    )


class VerifyForm(EmailCheckForm):
    """A badge file (PNG image or JSON) to verify."""

    badge = FileField(_l("Le badge à vérifier (image PNG ou fichier JSON)"))

    def validate_badge(self, field: FileField) -> None:
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Choisissez le fichier du badge."))
