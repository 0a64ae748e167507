"""Every blueprint of the app, registered in this order by ``create_app``."""

from app.blueprints.admin import bp as admin_bp
from app.blueprints.auth import bp as auth_bp
from app.blueprints.main import bp as main_bp

BLUEPRINTS = [main_bp, auth_bp, admin_bp]
