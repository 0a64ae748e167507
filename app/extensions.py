"""Flask extensions, created unbound and initialised in ``create_app``."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from app.db import db

migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

__all__ = ["babel", "csrf", "db", "login_manager", "migrate"]
