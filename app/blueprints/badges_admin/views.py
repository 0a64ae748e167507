"""Coordinators: list awarded badges with filters, see one, revoke it with a reason."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.blueprints.badges_admin import bp
from app.blueprints.badges_admin.forms import AwardFilterForm, RevokeForm
from app.errors import fail
from app.extensions import db
from app.models.badges import Award
from app.security import coordinator_required
from app.services import badges as service
from app.services.passes import display_code


@bp.context_processor
def _helpers() -> dict[str, object]:
    """Pass codes grouped for reading (``K7M-9QX-RT4``), as on the Pass pages."""
    return {"pass_code": display_code}


PAGE_SIZE = 100


def _award_or_404(assertion_id: object) -> Award:
    award = service.find_award(db.session, assertion_id)
    if award is None:
        fail(404, _("Ce badge n'existe pas."))
    return award


@bp.route("")
@coordinator_required
def awards():  # type: ignore[no-untyped-def]
    """Every badge awarded, newest first, with filters."""
    form = AwardFilterForm(request.args)
    form.domain.choices = [SelectChoice("", _("Tous"))] + [
        SelectChoice(code, name) for code, name in service.domain_choices()
    ]
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    if not form.validate():
        return render_template(
            "badges_admin/awards.html", form=form, awards=[], page=1, has_next=False
        ), 400
    found = service.list_awards(
        db.session,
        domain=form.domain.data or None,
        status=form.status.data or None,
        state=form.state.data or None,
        search=form.q.data or None,
        limit=PAGE_SIZE + 1,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    return render_template(
        "badges_admin/awards.html",
        form=form,
        awards=found[:PAGE_SIZE],
        page=page_number,
        has_next=len(found) > PAGE_SIZE,
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/<uuid:assertion_id>")
@coordinator_required
def award(assertion_id):  # type: ignore[no-untyped-def]
    """One badge: what was issued, its history, and the revoke form."""
    found = _award_or_404(assertion_id)
    return render_template(
        "badges_admin/award.html",
        award=found,
        form=RevokeForm(),
        email=service.recipient_email(found),
    )


@bp.route("/<uuid:assertion_id>/revoke", methods=["POST"])
@coordinator_required
def revoke(assertion_id):  # type: ignore[no-untyped-def]
    """Revoke a badge with a reason; it then shows as revoked everywhere."""
    found = _award_or_404(assertion_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            service.revoke(db.session, found, form.reason.data or "", by=current_user)
        except service.BadgeError as error:
            return render_template(
                "badges_admin/award.html",
                award=found,
                form=form,
                email=service.recipient_email(found),
                error=error.message,
            ), 400
        else:
            flash(_("Le badge est retiré. Il apparaît comme retiré partout."), "success")
            return redirect(url_for("badges_admin.award", assertion_id=found.uuid), code=303)
    return render_template(
        "badges_admin/award.html", award=found, form=form, email=service.recipient_email(found)
    ), 400
