"""Who may use each view, and the headers every response carries.

Every view declares its audience with one of the decorators below. A ``before_request`` hook
enforces the declaration, so a view without one is refused (fail closed) and the route walk test
names it. Anonymous visitors of staff pages go to the login page; staff without the right role
get 403.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from app.static_files import style_sources

F = TypeVar("F", bound=Callable[..., object])
ACCESS_ATTR = "mairiebus_access"


class Access(enum.Enum):
    """Audiences a view can be open to."""

    PUBLIC = "public"  # anyone, residents included
    STAFF = "staff"  # aidants and coordinators
    COORDINATOR = "coordinator"  # coordinators only


def _declare(access: Access) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        setattr(view, ACCESS_ATTR, access)
        return view

    return decorator


public = _declare(Access.PUBLIC)
staff_required = _declare(Access.STAFF)
coordinator_required = _declare(Access.COORDINATOR)


def view_access(app: Flask, endpoint: str | None) -> Access | None:
    """Return the declared audience of ``endpoint`` (static files are public)."""
    if endpoint is None:
        return Access.PUBLIC  # no route matched: let the 404/405 handler answer
    if endpoint == "static" or endpoint.endswith(".static"):
        return Access.PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTR, None)


def enforce_access() -> object | None:
    """Refuse the request unless the current user belongs to the view's audience."""
    access = view_access(current_app, request.endpoint)
    if access is Access.PUBLIC:
        return None
    if access is None:
        current_app.logger.error("View %s declares no audience; refused", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if access is Access.COORDINATOR and not current_user.is_coordinator:
        abort(403)
    return None


CSP_STYLE_SRC = "style-src 'self'"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        CSP_STYLE_SRC,
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers(response):  # type: ignore[no-untyped-def]
    """Add the security headers to every response, error pages included."""
    headers = response.headers
    # A page's stylesheets are inlined in one <style> (app/static_files.py): its hash, and
    # only it, is allowed.
    policy = CONTENT_SECURITY_POLICY
    inline_styles = style_sources()
    if inline_styles:
        policy = policy.replace(CSP_STYLE_SRC, " ".join([CSP_STYLE_SRC, *inline_styles]), 1)
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Geolocation is offered for geopoint questions only, on our own pages.
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _has_control(value: str) -> bool:
    from surveys.cells import strip_control

    return strip_control(value) != value


def reject_nul_characters() -> None:
    """Refuse text containing NUL or other control characters (no person types one; PostgreSQL
    cannot store NUL; XML, and so XLSX exports, cannot hold the others).

    The URL path, query strings and text form fields are checked (tab, line feed and carriage
    return are allowed in form fields); uploaded files are binary by nature.
    """
    if (
        _has_control(request.path)
        or any(_has_control(v) for values in request.args.listvalues() for v in values)
        or (
            request.method in ("POST", "PUT", "PATCH")
            and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            and any(_has_control(v) for values in request.form.listvalues() for v in values)
        )
    ):
        from flask_babel import gettext as _

        from app.errors import fail

        fail(400, _("Le texte envoyé contient un caractère invalide. Retapez-le puis réessayez."))
