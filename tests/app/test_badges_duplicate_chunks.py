"""Issue 12, item 12: a PNG with two chunks of the same badge keyword is refused (the bakery
reads the first, Pillow-based viewers show the last: a forgery could hide behind a genuine one)."""

from __future__ import annotations

import io
import json
import zlib
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from badges import baking
from tests.app import test_badges_public as public
from tests.app.test_badges_public import _api, _upload

issued = public.issued  # the fixture: one validated award and its baked PNG


def _append_forged_chunk(png: bytes, keyword: str, chunk_type: bytes = b"iTXt") -> bytes:
    """Add a second ``keyword`` chunk after the genuine one, claiming another recipient."""
    document = json.loads(baking.unbake(png)[keyword])
    document["forged"] = "Ce badge appartient à Dominique"
    text = json.dumps(document).encode()
    if chunk_type == b"iTXt":
        data = keyword.encode() + b"\x00\x00\x00\x00\x00" + text
    elif chunk_type == b"zTXt":
        data = keyword.encode() + b"\x00\x00" + zlib.compress(text)
    else:
        data = keyword.encode() + b"\x00" + text
    chunks = baking.parse_chunks(png)
    return baking.serialize_chunks([*chunks[:-1], baking.Chunk(chunk_type, data), chunks[-1]])


def test_pillow_shows_the_forged_last_chunk(issued: dict) -> None:  # type: ignore[type-arg]
    """Why it matters: the image reads differently in another tool."""
    forged = _append_forged_chunk(issued["png"], "openbadges")
    shown = Image.open(io.BytesIO(forged)).text["openbadges"]
    assert "Dominique" in shown
    assert "Dominique" not in baking.unbake(issued["png"])["openbadges"]


def test_verifier_page_and_api_refuse_two_chunks_of_one_keyword(
    client: FlaskClient,
    issued: dict,  # type: ignore[type-arg]
) -> None:
    assert "Ce badge est valide." in _upload(client, issued["png"]).get_data(as_text=True)
    for keyword in ("openbadges", "openbadgecredential"):
        for kind in (b"iTXt", b"tEXt", b"zTXt"):
            forged = _append_forged_chunk(issued["png"], keyword, kind)
            page = _upload(client, forged)
            text = page.get_data(as_text=True)
            assert "Ce badge est valide." not in text, (keyword, kind)
            assert "deux badges du même type" in text
            body = _api(client, forged).get_json()
            assert body["valid"] is False


def test_cli_verify_refuses_two_chunks_of_one_keyword(
    app: Flask,
    runner,  # type: ignore[no-untyped-def]
    issued: dict,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    genuine = tmp_path / "badge.png"
    genuine.write_bytes(issued["png"])
    assert runner.invoke(args=["badges", "verify", str(genuine)]).exit_code == 0
    forged = tmp_path / "forged.png"
    forged.write_bytes(_append_forged_chunk(issued["png"], "openbadgecredential"))
    result = runner.invoke(args=["badges", "verify", str(forged)])
    assert result.exit_code == 1
    assert "deux badges du même type" in result.output
