"""Public Open Badges: hosted JSON-LD documents, badge pages and the verifier (« Vérifier »)."""

from flask import Blueprint

bp = Blueprint("badges_public", __name__)

from app.blueprints.badges_public import views  # noqa: E402,F401 - registers the routes
