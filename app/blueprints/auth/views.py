"""Login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import LoginForm, PasswordChangeForm
from app.errors import render_error
from app.extensions import db
from app.security import public, staff_required
from app.services.accounts import (
    AccountError,
    TooManyAttempts,
    authenticate,
    change_own_password,
    end_sessions,
)


def _safe_next(target: str | None) -> str | None:
    """Only follow ``next`` to a path on this site (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _home_for(user) -> str:  # type: ignore[no-untyped-def]
    return url_for("main.staff_home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():  # type: ignore[no-untyped-def]
    """Staff login page."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(
                db.session,
                form.email.data or "",
                form.password.data or "",
                request.remote_addr or "",
            )
        except TooManyAttempts:
            return render_error(
                429,
                _(
                    "Trop d'essais de connexion. Pour protéger les comptes, attendez un quart "
                    "d'heure avant de réessayer, ou demandez à un coordinateur."
                ),
            )
        if user is not None:
            login_user(user)
            target = _safe_next(request.args.get("next")) or _home_for(user)
            return redirect(target, code=303)
        form.password.errors = [_("Adresse e-mail ou mot de passe incorrect.")]
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@public
def logout():  # type: ignore[no-untyped-def]
    """Log the staff member out (POST, so a link cannot do it behind their back)."""
    if current_user.is_authenticated:
        # End the session on the server too: a copy of the cookie stops working.
        end_sessions(db.session, current_user._get_current_object())
        logout_user()
    return redirect(url_for("main.index"), code=303)


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@staff_required
def change_password():  # type: ignore[no-untyped-def]
    """A staff member changes their own password; their other sessions end."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_own_password(db.session, user, form.current.data or "", form.new.data or "")
        except TooManyAttempts:
            return render_error(429)
        except AccountError as error:
            form.new.errors = [str(error)]
            status = 400
        else:
            login_user(user)  # this session goes on with the new session version
            flash(_("Votre mot de passe est changé. Vos autres sessions sont fermées."), "success")
            return redirect(url_for("main.staff_home"), code=303)
    elif form.is_submitted():
        status = 400
    return render_template("auth/change_password.html", form=form), status
