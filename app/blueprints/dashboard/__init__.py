"""Coordinators' dashboard: personas, charts, the needs map, exports and a printable report."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from app.blueprints.dashboard import views  # noqa: E402,F401 - registers the routes
