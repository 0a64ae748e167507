"""Forms for coordinators' badge pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class AwardFilterForm(FlaskForm):
    """Filters of the awards list (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    domain = SelectField(_l("Domaine"), default="")
    status = SelectField(
        _l("Statut"),
        choices=[
            SelectChoice("", _l("Tous")),
            SelectChoice("self_declared", _l("Auto-évaluation")),
            SelectChoice("validated", _l("Vérifié par un aidant")),
        ],
        default="",
    )
    state = SelectField(
        _l("État"),
        choices=[
            SelectChoice("", _l("Tous")),
            SelectChoice("active", _l("Valides")),
            SelectChoice("revoked", _l("Retirés")),
        ],
        default="",
    )
    q = SearchField(_l("Identifiant du badge ou code du Pass"), validators=[Length(max=60)])


class RevokeForm(FlaskForm):
    """Revoke one badge: the reason is public (it is served with the badge)."""

    reason = TextAreaField(
        _l("Raison du retrait (publique)"),
        validators=[
            DataRequired(_l("Indiquez la raison du retrait.")),
            Length(max=300, message=_l("300 caractères au maximum.")),
        ],
    )
