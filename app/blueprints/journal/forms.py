"""Forms of the logbook: one visit, a referral, a referent, the referent's answer, exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from surveys import journal as domain
from surveys import labels


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _optional_int(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(str(value))


class VisitForm(FlaskForm):
    """One visit: place, procedures, outcome, time; age, neighbourhood, contact and note optional."""

    idempotency_key = HiddenField()
    place = SelectField(_l("Où est le bus"), validate_choice=True)
    procedures = CheckboxesField(
        _l("Démarches"),
        choices=[SelectChoice(p.code, _l(p.label)) for p in domain.PROCEDURES],  # type: ignore[arg-type]
        validators=[Optional()],
    )
    themes = CheckboxesField(
        _l("Autre démarche : thème"),
        choices=[SelectChoice(code, labels.THEME_SHORT_LABELS[code]) for code in labels.THEMES],
        validators=[Optional()],
    )
    outcome = RadioField(
        _l("Comment ça s'est terminé"),
        choices=[
            SelectChoice("solved", _l("Réglé sur place")),
            SelectChoice("solved_with_help", _l("Réglé avec aide")),
            SelectChoice("referred", _l("Orienté vers…")),
            SelectChoice("call_back", _l("À rappeler")),
        ],
        validators=[DataRequired(_l("Choisissez comment s'est terminé le passage."))],
    )
    referral_to = RadioField(_l("Orienter vers"), validators=[Optional()], validate_choice=False)
    need = TextAreaField(
        _l("Ce que la personne attend du référent (facultatif)"),
        validators=[Length(max=1000, message=_l("1 000 caractères au plus."))],
    )
    minutes = RadioField(
        _l("Temps passé"),
        choices=[SelectChoice(str(m), _l("%(n)d min", n=m)) for m in domain.MINUTES],
        coerce=_optional_int,
        validators=[Optional()],
    )
    age_band = RadioField(
        _l("Âge (facultatif)"),
        choices=[
            SelectChoice("under_25", _l("Moins de 25 ans")),
            SelectChoice("25_44", _l("25 – 44 ans")),
            SelectChoice("45_64", _l("45 – 64 ans")),
            SelectChoice("65_74", _l("65 – 74 ans")),
            SelectChoice("75_plus", _l("75 ans et plus")),
        ],
        validators=[Optional()],
    )
    neighbourhood_id = SelectField(
        _l("Quartier où vit la personne (facultatif)"),
        coerce=_optional_int,
        validators=[Optional()],
    )
    contact_consent = BooleanField(
        _l("La personne veut être recontactée et accepte que l'on garde ces coordonnées")
    )
    first_name = StringField(_l("Prénom"), validators=[Length(max=80)])
    phone = TelField(_l("Téléphone"), validators=[Length(max=40)])
    email = EmailField(_l("E-mail"), validators=[Length(max=254)])
    note = TextAreaField(
        _l("Note pour l'équipe (facultatif, jamais transmise)"),
        validators=[Length(max=2000, message=_l("2 000 caractères au plus."))],
    )


class ReferForm(FlaskForm):
    """A referral (or a visio) added to a visit after the fact."""

    referral_to = RadioField(
        _l("Orienter vers"),
        validators=[DataRequired(_l("Choisissez vers qui orienter la personne."))],
        validate_choice=False,
    )
    need = TextAreaField(
        _l("Ce que la personne attend du référent (facultatif)"),
        validators=[Length(max=1000, message=_l("1 000 caractères au plus."))],
    )


class ActionForm(FlaskForm):
    """Only a CSRF token, for buttons that change something."""


class AnswerForm(FlaskForm):
    """The referent's answer."""

    status = RadioField(
        _l("Où en est cette personne"),
        choices=[
            SelectChoice("taken", _l("Pris en charge")),
            SelectChoice("solved", _l("Réglé")),
            SelectChoice("not_ours", _l("Pas de notre ressort")),
        ],
        validators=[DataRequired(_l("Choisissez une des réponses proposées."))],
    )


def _https_url(form: FlaskForm, field: URLField) -> None:
    if field.data and not str(field.data).startswith("https://"):
        raise ValidationError(_l("Le lien de visio commence par https://"))


class ReferentForm(FlaskForm):
    """A referent: service, name, email, phone, visio link and themes."""

    service_id = SelectField(_l("Service"), coerce=_optional_int, validators=[Optional()])
    name = StringField(
        _l("Nom et prénom"), validators=[DataRequired(_l("Indiquez le nom.")), Length(max=120)]
    )
    email = EmailField(
        _l("E-mail"),
        validators=[
            Optional(),
            Email(_l("Cette adresse e-mail n'est pas valide.")),
            Length(max=254),
        ],
    )
    phone = TelField(_l("Téléphone"), validators=[Length(max=40)])
    visio_url = URLField(
        _l("Lien de visio (Webex, Teams, Jitsi, Zoom…)"),
        validators=[Optional(), Length(max=500), _https_url],
    )
    themes = CheckboxesField(_l("Thèmes couverts"), coerce=int)
    active = BooleanField(_l("Actif"), default=True)


class ExportForm(FlaskForm):
    """The month and format of a logbook export (GET, no CSRF)."""

    class Meta:
        csrf = False

    month = StringField(
        _l("Mois (AAAA-MM)"),
        validators=[DataRequired(_l("Indiquez le mois, par exemple 2026-11."))],
    )
    format = SelectField(
        _l("Format"),
        choices=[SelectChoice("xlsx", _l("Excel (xlsx)")), SelectChoice("csv", _l("CSV"))],
        default="xlsx",
    )
