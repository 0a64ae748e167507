"""Subscribe to reminders, confirm (double opt-in), one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.blueprints.notify import bp
from app.blueprints.notify.forms import SubscribeForm
from app.extensions import csrf, db
from app.i18n import current_language
from app.mail import MailError, mail_enabled
from app.models.surveys import Neighbourhood
from app.security import public
from app.services import notify as svc
from app.sms import normalise_phone, sms_enabled
from surveys import procedures


@bp.app_context_processor
def inject_reminders() -> dict[str, Any]:
    """``reminders_offered`` for the "Prévenez-moi" block of the calendar and thank-you pages."""
    return {"reminders_offered": mail_enabled}


def _fill(form: SubscribeForm) -> None:
    neighbourhoods = db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name))
    form.neighbourhoods.choices = [SelectChoice(n.code, n.name) for n in neighbourhoods]
    form.procedure.choices = [SelectChoice("", _("Je ne sais pas encore"))] + [
        SelectChoice(p.code, p.name)
        for p in procedures.load_procedures(language=current_language())
    ]


@bp.route("/rappels", methods=["GET", "POST"])
@public
def subscribe():  # type: ignore[no-untyped-def]
    """Prévenez-moi quand le bus vient près de chez moi."""
    if not mail_enabled():
        # Not offered here (no MAIL_URL): the page says so; a POST is answered "not found".
        status = 404 if request.method == "POST" else 200
        return render_template("notify/subscribe.html", form=None), status
    form = SubscribeForm()
    if not sms_enabled():
        del form.phone  # no gateway: never ask for a number that would not be used
    _fill(form)
    if request.method == "GET" and request.args.get("quartier"):
        form.neighbourhoods.data = [request.args["quartier"]]
    status = 200
    if form.validate_on_submit():
        try:
            svc.subscribe(
                db.session,
                form.email.data or "",
                form.neighbourhoods.data or [],
                form.procedure.data or None,
                language=current_language(),
                phone=normalise_phone(form.phone.data or "") if "phone" in form else None,
            )
        except svc.NotifyError as error:
            form.neighbourhoods.errors = list(error.messages.values())
            status = 400
        except MailError as error:
            return render_template("notify/subscribe.html", form=form, mail_error=str(error)), 503
        else:
            return redirect(url_for("notify.check_inbox"), code=303)
    elif form.is_submitted():
        status = 400
    return render_template("notify/subscribe.html", form=form), status


@bp.route("/rappels/envoye", methods=["GET"])
@public
def check_inbox():  # type: ignore[no-untyped-def]
    """Regardez vos e-mails: the confirmation link is on its way."""
    return render_template("notify/check_inbox.html")


@bp.route("/rappels/confirmer/<token>", methods=["GET", "POST"])
@public
def confirm(token: str):  # type: ignore[no-untyped-def]
    """The link of the confirmation email: one button confirms (mail scanners only GET)."""
    subscription = svc.by_token(db.session, token)
    if subscription is None:
        return render_template("notify/gone.html"), 404
    if request.method == "POST":
        svc.confirm(db.session, token)
        return render_template("notify/confirmed.html", subscription=subscription)
    if subscription.confirmed:
        return render_template("notify/confirmed.html", subscription=subscription)
    return render_template("notify/confirm.html", token=token)


@bp.route("/rappels/desinscription/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
def unsubscribe(token: str):  # type: ignore[no-untyped-def]
    """One-click unsubscribe (RFC 8058): a POST deletes everything; a GET asks first."""
    if request.method == "POST":
        # Mail clients POST "List-Unsubscribe=One-Click" without any cookie or CSRF token; the
        # unguessable token is the authority, and the action only ever removes data.
        svc.unsubscribe(db.session, token)
        return render_template("notify/unsubscribed.html")
    if svc.by_token(db.session, token) is None:
        return render_template("notify/unsubscribed.html")
    return render_template("notify/unsubscribe.html", token=token)


@bp.route("/rappels/calendrier/<token>", methods=["GET"])
@public
def calendar_click(token: str):  # type: ignore[no-untyped-def]
    """A reminder's calendar link: keeps the subscription alive 12 more months."""
    svc.record_click(db.session, token)
    return redirect(url_for("programme.calendar"), code=303)
