"""The questionnaire on a phone (public), the aidant's tablet mode, and coordinators' points.

Respondent flow: start page -> one page per group -> check page -> thank-you page. Every GET
answers 200 (or redirects to where the respondent is); every accepted POST answers 303. The
draft is found through the HttpOnly cookie ``mairiebus_draft``; nothing needs JavaScript.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import (
    Response as FlaskResponse,
)
from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice

from app.blueprints.collect import bp
from app.blueprints.collect.forms import (
    ActionForm,
    AidantStartForm,
    AttachForm,
    PointForm,
    parse_coordinate,
)
from app.errors import fail
from app.extensions import db
from app.i18n import current_language
from app.models import (
    Channel,
    CollectionLink,
    CollectionPoint,
    FormVersion,
    PointKind,
    Response,
)
from app.page_cache import first_visit_page
from app.security import coordinator_required, public, staff_required
from app.services import collection as sites
from app.services import responses as drafts
from app.services.forms import current_version, load_definition
from app.services.throttle import client_key, get_throttle
from surveys import mapping as town_map
from surveys import richtext
from surveys.engine import FieldView, PageView
from surveys.labels import THEMES
from surveys.model import UPLOAD_TYPES, FormDefinition, language_code

HONEYPOT = "website"
DONE_KEY = "collect_done"
AIDANT_PLACE_KEY = "collect_aidant_place"
SUBMISSIONS_PER_HOUR = 30
STARTS_PER_HOUR = 120


def _see_other(endpoint: str, **values: Any) -> FlaskResponse:
    return redirect(url_for(endpoint, **values), code=303)


FORM_LANGUAGE_KEY = "collect_form_language"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")


def _language() -> str:
    """The questionnaire's language: one the respondent picked among the form's, else the UI's.

    The engine falls back to the form's ``default_language`` when the form lacks it.
    """
    if request.args.get("lang") in ("fr", "en"):
        session.pop(FORM_LANGUAGE_KEY, None)  # the site's own switch wins
    wanted = request.args.get("langue", "")
    if _LANGUAGE_CODE.match(wanted):
        session[FORM_LANGUAGE_KEY] = wanted
    picked = session.get(FORM_LANGUAGE_KEY)
    if isinstance(picked, str) and _LANGUAGE_CODE.match(picked):
        return picked
    return "en" if str(get_locale()).startswith("en") else "fr"


def _content_language(definition) -> str | None:  # type: ignore[no-untyped-def]
    """The BCP 47 code of the labels shown, when it differs from the page's own language."""
    code = language_code(definition.resolve_language(_language()))
    if not _LANGUAGE_CODE.match(code) or code == str(get_locale())[:2]:
        return None
    return code


def _language_choices(definition) -> list[tuple[str, str, bool]]:  # type: ignore[no-untyped-def]
    """(code, name, current) for each language of a multilingual form."""
    if len(definition.languages) < 2:
        return []
    current = definition.resolve_language(_language())
    return [
        (language_code(lang), re.sub(r"\s*\([^)]*\)\s*$", "", lang) or lang, lang == current)
        for lang in definition.languages
    ]


def _current_draft() -> Response | None:
    return drafts.load_draft(db.session, request.cookies.get(drafts.COOKIE_NAME))


def _with_cookie(response: FlaskResponse, token: str) -> FlaskResponse:
    response.set_cookie(
        drafts.COOKIE_NAME,
        token,
        max_age=drafts.COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        path="/",
    )
    return response


def _without_cookie(response: FlaskResponse) -> FlaskResponse:
    response.delete_cookie(drafts.COOKIE_NAME, path="/")
    return response


def _page_url(key: str) -> str:
    if key == drafts.CHECK_PAGE:
        return url_for("collect.check")
    return url_for("collect.page", key=key)


def _throttled(prefix: str, limit: int) -> bool:
    """Count one event for this client; True when over ``limit`` in the last hour."""
    return get_throttle().hit(client_key(prefix), 3600) > limit


def _is_staff() -> bool:
    return bool(current_user.is_authenticated)


# --------------------------------------------------------------------------- start


def form_title(definition: FormDefinition) -> str:
    """The questionnaire's title in the reader's language.

    An XLSForm may give ``form_title::English (en)`` in its settings; otherwise the title goes
    through the catalogue (the shipped questionnaire's title is translated there, see
    app/translations/dynamic_msgids.txt), and stays as written when nothing translates it.
    """
    language = current_language()
    for key, value in definition.settings.items():
        if key.startswith("form_title::") and value and language_code(key[12:]) == language:
            return value
    return _(definition.title) if definition.title else definition.title


def _start_page(link: CollectionLink | None, version, point: CollectionPoint | None):  # type: ignore[no-untyped-def]
    draft = _current_draft()
    _language()  # remembers ?langue= from a poster or a link for the draft about to start
    definition = load_definition(version)
    page_count = max(1, len(_visible_pages(definition)))
    return render_template(
        "collect/start.html",
        title=form_title(definition),
        point=point,
        link=link,
        draft=draft,
        resume_url=_page_url(drafts.resume_key(draft)) if draft else None,
        page_count=page_count,
        minutes=max(3, round(page_count * 0.6)),
        honeypot=HONEYPOT,
    )


def _visible_pages(definition):  # type: ignore[no-untyped-def]
    return drafts.first_visit_pages(definition)


def _begin(version, point: CollectionPoint | None, channel: Channel = Channel.SELF, **kw: Any):  # type: ignore[no-untyped-def]
    if channel is Channel.SELF and _throttled("collect-start", _limit("COLLECT_STARTS_PER_HOUR")):
        fail(
            429,
            _("Vous avez commencé beaucoup de questionnaires. Attendez un peu, puis réessayez."),
        )
    response, token = drafts.start_draft(
        db.session,
        version,
        point=point,
        channel=channel,
        language=_language(),
        honeypot=bool(request.form.get(HONEYPOT, "").strip()),
        **kw,
    )
    return _with_cookie(redirect(_page_url(drafts.resume_key(response)), code=303), token)


def _limit(name: str) -> int:
    default = SUBMISSIONS_PER_HOUR if name == "COLLECT_SUBMISSIONS_PER_HOUR" else STARTS_PER_HOUR
    try:
        return int(current_app.config.get(name, default))
    except (TypeError, ValueError):
        return default


@bp.route("/questionnaire", methods=["GET", "POST"])
@public
@first_visit_page
def start_default():  # type: ignore[no-untyped-def]
    """Start page of the Mairie Bus questionnaire, met without a collection point."""
    version = sites.ensure_default_form(db.session)
    if version is None:
        fail(404, _("Le questionnaire n'est pas encore disponible. Revenez bientôt."))
    if request.method == "POST":
        return _begin(version, None)
    return _start_page(None, version, None)


@bp.route("/q", methods=["GET"])
@public
def enter_code():  # type: ignore[no-untyped-def]
    """Type the short code written on a poster."""
    typed = request.args.get("code")
    error = None
    if typed is not None:
        link = sites.find_link(db.session, typed)
        if link is not None:
            return redirect(url_for("collect.start", code=link.code), code=303)
        error = _("Ce code ne correspond à aucun questionnaire. Vérifiez les lettres tapées.")
    status = 400 if error else 200
    return render_template("collect/enter_code.html", error=error, typed=typed or ""), status


@bp.route("/q/<code>", methods=["GET", "POST"])
@public
@first_visit_page
def start(code: str):  # type: ignore[no-untyped-def]
    """Start page reached by a poster's QR code: the collection point is recorded."""
    found = sites.find_link_and_version(db.session, code)
    if found is None:
        fail(404, _("Ce code ne correspond à aucun questionnaire. Vérifiez les lettres tapées."))
    link, version = found
    if link.code != code:
        return redirect(url_for("collect.start", code=link.code), code=303)
    if version is None or link.form.archived:
        fail(404, _("Ce questionnaire n'est plus proposé."))
    if load_definition(version).missing_files:
        fail(404, _("Ce questionnaire n'est pas encore prêt. Revenez bientôt."))
    # An archived point's old posters still open the questionnaire, but record no place.
    point = None if link.collection_point.archived else link.collection_point
    if request.method == "POST":
        return _begin(version, point)
    return _start_page(link, version, point)


@bp.route("/apercu/<int:version_pk>", methods=["POST"])
@coordinator_required
def preview(version_pk: int):  # type: ignore[no-untyped-def]
    """A coordinator answers any version, without a collection point; nothing is stored."""
    version = db.session.get(FormVersion, version_pk)
    if version is None:
        fail(404, _("Cette version n'existe pas."))
    response, token = drafts.start_draft(
        db.session, version, channel=Channel.ASSISTED, language=_language(), preview=True
    )
    flash(_("Aperçu : vos réponses ne seront pas enregistrées."), "info")
    return _with_cookie(redirect(_page_url(drafts.resume_key(response)), code=303), token)


@bp.route("/questionnaire/recommencer", methods=["POST"])
@public
def restart():  # type: ignore[no-untyped-def]
    """Throw the current draft away and go back to its start page."""
    draft = _current_draft()
    target = url_for("collect.start_default")
    if draft is not None:
        point = draft.collection_point
        link = None
        if point is not None:
            link = next(
                (lk for lk in point.links if lk.form_pk == draft.form_version.form_pk), None
            )
        if link is not None:
            target = url_for("collect.start", code=link.code)
        drafts.abandon(db.session, draft)
    return _without_cookie(redirect(target, code=303))


# --------------------------------------------------------------------------- pages


def _render_page(
    draft: Response,
    page_view: PageView,
    status: int = 200,
    then: str | None = None,
    summary_errors: bool = False,
):  # type: ignore[no-untyped-def]
    previous = drafts.previous_key(draft, page_view.key)
    has_upload = any(f.type in UPLOAD_TYPES for f in page_view.fields)
    has_shape = any(f.type in ("geotrace", "geoshape") for f in page_view.fields)
    errors = [(f.name, f.label, f.error) for f in page_view.fields if f.error]
    definition = drafts.definition_of(draft)
    return render_template(
        "collect/page.html",
        view=page_view,
        draft=draft,
        previous_url=_page_url(previous) if previous else None,
        has_upload=has_upload,
        has_shape=has_shape,
        errors=errors,
        then=then,
        title=form_title(drafts.definition_of(draft)),
        assisted=draft.channel is Channel.ASSISTED,
        range_values=range_values,
        form_languages=_language_choices(definition),
        content_language=_content_language(definition),
    ), status


@bp.app_template_filter("rich")
def rich(text: str) -> Markup:
    """A label or hint with XLSForm's formatting (markdown, colour spans), sanitised."""
    return Markup(richtext.to_html(text or ""))  # noqa: S704 - nh3 keeps a safe subset only


@bp.app_template_filter("plain")
def plain(text: str) -> str:
    """A label's words without formatting (inside links and error summaries)."""
    return richtext.to_text(text or "")


def range_values(item: FieldView) -> list[str]:
    """The values of a small ``range`` question (at most 11 steps), shown as buttons."""
    try:
        start = float(item.parameters.get("start", "1").replace(",", "."))
        end = float(item.parameters.get("end", "10").replace(",", "."))
        step = abs(float(item.parameters.get("step", "1").replace(",", "."))) or 1.0
    except ValueError:
        return []
    low, high = min(start, end), max(start, end)
    count = int(round((high - low) / step)) + 1
    if not 1 < count <= 11:
        return []
    values = [low + i * step for i in range(count)]
    if start > end:
        values.reverse()
    return [str(int(v)) if float(v).is_integer() else f"{v:g}" for v in values]


def _raw_from_request(draft: Response, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The page's submitted values (lists for multiple choices) and uploaded files."""
    from surveys import engine as E

    definition = drafts.definition_of(draft)
    page = E.get_page(definition, drafts.answers_of(draft), key)
    raw: dict[str, Any] = {}
    uploads: dict[str, drafts.UploadedFile] = {}
    for question in page.fields:
        name = question.name
        if question.type in UPLOAD_TYPES:
            storage = request.files.get(name)
            if isinstance(storage, FileStorage) and storage.filename:
                uploads[name] = drafts.UploadedFile(storage.filename, storage.read())
            continue
        if name not in request.form:
            continue
        if question.is_multiple:
            raw[name] = request.form.getlist(name)
        else:
            raw[name] = request.form.get(name, "")
    return raw, uploads


@bp.route("/repondre/<key>", methods=["GET", "POST"])
@public
def page(key: str):  # type: ignore[no-untyped-def]
    """One page of the questionnaire (one group of questions)."""
    draft = _current_draft()
    if draft is None:
        if request.method == "POST":
            flash(_("Votre questionnaire a expiré. Vous pouvez recommencer."), "error")
            return _see_other("collect.start_default")
        return redirect(url_for("collect.start_default"))
    if not drafts.page_exists(draft, key):
        return redirect(_page_url(drafts.resume_key(draft)), code=303)
    language = _language()
    if request.method == "GET":
        return _render_page(draft, drafts.view(draft, key, language), then=request.args.get("then"))
    raw, uploads = _raw_from_request(draft, key)
    action = request.form.get("action", "next")
    if action not in ("next", "back", "add", "remove", "refresh"):
        action = "next"
    shown = frozenset(request.form.getlist("shown"))
    try:
        step = drafts.save_page(
            db.session,
            draft,
            key,
            raw,
            action=action,
            shown=shown,
            language=language,
            uploads=uploads,
        )
    except drafts.DraftError:
        return redirect(_page_url(drafts.resume_key(draft)), code=303)
    if not step.ok:
        page_errors = {k: v for k, v in step.errors.items() if k != "__page__"}
        if "__page__" in step.errors:
            flash(step.errors["__page__"], "error")
        page_view = drafts.view(draft, key, language, page_errors, step.raw)
        return _render_page(draft, page_view, 400, then=request.form.get("then"))
    target = step.target
    if request.form.get("then") == "check" and action == "next" and target != key:
        target = drafts.CHECK_PAGE
        drafts.go_to(db.session, draft, target)
    return redirect(_page_url(target), code=303)


@bp.route("/questionnaire/verification", methods=["GET"])
@public
def check():  # type: ignore[no-untyped-def]
    """Check your answers, then send them."""
    draft = _current_draft()
    if draft is None:
        return redirect(url_for("collect.start_default"))
    language = _language()
    previous = drafts.previous_key(draft, drafts.CHECK_PAGE)
    return render_template(
        "collect/check.html",
        items=drafts.summary(draft, language),
        draft=draft,
        previous_url=_page_url(previous) if previous else None,
        idempotency_key=drafts.new_idempotency_key(),
        honeypot=HONEYPOT,
        title=form_title(drafts.definition_of(draft)),
        assisted=draft.channel is Channel.ASSISTED,
    )


@bp.route("/questionnaire/envoyer", methods=["GET", "POST"])
@public
def send():  # type: ignore[no-untyped-def]
    """Submit the answers (idempotent: a double tap gives the same thank-you page)."""
    if request.method == "GET":
        return redirect(url_for("collect.check"))
    key = request.form.get("idempotency_key", "")
    done = drafts.find_submitted(db.session, key)
    if done is not None:
        return _thanked(done)
    draft = _current_draft()
    if draft is None:
        return _see_other("collect.start_default")
    if request.form.get(HONEYPOT, "").strip():
        drafts.mark_honeypot(db.session, draft)
    assisted = draft.channel is Channel.ASSISTED and _is_staff()
    if not assisted and _throttled("collect-submit", _limit("COLLECT_SUBMISSIONS_PER_HOUR")):
        fail(429, _("Beaucoup de réponses sont arrivées d'ici. Attendez un peu, puis réessayez."))
    if not drafts.valid_idempotency_key(key):
        fail(400, _("Le formulaire n'est pas valide. Rechargez la page et recommencez."))
    try:
        stored = drafts.submit(db.session, draft, key, language=_language())
    except drafts.IncompleteError as error:
        page_view = drafts.view(draft, error.page, _language(), error.errors)
        return _render_page(draft, page_view, 400, then="check")
    except drafts.DraftError as error:
        fail(400, str(error))
    if stored is None:  # a robot's draft, dropped
        session[DONE_KEY] = {"uuid": None, "assisted": False}
        return _without_cookie(_see_other("collect.thanks"))
    return _thanked(stored)


def _thanked(stored: Response) -> FlaskResponse:
    session[DONE_KEY] = {
        "uuid": stored.uuid,
        "assisted": stored.channel is Channel.ASSISTED,
    }
    return _without_cookie(_see_other("collect.thanks"))


@bp.route("/merci", methods=["GET"])
@public
def thanks():  # type: ignore[no-untyped-def]
    """Thank-you page: what happens next, when the bus comes, who can help meanwhile."""
    done = session.get(DONE_KEY) or {}
    uuid = done.get("uuid") if isinstance(done, dict) else None
    needs = drafts.needs_of(db.session, uuid) if isinstance(uuid, str) else []
    assisted = bool(done.get("assisted")) if isinstance(done, dict) else False
    next_form = None
    if assisted and _is_staff():
        next_form = AidantStartForm()
        _fill_aidant_form(next_form)
        place = session.get(AIDANT_PLACE_KEY)
        if place:
            next_form.place.data = place
    return render_template(
        "collect/thanks.html",
        needs=needs,
        all_themes=list(THEMES),
        assisted=assisted and _is_staff(),
        next_form=next_form,
        answered=bool(done),
    )


# --------------------------------------------------------------------------- aidant mode


def _fill_aidant_form(form: AidantStartForm) -> None:
    point_group = _("Points de recueil")
    bus_group = _("Dans le bus")
    choices = [SelectChoice("", _("Choisir…"))]
    for point in sites.list_points(db.session, include_archived=False):
        choices.append(SelectChoice(f"point:{point.id}", point.name, optgroup=point_group))
    for item in sites.neighbourhoods(db.session):
        label = _("Dans le bus, à %(name)s", name=item.name)
        choices.append(SelectChoice(f"bus:{item.code}", label, optgroup=bus_group))
    form.place.choices = choices
    forms = sites.forms_available(db.session)
    form.form_id.choices = [SelectChoice(f.form_id, f.title) for f in forms]
    if not form.form_id.data and forms:
        ids = [f.form_id for f in forms]
        form.form_id.data = sites.DEFAULT_FORM_ID if sites.DEFAULT_FORM_ID in ids else ids[0]


@bp.route("/aidant/questionnaire", methods=["GET", "POST"])
@staff_required
def aidant_start():  # type: ignore[no-untyped-def]
    """The aidant says where they are, then fills the questionnaire in with a resident."""
    sites.ensure_default_form(db.session)
    form = AidantStartForm()
    _fill_aidant_form(form)
    status = 200
    if form.validate_on_submit():
        version = current_version(db.session, form.form_id.data or "")
        place = form.place.data or ""
        point = None
        neighbourhood = None
        if place.startswith("point:") and place[6:].isdigit():
            point = sites.get_point(db.session, int(place[6:]))
        elif place.startswith("bus:"):
            neighbourhood = sites.neighbourhood_by_code(db.session, place[4:])
        if version is None or (point is None and neighbourhood is None):
            form.place.errors = [_("Choisissez où vous êtes.")]
            status = 400
        else:
            session[AIDANT_PLACE_KEY] = place
            return _begin(
                version,
                point,
                Channel.ASSISTED,
                neighbourhood=neighbourhood,
                aidant_id=current_user.id,
            )
    elif form.is_submitted():
        status = 400
    elif session.get(AIDANT_PLACE_KEY):
        form.place.data = session[AIDANT_PLACE_KEY]
    return render_template("collect/aidant_start.html", form=form), status


# --------------------------------------------------------------------------- coordinators


def _point_or_404(point_id: int) -> CollectionPoint:
    point = sites.get_point(db.session, point_id)
    if point is None:
        fail(404, _("Ce point de recueil n'existe pas."))
    return point


def _link_or_404(code: str) -> CollectionLink:
    link = sites.find_link(db.session, code)
    if link is None:
        fail(404, _("Ce lien n'existe pas."))
    return link


def _fill_point_form(form: PointForm) -> None:
    form.neighbourhood.choices = [SelectChoice("", _("Aucun"))] + [
        SelectChoice(n.code, n.name) for n in sites.neighbourhoods(db.session)
    ]


def _coordinate_text(value: float) -> str:
    """A coordinate as a coordinator reads and types it: French comma, 5 decimals (about 1 m)."""
    return f"{value:.5f}".replace(".", ",")


def _form_position(form: PointForm) -> tuple[float, float] | None:
    try:
        lat, lon = parse_coordinate(form.latitude.data), parse_coordinate(form.longitude.data)
    except ValueError:
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _plan_click() -> tuple[float, float] | None:
    """Where the plan was clicked (the image button sends plan.x and plan.y), or None.

    Pressing Enter in a field submits through the first button of the form, the plan, at
    (0, 0): that corner is outside the town, so it counts as a plain save.
    """
    try:
        x, y = float(request.form["plan.x"]), float(request.form["plan.y"])
    except (KeyError, ValueError):
        return None
    if (x, y) == (0, 0):
        return None
    return x, y


def _pick_on_plan(form: PointForm, click: tuple[float, float]) -> tuple[str | None, int]:
    """Fill latitude and longitude from a click on the plan; a message, and the status."""
    town = town_map.load_town()
    lat, lon = town_map.picker_frame(town).unproject(*click)
    if not town_map.inside(town.outline, lat, lon):
        form.latitude.errors = [_("Cliquez à l'intérieur du contour de la ville.")]
        return None, 400
    form.latitude.data, form.longitude.data = _coordinate_text(lat), _coordinate_text(lon)
    message = _(
        "Position prise sur le plan : %(lat)s ; %(lon)s. Vérifiez-la, puis enregistrez.",
        lat=form.latitude.data,
        lon=form.longitude.data,
    )
    return message, 200


def _point_data(form: PointForm) -> sites.PointData:
    return sites.PointData(
        name=form.name.data or "",
        kind=PointKind(form.kind.data),
        neighbourhood_code=form.neighbourhood.data or None,
        address=form.address.data or "",
        latitude=parse_coordinate(form.latitude.data),
        longitude=parse_coordinate(form.longitude.data),
        active_from=form.active_from.data,
        active_until=form.active_until.data,
    )


@bp.route("/points", methods=["GET"])
@coordinator_required
def points():  # type: ignore[no-untyped-def]
    """Coordinators' list of collection points, with links, QR codes and posters."""
    items = sites.list_points(db.session)
    return render_template(
        "collect/points.html",
        points=items,
        counts=sites.response_counts(db.session),
        main_link=sites.main_link,
        link_url=sites.link_url,
        kind_labels=_kind_labels(),
        today=date.today(),
        is_active_on=sites.is_active_on,
    )


def _kind_labels() -> dict[PointKind, str]:
    return {
        PointKind.HOUSING_ESTATE: _("Résidence, cité"),
        PointKind.SHOPPING_CENTRE: _("Centre commercial"),
        PointKind.PARK: _("Parc, jardin"),
        PointKind.BUS_STOP: _("Arrêt du bus"),
        PointKind.OTHER: _("Autre lieu"),
    }


@bp.route("/points/nouveau", methods=["GET", "POST"])
@coordinator_required
def point_new():  # type: ignore[no-untyped-def]
    """Create a collection point (the Mairie Bus questionnaire is attached to it)."""
    sites.ensure_default_form(db.session)
    form = PointForm()
    _fill_point_form(form)
    status = 200
    click = _plan_click() if request.method == "POST" else None
    if click is not None:
        picked, status = _pick_on_plan(form, click)
        return render_template(
            "collect/point_form.html",
            form=form,
            point=None,
            picked=picked,
            position=_form_position(form),
        ), status
    if form.validate_on_submit():
        try:
            point = sites.create_point(db.session, _point_data(form))
        except sites.SiteError as error:
            form.name.errors = [str(error)]
            status = 400
        else:
            flash(_("Le point « %(name)s » est créé.", name=point.name), "success")
            return _see_other("collect.point_edit", point_id=point.id)
    elif form.is_submitted():
        status = 400
    return render_template(
        "collect/point_form.html", form=form, point=None, position=_form_position(form)
    ), status


@bp.route("/points/<int:point_id>", methods=["GET", "POST"])
@coordinator_required
def point_edit(point_id: int):  # type: ignore[no-untyped-def]
    """Edit a collection point; see its links, QR codes and posters; attach questionnaires."""
    point = _point_or_404(point_id)
    form = PointForm(obj=None)
    _fill_point_form(form)
    status = 200
    picked = None
    click = _plan_click() if request.method == "POST" else None
    if click is not None:
        picked, status = _pick_on_plan(form, click)
    elif request.method == "GET":
        form.name.data = point.name
        form.kind.data = point.kind.value
        form.neighbourhood.data = point.neighbourhood.code if point.neighbourhood else ""
        form.address.data = point.address
        form.latitude.data = "" if point.latitude is None else _coordinate_text(point.latitude)
        form.longitude.data = "" if point.longitude is None else _coordinate_text(point.longitude)
        form.active_from.data = point.active_from
        form.active_until.data = point.active_until
    elif form.validate_on_submit():
        try:
            sites.update_point(db.session, point, _point_data(form))
        except sites.SiteError as error:
            form.name.errors = [str(error)]
            status = 400
        else:
            flash(_("Les changements sont enregistrés."), "success")
            return _see_other("collect.point_edit", point_id=point.id)
    else:
        status = 400
    attach = AttachForm(prefix="attach")
    attached = {link.form_pk for link in point.links}
    attach.form_id.choices = [
        SelectChoice(f.form_id, f.title)
        for f in sites.forms_available(db.session)
        if f.id not in attached
    ]
    return render_template(
        "collect/point_form.html",
        form=form,
        point=point,
        attach=attach,
        action_form=ActionForm(),
        link_url=sites.link_url,
        short=sites.short_display,
        picked=picked,
        position=_form_position(form),
    ), status


@bp.route("/points/<int:point_id>/archiver", methods=["POST"])
@coordinator_required
def point_archive(point_id: int):  # type: ignore[no-untyped-def]
    """Archive a point, or bring it back (``archived`` = 1 or 0)."""
    point = _point_or_404(point_id)
    if not ActionForm().validate_on_submit():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
    archived = request.form.get("archived", "1") == "1"
    sites.set_archived(db.session, point, archived)
    if archived:
        flash(_("Le point « %(name)s » est archivé.", name=point.name), "success")
    else:
        flash(_("Le point « %(name)s » est de nouveau actif.", name=point.name), "success")
    return _see_other("collect.points")


@bp.route("/points/<int:point_id>/questionnaires", methods=["POST"])
@coordinator_required
def point_attach(point_id: int):  # type: ignore[no-untyped-def]
    """Offer one more questionnaire at this point (it gets its own short link)."""
    point = _point_or_404(point_id)
    form = AttachForm(prefix="attach")
    form.form_id.choices = [
        SelectChoice(f.form_id, f.title) for f in sites.forms_available(db.session)
    ]
    if not form.validate_on_submit():
        fail(400, _("Choisissez un questionnaire dans la liste."))
    try:
        link = sites.attach_form(db.session, point, form.form_id.data or "")
    except sites.SiteError as error:
        fail(400, str(error))
    flash(_("Lien créé : %(url)s", url=sites.link_url(link)), "success")
    return _see_other("collect.point_edit", point_id=point.id)


@bp.route("/liens/<code>/retirer", methods=["POST"])
@coordinator_required
def link_detach(code: str):  # type: ignore[no-untyped-def]
    """Stop offering a questionnaire at a point (answers stay; the poster stops working)."""
    link = _link_or_404(code)
    if not ActionForm().validate_on_submit():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
    point_id = link.collection_point_id
    sites.detach_link(db.session, link)
    flash(_("Le questionnaire n'est plus proposé à ce point."), "success")
    return _see_other("collect.point_edit", point_id=point_id)


@bp.route("/liens/<code>/qr.png", methods=["GET"])
@coordinator_required
def qr_png(code: str):  # type: ignore[no-untyped-def]
    """The link's QR code as a PNG (error correction H)."""
    link = _link_or_404(code)
    scale = request.args.get("scale", "10")
    data = sites.qr_png(sites.link_url(link), int(scale) if scale.isdigit() else 10)
    response = make_response(data)
    response.headers["Content-Type"] = "image/png"
    download = f"qr-{link.collection_point.code}-{link.code}.png"
    response.headers["Content-Disposition"] = f'inline; filename="{download}"'
    return response


@bp.route("/points/plan.svg", methods=["GET"])
@coordinator_required
def points_plan():  # type: ignore[no-untyped-def]
    """The town plan to click a point's position on, with the current position marked."""
    marker = None
    try:
        lat = parse_coordinate(request.args.get("lat"))
        lon = parse_coordinate(request.args.get("lon"))
    except ValueError:
        lat = lon = None
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        marker = (lat, lon)
    response = make_response(town_map.picker_svg(town_map.load_town(), marker))
    response.headers["Content-Type"] = "image/svg+xml"
    return response


@bp.route("/liens/<code>/qr.svg", methods=["GET"])
@coordinator_required
def qr_svg(code: str):  # type: ignore[no-untyped-def]
    """The link's QR code as an SVG, sharp at any print size."""
    link = _link_or_404(code)
    response = make_response(sites.qr_svg(sites.link_url(link)))
    response.headers["Content-Type"] = "image/svg+xml"
    return response


@bp.route("/liens/<code>/affiche", methods=["GET"])
@coordinator_required
def poster(code: str):  # type: ignore[no-untyped-def]
    """A printable A4 poster: QR code, short URL, invitation, duration, privacy promise."""
    link = _link_or_404(code)
    version = current_version(db.session, link.form.form_id)
    pages = len(_visible_pages(load_definition(version))) if version else 8
    url = sites.link_url(link)
    return render_template(
        "collect/poster.html",
        link=link,
        point=link.collection_point,
        url=url,
        short_url=sites.short_display(url),
        minutes=max(3, round(pages * 0.6)),
        form=link.form,
    )
