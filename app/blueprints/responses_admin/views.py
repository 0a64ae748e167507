"""Coordinators: a paged, filterable list of responses, one response, its deletion, the log."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.responses_admin import bp
from app.blueprints.responses_admin.forms import DeleteResponseForm, ResponseFilterForm
from app.errors import fail
from app.extensions import db
from app.models import Response
from app.security import coordinator_required
from app.services import response_review as service
from app.services.responses import upload_root
from surveys.labels import CHANNEL_LABELS

PAGE_SIZE = 50


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {"channel_label": lambda code: CHANNEL_LABELS.get(code, code), "local": _local}


def _local(moment: datetime | None) -> str:
    """A stored UTC moment as Paris day and time (SQLite gives back naive UTC)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M")


def _response_or_404(response_uuid: object) -> Response:
    found = service.find_submitted(db.session, str(response_uuid))
    if found is None:
        fail(404, _("Cette réponse n'existe pas (elle a peut-être été supprimée)."))
    return found


def _back_args() -> dict[str, str]:
    """The list's filters and page, carried to the detail page and back."""
    return {k: v for k, v in request.args.items() if v}


@bp.route("")
@coordinator_required
def responses():  # type: ignore[no-untyped-def]
    """Submitted responses, newest first, filtered and paged."""
    form = ResponseFilterForm(request.args)
    form.set_choices(service.filter_choices(db.session))
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    if not form.validate():
        return render_template(
            "responses_admin/list.html",
            form=form,
            rows=[],
            total=0,
            page=1,
            pages=1,
            args=args,
        ), 400
    filters = form.filters()
    total = service.count_responses(db.session, filters)
    pages = max(1, -(-total // PAGE_SIZE))
    page_number = min(page_number, pages)
    rows = service.list_responses(
        db.session, filters, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE
    )
    return render_template(
        "responses_admin/list.html",
        form=form,
        rows=rows,
        total=total,
        page=page_number,
        pages=pages,
        args=args,
    )


@bp.route("/<uuid:response_uuid>")
@coordinator_required
def response(response_uuid):  # type: ignore[no-untyped-def]
    """One response: where and when it was given, every answer, and the delete form."""
    found = _response_or_404(response_uuid)
    return _detail(found, DeleteResponseForm())


def _detail(found: Response, form: DeleteResponseForm, error: str | None = None, status=200):  # type: ignore[no-untyped-def]
    lines = service.answer_lines(db.session, found, str(get_locale()))
    return render_template(
        "responses_admin/detail.html",
        item=found,
        lines=lines,
        form=form,
        error=error,
        back=_back_args(),
    ), status


@bp.route("/<uuid:response_uuid>/supprimer", methods=["POST"])
@coordinator_required
def delete(response_uuid):  # type: ignore[no-untyped-def]
    """Delete one response with a reason; the deletion is kept in the log."""
    found = _response_or_404(response_uuid)
    form = DeleteResponseForm()
    if not form.validate_on_submit():
        return _detail(found, form, status=400)
    try:
        service.delete_response(
            db.session, found, form.reason.data or "", by=current_user, upload_root=upload_root()
        )
    except service.ReviewError as error:
        return _detail(found, form, error=error.message, status=400)
    flash(_("La réponse est supprimée. La suppression est notée dans le journal."), "success")
    return redirect(url_for("responses_admin.responses", **_back_args()), code=303)


@bp.route("/journal")
@coordinator_required
def journal():  # type: ignore[no-untyped-def]
    """The log of deleted responses: which, when, by whom and why."""
    return render_template("responses_admin/journal.html", entries=service.deletions(db.session))
