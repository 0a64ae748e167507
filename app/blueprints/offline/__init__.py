"""Staff pages without a connection: web app manifest, service worker, offline questionnaire."""

from flask import Blueprint

bp = Blueprint("offline", __name__)

from app.blueprints.offline import views  # noqa: E402,F401 - registers the routes
