"""Residents' reminders: "Prévenez-moi quand le bus vient près de chez moi" (subscribe, confirm,
one-click unsubscribe)."""

from flask import Blueprint

bp = Blueprint("notify", __name__)

from app.blueprints.notify import views  # noqa: E402,F401 - registers the routes
