"""Demo content for `make run` and `flask --app wsgi demo`.

Each area adds a seeder below. Seeders are idempotent: they look up what they created before
(by natural keys, or the ``is_demo`` flag) and never touch real data.
"""

from __future__ import annotations

from collections.abc import Callable

from app.extensions import db
from app.models import Role, User
from app.services.accounts import create_user

Echo = Callable[[str], object]

DEMO_PASSWORD = "demo-mairiebus"
DEMO_USERS = [
    ("coordinatrice@example.org", Role.COORDINATOR, "Carole (coordinatrice)", "Ville de Martigues"),
    ("aidant@example.org", Role.AIDANT, "Nasser (aidant)", "Maison de quartier de Canto Perdrix"),
]


def seed_users(echo: Echo) -> None:
    """Create the demo coordinator and aidant if absent."""
    for email, role, name, organisation in DEMO_USERS:
        if db.session.scalar(User.by_email(email)) is None:
            create_user(db.session, email, DEMO_PASSWORD, role, name, organisation)
            echo(f"Demo account {email} ({role.value}), password: {DEMO_PASSWORD}")
        else:
            echo(f"Demo account {email} already exists")


def _seeders() -> list[Callable[..., None]]:
    return [seed_users]


def _removers() -> list[Callable[[Echo], None]]:
    return []


def seed_demo(responses: int | None = None, echo: Echo = print) -> None:
    """Run every area's demo seeder."""
    for seeder in _seeders():
        if "responses" in seeder.__code__.co_varnames:
            seeder(echo=echo, responses=responses)
        else:
            seeder(echo=echo)
    echo("Demo content ready.")


def remove_demo(echo: Echo = print) -> None:
    """Remove all demo content (demo accounts included), leaving real data untouched."""
    for remover in _removers():
        remover(echo)
    for email, _role, _name, _org in DEMO_USERS:
        user = db.session.scalar(User.by_email(email))
        if user is not None:
            db.session.delete(user)
    db.session.commit()
    echo("Demo content removed.")
