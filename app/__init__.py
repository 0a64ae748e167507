"""Mairie Bus web application: the Flask shell around ``surveys/`` and ``badges/``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import build_config, load_secret_key


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the application; ``config`` overrides settings read from the environment."""
    instance_path = os.environ.get("MAIRIEBUS_INSTANCE_PATH") or None
    if config and config.get("MAIRIEBUS_INSTANCE_PATH"):
        instance_path = str(config["MAIRIEBUS_INSTANCE_PATH"])
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.config.from_mapping(build_config(Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(Path(app.instance_path))
    if app.config["MAIRIEBUS_PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    _init_extensions(app)
    _register_blueprints(app)

    from app import static_files

    static_files.init_app(app)

    from app import errors, security

    errors.register(app)
    app.before_request(security.reject_nul_characters)
    app.before_request(security.enforce_access)
    app.after_request(security.security_headers)

    from app.cli import register_cli

    register_cli(app)
    return app


def select_locale() -> str:
    """French by default; a resident may switch to English, remembered in the session."""
    if not has_request_context():
        return "fr"  # CLI commands and background work: messages in French
    wanted = request.args.get("lang")
    if wanted in ("fr", "en"):
        session["lang"] = wanted
    return session.get("lang", "fr")


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401 - every table registered before migrations run
    from app.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    from app.i18n import install_fast_gettext

    install_fast_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself

    @login_manager.user_loader
    def load_user(session_id: str):  # type: ignore[no-untyped-def]
        """The account of a session cookie, unless its sessions were ended since it was made."""
        from app.models import User

        user_id, _sep, version = session_id.partition(":")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.session_version != int(version) or not user.active:
            return None
        return user

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        from flask_babel import get_locale

        from app.navigation import RESIDENT_CARDS, STAFF_CARDS

        return {
            "home_cards": RESIDENT_CARDS,
            "staff_cards": STAFF_CARDS,
            "town_name": app.config["TOWN_NAME"],
            "contact_email": app.config["CONTACT_EMAIL"],
            "current_locale": str(get_locale()),
        }


def _register_blueprints(app: Flask) -> None:
    from app.blueprints import all_blueprints

    for blueprint in all_blueprints():
        app.register_blueprint(blueprint)
