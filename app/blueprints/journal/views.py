"""Views of the logbook: record a visit on the tablet, the day view, referrals and follow-ups,
the referent's answer page (signed link) and the referents list (coordinators)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app.blueprints.journal import bp
from app.blueprints.journal.forms import (
    ActionForm,
    AnswerForm,
    ExportForm,
    ReferentForm,
    ReferForm,
    VisitForm,
)
from app.errors import fail
from app.extensions import db
from app.mail import mail_enabled
from app.models.journal import Referent, Referral, ReferralKind, Visit
from app.models.programme import Service, Theme
from app.models.surveys import Neighbourhood
from app.security import coordinator_required, public, staff_required
from app.services import journal as svc
from app.services.programme import PARIS, day_label, paris_today
from app.services.responses import new_idempotency_key, valid_idempotency_key
from surveys import journal as domain
from surveys import labels


@bp.context_processor
def _labels() -> dict[str, object]:
    return {
        "outcome_label": outcome_label,
        "status_label": lambda code: str(_STATUSES.get(code, code)),
        "procedure_label": lambda code: (
            _(domain.PROCEDURES_BY_CODE[code].label) if code in domain.PROCEDURES_BY_CODE else code
        ),
        "theme_short": lambda code: labels.THEME_SHORT_LABELS.get(code, code),
        "day_label": day_label,
        "mail_on": mail_enabled(),
        "local_time": lambda moment: _aware(moment).astimezone(PARIS).strftime("%H:%M"),
        "change_label": lambda action: str(_CHANGES.get(action, action)),
    }


@bp.app_template_global("journal_outcome_label")
def outcome_label(code: str) -> str:
    """The French label of a visit's outcome."""
    return str(_OUTCOMES.get(code, code))


@bp.app_template_filter("field_label")
def field_label(name: str) -> str:
    """The French name of a logbook field in the history."""
    return str(_FIELDS.get(name, name))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_CHANGES = {
    "created": _l("Passage noté"),
    "updated": _l("Corrigé"),
    "referred": _l("Orienté"),
    "referral_answered": _l("Réponse du référent"),
    "called_back": _l("Rappel fait"),
    "contact_erased": _l("Coordonnées effacées (durée de conservation passée)"),
}
_FIELDS = {
    "place": _l("lieu"),
    "procedures": _l("démarches"),
    "themes": _l("thèmes"),
    "age_band": _l("âge"),
    "neighbourhood_id": _l("quartier"),
    "outcome": _l("issue"),
    "minutes": _l("temps passé"),
    "note": _l("note"),
    "contact_consent": _l("accord de la personne"),
    "first_name": _l("prénom"),
    "phone": _l("téléphone"),
    "email": _l("e-mail"),
}


_OUTCOMES = {
    "solved": _l("Réglé sur place"),
    "solved_with_help": _l("Réglé avec aide"),
    "referred": _l("Orienté"),
    "call_back": _l("À rappeler"),
}
_STATUSES = {
    "open": _l("Envoyée, sans réponse"),
    "taken": _l("Pris en charge"),
    "solved": _l("Réglé"),
    "not_ours": _l("Pas de leur ressort"),
}


@bp.app_template_global("journal_figures")
def journal_figures(start: date | None = None, end: date | None = None, demo: str = "all"):  # type: ignore[no-untyped-def]
    """The dashboard's Journal section figures (dashboard/_journal.html)."""
    return svc.figures(db.session, start, end, demo or "all")


def _apply_errors(form, error: svc.JournalError) -> None:  # type: ignore[no-untyped-def]
    """Put each service message next to its field (the rest goes to the form's summary)."""
    general = []
    for name, message in error.messages.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), message]
        else:
            general.append(message)
    form.form_errors = [*form.form_errors, *general]


def _target_choices(referents: list[Referent], services: list[Service]) -> list[SelectChoice]:
    choices = [SelectChoice(f"r{r.id}", r.display_name) for r in referents]
    choices += [SelectChoice(f"s{s.id}", s.name) for s in services]
    return choices


def _prepare(form: VisitForm) -> tuple[list[Referent], list[Service]]:
    """Fill the form's dynamic choices; return the referral targets for the page."""
    form.place.choices = [SelectChoice("", _("Lieu non précisé"))] + [
        SelectChoice(key, name) for key, name in svc.place_choices(db.session)
    ]
    form.neighbourhood_id.choices = [SelectChoice("", _("Non précisé"))] + [
        SelectChoice(n.id, n.name)
        for n in db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name))
    ]
    referents, services = svc.referral_targets(db.session)
    form.referral_to.choices = _target_choices(referents, services)
    return referents, services


def _input(form: VisitForm) -> svc.VisitInput:
    return svc.VisitInput(
        place=form.place.data or "",
        procedures=list(form.procedures.data or []),
        themes=list(form.themes.data or []),
        outcome=form.outcome.data or "",
        referral_to=form.referral_to.data or "",
        need=form.need.data or "",
        minutes=form.minutes.data,
        age_band=form.age_band.data or "",
        neighbourhood_id=form.neighbourhood_id.data,
        note=form.note.data or "",
        contact_consent=bool(form.contact_consent.data),
        first_name=form.first_name.data or "",
        phone=form.phone.data or "",
        email=form.email.data or "",
    )


def _invalid(form: VisitForm) -> bool:
    """Validate the form and the service's rules together, so every mistake shows at once."""
    valid = form.validate()
    messages = svc.visit_errors(db.session, _input(form))
    for name, message in messages.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors") and not field.errors:
            field.errors = [*list(field.errors), message]
    return not valid or bool(messages)


def _render_form(form: VisitForm, targets, visit: Visit | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    referents, services = targets
    slot = svc.todays_slot(db.session) if visit is None else None
    return (
        render_template(
            "journal/visit_form.html",
            form=form,
            visit=visit,
            slot=slot,
            referents=referents,
            services=services,
            target_themes=_target_themes(referents, services),
            procedure_keywords={
                p.code: domain.fold(p.keywords + " " + p.label) for p in domain.PROCEDURES
            },
            procedure_themes={p.code: p.theme for p in domain.PROCEDURES},
        ),
        status,
    )


def _target_themes(referents: list[Referent], services: list[Service]) -> dict[str, str]:
    """Theme codes per target choice, so the page's script can put matching ones first."""
    themes = {f"r{r.id}": " ".join(r.theme_codes) for r in referents}
    themes |= {f"s{s.id}": " ".join(s.theme_codes) for s in services}
    return themes


def _after_referral(referral: Referral | None) -> None:
    """Send the referral's email if due, and say what happened."""
    if referral is None:
        return
    if referral.kind is ReferralKind.EMAIL:
        if not mail_enabled():
            flash(
                _(
                    "L'envoi d'e-mails n'est pas configuré : donnez la fiche papier à la personne et prévenez le référent."
                ),
                "error",
            )
        elif svc.send_referral_email(db.session, referral):
            flash(_("E-mail envoyé à %(to)s.", to=referral.to_name), "success")
        else:
            flash(_("E-mail non envoyé, réessayer depuis le passage."), "error")


# --------------------------------------------------------------------------- the tablet


@bp.route("/journal")
@staff_required
def day():  # type: ignore[no-untyped-def]
    """Journal du bus: today's visits (or another day's), and what is still to follow up."""
    today = paris_today()
    chosen = today
    if request.args.get("jour"):
        try:
            chosen = date.fromisoformat(request.args["jour"])
        except ValueError:
            fail(400, _("La date n'est pas valable : écrivez-la comme 2026-11-30."))
    svc.erase_expired_contacts(db.session)
    visits = svc.day_visits(db.session, chosen)
    return render_template(
        "journal/day.html",
        visits=visits,
        chosen=chosen,
        today=today,
        follow_ups=svc.follow_ups(db.session, today),
        call_backs=svc.to_call_back(db.session),
        follow_up_days=current_app.config.get("JOURNAL_FOLLOW_UP_DAYS", 7),
        minutes_total=sum(v.minutes or 0 for v in visits),
        action_form=ActionForm(),
    )


@bp.route("/journal/passage", methods=["GET", "POST"])
@staff_required
def new_visit():  # type: ignore[no-untyped-def]
    """Record one visit in a few taps (a plain POST form with an idempotency key)."""
    form = VisitForm()
    targets = _prepare(form)
    if request.method == "GET":
        form.idempotency_key.data = new_idempotency_key()
        slot = svc.todays_slot(db.session)
        if slot is not None:
            form.place.data = slot.place_key
        return _render_form(form, targets)
    key = form.idempotency_key.data or ""
    if not valid_idempotency_key(key):
        fail(400, _("Le formulaire n'est pas valide. Rechargez la page et recommencez."))
    done = svc.find_visit_by_key(db.session, key)
    if done is not None:  # sent twice: the first one counts
        return redirect(url_for("journal.day", _anchor=f"passage-{done.id}"), 303)
    if _invalid(form):
        return _render_form(form, targets, status=400)
    if form.outcome.data == "referred" and not form.referral_to.data and form.referral_to.choices:
        form.referral_to.errors = [_("Choisissez vers qui orienter la personne.")]
        return _render_form(form, targets, status=400)
    try:
        visit, _created = svc.record_visit(
            db.session, _input(form), aidant_id=current_user.id, key=key
        )
    except svc.JournalError as error:
        _apply_errors(form, error)
        return _render_form(form, targets, status=400)
    flash(_("Passage enregistré."), "success")
    _after_referral(visit.referrals[0] if visit.referrals else None)
    return redirect(url_for("journal.day", _anchor=f"passage-{visit.id}"), 303)


def _visit_or_404(visit_id: int) -> Visit:
    visit = svc.get_visit(db.session, visit_id)
    if visit is None:
        fail(404, _("Ce passage n'existe pas."))
    return visit


@bp.route("/journal/passages/<int:visit_id>")
@staff_required
def visit(visit_id: int):  # type: ignore[no-untyped-def]
    """One visit: its referrals, a new referral or visio, and its history."""
    item = _visit_or_404(visit_id)
    form = ReferForm()
    referents, services = svc.referral_targets(db.session)
    form.referral_to.choices = _target_choices(referents, services)
    return render_template(
        "journal/visit.html",
        visit=item,
        form=form,
        visio_referents=[r for r in referents if r.visio_url],
        can_edit=svc.can_edit(item),
        action_form=ActionForm(),
    )


@bp.route("/journal/passages/<int:visit_id>/modifier", methods=["GET", "POST"])
@staff_required
def edit_visit(visit_id: int):  # type: ignore[no-untyped-def]
    """Correct a visit on the day it was recorded (every change is kept)."""
    item = _visit_or_404(visit_id)
    if not svc.can_edit(item):
        fail(403, _("Un passage se corrige seulement le jour même."))
    if request.method == "GET":
        form = VisitForm(
            data={
                "place": item.place_key,
                "procedures": item.procedures,
                "themes": [
                    t
                    for t in item.themes
                    if t
                    not in {
                        domain.PROCEDURES_BY_CODE[c].theme
                        for c in item.procedures
                        if c in domain.PROCEDURES_BY_CODE
                    }
                ],
                "outcome": item.outcome.value,
                "minutes": item.minutes,
                "age_band": item.age_band,
                "neighbourhood_id": item.neighbourhood_id,
                "note": item.note,
                "contact_consent": item.contact_consent,
                "first_name": item.first_name,
                "phone": item.phone,
                "email": item.email,
            }
        )
        targets = _prepare(form)
        return _render_form(form, targets, visit=item)
    form = VisitForm()
    targets = _prepare(form)
    if _invalid(form):
        return _render_form(form, targets, visit=item, status=400)
    try:
        changed = svc.update_visit(db.session, item, _input(form), user_id=current_user.id)
    except svc.JournalError as error:
        _apply_errors(form, error)
        return _render_form(form, targets, visit=item, status=400)
    flash(_("Passage corrigé.") if changed else _("Rien n'a changé."), "success")
    return redirect(url_for("journal.visit", visit_id=item.id), 303)


@bp.route("/journal/passages/<int:visit_id>/orienter", methods=["POST"])
@staff_required
def refer(visit_id: int):  # type: ignore[no-untyped-def]
    """Refer the person to a referent or a service (an email leaves when one is known)."""
    item = _visit_or_404(visit_id)
    form = ReferForm()
    referents, services = svc.referral_targets(db.session)
    form.referral_to.choices = _target_choices(referents, services)
    kind = ReferralKind.VISIO if request.form.get("visio") == "1" else None
    if not form.validate():
        return render_template(
            "journal/visit.html",
            visit=item,
            form=form,
            visio_referents=[r for r in referents if r.visio_url],
            can_edit=svc.can_edit(item),
            action_form=ActionForm(),
        ), 400
    try:
        referral = svc.refer(
            db.session,
            item,
            form.referral_to.data,
            form.need.data or "",
            user_id=current_user.id,
            kind=kind,
        )
    except svc.JournalError as error:
        fail(400, " ".join(error.messages.values()))
    if kind is ReferralKind.VISIO:
        return redirect(url_for("journal.referral", referral_id=referral.id), 303)
    flash(_("Orientation %(ref)s enregistrée.", ref=referral.reference), "success")
    _after_referral(referral)
    return redirect(url_for("journal.visit", visit_id=item.id), 303)


@bp.route("/journal/passages/<int:visit_id>/rappel-fait", methods=["POST"])
@staff_required
def called_back(visit_id: int):  # type: ignore[no-untyped-def]
    """Note that the person was called back."""
    item = _visit_or_404(visit_id)
    if not ActionForm().validate():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
    svc.mark_called_back(db.session, item, user_id=current_user.id)
    flash(_("Rappel noté."), "success")
    return redirect(url_for("journal.day"), 303)


def _referral_or_404(referral_id: int) -> Referral:
    referral = db.session.scalar(
        select(Referral)
        .where(Referral.id == referral_id)
        .options(
            selectinload(Referral.visit),
            selectinload(Referral.referent).selectinload(Referent.service),
            selectinload(Referral.service),
        )
    )
    if referral is None:
        fail(404, _("Cette orientation n'existe pas."))
    return referral


@bp.route("/journal/orientations/<int:referral_id>")
@staff_required
def referral(referral_id: int):  # type: ignore[no-untyped-def]
    """One referral: where it stands, the visio link, the paper slip, sending the email again."""
    item = _referral_or_404(referral_id)
    return render_template("journal/referral.html", referral=item, action_form=ActionForm())


@bp.route("/journal/orientations/<int:referral_id>/renvoyer", methods=["POST"])
@staff_required
def resend(referral_id: int):  # type: ignore[no-untyped-def]
    """Try the referral's email again."""
    item = _referral_or_404(referral_id)
    if not ActionForm().validate():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
    if item.kind is not ReferralKind.EMAIL:
        fail(400, _("Cette orientation n'a pas d'e-mail à envoyer."))
    _after_referral(item)
    return redirect(url_for("journal.referral", referral_id=item.id), 303)


@bp.route("/journal/orientations/<int:referral_id>/fiche")
@staff_required
def slip(referral_id: int):  # type: ignore[no-untyped-def]
    """The paper slip (A6) for the person: the service, how to reach it, the reference number."""
    item = _referral_or_404(referral_id)
    return render_template("journal/slip.html", referral=item)


# --------------------------------------------------------------------------- referents' answer


@bp.route("/orientation/<token>", methods=["GET", "POST"])
@public
def referral_answer(token: str):  # type: ignore[no-untyped-def]
    """The referent marks a referral taken over, solved or not theirs (signed link, no account)."""
    try:
        item = svc.referral_from_token(db.session, token)
    except svc.JournalError as error:
        fail(404, " ".join(error.messages.values()))
    form = AnswerForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("journal/answer.html", referral=item, form=form), 400
        svc.answer_referral(db.session, item, form.status.data)
        flash(_("Merci, c'est noté."), "success")
        return redirect(url_for("journal.referral_answer", token=token), 303)
    form.status.data = item.status.value if item.status.value != "open" else None
    response = render_template("journal/answer.html", referral=item, form=form)
    return response


# --------------------------------------------------------------------------- coordinators


@bp.route("/journal/export")
@coordinator_required
def export():  # type: ignore[no-untyped-def]
    """The month's logbook as Excel or CSV (no names, no private notes)."""
    form = ExportForm(formdata=request.args if request.args else None)
    if not request.args:
        form.month.data = paris_today().strftime("%Y-%m")
        return render_template("journal/export.html", form=form)
    if not form.validate():
        return render_template("journal/export.html", form=form), 400
    try:
        year, month = parse_month(form.month.data)
    except ValueError:
        form.month.errors = [_("Écrivez le mois comme 2026-11.")]
        return render_template("journal/export.html", form=form), 400
    start, end = svc.month_range(year, month)
    body = svc.export_bytes(svc.export_rows(db.session, start, end), form.format.data)
    mimetype = (
        "text/csv"
        if form.format.data == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="journal-{year:04d}-{month:02d}.{form.format.data}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def parse_month(text: str) -> tuple[int, int]:
    """ "2026-11" -> (2026, 11); ValueError otherwise."""
    year_text, _sep, month_text = text.strip().partition("-")
    if not (len(year_text) == 4 and year_text.isdigit() and month_text.isdigit()):
        raise ValueError(text)
    year, month = int(year_text), int(month_text)
    if not 1 <= month <= 12 or year < 2000:
        raise ValueError(text)
    return year, month


@bp.route("/journal/referents")
@coordinator_required
def referents():  # type: ignore[no-untyped-def]
    """The referents who take over when the bus cannot."""
    rows = db.session.scalars(
        Referent.ordered().options(selectinload(Referent.service), selectinload(Referent.themes))
    ).all()
    return render_template("journal/referents.html", referents=rows)


def _referent_form(referent: Referent | None) -> ReferentForm:
    form = (
        ReferentForm(obj=referent)
        if referent is not None and request.method == "GET"
        else ReferentForm()
    )
    if referent is not None and request.method == "GET":
        form.themes.data = [t.id for t in referent.themes]
    form.service_id.choices = [SelectChoice("", _("Aucun"))] + [
        SelectChoice(s.id, s.name) for s in db.session.scalars(Service.ordered())
    ]
    form.themes.choices = [SelectChoice(t.id, t.name) for t in db.session.scalars(Theme.ordered())]
    return form


@bp.route("/journal/referents/nouveau", methods=["GET", "POST"])
@coordinator_required
def new_referent():  # type: ignore[no-untyped-def]
    """Add a referent."""
    return _save_referent(None)


@bp.route("/journal/referents/<int:referent_id>", methods=["GET", "POST"])
@coordinator_required
def edit_referent(referent_id: int):  # type: ignore[no-untyped-def]
    """Change a referent (or make them inactive)."""
    referent = db.session.get(Referent, referent_id)
    if referent is None:
        fail(404, _("Ce référent n'existe pas."))
    return _save_referent(referent)


def _save_referent(referent: Referent | None):  # type: ignore[no-untyped-def]
    form = _referent_form(referent)
    if request.method == "POST" and form.validate():
        data = svc.ReferentInput(
            name=form.name.data or "",
            service_id=form.service_id.data,
            email=form.email.data or "",
            phone=form.phone.data or "",
            visio_url=form.visio_url.data or "",
            theme_ids=list(form.themes.data or []),
            active=bool(form.active.data),
        )
        try:
            svc.save_referent(db.session, referent, data)
        except svc.JournalError as error:
            _apply_errors(form, error)
        else:
            flash(_("Référent enregistré."), "success")
            return redirect(url_for("journal.referents"), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("journal/referent_form.html", form=form, referent=referent), status
