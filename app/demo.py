"""Demo content for `make run` and `flask --app wsgi demo`, gathered from ``app.demo_seeders``."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from app.demo_seeders.accounts import DEMO_PASSWORD
from app.discovery import submodules

Echo = Callable[[str], object]

__all__ = ["DEMO_PASSWORD", "remove_demo", "seed_demo"]


def _seeders() -> list[ModuleType]:
    modules = [m for m in submodules("app.demo_seeders") if hasattr(m, "seed")]
    return sorted(modules, key=lambda m: getattr(m, "ORDER", 100))


def seed_demo(responses: int | None = None, echo: Echo = print) -> None:
    """Run every area's demo seeder, in order."""
    for module in _seeders():
        module.seed(echo=echo, responses=responses)
    echo("Demo content ready.")


def remove_demo(echo: Echo = print) -> None:
    """Remove all demo content, in reverse order, leaving real data untouched.

    One transaction for every area: either all demo content goes, or nothing changes.
    """
    from app.extensions import db

    try:
        for module in reversed(_seeders()):
            if hasattr(module, "remove"):
                module.remove(echo)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    echo("Demo content removed.")
