"""Demo badges: the demo Pass of camille@example.org holds awarded badges (2.0 and 3.0).

The Pass itself belongs to the Pass seeder (ORDER 20), which also removes it. When it is not
there (this seeder run on its own, as in tests), a minimal demo Pass is created here.
Badges follow the Pass's saved levels when there are any; otherwise a fixed set: some
self-declared, some validated by the demo aidant's organisation.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, select

from app.db import utcnow
from app.extensions import db
from app.models import Assessment, LevelResult, LevelStatus, Pass, User
from app.models.badges import Award, AwardEvent
from app.services import badges as service

ORDER = 30
DEMO_EMAIL = "camille@example.org"
DEMO_AIDANT = "aidant@example.org"
# (domain, level reached, status) used when the Pass has no saved levels.
DEFAULT_LEVELS = [
    ("devices", 2, "validated"),
    ("devices", 3, "self_declared"),
    ("browsing", 1, "validated"),
    ("communicating", 2, "self_declared"),
    ("safety", 1, "self_declared"),
]


def _demo_pass() -> Pass | None:
    return db.session.scalar(
        select(Pass).where(Pass.email == DEMO_EMAIL, Pass.is_demo.is_(True)).order_by(Pass.id)
    )


def _levels(pass_: Pass) -> list[tuple[str, int, str]]:
    """(domain, level, status) of the Pass's latest result per domain and status."""
    rows = db.session.execute(
        select(LevelResult.domain, LevelResult.level, LevelResult.status)
        .join(Assessment, Assessment.id == LevelResult.assessment_id)
        .where(Assessment.pass_id == pass_.id, LevelResult.level > 0)
        .order_by(Assessment.started_at)
    ).all()
    latest: dict[tuple[str, str], int] = {}
    for domain, level, status in rows:
        latest[(domain, status.value)] = level
    return [(d, lvl, s) for (d, s), lvl in latest.items()] or DEFAULT_LEVELS


def seed(echo: Callable[[str], object], responses: int | None = None) -> None:
    """Give the demo Pass its badges (idempotent)."""
    pass_ = _demo_pass()
    if pass_ is None:
        from badges import passcode

        pass_ = Pass(
            code=passcode.generate(),  # stored canonical, as Pass.by_code looks it up
            first_name="Camille",
            email=DEMO_EMAIL,
            consent_at=utcnow(),
            is_demo=True,
        )
        db.session.add(pass_)
        db.session.flush()
        echo(
            f"Demo Pass {passcode.format(pass_.code)} for {DEMO_EMAIL} created by the badges seeder"
        )
    aidant = db.session.scalar(User.by_email(DEMO_AIDANT))
    count = 0
    for domain, reached, status in _levels(pass_):
        for level in range(1, reached + 1):
            try:
                service.issue_award(
                    db.session,
                    pass_,
                    domain,
                    level,
                    LevelStatus(status),
                    aidant if status == "validated" else None,
                    commit=False,
                    is_demo=True,
                )
            except service.BadgeError:
                continue  # a level the framework no longer has
            count += 1
    db.session.commit()
    echo(f"Demo badges ready for {DEMO_EMAIL} ({count} levels)")


def remove(echo: Callable[[str], object]) -> None:
    """Delete demo badges and their log (the Pass seeder removes the demo Passes)."""
    ids = select(Award.id).where(Award.is_demo.is_(True))
    # The audit log refuses deletes through the ORM; demo rows are the one exception.
    db.session.execute(delete(AwardEvent.__table__).where(AwardEvent.award_id.in_(ids)))
    db.session.execute(
        Award.__table__.update().where(Award.is_demo.is_(True)).values(superseded_by_id=None)
    )
    db.session.execute(delete(Award.__table__).where(Award.is_demo.is_(True)))
    db.session.flush()  # remove_demo commits once, for all areas
    echo("Demo badges removed")
