"""The dashboard's filters: a GET form, so a filtered view is a link that can be shared."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from surveys.labels import CHANNEL_LABELS, THEMES, theme_label

if TYPE_CHECKING:  # the dashboard service loads pandas: imported only when filtering
    from app.services.dashboard import DashboardFilters, Places


class FilterForm(FlaskForm):
    """Period, questionnaire, place, channel, demo answers, and the map's theme."""

    class Meta:
        csrf = False  # reading figures changes nothing

    start = DateField(_l("Du"), validators=[Optional()])
    end = DateField(_l("Au"), validators=[Optional()])
    form = SelectField(_l("Questionnaire"), default="")
    point = SelectField(_l("Point de recueil"), default="")
    neighbourhood = SelectField(_l("Quartier"), default="")
    channel = SelectField(_l("Mode de réponse"), default="")
    demo = SelectField(_l("Démonstration"), default="real")
    theme = SelectField(_l("Besoin montré sur la carte"), default="")

    def set_choices(self, places: Places) -> None:
        """Fill the lists from the database's forms, points and neighbourhoods."""
        every = _l("Tous")
        self.form.choices = [SelectChoice("", every)] + [
            SelectChoice(code, title) for code, title in places.forms
        ]
        self.point.choices = [SelectChoice("", every)] + [
            SelectChoice(p.code, _("%(name)s (archivé)", name=p.name) if p.archived else p.name)
            for p in places.points
        ]
        self.neighbourhood.choices = [SelectChoice("", every)] + [
            SelectChoice(code, places.neighbourhood_name(code))
            for code in places.neighbourhood_codes
        ]
        self.channel.choices = [SelectChoice("", _l("Seul ou avec un aidant"))] + [
            SelectChoice(code, label) for code, label in CHANNEL_LABELS.items()
        ]
        self.demo.choices = [
            SelectChoice("real", _l("Sans les réponses de démonstration")),
            SelectChoice("all", _l("Avec les réponses de démonstration")),
            SelectChoice("demo", _l("Seulement les réponses de démonstration")),
        ]
        self.theme.choices = [SelectChoice("", _l("Le besoin principal de chaque lieu"))] + [
            SelectChoice(code, theme_label(code)) for code in THEMES
        ]

    def validate_end(self, field: DateField) -> None:
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("La date de fin doit être après la date de début."))

    def filters(self) -> DashboardFilters:
        """The checked filters as plain values."""
        from app.services.dashboard import DashboardFilters
        from app.services.dashboard_privacy import whole_months

        start, end = whole_months(self.start.data, self.end.data)
        return DashboardFilters(
            start=start,
            end=end,
            form_id=self.form.data or None,
            collection_point=self.point.data or None,
            neighbourhood=self.neighbourhood.data or None,
            channel=self.channel.data or None,
            demo=self.demo.data or "real",
        )
