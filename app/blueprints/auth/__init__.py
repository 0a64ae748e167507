"""Staff login and logout."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.blueprints.auth import views  # noqa: E402,F401 - registers the routes
