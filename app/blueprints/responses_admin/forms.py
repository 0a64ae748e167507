"""Filters of the responses list and the deletion form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.services.response_review import REASON_MAX, ResponseFilters
from surveys.labels import CHANNEL_LABELS


class ResponseFilterForm(FlaskForm):
    """Period, questionnaire, place, channel and demo answers (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    start = DateField(_l("Du"), validators=[Optional()])
    end = DateField(_l("Au"), validators=[Optional()])
    form = SelectField(_l("Questionnaire"), default="")
    point = SelectField(_l("Point de recueil"), default="")
    neighbourhood = SelectField(_l("Quartier"), default="")
    channel = SelectField(_l("Mode de réponse"), default="")
    demo = SelectField(_l("Démonstration"), default="all")

    def set_choices(self, choices: dict[str, list[tuple[str, str]]]) -> None:
        """Fill the lists from the database's forms, points and neighbourhoods."""
        every = _l("Tous")
        self.form.choices = [SelectChoice("", every)] + [
            SelectChoice(code, title) for code, title in choices["forms"]
        ]
        self.point.choices = [SelectChoice("", every)] + [
            SelectChoice(code, name) for code, name in choices["points"]
        ]
        self.neighbourhood.choices = [SelectChoice("", every)] + [
            SelectChoice(code, name) for code, name in choices["neighbourhoods"]
        ]
        self.channel.choices = [SelectChoice("", _l("Seul ou avec un aidant"))] + [
            SelectChoice(code, label) for code, label in CHANNEL_LABELS.items()
        ]
        self.demo.choices = [
            SelectChoice("all", _l("Avec les réponses de démonstration")),
            SelectChoice("real", _l("Sans les réponses de démonstration")),
            SelectChoice("demo", _l("Seulement les réponses de démonstration")),
        ]

    def validate_end(self, field: DateField) -> None:
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("La date de fin doit être après la date de début."))

    def filters(self) -> ResponseFilters:
        """The checked filters as plain values."""
        return ResponseFilters(
            start=self.start.data,
            end=self.end.data,
            form_id=self.form.data or None,
            point=self.point.data or None,
            neighbourhood=self.neighbourhood.data or None,
            channel=self.channel.data or None,
            demo=self.demo.data or "all",
        )


class DeleteResponseForm(FlaskForm):
    """Delete one response: the reason goes to the deletion log."""

    reason = TextAreaField(
        _l("Raison de la suppression"),
        validators=[
            DataRequired(_l("Indiquez la raison de la suppression.")),
            Length(max=REASON_MAX, message=_l("300 caractères au maximum.")),
        ],
    )
