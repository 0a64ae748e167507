"""Forms of the programme area: proposing a month, editing slots, themes, services, searching."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from surveys import planning


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (rendered by the area's ``checkboxes`` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def weekday_choices(days: tuple[str, ...] = planning.WEEKDAYS[:6]) -> list[SelectChoice]:
    """Weekdays as choices, with their French names capitalised."""
    return [SelectChoice(d, planning.WEEKDAY_LABELS[d].capitalize()) for d in days]


def half_day_choices() -> list[SelectChoice]:
    """Morning and afternoon with their hours."""
    return [
        SelectChoice("morning", _l("Matin (9 h – 12 h)")),
        SelectChoice("afternoon", _l("Après-midi (14 h – 17 h)")),
    ]


class ProposeForm(FlaskForm):
    """The month to propose and the planner's constraints."""

    month = SelectField(_l("Mois"), validators=[DataRequired(_l("Choisissez le mois."))])
    place_kind = RadioField(
        _l("Le bus s'arrête par"),
        choices=[
            SelectChoice("neighbourhood", _l("Quartier (questionnaires et Pass)")),
            SelectChoice("point", _l("Point de recueil (questionnaires seulement)")),
        ],
        default="neighbourhood",
        validators=[InputRequired(_l("Choisissez quartier ou point de recueil."))],
    )
    weekdays = CheckboxesField(
        _l("Jours de sortie du bus"),
        choices=weekday_choices(),
        default=list(planning.WORKING_WEEKDAYS),
        validators=[DataRequired(_l("Cochez au moins un jour."))],
    )
    half_days = CheckboxesField(
        _l("Demi-journées"),
        choices=half_day_choices(),
        default=list(planning.HALF_DAYS),
        validators=[DataRequired(_l("Cochez le matin, l'après-midi ou les deux."))],
    )
    days_off = TextAreaField(
        _l("Jours sans bus (congés, entretien…)"),
        validators=[Optional(), Length(max=500)],
    )
    max_slots = IntegerField(
        _l("Nombre maximum de demi-journées dans le mois (vide : toutes)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=62, message=_l("Indiquez un nombre entre 1 et 62.")),
        ],
    )
    min_visits = IntegerField(
        _l("Passages minimum dans chaque lieu qui a des demandes"),
        default=1,
        validators=[
            InputRequired(_l("Indiquez un nombre.")),
            NumberRange(min=0, max=10, message=_l("Indiquez un nombre entre 0 et 10.")),
        ],
    )


class SlotForm(FlaskForm):
    """One half-day: date, morning or afternoon, place, theme, service aboard."""

    date = DateField(_l("Date"), validators=[InputRequired(_l("Indiquez la date."))])
    half_day = RadioField(
        _l("Demi-journée"),
        choices=half_day_choices(),
        validators=[InputRequired(_l("Choisissez le matin ou l'après-midi."))],
    )
    place = SelectField(_l("Lieu"), validators=[InputRequired(_l("Choisissez un lieu."))])
    theme = SelectField(_l("Thème"), validators=[InputRequired(_l("Choisissez un thème."))])
    service = SelectField(_l("Service ou partenaire à bord"), validators=[Optional()])
    note = TextAreaField(
        _l("Note pour les habitants (ce qu'il faut apporter…)"), validators=[Length(max=500)]
    )
    cancelled = BooleanField(_l("Créneau annulé"))


class ThemeForm(FlaskForm):
    """A theme: its shared code (chosen once), French name, description, colour."""

    code = SelectField(_l("Thème"), validators=[Optional()])
    name = StringField(
        _l("Nom affiché"), validators=[DataRequired(_l("Indiquez le nom.")), Length(max=120)]
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=1000)])
    colour = StringField(
        _l("Couleur (facultatif, par ex. #0b4f8a)"), validators=[Optional(), Length(max=7)]
    )


class ServiceForm(FlaskForm):
    """A service or partner who can come aboard, and its referent."""

    name = StringField(
        _l("Nom du service ou du partenaire"),
        validators=[DataRequired(_l("Indiquez le nom.")), Length(max=160)],
    )
    description = TextAreaField(_l("Ce qu'il fait"), validators=[Length(max=1000)])
    themes = CheckboxesField(_l("Thèmes"), coerce=int)
    referent_name = StringField(_l("Nom du référent"), validators=[Length(max=120)])
    referent_phone = StringField(_l("Téléphone du référent"), validators=[Length(max=40)])
    referent_email = EmailField(
        _l("E-mail du référent"),
        validators=[
            Optional(),
            Email(_l("Cette adresse e-mail n'est pas valide.")),
            Length(max=254),
        ],
    )
    weekdays = CheckboxesField(
        _l("Jours où il peut venir"),
        choices=weekday_choices(),
        default=list(planning.WORKING_WEEKDAYS),
    )
    half_days = CheckboxesField(
        _l("Demi-journées où il peut venir"),
        choices=half_day_choices(),
        default=list(planning.HALF_DAYS),
    )
    max_slots_per_month = IntegerField(
        _l("Demi-journées au plus par mois"),
        default=4,
        validators=[
            InputRequired(_l("Indiquez un nombre.")),
            NumberRange(min=0, max=62, message=_l("Indiquez un nombre entre 0 et 62.")),
        ],
    )


class DirectoryForm(FlaskForm):
    """The GET search of the directory (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    theme = SelectField(_l("Votre démarche"), validators=[Optional()], validate_choice=False)
    q = StringField(
        _l("Mots à chercher (facultatif)"),
        validators=[Length(max=100, message=_l("100 caractères au plus."))],
    )


class ActionForm(FlaskForm):
    """An empty form: only its CSRF token, for buttons that change something."""
