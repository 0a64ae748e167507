"""All models, imported here so Alembic and ``db.create_all`` see every table."""

from app.models.accounts import Role, User
from app.models.throttle import ThrottleCounter

__all__ = ["Role", "ThrottleCounter", "User"]
