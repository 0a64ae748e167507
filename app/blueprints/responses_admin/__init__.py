"""Coordinators read individual responses and delete one with a reason."""

from flask import Blueprint

bp = Blueprint("responses_admin", __name__, url_prefix="/admin/reponses")

from app.blueprints.responses_admin import views  # noqa: E402,F401 - registers the routes
