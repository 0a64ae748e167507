"""Views of the bus programme: residents' calendar, feed, flyer and directory; the planner."""

from __future__ import annotations

from datetime import date

import segno
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app.blueprints.programme import bp
from app.blueprints.programme.forms import (
    ActionForm,
    DirectoryForm,
    ProposeForm,
    ServiceForm,
    SlotForm,
    ThemeForm,
)
from app.errors import fail
from app.extensions import db
from app.models.programme import HalfDay, Programme, Service, Slot, Theme
from app.models.surveys import CollectionPoint, Neighbourhood
from app.security import coordinator_required, public
from app.services import programme as svc
from app.services.programme import ProgrammeError
from surveys import planning
from surveys.calendar_feed import CONTENT_TYPE
from surveys.directory import DirectoryError

# --------------------------------------------------------------------------- template helpers


@bp.app_template_global("who_to_ask_entries")
def who_to_ask_entries(themes: object, limit: int = 4) -> list[object]:
    """Directory entries for a person's theme codes (for programme/_who_to_ask.html)."""
    codes = [str(code) for code in themes] if isinstance(themes, list | tuple | set) else []
    return list(svc.directory_for_needs(codes, limit))


def day_label(day: date) -> str:
    """A day as residents read it: "mardi 1er décembre" (French) or "Tuesday 1 December"."""
    return svc.local_day_label(day)


def month_label(year: int, month: int) -> str:
    """A month and year: "décembre 2026" (French) or "December 2026"."""
    return svc.local_month_label(year, month)


@bp.app_template_filter("first_upper")
def first_upper(text: str) -> str:
    """Upper-case the first letter only (Jinja's ``capitalize`` lowers "December")."""
    return text[:1].upper() + text[1:]


@bp.app_template_global("who_to_ask_stops")
def who_to_ask_stops(themes: object, limit: int = 3) -> list[str]:
    """The next published bus stops on a person's themes, as French sentences."""
    codes = [str(code) for code in themes] if isinstance(themes, list | tuple | set) else []
    return [
        _(
            "%(day)s, %(hours)s : %(place)s (%(theme)s)",
            day=first_upper(day_label(slot.date)),
            hours=svc.hours_label(slot.half_day.value),
            place=slot.place_name,
            theme=planning.THEME_SHORT_LABELS[slot.theme.code],
        )
        for slot in svc.next_stops_for(db.session, codes, svc.paris_today(), limit)
    ]


@bp.context_processor
def labels() -> dict[str, object]:
    """French labels the programme templates share."""
    return {
        "day_label": day_label,
        "hours_label": svc.hours_label,
        "month_label": month_label,
        "theme_label": svc.theme_label,
        "short_theme_label": lambda code: planning.THEME_SHORT_LABELS.get(code, code),
        "half_day_label": lambda code: planning.HALF_DAY_LABELS.get(code, code),
        "weekday_label": lambda code: planning.WEEKDAY_LABELS.get(code, code),
    }


def _apply_errors(form, error: ProgrammeError) -> None:  # type: ignore[no-untyped-def]
    """Put each service message next to its field (the rest goes to the form's summary)."""
    general = []
    for name, message in error.messages.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), message]
        else:
            general.append(message)
    form.form_errors = [*form.form_errors, *general]


# --------------------------------------------------------------------------- residents


@bp.route("/calendrier")
@public
def calendar():  # type: ignore[no-untyped-def]
    """Où est le bus ? Every published stop from today on, by day, filtered by neighbourhood."""
    today = svc.paris_today()
    neighbourhoods = svc.calendar_neighbourhoods(db.session)
    chosen = request.args.get("quartier", "").strip()
    errors: dict[str, str] = {}
    if chosen and chosen not in {n.code for n in neighbourhoods}:
        errors["quartier"] = _("Ce quartier n'est pas dans la liste : choisissez-le ci-dessous.")
    start = today
    since = request.args.get("depuis", "").strip()
    if since:
        try:
            # A link kept from an earlier day starts today: past stops are not listed.
            start = max(date.fromisoformat(since), today)
        except ValueError:
            errors["depuis"] = _("Cette date est illisible : la liste reprend à aujourd'hui.")
    slots = svc.upcoming_slots(db.session, today, None if errors else chosen or None)
    page = svc.calendar_page(slots, start)
    names = {n.code: n.name for n in neighbourhoods}
    return render_template(
        "programme/calendar.html",
        days=page.days,
        next_start=page.next_start,
        first_page=start == today,
        today=today,
        months=svc.published_months(db.session, today),
        neighbourhoods=neighbourhoods,
        chosen=chosen if not errors else "",
        chosen_name=names.get(chosen, ""),
        errors=errors,
        any_published=bool(slots) or bool(svc.upcoming_slots(db.session, today)),
        map_url=svc.map_url,
    ), 400 if errors else 200


@bp.route("/calendrier.ics")
@public
def calendar_ics():  # type: ignore[no-untyped-def]
    """The same stops as an iCalendar feed, for phone calendars."""
    body = svc.calendar_feed(
        db.session, svc.paris_today(), current_app.config["MAIRIEBUS_BASE_URL"]
    )
    return current_app.response_class(
        body,
        content_type=CONTENT_TYPE,
        headers={
            "Content-Disposition": 'inline; filename="mairie-bus.ics"',
            "Cache-Control": "public, max-age=3600",
        },
    )


def _qr_svg(url: str) -> Markup:
    """An inline, labelled SVG QR code of ``url`` (the CSP allows inline SVG, not scripts)."""
    # omitsize: a viewBox instead of a fixed size, so print CSS scales the code, never crops it.
    svg = segno.make(url, error="m").svg_inline(scale=4, svgclass="qr", omitsize=True)
    label = escape(_("QR code vers %(url)s", url=url))
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


@bp.route("/calendrier/<int:year>-<int:month>/flyer")
@public
def flyer(year: int, month: int):  # type: ignore[no-untyped-def]
    """The printable A5 flyer of a published month, with a QR code to the calendar."""
    if not 2000 <= year <= 2100 or not 1 <= month <= 12:
        fail(404, _("Ce mois n'existe pas. Vérifiez l'adresse."))
    programme = svc.get_programme(db.session, year, month)
    # Coordinators may print a draft to check it; residents only see published months.
    may_preview = current_user.is_authenticated and current_user.is_coordinator
    if programme is None or not (programme.is_published or may_preview):
        fail(404, _("Le programme de ce mois n'est pas encore publié."))
    target = current_app.config["MAIRIEBUS_BASE_URL"] + "/calendrier"
    return render_template(
        "programme/flyer.html",
        programme=programme,
        days=svc.by_day(svc.month_slots(db.session, programme)),
        qr=_qr_svg(target),
        target=target,
    )


def _theme_choices(empty: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice("", empty)] if empty is not None else []
    return choices + [SelectChoice(code, svc.theme_label(code)) for code in planning.THEMES]


@bp.route("/a-qui-s-adresser")
@public
def directory():  # type: ignore[no-untyped-def]
    """À qui s'adresser ? Services and partners by need, searchable without JavaScript."""
    form = DirectoryForm(request.args)
    form.theme.choices = _theme_choices(_("Toutes les démarches"))
    status = 200
    entries = []
    searched = bool(request.args.get("theme") or request.args.get("q"))
    if form.validate():
        try:
            entries = svc.search_directory(form.theme.data or None, form.q.data or None)
        except DirectoryError as error:
            form.theme.errors = list(error.messages)
            status = 400
    else:
        status = 400
    if status == 400:
        entries = []
    return render_template(
        "programme/directory.html",
        form=form,
        entries=entries,
        searched=searched,
        notice=svc.directory().notice if svc.directory().is_demo else "",
    ), status


# --------------------------------------------------------------------------- planner


def _month_choices(today: date) -> list[SelectChoice]:
    year, month = today.year, today.month
    choices = []
    for _step in range(13):
        choices.append(SelectChoice(f"{year}-{month:02d}", svc.month_label(year, month)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return choices


def _planner_page(form: ProposeForm, status: int = 200):  # type: ignore[no-untyped-def]
    programmes = db.session.scalars(
        select(Programme).order_by(Programme.year.desc(), Programme.month.desc())
    ).all()
    try:
        needs = svc.measured_needs(db.session)
    except planning.PlanningError:
        needs = []
    return render_template(
        "programme/planner.html",
        form=form,
        programmes=programmes,
        needs=needs,
    ), status


def _propose_form() -> ProposeForm:
    form = ProposeForm()
    today = svc.paris_today()
    form.month.choices = _month_choices(today)
    if not form.is_submitted():
        year, month = svc.next_month(today)
        form.month.data = f"{year}-{month:02d}"
    return form


@bp.route("/programme")
@coordinator_required
def planner():  # type: ignore[no-untyped-def]
    """Programmes by month, the measured needs, and the form to propose a month."""
    return _planner_page(_propose_form())


@bp.route("/programme/proposer", methods=["POST"])
@coordinator_required
def propose():  # type: ignore[no-untyped-def]
    """Plan a month from the measured needs and save it as a draft."""
    form = _propose_form()
    if not form.validate_on_submit():
        return _planner_page(form, 400)
    year, month = (int(part) for part in (form.month.data or "").split("-"))
    try:
        settings = svc.ProposalSettings(
            year=year,
            month=month,
            place_kind=form.place_kind.data or "neighbourhood",
            weekdays=tuple(form.weekdays.data or ()),
            half_days=tuple(form.half_days.data or ()),
            days_off=svc.parse_days_off(form.days_off.data or "", year, month),
            max_slots=form.max_slots.data,
            min_visits=form.min_visits.data or 0,
        )
        programme = svc.propose_month(db.session, settings, created_by_id=current_user.id)
    except ProgrammeError as error:
        _apply_errors(form, error)
        return _planner_page(form, 400)
    if programme.slots:
        flash(_("Brouillon proposé : relisez chaque créneau, puis publiez."), "success")
    else:
        flash(
            _("Aucun besoin mesuré pour l'instant : le brouillon est vide, ajoutez les créneaux."),
            "success",
        )
    return redirect(url_for("programme.edit", programme_id=programme.id), code=303)


def _programme_or_404(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        fail(404, _("Ce programme n'existe pas."))
    return programme


def _slot_or_404(slot_id: int) -> Slot:
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        fail(404, _("Ce créneau n'existe pas."))
    return slot


def _check_action() -> None:
    if not ActionForm().validate_on_submit():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))


@bp.route("/programme/<int:programme_id>")
@coordinator_required
def edit(programme_id: int):  # type: ignore[no-untyped-def]
    """A month's slots with their explanations, to edit, then publish."""
    from app.services.notify import demand_per_stop

    programme = _programme_or_404(programme_id)
    slots = svc.month_slots(db.session, programme)
    return render_template(
        "programme/programme.html",
        programme=programme,
        slots=slots,
        demand=demand_per_stop(db.session, slots),
        action_form=ActionForm(),
    )


@bp.route("/programme/<int:programme_id>/publier", methods=["POST"])
@coordinator_required
def publish(programme_id: int):  # type: ignore[no-untyped-def]
    """Publish a month: residents see it on the calendar, feed and flyer."""
    _check_action()
    programme = _programme_or_404(programme_id)
    try:
        svc.publish(db.session, programme)
    except ProgrammeError as error:
        fail(400, " ".join(error.messages.values()))
    flash(_("Le programme est publié."), "success")
    return redirect(url_for("programme.edit", programme_id=programme.id), code=303)


@bp.route("/programme/<int:programme_id>/depublier", methods=["POST"])
@coordinator_required
def unpublish(programme_id: int):  # type: ignore[no-untyped-def]
    """Take a month back to draft."""
    _check_action()
    programme = _programme_or_404(programme_id)
    svc.unpublish(db.session, programme)
    flash(_("Le programme n'est plus publié : c'est de nouveau un brouillon."), "success")
    return redirect(url_for("programme.edit", programme_id=programme.id), code=303)


@bp.route("/programme/<int:programme_id>/supprimer", methods=["POST"])
@coordinator_required
def delete(programme_id: int):  # type: ignore[no-untyped-def]
    """Delete a draft month."""
    _check_action()
    programme = _programme_or_404(programme_id)
    try:
        svc.delete_programme(db.session, programme)
    except ProgrammeError as error:
        fail(400, " ".join(error.messages.values()))
    flash(_("Le brouillon est supprimé."), "success")
    return redirect(url_for("programme.planner"), code=303)


def _slot_form(programme: Programme, slot: Slot | None = None) -> SlotForm:
    form = SlotForm(obj=None)
    places = [
        SelectChoice(f"n{n.id}", n.name, optgroup=_("Quartiers"))
        for n in db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name))
    ] + [
        SelectChoice(f"p{p.id}", p.name, optgroup=_("Points de recueil"))
        for p in db.session.scalars(CollectionPoint.active().order_by(CollectionPoint.name))
    ]
    if slot is not None and slot.place_key not in {c.value for c in places}:
        places.append(SelectChoice(slot.place_key, slot.place_name))
    form.place.choices = places
    form.theme.choices = [
        SelectChoice(str(t.id), t.name + ("" if t.active else _(" (inactif)")))
        for t in db.session.scalars(Theme.ordered())
    ]
    form.service.choices = [SelectChoice("", _("Aucun (l'équipe du bus)"))] + [
        SelectChoice(str(s.id), s.name + ("" if s.active else _(" (inactif)")))
        for s in db.session.scalars(Service.ordered())
    ]
    if not form.is_submitted():
        if slot is not None:
            form.date.data = slot.date
            form.half_day.data = slot.half_day.value
            form.place.data = slot.place_key
            form.theme.data = str(slot.theme_id)
            form.service.data = str(slot.service_id) if slot.service_id else ""
            form.note.data = slot.note
            form.cancelled.data = slot.cancelled
        else:
            form.date.data = date(programme.year, programme.month, 1)
            form.half_day.data = HalfDay.MORNING.value
    return form


def _slot_input(form: SlotForm) -> svc.SlotInput:
    return svc.SlotInput(
        date=form.date.data,  # type: ignore[arg-type]
        half_day=form.half_day.data or "",
        place_key=form.place.data or "",
        theme_id=int(form.theme.data) if (form.theme.data or "").isdigit() else -1,
        service_id=int(form.service.data) if (form.service.data or "").isdigit() else None,
        note=form.note.data or "",
        cancelled=bool(form.cancelled.data),
    )


def _slot_page(form: SlotForm, programme: Programme, slot: Slot | None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "programme/slot_form.html",
        form=form,
        programme=programme,
        slot=slot,
        action_form=ActionForm(),
    ), status


@bp.route("/programme/<int:programme_id>/creneaux/nouveau", methods=["GET", "POST"])
@coordinator_required
def add_slot(programme_id: int):  # type: ignore[no-untyped-def]
    """Add a half-day by hand (a half-day already taken is refused)."""
    programme = _programme_or_404(programme_id)
    form = _slot_form(programme)
    if form.validate_on_submit():
        try:
            svc.add_slot(db.session, programme, _slot_input(form))
        except ProgrammeError as error:
            _apply_errors(form, error)
        else:
            flash(_("Créneau ajouté."), "success")
            return redirect(url_for("programme.edit", programme_id=programme.id), code=303)
        return _slot_page(form, programme, None, 400)
    return _slot_page(form, programme, None, 400 if form.is_submitted() else 200)


@bp.route("/programme/creneaux/<int:slot_id>", methods=["GET", "POST"])
@coordinator_required
def edit_slot(slot_id: int):  # type: ignore[no-untyped-def]
    """Change a slot's date, half-day, place, theme, service, note or cancel it."""
    slot = _slot_or_404(slot_id)
    programme = slot.programme
    form = _slot_form(programme, slot)
    if form.validate_on_submit():
        try:
            svc.update_slot(db.session, slot, _slot_input(form))
        except ProgrammeError as error:
            _apply_errors(form, error)
        else:
            flash(_("Créneau modifié."), "success")
            return redirect(url_for("programme.edit", programme_id=programme.id), code=303)
        return _slot_page(form, programme, slot, 400)
    return _slot_page(form, programme, slot, 400 if form.is_submitted() else 200)


@bp.route("/programme/creneaux/<int:slot_id>/supprimer", methods=["POST"])
@coordinator_required
def delete_slot(slot_id: int):  # type: ignore[no-untyped-def]
    """Delete a slot."""
    _check_action()
    slot = _slot_or_404(slot_id)
    programme_id = slot.programme_id
    svc.delete_slot(db.session, slot)
    flash(_("Créneau supprimé."), "success")
    return redirect(url_for("programme.edit", programme_id=programme_id), code=303)


# --------------------------------------------------------------------------- themes


def _theme_page(form: ThemeForm, theme: Theme | None, status: int = 200):  # type: ignore[no-untyped-def]
    themes = db.session.scalars(Theme.ordered()).all()
    return render_template(
        "programme/themes.html",
        form=form,
        theme=theme,
        themes=themes,
        action_form=ActionForm(),
    ), status


def _save_theme(form: ThemeForm, theme: Theme | None):  # type: ignore[no-untyped-def]
    if form.validate_on_submit():
        try:
            saved = svc.save_theme(
                db.session,
                theme,
                code=form.code.data or "",
                name=form.name.data or "",
                description=form.description.data or "",
                colour=form.colour.data or None,
            )
        except ProgrammeError as error:
            _apply_errors(form, error)
        else:
            flash(_("Thème « %(name)s » enregistré.", name=saved.name), "success")
            return redirect(url_for("programme.themes"), code=303)
        return _theme_page(form, theme, 400)
    return _theme_page(form, theme, 400 if form.is_submitted() else 200)


@bp.route("/programme/themes", methods=["GET", "POST"])
@coordinator_required
def themes():  # type: ignore[no-untyped-def]
    """List the themes and add one from the shared list."""
    form = ThemeForm()
    used = set(db.session.scalars(select(Theme.code)))
    form.code.choices = [SelectChoice("", _("Choisissez…"))] + [
        SelectChoice(code, planning.THEME_LABELS[code])
        for code in planning.THEMES
        if code not in used
    ]
    return _save_theme(form, None)


@bp.route("/programme/themes/tous", methods=["POST"])
@coordinator_required
def create_all_themes():  # type: ignore[no-untyped-def]
    """Create every missing theme of the shared list at once."""
    _check_action()
    svc.create_missing_themes(db.session)
    flash(_("Les thèmes de la liste commune sont créés."), "success")
    return redirect(url_for("programme.themes"), code=303)


@bp.route("/programme/themes/<int:theme_id>", methods=["GET", "POST"])
@coordinator_required
def edit_theme(theme_id: int):  # type: ignore[no-untyped-def]
    """Rename or describe a theme."""
    theme = db.session.get(Theme, theme_id)
    if theme is None:
        fail(404, _("Ce thème n'existe pas."))
    form = ThemeForm(obj=theme if request.method == "GET" else None)
    form.code.choices = [SelectChoice(theme.code, planning.THEME_LABELS.get(theme.code, ""))]
    return _save_theme(form, theme)


@bp.route("/programme/themes/<int:theme_id>/activer", methods=["POST"])
@coordinator_required
def toggle_theme(theme_id: int):  # type: ignore[no-untyped-def]
    """Deactivate a theme (the planner skips it) or activate it again."""
    _check_action()
    theme = db.session.get(Theme, theme_id)
    if theme is None:
        fail(404, _("Ce thème n'existe pas."))
    svc.set_theme_active(db.session, theme, not theme.active)
    flash(
        _("Thème activé.") if theme.active else _("Thème désactivé : le planificateur l'ignore."),
        "success",
    )
    return redirect(url_for("programme.themes"), code=303)


# --------------------------------------------------------------------------- services


def _service_form(item: Service | None) -> ServiceForm:
    form = ServiceForm(obj=item if item is not None and request.method == "GET" else None)
    form.themes.choices = [SelectChoice(t.id, t.name) for t in db.session.scalars(Theme.ordered())]  # type: ignore[assignment]
    if item is not None and request.method == "GET":
        form.themes.data = [t.id for t in item.themes]
    return form


def _service_page(form: ServiceForm, item: Service | None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "programme/services.html",
        form=form,
        item=item,
        services=db.session.scalars(Service.ordered().options(selectinload(Service.themes))).all(),
        action_form=ActionForm(),
    ), status


def _save_service(form: ServiceForm, item: Service | None):  # type: ignore[no-untyped-def]
    if form.validate_on_submit():
        try:
            saved = svc.save_service(
                db.session,
                item,
                svc.ServiceInput(
                    name=form.name.data or "",
                    description=form.description.data or "",
                    theme_ids=tuple(form.themes.data or ()),
                    referent_name=form.referent_name.data or "",
                    referent_phone=form.referent_phone.data or "",
                    referent_email=form.referent_email.data or "",
                    weekdays=tuple(form.weekdays.data or ()),
                    half_days=tuple(form.half_days.data or ()),
                    max_slots_per_month=form.max_slots_per_month.data or 0,
                ),
            )
        except ProgrammeError as error:
            _apply_errors(form, error)
        else:
            flash(_("« %(name)s » enregistré.", name=saved.name), "success")
            return redirect(url_for("programme.services"), code=303)
        return _service_page(form, item, 400)
    return _service_page(form, item, 400 if form.is_submitted() else 200)


@bp.route("/programme/services", methods=["GET", "POST"])
@coordinator_required
def services():  # type: ignore[no-untyped-def]
    """List the services and partners and add one."""
    return _save_service(_service_form(None), None)


@bp.route("/programme/services/<int:service_id>", methods=["GET", "POST"])
@coordinator_required
def edit_service(service_id: int):  # type: ignore[no-untyped-def]
    """Edit a service or partner."""
    item = db.session.get(Service, service_id)
    if item is None:
        fail(404, _("Ce service n'existe pas."))
    return _save_service(_service_form(item), item)


@bp.route("/programme/services/<int:service_id>/activer", methods=["POST"])
@coordinator_required
def toggle_service(service_id: int):  # type: ignore[no-untyped-def]
    """Deactivate a service (the planner no longer calls it) or activate it again."""
    _check_action()
    item = db.session.get(Service, service_id)
    if item is None:
        fail(404, _("Ce service n'existe pas."))
    svc.set_service_active(db.session, item, not item.active)
    flash(_("Service activé.") if item.active else _("Service désactivé."), "success")
    return redirect(url_for("programme.services"), code=303)
