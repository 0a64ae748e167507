"""Forms of the coordinators' collection point pages and of the aidant's start page.

The questionnaire pages themselves are built from the XLSForm by the survey engine, not here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.models import PointKind

KIND_CHOICES = [
    SelectChoice(PointKind.HOUSING_ESTATE.value, _l("Résidence, cité")),
    SelectChoice(PointKind.SHOPPING_CENTRE.value, _l("Centre commercial")),
    SelectChoice(PointKind.PARK.value, _l("Parc, jardin")),
    SelectChoice(PointKind.BUS_STOP.value, _l("Arrêt du bus")),
    SelectChoice(PointKind.OTHER.value, _l("Autre lieu")),
]


def parse_coordinate(text: str | None) -> float | None:
    """A coordinate typed with a dot or a French comma; None when empty; ValueError if not a number."""
    cleaned = (text or "").strip().replace(",", ".").replace(" ", "")
    if not cleaned:
        return None
    value = float(cleaned)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(cleaned)
    return value


class _Coordinate:
    def __init__(self, low: float, high: float, message: object) -> None:
        self.low, self.high, self.message = low, high, message

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        try:
            value = parse_coordinate(field.data)
        except ValueError:
            raise ValidationError(str(self.message)) from None
        if value is not None and not self.low <= value <= self.high:
            raise ValidationError(str(self.message))


class PointForm(FlaskForm):
    """A collection point: name, kind, neighbourhood, optional position and dates."""

    name = StringField(
        _l("Nom du lieu"),
        validators=[DataRequired(_l("Donnez un nom au lieu.")), Length(max=160)],
    )
    kind = SelectField(_l("Type de lieu"), choices=KIND_CHOICES, default="bus_stop")
    neighbourhood = SelectField(_l("Quartier"), choices=[], validate_choice=True)
    address = StringField(_l("Adresse (facultatif)"), validators=[Length(max=200)])
    latitude = StringField(
        _l("Latitude (facultatif)"),
        validators=[_Coordinate(-90, 90, _l("Écrivez une latitude, par exemple 43,405."))],
    )
    longitude = StringField(
        _l("Longitude (facultatif)"),
        validators=[_Coordinate(-180, 180, _l("Écrivez une longitude, par exemple 5,048."))],
    )
    active_from = DateField(
        _l("Actif à partir du (facultatif)"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    active_until = DateField(
        _l("Actif jusqu'au (facultatif)"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )

    def validate_longitude(self, field: StringField) -> None:
        """Both coordinates or neither."""
        lat = (self.latitude.data or "").strip()
        lon = (field.data or "").strip()
        if bool(lat) != bool(lon):
            raise ValidationError(
                str(_l("Donnez la latitude et la longitude, ou aucune des deux."))
            )

    def validate_active_until(self, field: DateField) -> None:
        """The end date cannot come before the start date."""
        if field.data and self.active_from.data and field.data < self.active_from.data:
            raise ValidationError(str(_l("La date de fin est avant la date de début.")))


class AttachForm(FlaskForm):
    """Offer one more questionnaire at a point."""

    form_id = SelectField(_l("Questionnaire"), choices=[], validate_choice=True)


class AidantStartForm(FlaskForm):
    """Where the aidant is, and which questionnaire to fill in with the resident."""

    place = SelectField(
        _l("Où êtes-vous ?"),
        choices=[],
        validate_choice=True,
        validators=[DataRequired(_l("Choisissez où vous êtes."))],
    )
    form_id = SelectField(_l("Questionnaire"), choices=[], validate_choice=True)


class ActionForm(FlaskForm):
    """Only a CSRF token, for buttons that change something."""
