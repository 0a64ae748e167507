"""Hosted badge documents (URLs of ``badges.openbadges.badge_urls``), badge pages, verifier.

The JSON documents answer ``application/ld+json``, never redirect and never ask for a login,
so any Open Badges consumer can fetch them. A revoked assertion answers 410 Gone with the
small ``revoked`` body, as the OB 2.0 specification says.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from app.blueprints.badges_public import bp
from app.blueprints.badges_public.forms import EmailCheckForm, ReceiveForm, VerifyForm
from app.errors import fail
from app.extensions import csrf, db
from app.mail import MailError, mail_enabled
from app.models.badges import Award
from app.security import public
from app.services import badges as service
from app.services.throttle import client_key, get_throttle
from badges import openbadges
from badges.baking import MAX_PNG_BYTES
from badges.openbadges import JSONLD_MEDIA_TYPE, REVOKED_HTTP_STATUS, BadgeDataError

_SLUG = re.compile(r"^([a-z0-9_]{1,40})-([1-9])$")


def _jsonld(document: dict[str, Any], status: int = 200) -> Response:
    response = Response(openbadges.to_json(document), status=status, mimetype=JSONLD_MEDIA_TYPE)
    # Revocations must show at once: consumers revalidate every time.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _png(data: bytes, filename: str | None = None) -> Response:
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = "no-cache"
    # Public, read-only images: browser importers (wallets, backpacks) may fetch them.
    response.headers["Access-Control-Allow-Origin"] = "*"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _award_or_404(assertion_id: object) -> Award:
    award = service.find_award(db.session, assertion_id)
    if award is None:
        fail(404, _("Ce badge n'existe pas. Vérifiez l'adresse."))
    return award


def _class_or_404(slug: str) -> tuple[str, int]:
    match = _SLUG.match(slug)
    if match is None:
        fail(404, _("Ce badge n'existe pas."))
    domain, level = match.group(1), int(match.group(2))
    try:
        service.badge_class_data(domain, level)
    except service.BadgeError:
        fail(404, _("Ce badge n'existe pas."))
    return domain, level


def _download_name(award: Award, extension: str) -> str:
    return f"badge-{award.domain}-{award.level}-{award.uuid[:8]}.{extension}".replace("_", "-")


# ---------------------------------------------------------------------------------------
# Hosted documents


@bp.route("/badges/issuer.json")
@public
def issuer():  # type: ignore[no-untyped-def]
    """OB 2.0 Issuer profile (the town)."""
    return _jsonld(openbadges.issuer_profile(service.issuer_settings(), service.urls()))


@bp.route("/badges/issuer-v3.json")
@public
def issuer_v3():  # type: ignore[no-untyped-def]
    """OB 3.0 issuer: controller document listing every signing key, current and retired."""
    return _jsonld(service.controller_document())


@bp.route("/.well-known/did.json")
@bp.route("/did.json")
@public
def did_document():  # type: ignore[no-untyped-def]
    """The issuer as ``did:web``: DID document listing every signing key.

    ``did:web:host`` resolves to ``/.well-known/did.json``; when the app is served under a
    path (``did:web:host:bus``), the DID resolves to ``<base>/did.json``: both answer.
    """
    return _jsonld(service.did_document())


@bp.route("/badges/status/<int:number>.json")
@public
def status_list(number: int):  # type: ignore[no-untyped-def]
    """Signed W3C Bitstring Status List (revocation) of the 3.0 credentials."""
    if not service.status_list_exists(db.session, number):
        fail(404, _("Cette liste n'existe pas."))
    return _jsonld(service.status_list_document(db.session, number))


@bp.route("/badges/issuer.png")
@public
def issuer_image():  # type: ignore[no-untyped-def]
    """Issuer logo."""
    return _png(service.issuer_image())


@bp.route("/badges/revocations.json")
@public
def revocations():  # type: ignore[no-untyped-def]
    """OB 2.0 RevocationList of every revoked badge."""
    return _jsonld(service.revocation_list_document(db.session))


@bp.route("/badges/keys/<key_id>.json")
@public
def key(key_id: str):  # type: ignore[no-untyped-def]
    """Multikey document of a signing key (OB 3.0 verificationMethod), with its period."""
    from badges.credentials import multikey_document

    found = [k for k in service.published_keys() if k.value == key_id]
    if not found:
        fail(404, _("Cette clé n'existe pas."))
    return _jsonld(multikey_document(service.urls(), found[0]))


@bp.route("/badges/classes/<slug>.json")
@public
def badge_class(slug: str):  # type: ignore[no-untyped-def]
    """OB 2.0 BadgeClass of one domain and level."""
    domain, level = _class_or_404(slug)
    return _jsonld(openbadges.badge_class(service.badge_class_data(domain, level), service.urls()))


@bp.route("/badges/classes/<slug>.png")
@public
def badge_class_image(slug: str):  # type: ignore[no-untyped-def]
    """Plain (unbaked) image of a BadgeClass."""
    domain, level = _class_or_404(slug)
    return _png(service.class_image(domain, level))


@bp.route("/badges/assertions/<uuid:assertion_id>.json")
@public
def assertion(assertion_id):  # type: ignore[no-untyped-def]
    """Hosted OB 2.0 Assertion; 410 Gone with the revoked body once revoked."""
    award = _award_or_404(assertion_id)
    if award.is_revoked:
        return _jsonld(service.revoked_body(award), REVOKED_HTTP_STATUS)
    return _jsonld(award.assertion_json)


@bp.route("/badges/assertions/<uuid:assertion_id>.png")
@public
def assertion_image(assertion_id):  # type: ignore[no-untyped-def]
    """The baked badge PNG (2.0 Assertion and 3.0 credential inside)."""
    award = _award_or_404(assertion_id)
    if award.is_revoked:
        fail(410, _("Ce badge a été retiré : il ne peut plus être téléchargé."))
    download = _download_name(award, "png") if request.args.get("download") else None
    return _png(service.baked_png(award), download)


@bp.route("/badges/credentials/<uuid:assertion_id>.json")
@public
def credential(assertion_id):  # type: ignore[no-untyped-def]
    """The signed OB 3.0 credential, as a file to download."""
    award = _award_or_404(assertion_id)
    if award.is_revoked:
        body = service.revoked_body(award)
        body["id"] = service.urls().credential(award.uuid)
        return _jsonld(body, REVOKED_HTTP_STATUS)
    response = _jsonld(award.credential_json)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_download_name(award, "json")}"'
    )
    return response


# ---------------------------------------------------------------------------------------
# Pages


def _criteria(award: Award) -> list[str]:
    """The "je sais…" lines of the issued badge (from its frozen credential)."""
    subject = award.credential_json.get("credentialSubject") or {}
    narrative = ((subject.get("achievement") or {}).get("criteria") or {}).get("narrative", "")
    return [line[2:] for line in str(narrative).splitlines() if line.startswith("- ")]


@bp.route("/badges/<uuid:assertion_id>")
@public
def badge_page(assertion_id):  # type: ignore[no-untyped-def]
    """Public page of one badge (the share link): no personal data unless the holder chose."""
    award = _award_or_404(assertion_id)
    holder = None
    if award.show_name and award.pass_ is not None and award.pass_.first_name:
        holder = award.pass_.first_name
    issuer = service.issuer_settings()
    return render_template(
        "badges_public/badge.html",
        award=award,
        holder=holder,
        criteria=_criteria(award),
        issuer=issuer,
        urls=service.urls(),
        linkedin_url=service.linkedin_url(award),
        wallet_qr=None if award.is_revoked else _qr_svg(service.urls().credential(award.uuid)),
        mail_enabled=mail_enabled(),
    )


def _qr_svg(url: str) -> Markup:
    """Inline SVG QR code of ``url`` (Learner Credential Wallet scans it to import)."""
    import segno

    qr = segno.make(url, error="m")
    svg = qr.svg_inline(
        scale=3, title=_("QR code à scanner avec Learner Credential Wallet"), svgclass="qr"
    )
    size = qr.symbol_size(scale=3)[0]
    svg = svg.replace("<svg ", f'<svg role="img" viewBox="0 0 {size} {size}" ', 1)
    return Markup(svg)  # segno's own markup; the URL inside is ours


@bp.route("/badges/recevoir", methods=["GET", "POST"])
@public
def receive():  # type: ignore[no-untyped-def]
    """« Recevoir mes badges par e-mail »: the Pass's badges as PNG attachments."""
    form = ReceiveForm()
    if request.method == "GET" and request.args.get("code"):
        form.pass_code.data = request.args.get("code", "")[:20]
    if not mail_enabled():
        return render_template("badges_public/receive.html", form=None), 200
    status = 200
    if form.validate_on_submit():
        _throttled()
        pass_ = service.find_pass(db.session, form.pass_code.data)
        if not form.consent.data:
            form.consent.errors = [
                _("Cochez la case pour accepter que nous gardions votre e-mail avec votre Pass.")
            ]
            status = 400
        elif pass_ is None:
            form.pass_code.errors = [
                _("Ce code de Pass n'existe pas. Vérifiez-le sur votre carte.")
            ]
            status = 400
        else:
            try:
                count = service.send_badges_by_email(
                    db.session, pass_, form.email.data, bool(form.consent.data)
                )
            except service.NoBadgesError as error:
                form.pass_code.errors = [error.message]
                status = 400
            except service.BadgeError as error:
                form.email.errors = [error.message]
                status = 400
            except MailError as error:
                form.email.errors = [str(error)]
                status = 503
            else:
                flash(
                    ngettext(
                        "Votre badge a été envoyé à %(email)s.",
                        "Vos %(num)d badges ont été envoyés à %(email)s.",
                        count,
                        email=form.email.data.strip().lower(),
                    ),
                    "success",
                )
                return redirect(url_for("badges_public.receive"), code=303)
    elif form.is_submitted():
        status = 400
    return render_template("badges_public/receive.html", form=form), status


def _throttled() -> None:
    config = current_app.config
    limit = int(config.get("BADGE_VERIFY_LIMIT", 30))
    window = int(config.get("BADGE_VERIFY_WINDOW", 600))
    if get_throttle().hit(client_key("badge-verify"), window) > limit:
        fail(
            429,
            _("Vous avez vérifié beaucoup de badges d'un coup. Attendez un peu, puis réessayez."),
        )


def _read_upload(storage) -> bytes:  # type: ignore[no-untyped-def]
    data = storage.read(MAX_PNG_BYTES + 1)
    if len(data) > MAX_PNG_BYTES:
        fail(413, _("Le fichier est trop gros (8 Mo au maximum)."))
    return bytes(data)


@bp.route("/verifier", methods=["GET", "POST"])
@public
def verify():  # type: ignore[no-untyped-def]
    """« Vérifier un badge »: upload a PNG or JSON badge, get a plain-French verdict."""
    form = VerifyForm()
    verdict = None
    status = 200
    if form.validate_on_submit():
        _throttled()
        data = _read_upload(form.badge.data)
        verdict = service.verify_data(
            db.session,
            data,
            email=form.email.data or None,
            pass_code=form.pass_code.data or None,
        )
        if service.is_unreadable(verdict):
            status = 400
    elif form.is_submitted():
        status = 400
    return render_template("badges_public/verify.html", form=form, verdict=verdict), status


@bp.route("/verifier/<uuid:assertion_id>", methods=["GET", "POST"])
@public
def verify_award(assertion_id):  # type: ignore[no-untyped-def]
    """Verification of one badge reached by its QR code; optionally check an email."""
    award = _award_or_404(assertion_id)
    form = EmailCheckForm()
    status = 200
    email = None
    pass_code = None
    if form.validate_on_submit():
        _throttled()
        email = form.email.data or None
        pass_code = form.pass_code.data or None
    elif form.is_submitted():
        status = 400
    verdict = service.verify_award(db.session, award, email=email, pass_code=pass_code)
    return render_template(
        "badges_public/verify_award.html", form=form, verdict=verdict, award=award
    ), status


# ---------------------------------------------------------------------------------------
# JSON API


def _api_input() -> tuple[bytes | str | dict[str, Any], str | None, str | None]:
    """The badge, optional email and optional Pass code, from an upload or a JSON body."""
    import json

    upload = request.files.get("file") or request.files.get("badge")
    if upload is not None:
        return (
            _read_upload(upload),
            request.form.get("email") or None,
            request.form.get("pass_code") or None,
        )
    raw = request.get_data(cache=False)
    if not raw:
        fail(400, _("Envoyez un badge : un fichier (champ « file ») ou un document JSON."))
    if len(raw) > MAX_PNG_BYTES:
        fail(413, _("Le fichier est trop gros (8 Mo au maximum)."))
    email = request.args.get("email") or None
    pass_code = request.args.get("pass_code") or None
    if request.mimetype in ("application/json", JSONLD_MEDIA_TYPE):
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            body = None
        if isinstance(body, dict) and "badge" in body and "@context" not in body:
            badge = body.get("badge")
            email = body.get("email") if isinstance(body.get("email"), str) else email
            code = body.get("pass_code")
            pass_code = code if isinstance(code, str) else pass_code
            if isinstance(badge, dict | str):
                return badge, email, pass_code
            fail(400, _("Le champ « badge » doit contenir le badge JSON."))
    return raw, email, pass_code


@bp.route("/api/verifier", methods=["POST"])
@public
def api_verify():  # type: ignore[no-untyped-def]
    """JSON API of the verifier: the same checks, answered as ``Verdict.to_dict()``."""
    from badges import passcode

    _throttled()
    data, email, pass_code = _api_input()
    if email is not None:
        try:
            openbadges.normalize_email(email)
        except BadgeDataError:
            fail(400, _("Cette adresse e-mail n'est pas valide."))
    if pass_code is not None and (len(pass_code) > 20 or passcode.normalise(pass_code) is None):
        fail(400, _("Ce code de Pass n'est pas valide. Exemple : K7M-9QX-RT4."))
    verdict = service.verify_data(db.session, data, email=email, pass_code=pass_code)
    body = verdict.to_dict()
    if service.is_unreadable(verdict):
        body["message"] = verdict.headline
        return jsonify(body), 400
    return jsonify(body)


csrf.exempt(api_verify)


@bp.after_request
def _cors_for_api(response: Response) -> Response:
    """CORS on the verifier API (read-only, no cookies): any site's page may call it."""
    if request.endpoint == "badges_public.api_verify":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
        response.headers.pop("Access-Control-Allow-Credentials", None)
    return response
