"""Coordinators see the badges awarded and revoke one with a reason."""

from flask import Blueprint

bp = Blueprint("badges_admin", __name__, url_prefix="/admin/badges")

from app.blueprints.badges_admin import views  # noqa: E402,F401 - registers the routes
