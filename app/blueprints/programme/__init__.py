"""The bus programme: planner and its themes and services (coordinators), public calendar,
iCalendar feed, printable flyer and the "à qui s'adresser" directory (residents)."""

from flask import Blueprint

bp = Blueprint("programme", __name__)

from app.blueprints.programme import views  # noqa: E402,F401 - registers the routes
