"""French error pages in the site's layout; no stack trace ever reaches a browser."""

from __future__ import annotations

from typing import NoReturn

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (
            _("Demande incorrecte"),
            _("Nous n'avons pas compris la demande. Revenez en arrière et réessayez."),
        ),
        403: (_("Accès refusé"), _("Cette page est réservée à d'autres personnes.")),
        404: (_("Page introuvable"), _("Cette page n'existe pas ou plus. Vérifiez l'adresse.")),
        405: (_("Action impossible"), _("Cette action n'est pas possible sur cette page.")),
        410: (_("Retiré"), _("Ce contenu a été retiré et n'est plus disponible.")),
        413: (
            _("Fichier trop gros"),
            _("Le fichier envoyé est trop gros. Essayez avec un fichier plus petit."),
        ),
        429: (
            _("Trop d'essais"),
            _("Vous avez fait trop d'essais. Attendez un quart d'heure, puis réessayez."),
        ),
        503: (
            _("Service momentanément indisponible"),
            _(
                "Le service est momentanément indisponible. Ce n'est pas de votre faute. "
                "Réessayez dans quelques secondes."
            ),
        ),
        500: (
            _("Erreur de notre côté"),
            _(
                "Un problème est survenu chez nous. Ce n'est pas de votre faute. Réessayez dans un moment."
            ),
        ),
    }


def fail(code: int, message: str) -> NoReturn:
    """Abort with ``code`` and a plain-French ``message`` shown on the error page."""
    error = default_exceptions[code](description=message)
    error.french_message = message  # type: ignore[attr-defined]
    raise error


def render_error(code: int, detail: str | None = None):  # type: ignore[no-untyped-def]
    """Render the French error page (or JSON for API clients) with status ``code``."""
    title, message = _messages().get(code, (_("Erreur"), _("Une erreur est survenue.")))
    if detail:
        message = detail
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": title, "message": message}), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


RETRY_AFTER_SECONDS = 5


def is_database_outage(error: BaseException) -> bool:
    """True when ``error`` means the database cannot be reached right now (down, restarting,
    connection lost, SQLite locked), as opposed to a bug in a query."""
    from sqlalchemy import exc

    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, exc.OperationalError | exc.InterfaceError) or (
        isinstance(error, exc.TimeoutError)  # no free connection in the pool
    )


def rollback_quietly() -> None:
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; nothing more to undo
        db.session.close()


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return render_error(
            400,
            _("Le formulaire a expiré ou n'est pas valide. Rechargez la page et recommencez."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        detail = getattr(error, "french_message", None)
        response = render_error(code, detail)
        valid_methods = getattr(error, "valid_methods", None)
        if code == 405 and valid_methods:
            body, status = response
            return body, status, {"Allow": ", ".join(valid_methods)}
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):  # type: ignore[no-untyped-def]
        if isinstance(error, HTTPException):
            return http_error(error)
        if is_database_outage(error):
            app.logger.warning("Database unavailable: %s", error)
            rollback_quietly()
            body, status = render_error(503)
            return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        app.logger.exception("Unhandled error", exc_info=error)
        from app.extensions import db

        db.session.rollback()
        return render_error(InternalServerError.code)
