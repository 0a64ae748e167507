"""Public home, privacy notice, health check and the staff landing page."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import text

from app.blueprints.main import bp
from app.extensions import db
from app.page_cache import first_visit_page
from app.security import public, staff_required


@bp.route("/")
@public
@first_visit_page
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
    """Load balancer check: the database and Redis, each reported on its own.

    503 (with ``Retry-After``) when the database cannot be reached: nothing works without it.
    A Redis outage answers 200 "degraded": throttling then counts in the database.
    """
    from app.errors import RETRY_AFTER_SECONDS, is_database_outage, rollback_quietly
    from app.services.throttle import redis_state

    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        if not is_database_outage(error):
            raise
        rollback_quietly()
        database = "down"
    redis = redis_state()
    if database != "ok":
        body = {"status": "down", "database": database, "redis": redis}
        return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    status = "degraded" if redis == "down" else "ok"
    return (
        {"status": status, "database": database, "redis": redis},
        200,
        {"Cache-Control": "no-store"},
    )


@bp.route("/espace")
@staff_required
def staff_home():  # type: ignore[no-untyped-def]
    """Landing page for aidants and coordinators after login."""
    return render_template("main/staff_home.html")
