"""Demo Passes with a history over months; Camille's has self-declared and validated levels.

Every demo Pass has a fixed code (so the seeder is idempotent) and ``is_demo``; ``remove``
deletes them with their assessments, results and notes, leaving real Passes untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select

from app.db import utcnow
from app.extensions import db
from app.models import (
    AidantNote,
    Assessment,
    AssessmentKind,
    Channel,
    Neighbourhood,
    Pass,
    User,
)
from app.services import badges as badges_service
from app.services import passes as service
from badges import assessment as engine
from badges import passcode
from badges.assessment import ChallengeStep, FeedbackStep, StatementStep

ORDER = 20
DEMO_AIDANT = "aidant@example.org"


@dataclass(frozen=True)
class Sitting:
    """One demo sitting: how long ago, the levels answered, and an aidant's checks if any."""

    days_ago: int
    levels: Mapping[str, int] = field(default_factory=dict)
    checks: Mapping[str, str] = field(default_factory=dict)
    with_aidant: bool = False
    answer: bool = True  # False: an aidant's checks only, no questions
    note: str = ""


@dataclass(frozen=True)
class DemoPass:
    """A demo Pass: 8 fixed data characters (the check character is computed)."""

    data: str
    neighbourhood: str | None
    sittings: tuple[Sitting, ...]
    first_name: str | None = None
    email: str | None = None

    @property
    def code(self) -> str:
        return self.data + passcode.check_character(self.data)


DEMO_PASSES = (
    DemoPass(
        data="CAMY2026",
        neighbourhood="canto_perdrix",
        first_name="Camille",
        email="camille@example.org",
        sittings=(
            Sitting(
                150,
                {"devices": 2, "browsing": 1, "communicating": 1, "safety": 1, "daily_life": 1},
            ),
            Sitting(
                90,
                {
                    "devices": 3,
                    "browsing": 2,
                    "communicating": 2,
                    "procedures": 1,
                    "safety": 1,
                    "daily_life": 2,
                },
            ),
            Sitting(
                30,
                checks={
                    "devices-3-check": "alone",
                    "procedures-1-check": "alone",
                    "procedures-2-check": "with_help",
                    "safety-2-check": "alone",
                },
                with_aidant=True,
                answer=False,
                note="Camille vient le mercredi. Objectif : déclarer ses impôts en ligne.",
            ),
        ),
    ),
    DemoPass(
        data="DEM0PAS1",
        neighbourhood="boudeme",
        sittings=(Sitting(120, {"devices": 1}),),
    ),
    DemoPass(
        data="DEM0PAS2",
        neighbourhood="mas_de_pouane",
        sittings=(
            Sitting(180, {"devices": 3, "browsing": 3, "communicating": 2, "safety": 2}),
            Sitting(
                60,
                {
                    "devices": 4,
                    "browsing": 4,
                    "communicating": 3,
                    "procedures": 2,
                    "safety": 3,
                    "daily_life": 3,
                },
            ),
        ),
    ),
    DemoPass(
        data="DEM0PAS3",
        neighbourhood="ferrieres",
        sittings=(
            Sitting(
                14,
                {"devices": 2, "browsing": 1, "communicating": 2},
                checks={"devices-2-check": "alone", "communicating-2-check": "not_yet"},
                with_aidant=True,
            ),
        ),
    ),
)


def _answer(sitting: Assessment, levels: Mapping[str, int]) -> None:
    """Answer every page as someone who does levels 1..levels[domain] alone."""
    while (step := service.current_step(db.session, sitting)) is not None:
        if isinstance(step, StatementStep):
            value = "alone" if step.level.number <= levels.get(step.domain.code, 0) else "not_yet"
        elif isinstance(step, ChallengeStep):
            # Demo people try the challenge at their level and get it right.
            value = step.challenge.right_choice.id
        else:
            assert isinstance(step, FeedbackStep)
            value = engine.CONTINUE
        service.answer_step(db.session, sitting, value, step.key)


def seed(echo: Callable[[str], object], responses: int | None = None) -> None:
    """Create the demo Passes that are not there yet."""
    aidant = db.session.scalar(User.by_email(DEMO_AIDANT))
    now = utcnow()
    for demo in DEMO_PASSES:
        if db.session.scalar(Pass.by_code(demo.code)) is not None:
            echo(f"Demo Pass {passcode.format(demo.code)} already exists")
            continue
        area = None
        if demo.neighbourhood:
            area = db.session.scalar(
                select(Neighbourhood).where(Neighbourhood.code == demo.neighbourhood)
            )
        first = now - timedelta(days=max(s.days_ago for s in demo.sittings) + 1)
        pass_ = Pass(
            code=demo.code,
            first_name=demo.first_name,
            email=demo.email,
            consent_at=first if (demo.first_name or demo.email) else None,
            neighbourhood_id=area.id if area else None,
            created_at=first,
            is_demo=True,
        )
        db.session.add(pass_)
        db.session.commit()
        for plan in demo.sittings:
            sitting, _token = service.start_assessment(
                db.session, pass_=pass_, aidant=aidant if plan.with_aidant else None
            )
            if plan.with_aidant and aidant is None:
                # Without the demo aidant the sitting is still "with an aidant", unattributed.
                sitting.kind = AssessmentKind.AIDANT
                sitting.channel = Channel.ASSISTED
            if plan.answer:
                _answer(sitting, plan.levels)
            service.finish_assessment(
                db.session,
                sitting,
                plan.checks,
                at=now - timedelta(days=plan.days_ago),
                note=plan.note,
            )
        sittings = len(demo.sittings)
        echo(
            f"Demo Pass {passcode.format(demo.code)} ({sittings} assessment{'s' * (sittings > 1)})"
        )


def remove(echo: Callable[[str], object]) -> None:
    """Delete the demo Passes with their assessments, results and notes."""
    passes = db.session.scalars(select(Pass).where(Pass.is_demo.is_(True))).all()
    for pass_ in passes:
        badges_service.erase_pass_awards(db.session, pass_)
        db.session.execute(delete(AidantNote).where(AidantNote.pass_id == pass_.id))
        db.session.execute(delete(Assessment).where(Assessment.pass_id == pass_.id))
        db.session.expire(pass_, ["assessments"])
        db.session.delete(pass_)
    db.session.flush()  # remove_demo commits once, for all areas
    echo(f"Demo Passes removed ({len(passes)})")
