"""Coordinators create, disable, re-enable aidants and reset their password."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.admin import bp
from app.blueprints.admin.forms import ActionForm, NewUserForm
from app.errors import fail
from app.extensions import db
from app.models import Role, User
from app.security import coordinator_required
from app.services.accounts import (
    AccountError,
    create_user,
    set_password,
    temporary_password,
)
from app.services.accounts import (
    disable_user as disable_account,
)


def _action_target(user_id: int) -> User:
    """The account an action button acts on, after checking the button's CSRF token."""
    if not ActionForm().validate_on_submit():
        fail(400, _("Le formulaire a expiré. Rechargez la page et recommencez."))
    user = db.session.get(User, user_id)
    if user is None:
        fail(404, _("Ce compte n'existe pas."))
    return user


@bp.route("/users", methods=["GET", "POST"])
@coordinator_required
def users():  # type: ignore[no-untyped-def]
    """List staff accounts and create a new one."""
    form = NewUserForm()
    status = 200
    if form.validate_on_submit():
        password = temporary_password()
        try:
            user = create_user(
                db.session,
                form.email.data or "",
                password,
                Role(form.role.data),
                display_name=form.display_name.data or "",
                organisation=form.organisation.data or "",
            )
        except AccountError as error:
            form.email.errors = [str(error)]
            status = 400
        else:
            return _show_password_once(_("Compte créé pour %(email)s.", email=user.email), password)
    elif form.is_submitted():
        status = 400
    return _users_page(form, status)


def _users_page(form: NewUserForm, status: int = 200, **extra: object):  # type: ignore[no-untyped-def]
    accounts = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    response = make_response(
        render_template(
            "admin/users.html", form=form, accounts=accounts, action_form=ActionForm(), **extra
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _show_password_once(message: str, password: str):  # type: ignore[no-untyped-def]
    """Show a temporary password in this response only: never in the session cookie (a flash
    message would carry it there), never cached, gone on reload."""
    return _users_page(NewUserForm(formdata=None), new_password=password, password_message=message)


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@coordinator_required
def disable_user(user_id: int):  # type: ignore[no-untyped-def]
    """Disable an account: it can no longer log in; its past work stays attributed."""
    user = _action_target(user_id)
    if user.id == current_user.id:
        fail(400, _("Vous ne pouvez pas désactiver votre propre compte."))
    disable_account(db.session, user)
    flash(_("Le compte %(email)s est désactivé.", email=user.email), "success")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@coordinator_required
def enable_user(user_id: int):  # type: ignore[no-untyped-def]
    """Re-enable a disabled account."""
    user = _action_target(user_id)
    user.active = True
    db.session.commit()
    flash(_("Le compte %(email)s est réactivé.", email=user.email), "success")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
@coordinator_required
def reset_user(user_id: int):  # type: ignore[no-untyped-def]
    """Give an account a new temporary password, shown once to the coordinator."""
    user = _action_target(user_id)
    password = temporary_password()
    set_password(db.session, user, password)
    return _show_password_once(
        _("Nouveau mot de passe provisoire pour %(email)s.", email=user.email), password
    )
