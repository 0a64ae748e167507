"""Wrong arguments to the CLI give a plain message and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.extensions import db
from app.models import PointKind
from app.services import collection as sites


def test_qr_into_a_missing_folder_is_a_plain_error(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        sites.ensure_default_form(db.session)
        sites.create_point(db.session, sites.PointData("Auchan", PointKind.SHOPPING_CENTRE))
    target = tmp_path / "nowhere" / "auchan.png"
    result = runner.invoke(args=["sites", "qr", "auchan", "-o", str(target)])
    assert result.exit_code == 1
    assert result.output == f"Error: Le dossier « {tmp_path / 'nowhere'} » n'existe pas.\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    scale = runner.invoke(args=["sites", "qr", "auchan", "--scale", "0", "-o", str(tmp_path / "a")])
    assert scale.exit_code == 2 and "--scale" in scale.output


def test_bake_into_a_missing_folder_is_a_plain_error(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.app.test_badges_service import make_award

    with app.app_context():
        assertion_id = make_award().uuid
    target = tmp_path / "nowhere" / "badge.png"
    result = runner.invoke(args=["badges", "bake", assertion_id, "-o", str(target)])
    assert result.exit_code == 1
    assert result.output.endswith(f"Error: Le dossier « {tmp_path / 'nowhere'} » n'existe pas.\n")
    assert not target.exists()


def test_demo_refuses_a_negative_number_of_responses(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["demo", "--responses", "-5"])
    assert result.exit_code == 2
    assert "-5 is not in the range x>=0" in result.output
