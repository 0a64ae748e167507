"""Public home, privacy notice, health check and the staff landing page."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import text

from app.blueprints.main import bp
from app.extensions import db
from app.security import public, staff_required


@bp.route("/")
@public
def index():  # type: ignore[no-untyped-def]
    """Residents' home: what the bus is, and the three things they can do here."""
    return render_template("main/index.html")


@bp.route("/confidentialite")
@public
def privacy():  # type: ignore[no-untyped-def]
    """The full privacy notice in plain French."""
    return render_template("main/privacy.html")


@bp.route("/healthz")
@public
def health():  # type: ignore[no-untyped-def]
    """Load balancer check: the app answers and reaches its database."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/espace")
@staff_required
def staff_home():  # type: ignore[no-untyped-def]
    """Landing page for aidants and coordinators after login."""
    return render_template("main/staff_home.html")
