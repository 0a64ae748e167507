"""Coordinators import questionnaires (XLSForms), see their versions and export responses."""

from flask import Blueprint

bp = Blueprint("surveys_admin", __name__, url_prefix="/admin/questionnaires")

from app.blueprints.surveys_admin import views  # noqa: E402,F401 - registers the routes
