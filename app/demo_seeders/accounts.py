"""Demo staff accounts: a coordinator and an aidant."""

from __future__ import annotations

from collections.abc import Callable

from app.extensions import db
from app.models import Role, User
from app.services.accounts import create_user

ORDER = 0
DEMO_PASSWORD = "demo-mairiebus"
DEMO_USERS = [
    ("coordinatrice@example.org", Role.COORDINATOR, "Carole (coordinatrice)", "Ville de Martigues"),
    ("aidant@example.org", Role.AIDANT, "Nasser (aidant)", "Maison de quartier de Canto Perdrix"),
]


def seed(echo: Callable[[str], object], responses: int | None = None) -> None:
    """Create the demo coordinator and aidant if absent."""
    for email, role, name, organisation in DEMO_USERS:
        if db.session.scalar(User.by_email(email)) is None:
            create_user(db.session, email, DEMO_PASSWORD, role, name, organisation)
            echo(f"Demo account {email} ({role.value}), password: {DEMO_PASSWORD}")
        else:
            echo(f"Demo account {email} already exists")


def remove(echo: Callable[[str], object]) -> None:
    """Delete the demo accounts (their past work stays, unattributed)."""
    for email, _role, _name, _org in DEMO_USERS:
        user = db.session.scalar(User.by_email(email))
        if user is not None:
            db.session.delete(user)
    db.session.flush()  # remove_demo commits once, for all areas
    echo("Demo accounts removed")
