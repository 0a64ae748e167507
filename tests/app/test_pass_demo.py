"""Demo Passes: idempotent, Camille's history with self-declared and validated levels, removable."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from app.db import db
from app.demo_seeders import accounts
from app.demo_seeders import passes as demo
from app.models import Assessment, LevelResult, Pass, User
from app.services import passes as service


def test_demo_passes_are_idempotent_dated_and_removable(app_ctx: Flask) -> None:
    lines: list[str] = []
    accounts.seed(lines.append)
    real = service.create_pass(db.session)
    db.session.commit()
    demo.seed(lines.append)
    demo.seed(lines.append)  # again: nothing new
    assert db.session.scalar(select(func.count()).select_from(Pass)) == 5
    assert sum("already exists" in line for line in lines) == 4

    camille = db.session.scalar(select(Pass).where(Pass.email == "camille@example.org"))
    assert camille.first_name == "Camille" and camille.consent_at is not None and camille.is_demo
    sittings = sorted(camille.assessments, key=lambda a: a.finished_at)
    assert [s.channel.value for s in sittings] == ["self", "self", "assisted"]
    aidant = db.session.scalar(User.by_email("aidant@example.org"))
    assert sittings[-1].aidant_id == aidant.id
    # Spread over months: 150, 90 and 30 days ago.
    spread = sittings[-1].finished_at - sittings[0].finished_at
    assert spread.days == 120
    # Hand-worked from the plan: devices 3 declared then seen done alone -> validated 3;
    # procedures 1 alone but 2 only with help -> 1 validated; safety declared 1, seen 2 -> 2.
    rows = db.session.scalars(
        select(LevelResult).where(LevelResult.assessment_id == sittings[-1].id)
    ).all()
    assert sorted((r.domain, r.level, r.status.value) for r in rows) == [
        ("devices", 3, "validated"),
        ("procedures", 1, "validated"),
        ("safety", 2, "validated"),
    ]
    standing = service.standing_for(camille)
    assert standing.domain("browsing").level == 2
    assert standing.domain("browsing").status == "self_declared"
    assert standing.domain("procedures").with_help_level == 2

    demo.remove(lines.append)
    assert db.session.scalars(select(Pass)).all() == [real]
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 0
    assert db.session.scalar(select(func.count()).select_from(LevelResult)) == 0
