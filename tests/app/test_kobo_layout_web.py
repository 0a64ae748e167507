"""The export page's KoboToolbox layout choice, and the media URLs it links to (issue 11)."""

from __future__ import annotations

import csv
import io

from flask import Flask
from flask.testing import FlaskClient

from app.services.responses import upload_root
from tests.app.test_surveys_exports import club_with_responses
from tests.conftest import page_text

URL = "/admin/questionnaires"


def test_kobo_layout_from_the_export_page(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        made = {k: (r.id, r.uuid) for k, r in club_with_responses().items()}
    auth.login()
    assert "KoboToolbox (chemins de groupes" in page_text(client.get(f"{URL}/club"))
    response = client.get(f"{URL}/club/export?format=csv&language=&layout=kobo")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(int(r["_id"]), r["_uuid"]) for r in rows] == [
        made["old"],
        made["new"],
        made["demo"],
    ]
    assert [r["_index"] for r in rows] == ["1", "2", "3"]
    kids = client.get(f"{URL}/club/export?format=csv&table=kids&language=&layout=kobo")
    kid_rows = list(csv.DictReader(io.StringIO(kids.get_data(as_text=True).lstrip("\ufeff"))))
    assert kid_rows and all(r["_parent_table_name"] == "responses" for r in kid_rows)
    assert client.get(f"{URL}/club/export?format=csv&layout=zzz").status_code == 400


def test_media_links_are_for_coordinators_only(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        folder = upload_root() / "0b6f1c2e-aaaa-bbbb-cccc-0123456789ab"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "photo-ab12.jpg").write_bytes(b"\xff\xd8fake")
    path = f"{URL}/medias/0b6f1c2e-aaaa-bbbb-cccc-0123456789ab/photo-ab12.jpg"
    assert client.get(path).status_code in (302, 303)  # to the login page
    auth.login()
    assert client.get(path).data == b"\xff\xd8fake"
    assert (
        client.get(f"{URL}/medias/0b6f1c2e-aaaa-bbbb-cccc-0123456789ab/..%2Fx").status_code == 404
    )
    assert client.get(f"{URL}/medias/..%2F..%2Fetc/passwd").status_code == 404
