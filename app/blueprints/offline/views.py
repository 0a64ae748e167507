"""The aidant's tablet keeps working offline.

- ``/sw.js``: the service worker, at a fixed URL (it cannot be fingerprinted) and never cached
  by HTTP, so a new version is picked up at the next visit;
- ``/manifest.webmanifest`` and its icons: the installable staff web app;
- ``/aidant/hors-ligne/paquet.json``: what the service worker keeps for the day (pages, the
  questionnaires offered, their assets);
- ``/aidant/hors-ligne/<form_id>``: the whole questionnaire on one page, usable from the cache;
- ``/aidant/hors-ligne/envoyer``: where answers kept on the tablet are sent, exactly once.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from flask import (
    current_app,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from PIL import Image, ImageDraw

from app.blueprints.offline import bp
from app.errors import fail
from app.extensions import db
from app.security import Access, public, staff_required, view_access
from app.services import collection as sites
from app.services import offline as svc
from app.services import responses as drafts
from app.services.forms import current_version

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"
# Assets every cached staff page needs, relative to the static folder.
STATIC_ASSETS = (
    "css/app.css",
    "css/collect.css",
    "css/pass.css",
    "css/journal.css",
    "js/offline.js",
    "favicon.svg",
)
ICON_SIZES = (192, 512)


@bp.app_context_processor
def inject_offline() -> dict[str, object]:
    """``offline_tablet``: the page is one an aidant uses on the tablet (staff, not coordinator-only).

    Those pages carry the offline banner and script; residents' and coordinators' desk pages
    (dashboard, planner) stay without it.
    """
    enabled = False
    if has_request_context() and current_user.is_authenticated:
        enabled = view_access(current_app, request.endpoint) is not Access.COORDINATOR
    return {"offline_tablet": enabled}


@bp.route("/sw.js")
@public
def service_worker():  # type: ignore[no-untyped-def]
    """The service worker script (scope: the whole site; it only handles staff pages)."""
    response = make_response((STATIC_JS / "sw.js").read_bytes())
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
@public
def manifest():  # type: ignore[no-untyped-def]
    """The staff web app's manifest (installable on the bus's tablet)."""
    body = {
        "name": _("Mairie Bus – équipe"),
        "short_name": _("Mairie Bus"),
        "lang": "fr",
        "start_url": url_for("collect.aidant_start"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4e89",
        "icons": [
            {
                "src": url_for("offline.icon", size=size),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in ICON_SIZES
        ]
        + [
            {
                "src": url_for("static", filename="favicon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    response = jsonify(body)
    response.headers["Content-Type"] = "application/manifest+json"
    return response


@cache
def _icon_png(size: int) -> bytes:
    image = Image.new("RGB", (size, size), "#1d4e89")
    draw = ImageDraw.Draw(image)
    margin = size // 6
    # A white bus: body, windows, wheels.
    draw.rounded_rectangle(
        (margin, margin * 2, size - margin, size - margin * 2), radius=size // 16, fill="white"
    )
    window = size // 9
    for i in range(3):
        left = margin + window // 2 + i * (window + window // 2)
        draw.rectangle(
            (left, margin * 2 + window // 2, left + window, margin * 2 + window * 3 // 2),
            fill="#1d4e89",
        )
    for x in (margin + window, size - margin - window * 2):
        draw.ellipse(
            (x, size - margin * 2 - window // 2, x + window, size - margin * 2 + window // 2),
            fill="#222222",
        )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@bp.route("/equipe/icone-<int:size>.png")
@public
def icon(size: int):  # type: ignore[no-untyped-def]
    """The app icon (192 or 512 pixels), drawn once per process."""
    if size not in ICON_SIZES:
        fail(404, _("Cette image n'existe pas."))
    response = make_response(_icon_png(size))
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/aidant/hors-ligne/paquet.json")
@staff_required
def pack():  # type: ignore[no-untyped-def]
    """The URLs the service worker keeps for today: pages, questionnaires offered, assets."""
    forms = sites.forms_available(db.session)
    urls = [
        url_for("offline.home"),
        url_for("collect.aidant_start"),
        url_for("passport.aidant_home"),
        url_for("journal.new_visit"),
        url_for("offline.manifest"),
        *(url_for("offline.questionnaire", form_id=f.form_id) for f in forms),
        *(url_for("static", filename=name) for name in STATIC_ASSETS),
    ]
    # A fresh CSRF token: answers kept on the tablet are sent with it, not with the (perhaps
    # older) token of the cached page they were typed on.
    response = jsonify({"urls": urls, "forms": [f.form_id for f in forms], "csrf": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response


def _place_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Where the aidant can be: collection points, or the bus in a neighbourhood."""
    points = [
        (f"point:{p.id}", p.name) for p in sites.list_points(db.session, include_archived=False)
    ]
    bus = [
        (f"bus:{n.code}", _("Dans le bus, à %(name)s", name=n.name))
        for n in sites.neighbourhoods(db.session)
    ]
    return [
        (label, items)
        for label, items in ((_("Points de recueil"), points), (_("Dans le bus"), bus))
        if items
    ]


@bp.route("/aidant/hors-ligne")
@staff_required
def home():  # type: ignore[no-untyped-def]
    """What works without a connection, and what is waiting on this tablet."""
    forms = sites.forms_available(db.session)
    return render_template("offline/home.html", forms=forms)


@bp.route("/aidant/hors-ligne/<form_id>")
@staff_required
def questionnaire(form_id: str):  # type: ignore[no-untyped-def]
    """The whole questionnaire on one page: filled offline, kept on the tablet, sent later."""
    version = current_version(db.session, form_id)
    if version is None:
        fail(404, _("Ce questionnaire n'existe pas ou n'est plus proposé."))
    from app.blueprints.collect.views import range_values

    return render_template(
        "offline/questionnaire.html",
        version=version,
        title=version.form.title,
        sections=svc.sections(version, "fr"),
        places=_place_groups(),
        chosen_place=session.get("collect_aidant_place", ""),
        idempotency_key=drafts.new_idempotency_key(),
        range_values=range_values,
    )


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _refuse(message: str, status: int = 422):  # type: ignore[no-untyped-def]
    if _wants_json():
        return jsonify({"ok": False, "message": message}), status
    fail(400, message)


@bp.route("/aidant/hors-ligne/envoyer", methods=["POST"])
@staff_required
def send():  # type: ignore[no-untyped-def]
    """Receive one questionnaire filled offline; a second send of the same key changes nothing."""
    key = request.form.get("idempotency_key", "")
    done = drafts.find_submitted(db.session, key)
    if done is None:
        version = current_version(db.session, request.form.get("form_id", ""))
        if version is None:
            return _refuse(_("Ce questionnaire n'existe plus. Prévenez la coordination."))
        place = request.form.get("place", "")
        point = neighbourhood = None
        if place.startswith("point:") and place[6:].isdigit():
            point = sites.get_point(db.session, int(place[6:]))
        elif place.startswith("bus:"):
            neighbourhood = sites.neighbourhood_by_code(db.session, place[4:])
        if point is None and neighbourhood is None:
            return _refuse(_("Choisissez où vous êtes."))
        values = {name: request.form.getlist(name) for name in request.form}
        try:
            done = svc.submit_offline(
                db.session,
                version,
                values,
                key,
                point=point,
                neighbourhood=neighbourhood,
                aidant_id=current_user.id,
            )
        except svc.OfflineRejected as error:
            current_app.logger.info("Offline answers refused: %s", error)
            return _refuse(str(error))
        session["collect_aidant_place"] = place
    if _wants_json():
        return jsonify({"ok": True, "response": done.uuid})
    from app.blueprints.collect.views import DONE_KEY

    session[DONE_KEY] = {"uuid": done.uuid, "assisted": True}
    return redirect(url_for("collect.thanks"), code=303)
