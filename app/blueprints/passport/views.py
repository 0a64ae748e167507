"""Pass informatique views: residents (public, no account) and aidants (staff).

Residents: /pass (start) → /pass/question (one step per page, resumed by an HttpOnly cookie)
→ /pass/<code>/resultats; the Pass page /pass/<code>, its wallet card, contact details, JSON
export and deletion; /pass/ouvrir to type a code. Code lookups are throttled per client.
Aidants: /equipe/pass (open or create a Pass), the person's history and notes, the assessment
run together, then the practical checks observed.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.blueprints.passport import bp
from app.blueprints.passport.forms import (
    ActionForm,
    ChecksForm,
    ContactForm,
    HandoverEmailForm,
    NoteForm,
    OpenForm,
    StartForm,
    StepForm,
)
from app.errors import fail
from app.extensions import db
from app.i18n import current_language
from app.mail import MailError, mail_enabled
from app.models.passes import Assessment, AssessmentKind, Pass
from app.models.surveys import Neighbourhood
from app.page_cache import first_visit_page
from app.security import public, staff_required
from app.services import handover
from app.services import passes as service
from app.services.passes import PassError
from app.services.throttle import client_key, get_throttle
from badges import assessment as engine
from badges.assessment import AssessmentError, ChallengeStep
from badges.skills import CHALLENGE_ASSETS_DIR, load_resources, resources_for

COOKIE = "mairiebus_pass"
COOKIE_MAX_AGE = 30 * 24 * 3600
LOOKUP_LIMIT = 20  # failed code look-ups per client per hour
STAFF_LOOKUP_LIMIT = 100
LOOKUP_WINDOW = 3600
IMAGE_MAX_AGE = 365 * 24 * 3600


# --------------------------------------------------------------------------------------------
# Helpers


def _too_many_message() -> str:
    return _(
        "Trop de codes essayés depuis cet appareil. Attendez une heure, ou demandez de l'aide "
        "dans le Mairie Bus."
    )


def _lookup_key() -> str:
    if current_user.is_authenticated:
        return f"pass-lookup:user:{current_user.id}"
    return client_key("pass-lookup")


def _lookup_limit() -> int:
    return STAFF_LOOKUP_LIMIT if current_user.is_authenticated else LOOKUP_LIMIT


def _check_lookup_allowed() -> None:
    if get_throttle().count(_lookup_key()) >= _lookup_limit():
        fail(429, _too_many_message())


def _lookup_failed() -> None:
    get_throttle().hit(_lookup_key(), LOOKUP_WINDOW)


def _not_found_message() -> str:
    return _("Nous ne trouvons pas de Pass avec ce code. Vérifiez le code sur votre carte.")


def _pass_or_404(code: str) -> Pass:
    """The Pass of a code in the URL; unknown codes count as failed look-ups."""
    _check_lookup_allowed()
    try:
        pass_ = service.find_pass(db.session, code)
    except PassError:
        pass_ = None
    if pass_ is None:
        _lookup_failed()
        fail(404, _not_found_message())
    return pass_


def _code(pass_: Pass) -> str:
    return service.display_code(pass_.code)


def _neighbourhood_choices() -> list[SelectChoice]:
    rows = db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)).all()
    return [SelectChoice("", _("Je préfère ne pas dire"))] + [
        SelectChoice(str(n.id), n.name) for n in rows
    ]


def _neighbourhood_id(form: StartForm) -> int | None:
    value = form.neighbourhood.data or ""
    if value.isdigit() and db.session.get(Neighbourhood, int(value)) is not None:
        return int(value)
    return None


def _cookie_sitting() -> Assessment | None:
    return service.assessment_for_token(db.session, request.cookies.get(COOKIE))


def _set_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE,
        path="/pass",
        httponly=True,
        samesite="Lax",
        secure=request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )


def _clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/pass")


@lru_cache(maxsize=64)
def _image_version(name: str) -> str:
    return hashlib.sha256((CHALLENGE_ASSETS_DIR / name).read_bytes()).hexdigest()[:12]


def _image_url(name: str) -> str:
    return url_for("passport.challenge_image", name=name, v=_image_version(name))


def _step_context(step: engine.Step) -> dict[str, object]:
    context: dict[str, object] = {"step": step, "framework": service.framework()}
    if isinstance(step, ChallengeStep):
        context["image_url"] = _image_url(step.challenge.image)
    return context


def _learning_places(standing_domain, neighbourhood: str | None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Programme sessions on the next themes, else local places that teach the domain."""
    sessions = service.upcoming_sessions(db.session, standing_domain.next_themes)
    if sessions:
        return {"sessions": sessions, "resources": ()}
    places = resources_for(
        _resources(), standing_domain.domain, standing_domain.next_themes, neighbourhood
    )
    return {"sessions": [], "resources": places[:2]}


@bp.app_template_global()
def badge_title(award) -> str:  # type: ignore[no-untyped-def]
    """A badge's title in the reader's language (the issued credential itself stays French)."""
    fw = service.framework()
    try:
        return f"{fw.domain(award.domain).name} – {fw.level_name(award.level).name}"
    except (KeyError, TypeError):
        return str(award.name)


def _resources():  # type: ignore[no-untyped-def]
    return load_resources(framework=service.framework(), language=current_language())


def _neighbourhood_code(pass_: Pass) -> str | None:
    if pass_.neighbourhood_id is None:
        return None
    row = db.session.get(Neighbourhood, pass_.neighbourhood_id)
    return row.code if row else None


# --------------------------------------------------------------------------------------------
# Self-assessment


@bp.route("/pass")
@public
@first_visit_page
def start():  # type: ignore[no-untyped-def]
    """What the Pass is, and a button to begin (or resume) the self-assessment."""
    form = StartForm()
    form.neighbourhood.choices = _neighbourhood_choices()
    sitting = _cookie_sitting()
    return render_template("passport/start.html", form=form, resume=sitting is not None)


@bp.route("/pass/commencer", methods=["POST"])
@public
def begin():  # type: ignore[no-untyped-def]
    """Start a new self-assessment (attached to a Pass when retaking it) and set the cookie."""
    form = StartForm()
    form.neighbourhood.choices = _neighbourhood_choices()
    if not form.validate_on_submit():
        return render_template(
            "passport/start.html",
            form=form,
            resume=False,
            error=_("Nous n'avons pas compris votre choix. Réessayez."),
        ), 400
    pass_ = None
    if form.pass_code.data:
        pass_ = _pass_or_404(form.pass_code.data)
    sitting, token = service.start_assessment(
        db.session,
        pass_=pass_,
        neighbourhood_id=_neighbourhood_id(form),
        fast=request.form.get("fast") == "1",
    )
    response = redirect(url_for("passport.question"), code=303)
    assert token is not None
    _set_cookie(response, token)
    return response


@bp.route("/pass/question", methods=["GET", "POST"])
@public
def question():  # type: ignore[no-untyped-def]
    """The current step of the self-assessment; POST records the answer."""
    sitting = _cookie_sitting()
    if sitting is None:
        flash(_("Votre questionnaire n'est plus en cours. Vous pouvez en commencer un."), "info")
        return redirect(url_for("passport.start"), code=303)
    return _step_view(
        sitting,
        here=url_for("passport.question"),
        back_url=url_for("passport.back"),
        template="passport/step.html",
        on_finish=_finish_self,
    )


def _finish_self(sitting: Assessment):  # type: ignore[no-untyped-def]
    finished = service.finish_assessment(db.session, sitting)
    response = redirect(url_for("passport.results", code=_code(finished.pass_)), code=303)
    _clear_cookie(response)
    return response


@bp.route("/pass/retour", methods=["POST"])
@public
def back():  # type: ignore[no-untyped-def]
    """Go back one question."""
    sitting = _cookie_sitting()
    if sitting is None:
        return redirect(url_for("passport.start"), code=303)
    form = StepForm()
    if not form.validate_on_submit():
        fail(400, _("Nous n'avons pas compris la demande. Revenez en arrière et réessayez."))
    service.go_back(db.session, sitting)
    return redirect(url_for("passport.question"), code=303)


def _step_view(sitting: Assessment, *, here: str, back_url: str, template: str, on_finish, **extra):  # type: ignore[no-untyped-def]
    """Show the current step (GET) or record an answer (POST), for residents and aidants."""
    step = service.current_step(db.session, sitting)
    if step is None:
        return on_finish(sitting)
    form = StepForm()
    context = {"form": form, "back_url": back_url, "here": here, **extra}
    if request.method == "GET":
        return render_template(template, **_step_context(step), **context)
    if not form.validate_on_submit() or not form.step_key.data:
        return render_template(
            template,
            **_step_context(step),
            **context,
            error=_("Nous n'avons pas compris la réponse. Choisissez une des réponses proposées."),
        ), 400
    value = request.form.get("answer", "")
    if request.form.get("skip"):
        value = engine.SKIP
    try:
        service.answer_step(db.session, sitting, value, form.step_key.data)
    except AssessmentError as error:
        if error.reason == "answer":
            return render_template(
                template,
                **_step_context(step),
                **context,
                error=_("Choisissez une des réponses proposées, puis validez."),
            ), 400
        # An old page sent again, or an unreadable state: show where the person really is.
        flash(error.message, "info")
        return redirect(here, code=303)
    if service.is_finished(sitting):
        return on_finish(sitting)
    return redirect(here, code=303)


# --------------------------------------------------------------------------------------------
# Results and the Pass


@bp.route("/pass/<code>/resultats")
@public
def results(code: str):  # type: ignore[no-untyped-def]
    """What was earned first (badges to download), then one short summary per domain."""
    pass_ = _pass_or_404(code)
    standing = service.standing_for(pass_)
    neighbourhood = _neighbourhood_code(pass_)
    places = {d.domain: _learning_places(d, neighbourhood) for d in standing.domains}
    themes = sorted({t for d in standing.domains for t in d.next_themes})
    awards = service.pass_awards(db.session, pass_)
    return render_template(
        "passport/results.html",
        pass_=pass_,
        code=_code(pass_),
        standing=standing,
        framework=service.framework(),
        places=places,
        themes=themes,
        awards=_top_awards(awards),
        award_counts=_award_counts(awards),
    )


@bp.route("/pass/ouvrir", methods=["GET", "POST"])
@public
def open_pass():  # type: ignore[no-untyped-def]
    """Type a Pass code to open it (failed look-ups are throttled per client)."""
    form = OpenForm()
    if request.method == "GET":
        return render_template("passport/open.html", form=form)
    _check_lookup_allowed()
    if not form.validate_on_submit():
        return render_template("passport/open.html", form=form), 400
    try:
        pass_ = service.find_pass(db.session, form.code.data or "")
    except PassError as error:
        _lookup_failed()
        form.code.errors = [error.message]
        return render_template("passport/open.html", form=form), 400
    if pass_ is None:
        _lookup_failed()
        form.code.errors = [_not_found_message()]
        return render_template("passport/open.html", form=form), 404
    return redirect(url_for("passport.pass_page", code=_code(pass_)), code=303)


@bp.route("/pass/<code>")
@public
def pass_page(code: str):  # type: ignore[no-untyped-def]
    """The personal Pass: levels now, history, badges, download, retake, delete."""
    pass_ = _pass_or_404(code)
    service.touch(db.session, pass_)
    standing = service.standing_for(pass_)
    awards = service.pass_awards(db.session, pass_)
    start_form = StartForm()
    start_form.pass_code.data = _code(pass_)
    return render_template(
        "passport/pass.html",
        pass_=pass_,
        code=_code(pass_),
        standing=standing,
        history=service.history_rows(db.session, pass_),
        framework=service.framework(),
        awards=_top_awards(awards),
        award_counts=_award_counts(awards),
        start_form=start_form,
    )


def _top_awards(awards: list) -> list:  # type: ignore[type-arg]
    """The highest badge of each domain (validated first): keeps the Pass page light."""
    return handover.top_awards(awards)


def _award_counts(awards: list) -> dict[str, int]:  # type: ignore[type-arg]
    counts: dict[str, int] = {}
    for award in awards:
        counts[award.domain] = counts.get(award.domain, 0) + 1
    return counts


@bp.route("/pass/<code>/badges/<domain>")
@public
def domain_badges(code: str, domain: str):  # type: ignore[no-untyped-def]
    """Every badge of one domain, with the badges area's download buttons."""
    pass_ = _pass_or_404(code)
    fw = service.framework()
    if domain not in fw.domain_codes:
        fail(404, _("Ce domaine n'existe pas."))
    awards = [a for a in service.pass_awards(db.session, pass_) if a.domain == domain]
    return render_template(
        "passport/domain_badges.html",
        pass_=pass_,
        code=_code(pass_),
        domain=fw.domain(domain),
        framework=fw,
        awards=awards,
    )


@bp.route("/pass/<code>/carte")
@public
def card(code: str):  # type: ignore[no-untyped-def]
    """A printable wallet card (credit-card size) with the code and a QR code."""
    pass_ = _pass_or_404(code)
    return render_template(
        "passport/card.html", pass_=pass_, code=_code(pass_), qr_svg=_qr_svg(pass_)
    )


def _pass_url(pass_: Pass) -> str:
    base = str(current_app.config.get("MAIRIEBUS_BASE_URL", "")).rstrip("/")
    return f"{base}{url_for('passport.pass_page', code=_code(pass_))}"


def _qr_svg(pass_: Pass) -> str:
    import segno
    from markupsafe import Markup

    qr = segno.make(_pass_url(pass_), error="q")
    svg = qr.svg_inline(scale=4, title=_("QR code de votre Pass"), svgclass="qr", omitsize=False)
    size = qr.symbol_size(scale=4)[0]
    svg = svg.replace("<svg ", f'<svg role="img" viewBox="0 0 {size} {size}" ', 1)
    return Markup(svg)  # segno's own markup; the URL inside is ours


@bp.route("/pass/<code>/coordonnees", methods=["GET", "POST"])
@public
def contact(code: str):  # type: ignore[no-untyped-def]
    """Optional first name and email, with explicit consent."""
    pass_ = _pass_or_404(code)
    form = ContactForm()
    if request.method == "GET":
        form.first_name.data = pass_.first_name or ""
        form.email.data = pass_.email or ""
        form.consent.data = pass_.consent_at is not None
        return render_template("passport/contact.html", form=form, pass_=pass_, code=_code(pass_))
    if form.validate_on_submit():
        try:
            service.set_contact(
                db.session,
                pass_,
                form.first_name.data or "",
                form.email.data or "",
                bool(form.consent.data),
            )
        except PassError as error:
            form.consent.errors = [error.message]
        else:
            flash(_("C'est enregistré."), "success")
            return redirect(url_for("passport.pass_page", code=_code(pass_)), code=303)
    return render_template("passport/contact.html", form=form, pass_=pass_, code=_code(pass_)), 400


@bp.route("/pass/<code>/export.json")
@public
def export(code: str):  # type: ignore[no-untyped-def]
    """Download everything the Pass holds, as a JSON file."""
    pass_ = _pass_or_404(code)
    data = service.export_pass(db.session, pass_)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = make_response(body)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="pass-{pass_.code}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/pass/<code>/supprimer", methods=["GET", "POST"])
@public
def delete(code: str):  # type: ignore[no-untyped-def]
    """Confirm, then delete the Pass and all its personal data."""
    pass_ = _pass_or_404(code)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
        service.delete_pass(db.session, pass_)
        return redirect(url_for("passport.deleted"), code=303)
    return render_template("passport/delete.html", form=form, pass_=pass_, code=_code(pass_))


@bp.route("/pass/supprime")
@public
def deleted():  # type: ignore[no-untyped-def]
    """The Pass is gone."""
    return render_template("passport/deleted.html")


@bp.route("/pass/images/<name>")
@public
def challenge_image(name: str):  # type: ignore[no-untyped-def]
    """A mini-challenge picture (SVG), cached for a long time (the URL carries its hash)."""
    names = {c.image for c in (lvl.challenge for lvl in service.framework().iter_levels())}
    if name not in names:
        fail(404, _("Cette image n'existe pas."))
    response = send_file(
        CHALLENGE_ASSETS_DIR / name, mimetype="image/svg+xml", max_age=IMAGE_MAX_AGE
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


# --------------------------------------------------------------------------------------------
# Aidants


def _aidant_sitting(assessment_id: int) -> Assessment:
    sitting = db.session.get(Assessment, assessment_id)
    if sitting is None or sitting.kind is not AssessmentKind.AIDANT or sitting.pass_ is None:
        fail(404, _("Cette évaluation n'existe pas."))
    return sitting


@bp.route("/equipe/pass", methods=["GET", "POST"])
@staff_required
def aidant_home():  # type: ignore[no-untyped-def]
    """Open a Pass by its code (typed or scanned), or start a new Pass with the person."""
    form = OpenForm()
    new_form = StartForm(prefix="new")
    new_form.neighbourhood.choices = _neighbourhood_choices()
    # The forms speak to residents ("votre Pass"); here the aidant reads them.
    form.code.label.text = _("Le code de son Pass")
    new_form.neighbourhood.label.text = _("Son quartier (si la personne veut le dire)")
    if request.method == "GET":
        return render_template("passport/aidant_home.html", form=form, new_form=new_form)
    _check_lookup_allowed()
    if not form.validate_on_submit():
        return render_template("passport/aidant_home.html", form=form, new_form=new_form), 400
    try:
        pass_ = service.find_pass(db.session, form.code.data or "")
    except PassError as error:
        _lookup_failed()
        form.code.errors = [error.message]
        return render_template("passport/aidant_home.html", form=form, new_form=new_form), 400
    if pass_ is None:
        _lookup_failed()
        form.code.errors = [_not_found_message()]
        return render_template("passport/aidant_home.html", form=form, new_form=new_form), 404
    return redirect(url_for("passport.aidant_pass", code=_code(pass_)), code=303)


@bp.route("/equipe/pass/nouveau", methods=["POST"])
@staff_required
def aidant_new_pass():  # type: ignore[no-untyped-def]
    """Create a Pass with the person and start the assessment together."""
    form = StartForm(prefix="new")
    form.neighbourhood.choices = _neighbourhood_choices()
    if not form.validate_on_submit():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
    pass_ = service.create_pass(db.session, neighbourhood_id=_neighbourhood_id(form))
    sitting, _token = service.start_assessment(db.session, pass_=pass_, aidant=current_user)
    flash(
        _("Nouveau Pass créé : %(code)s. Donnez le code à la personne.", code=_code(pass_)),
        "success",
    )
    return redirect(url_for("passport.aidant_step", assessment_id=sitting.id), code=303)


@bp.route("/equipe/pass/<code>")
@staff_required
def aidant_pass(code: str):  # type: ignore[no-untyped-def]
    """The person's levels, history and private notes, for aidants and coordinators."""
    return _render_aidant_pass(_pass_or_404(code), NoteForm())


def _render_aidant_pass(  # type: ignore[no-untyped-def]
    pass_: Pass,
    note_form: NoteForm,
    status: int = 200,
    email_form: HandoverEmailForm | None = None,
    email_error: str = "",
):
    """The aidant's page of a Pass, with ``note_form`` as given (blank, or with its errors)."""
    in_progress = [
        a for a in pass_.assessments if a.finished_at is None and a.kind is AssessmentKind.AIDANT
    ]
    if email_form is None:
        email_form = HandoverEmailForm(formdata=None, email=pass_.email or "")
    awards = service.pass_awards(db.session, pass_)
    return render_template(
        "passport/aidant_pass.html",
        awards=_top_awards(awards),
        award_counts=_award_counts(awards),
        email_form=email_form,
        email_error=email_error,
        mail_enabled=mail_enabled(),
        pass_=pass_,
        code=_code(pass_),
        standing=service.standing_for(pass_),
        history=service.history_rows(db.session, pass_),
        notes=service.notes_for(db.session, pass_),
        framework=service.framework(),
        note_form=note_form,
        action_form=ActionForm(),
        in_progress=in_progress,
    ), status


@bp.route("/equipe/pass/<code>/imprimer")
@staff_required
def aidant_print(code: str):  # type: ignore[no-untyped-def]
    """A sheet to print on the bus and hand over: the wallet card, then the badges."""
    pass_ = _pass_or_404(code)
    return render_template(
        "passport/aidant_print.html",
        pass_=pass_,
        code=_code(pass_),
        qr_svg=_qr_svg(pass_),
        pass_url=_pass_url(pass_),
        verify_url=str(current_app.config.get("MAIRIEBUS_BASE_URL", "")).rstrip("/") + "/verifier",
        awards=_top_awards(service.pass_awards(db.session, pass_)),
        standing=service.standing_for(pass_),
        framework=service.framework(),
    )


@bp.route("/equipe/pass/<code>/envoyer", methods=["POST"])
@staff_required
def aidant_send(code: str):  # type: ignore[no-untyped-def]
    """Email the Pass code, its link and the badges to the address the person gives."""
    pass_ = _pass_or_404(code)
    form = HandoverEmailForm()
    if not mail_enabled():
        return _render_aidant_pass(
            pass_,
            NoteForm(formdata=None),
            503,
            email_form=form,
            email_error=_("L'envoi d'e-mails n'est pas configuré sur ce site."),
        )
    if not form.validate_on_submit():
        return _render_aidant_pass(pass_, NoteForm(formdata=None), 400, email_form=form)
    address = (form.email.data or "").strip()
    try:
        handover.send_pass_email(db.session, pass_, address, _pass_url(pass_))
    except MailError as error:
        return _render_aidant_pass(
            pass_, NoteForm(formdata=None), 503, email_form=form, email_error=str(error)
        )
    flash(_("Le Pass et ses badges sont partis à %(email)s.", email=address), "success")
    return redirect(url_for("passport.aidant_pass", code=_code(pass_)), code=303)


@bp.route("/equipe/pass/<code>/notes", methods=["POST"])
@staff_required
def aidant_note(code: str):  # type: ignore[no-untyped-def]
    """Add a private note to a Pass."""
    pass_ = _pass_or_404(code)
    form = NoteForm()
    if form.validate_on_submit():
        service.add_note(db.session, pass_, current_user, form.text.data or "")
        flash(_("Note enregistrée."), "success")
        return redirect(url_for("passport.aidant_pass", code=_code(pass_)), code=303)
    return _render_aidant_pass(pass_, form, 400)


@bp.route("/equipe/pass/<code>/evaluer", methods=["POST"])
@staff_required
def aidant_begin(code: str):  # type: ignore[no-untyped-def]
    """Start an assessment together with the holder of this Pass."""
    pass_ = _pass_or_404(code)
    form = ActionForm()
    if not form.validate_on_submit():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
    sitting, _token = service.start_assessment(db.session, pass_=pass_, aidant=current_user)
    if request.form.get("checks_only"):
        return redirect(url_for("passport.aidant_checks", assessment_id=sitting.id), code=303)
    return redirect(url_for("passport.aidant_step", assessment_id=sitting.id), code=303)


@bp.route("/equipe/pass/evaluation/<int:assessment_id>", methods=["GET", "POST"])
@staff_required
def aidant_step(assessment_id: int):  # type: ignore[no-untyped-def]
    """The assessment run together: the same pages as the self-assessment."""
    sitting = _aidant_sitting(assessment_id)
    if sitting.finished_at is not None:
        return redirect(url_for("passport.aidant_pass", code=_code(sitting.pass_)), code=303)
    checks_url = url_for("passport.aidant_checks", assessment_id=sitting.id)
    return _step_view(
        sitting,
        here=url_for("passport.aidant_step", assessment_id=sitting.id),
        back_url=url_for("passport.aidant_back", assessment_id=sitting.id),
        template="passport/aidant_step.html",
        on_finish=lambda s: redirect(checks_url, code=303),
        checks_url=checks_url,
        code=_code(sitting.pass_),
    )


@bp.route("/equipe/pass/evaluation/<int:assessment_id>/retour", methods=["POST"])
@staff_required
def aidant_back(assessment_id: int):  # type: ignore[no-untyped-def]
    """Go back one question in the assessment together."""
    sitting = _aidant_sitting(assessment_id)
    form = StepForm()
    if not form.validate_on_submit():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
    if sitting.finished_at is None:
        service.go_back(db.session, sitting)
    return redirect(url_for("passport.aidant_step", assessment_id=sitting.id), code=303)


@bp.route("/equipe/pass/evaluation/<int:assessment_id>/verifications", methods=["GET", "POST"])
@staff_required
def aidant_checks(assessment_id: int):  # type: ignore[no-untyped-def]
    """Tick the practical checks seen done, add a note, and record the levels."""
    sitting = _aidant_sitting(assessment_id)
    pass_ = sitting.pass_
    if sitting.finished_at is not None:
        return redirect(url_for("passport.aidant_pass", code=_code(pass_)), code=303)
    form = ChecksForm()
    fw = service.framework()
    declared = _declared_levels(sitting)
    context = {
        "form": form,
        "sitting": sitting,
        "code": _code(pass_),
        "framework": fw,
        "declared": declared,
        "standing": service.standing_for(pass_),
        "outcomes": _outcome_labels(),
        "chosen": {},
    }
    if request.method == "GET":
        return render_template("passport/aidant_checks.html", **context)
    observations: dict[str, str] = {}
    bad = False
    for level in fw.iter_levels():
        value = request.form.get(f"check-{level.observation.id}", "")
        if value in ("", "untried"):
            continue
        if value not in service.OBSERVATION_OUTCOMES:
            bad = True
            continue
        observations[level.observation.id] = value
    if not form.validate_on_submit() or bad:
        context["chosen"] = observations
        context["error"] = _("Pour chaque vérification, choisissez une des réponses proposées.")
        return render_template("passport/aidant_checks.html", **context), 400
    if not observations and not service.engine_has_answers(sitting):
        context["error"] = _(
            "Rien à enregistrer : répondez à des questions ou cochez au moins une vérification."
        )
        return render_template("passport/aidant_checks.html", **context), 400
    finished = service.finish_assessment(
        db.session, sitting, observations, note=form.note.data or ""
    )
    validated = [b for b in finished.new_badges if b.status == "validated"]
    if validated:
        flash(
            _("Niveaux enregistrés. %(count)d niveau(x) validé(s) par vous.", count=len(validated)),
            "success",
        )
    else:
        flash(_("Niveaux enregistrés."), "success")
    return redirect(url_for("passport.aidant_pass", code=_code(pass_)), code=303)


def _outcome_labels() -> list[tuple[str, str]]:
    return [
        ("untried", _("Pas essayé")),
        ("alone", _("Réussi seul(e)")),
        ("with_help", _("Avec de l'aide")),
        ("not_yet", _("Pas encore")),
    ]


def _declared_levels(sitting: Assessment) -> dict[str, int]:
    """What the person's answers in this sitting say, to suggest which checks to try."""
    try:
        result = engine.result(sitting.state or {}, service.framework())
    except AssessmentError:
        return {}
    return {d.domain: d.level for d in result.domains}
