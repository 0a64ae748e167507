"""The dashboard page, its printable report and its exports (coordinators only)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from app.blueprints.dashboard import bp
from app.blueprints.dashboard.forms import FilterForm
from app.errors import fail
from app.extensions import db
from app.security import coordinator_required

if TYPE_CHECKING:
    from app.services import dashboard as service

# The dashboard service and surveys.analytics load pandas and numpy (about a second and 60 MB):
# they are imported inside the views, so starting the app or any CLI command does not pay that.


@bp.context_processor
def _helpers() -> dict[str, object]:
    from app.services import dashboard as service
    from surveys.analytics import format_figure

    return {
        "fig": format_figure,
        "themes": service.theme_choices(),
        "localtime": _localtime,
    }


def _localtime(moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo("Europe/Paris"))
    # A CLDR date pattern, translated so English reads "… at …" (text in quotes is literal).
    return format_datetime(local, _("dd/MM/yyyy 'à' HH:mm"), rebase=False)


def _filter_summary(form: FilterForm) -> list[tuple[str, str]]:
    """The filters as (label, chosen value) pairs for the printed report."""
    summary = []
    for field in (form.start, form.end, form.form, form.point, form.neighbourhood, form.channel):
        if not field.data:
            continue
        if field.type == "DateField":
            value = field.data.strftime("%d/%m/%Y")
        else:
            value = dict((c.value, str(c.label)) for c in field.choices).get(field.data, field.data)
        summary.append((str(field.label.text), value))
    demo = dict((c.value, str(c.label)) for c in form.demo.choices)
    summary.append((str(form.demo.label.text), demo.get(form.demo.data, "")))
    if not any(label for label, _value in summary[:-1]):
        summary.insert(0, (_("Réponses"), _("Toutes")))
    return summary


def _filter_form() -> tuple[FilterForm, service.Places]:
    from app.services import dashboard as service

    places = service.load_places(db.session)
    default_demo = (
        request.args["demo"] if "demo" in request.args else service.default_demo_choice(db.session)
    )
    form = FilterForm(formdata=request.args, data={"demo": default_demo})
    form.set_choices(places)
    return form, places


def _view(page: bool = False) -> tuple[FilterForm, service.DashboardData | None, str | None]:
    """The filter form, and the figures when the filters are valid."""
    from app.services import dashboard as service
    from app.services.dashboard_privacy import PeriodRefused, check_period

    form, places = _filter_form()
    if not form.validate():
        return form, None, None
    # Show the whole months actually counted (the form and the printed report say so).
    form.start.data, form.end.data = form.filters().start, form.filters().end
    try:
        check_period(db.session, form.filters())
    except PeriodRefused as refused:
        form.start.errors = [*form.start.errors, str(refused)]
        return form, None, None
    except service.DashboardError as error:
        fail(400, str(error))
    try:
        # The page never waits for a full recomputation once figures exist (see the cache).
        wait = not current_app.config.get("DASHBOARD_BACKGROUND_REFRESH", True) or not page
        data = service.cache().view(db.session, form.filters(), places, wait=wait)
    except service.DashboardError as error:
        fail(400, str(error))
    return form, data, form.theme.data or None


@bp.route("/dashboard")
@coordinator_required
def index():  # type: ignore[no-untyped-def]
    """The dashboard: key figures, personas, charts with their tables, the needs map."""
    from app.services import dashboard as service

    form, data, theme = _view(page=True)
    if data is None:
        return render_template("dashboard/index.html", form=form, data=None), 400
    args = data.filters.query_args()
    return render_template(
        "dashboard/index.html",
        form=form,
        data=data,
        has_real=service.default_demo_choice(db.session) == "real",
        demo_url=url_for("dashboard.index", **{**args, "demo": "all"}),
        real_url=url_for("dashboard.index", **{**args, "demo": "real"}),
        needs_map=service.needs_map(data, theme),
        args=args,
        theme=theme,
        words_on_page=service.WORDS_ON_PAGE,
    )


@bp.route("/dashboard/rapport")
@coordinator_required
def report():  # type: ignore[no-untyped-def]
    """The same figures laid out for printing (the inter-service meeting)."""
    from app.services import dashboard as service

    form, data, theme = _view()
    if data is None:
        fail(400, _first_error(form))
    return render_template(
        "dashboard/report.html",
        form=form,
        data=data,
        needs_map=service.needs_map(data, theme),
        theme=theme,
        words_on_page=service.WORDS_ON_PAGE,
        filter_summary=_filter_summary(form),
    )


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _export_data() -> service.DashboardData:
    form, data, _theme = _view()
    if data is None:
        fail(400, _first_error(form))
    return data


def _first_error(form: FilterForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[-1])
    return _("Les filtres ne sont pas valables. Revenez au tableau de bord.")


def _stamp() -> str:
    return datetime.now().strftime("%Y-%m-%d")


@bp.route("/dashboard/export.xlsx")
@coordinator_required
def export_xlsx():  # type: ignore[no-untyped-def]
    """Every aggregate in one Excel workbook, one sheet each."""
    from app.services import dashboard as service

    data = _export_data()
    return _download(
        service.export_xlsx(data),
        f"tableau-de-bord-{_stamp()}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.route("/dashboard/export.zip")
@coordinator_required
def export_zip():  # type: ignore[no-untyped-def]
    """Every aggregate as a CSV file, in one zip."""
    from app.services import dashboard as service

    data = _export_data()
    return _download(service.export_zip(data), f"tableau-de-bord-{_stamp()}.zip", "application/zip")


@bp.route("/dashboard/export/<name>.csv")
@coordinator_required
def export_csv(name: str):  # type: ignore[no-untyped-def]
    """One aggregate as a CSV file."""
    from app.services import dashboard as service

    if name not in service.EXPORT_NAMES:
        fail(404, _("Ce tableau n'existe pas."))
    data = _export_data()
    frame = service.export_frames(data)[name]
    return _download(service.export_csv(frame), f"{name}-{_stamp()}.csv", "text/csv")
