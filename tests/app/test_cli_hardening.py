"""Issue 12, item 13: `demo --remove` in one transaction (and with real slots on demo points),
CLI commands before `db upgrade`, unknown filters in `profiles show`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import CollectionPoint, Response, User
from tests.conftest import base_config


def _count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _real_programme_on_a_demo_point(app: Flask) -> str:
    """The planner's real programme for a later month puts a half-day on a demo point."""
    from app.models.programme import HalfDay, Programme, Slot, Theme

    with app.app_context():
        point = db.session.scalar(
            select(CollectionPoint).where(CollectionPoint.is_demo.is_(True)).limit(1)
        )
        theme = db.session.scalar(select(Theme).limit(1))
        programme = Programme(year=2031, month=3, is_demo=False)
        programme.slots.append(
            Slot(
                date=dt.date(2031, 3, 4),
                half_day=HalfDay.MORNING,
                collection_point=point,
                theme=theme,
                explanation="Choisi par la coordinatrice",
            )
        )
        db.session.add(programme)
        db.session.commit()
        return point.name


def test_demo_remove_keeps_points_used_by_a_real_programme(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    seeded = runner.invoke(args=["demo", "--responses", "30"])
    assert seeded.exit_code == 0, seeded.output
    name = _real_programme_on_a_demo_point(app)
    removed = runner.invoke(args=["demo", "--remove"])
    assert removed.exit_code == 0, removed.output
    assert f"Demo point kept, archived: {name}" in removed.output
    with app.app_context():
        assert _count(Response, Response.is_demo.is_(True)) == 0
        assert _count(User) == 0
        kept = db.session.scalars(
            select(CollectionPoint).where(CollectionPoint.is_demo.is_(True))
        ).all()
        assert [p.name for p in kept] == [name] and kept[0].archived
        from app.models.programme import Programme

        assert _count(Programme) == 1  # the real programme is untouched


def test_demo_remove_is_all_or_nothing(app: Flask, runner, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["demo", "--responses", "30"]).exit_code == 0
    with app.app_context():
        before = (_count(Response), _count(User), _count(CollectionPoint))
    from app.demo_seeders import accounts

    def broken(echo):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(accounts, "remove", broken)  # the last area removed fails
    result = runner.invoke(args=["demo", "--remove"])
    assert result.exit_code != 0
    with app.app_context():
        assert (_count(Response), _count(User), _count(CollectionPoint)) == before


@pytest.mark.parametrize(
    "args",
    [
        ["users", "list"],
        ["users", "disable", "a@example.org"],
        ["demo"],
        ["surveys", "list"],
        ["sites", "list"],
        ["profiles", "show"],
        ["programme", "propose", "2031-02"],
    ],
)
def test_commands_before_db_upgrade_say_so(tmp_path: Path, args: list[str]) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty))
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, result.output
    assert "run flask --app wsgi db upgrade first" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--point", "Aucun point de recueil « nulle-part »"),
        ("--form", "Aucun questionnaire « nulle-part »"),
        ("--neighbourhood", "Aucun quartier « nulle-part »"),
    ],
)
def test_profiles_show_refuses_unknown_codes(runner, option: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["profiles", "show", option, "nulle-part"])
    assert result.exit_code == 1
    assert message in result.output
