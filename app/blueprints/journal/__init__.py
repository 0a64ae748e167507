"""The aidants' logbook (journal du bus) and referrals to referents: the tablet's daily tool,
the referents' answer page (signed link, no account) and the coordinators' referents list."""

from flask import Blueprint

bp = Blueprint("journal", __name__)

from app.blueprints.journal import views  # noqa: E402,F401 - registers the routes
