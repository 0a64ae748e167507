"""Coordinators manage aidants' accounts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.blueprints.admin import views  # noqa: E402,F401 - registers the routes
