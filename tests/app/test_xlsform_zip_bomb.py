"""Issue 12, item 7: an .xlsx that expands to far more than any questionnaire is refused before
parsing, with a French message, on the web and in the CLI."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import FormVersion
from surveys.xlsform import MAX_FORM_UNZIPPED_BYTES, check_zip_size
from tests.conftest import csrf_token, page_text

SHIPPED = Path(__file__).resolve().parents[2] / "surveys" / "forms" / "mairiebus.xlsx"
URL = "/admin/questionnaires"


def _bomb(extra_bytes: int) -> bytes:
    """The shipped questionnaire plus one highly compressible member of ``extra_bytes``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(SHIPPED) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        with target.open("xl/media/filler.bin", "w") as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(extra_bytes // len(block)):
                member.write(block)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = _bomb(MAX_FORM_UNZIPPED_BYTES + 8 * 1024 * 1024)
    assert len(data) < 1024 * 1024  # small on the wire
    return data


def test_check_counts_what_the_zip_would_expand_to(bomb: bytes) -> None:
    check_zip_size(SHIPPED.read_bytes())  # the real questionnaire passes
    with pytest.raises(Exception, match="décompresse en beaucoup trop de données"):
        check_zip_size(bomb)


def test_web_upload_of_a_zip_bomb_is_a_french_400(
    app: Flask, client: FlaskClient, auth, bomb: bytes
) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    token = csrf_token(client, URL)
    response = client.post(
        URL,
        data={"csrf_token": token, "file": (io.BytesIO(bomb), "questionnaire.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "décompresse en beaucoup trop de données" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FormVersion)) == 0


def test_cli_import_of_a_zip_bomb_exits_1(runner, tmp_path: Path, bomb: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "questionnaire.xlsx"
    path.write_bytes(bomb)
    result = runner.invoke(args=["surveys", "import", str(path)])
    assert result.exit_code == 1
    assert "décompresse en beaucoup trop de données" in result.output
    assert "Traceback" not in result.output
