"""Field collection: collection points, QR codes and posters, the questionnaire on a phone,
and the aidant's tablet mode."""

from flask import Blueprint

bp = Blueprint("collect", __name__)

from app.blueprints.collect import views  # noqa: E402,F401 - registers the routes
