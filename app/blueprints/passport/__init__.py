"""The Pass informatique: self-assessment at /pass, results, the personal Pass, aidants' pages."""

from flask import Blueprint

bp = Blueprint("passport", __name__)

from app.blueprints.passport import views  # noqa: E402,F401 - registers the routes
