"""The official 1EdTech/IMS Open Badges 2.0 validator run against the APP's hosted URLs.

Every ``requests`` call the validator makes is routed (with ``responses``) into the Flask
test client, so it fetches the real responses of our routes; the JSON-LD context comes from
``badges/contexts``. Nothing leaves the machine. Same PyLD 2 loader shim as
``tests/unit/badges/test_validator.py`` (see its module doc).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
from flask import Flask

from app.db import db
from app.services import badges as service
from badges import openbadges
from tests.app.test_badges_service import make_award

verifier = pytest.importorskip(
    "openbadges.verifier",
    reason="Open Badges validator not installed: run scripts/install_validator.sh",
)
ob_utils = pytest.importorskip("openbadges.verifier.utils")
bakery = pytest.importorskip("openbadges_bakery")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONTEXTS = Path(openbadges.__file__).with_name("contexts")
BASE = "https://mairiebus.example.org"


def _pyld2_loader(self: Any, url: str, options: Any = None) -> dict[str, Any]:
    """The validator's CachableDocumentLoader.__call__, adapted to PyLD 2."""
    response = requests.get(url, headers={"Accept": "application/ld+json, application/json"})
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(response.text)}


@pytest.fixture
def app_served(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Route the validator's HTTP calls to the app; yields the list of paths fetched."""
    monkeypatch.setattr(ob_utils.CachableDocumentLoader, "__call__", _pyld2_loader)
    client = app.test_client()
    fetched: list[str] = []

    def from_app(request: Any) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(request.url).path
        fetched.append(path)
        answer = client.get(path, headers={"Accept": request.headers.get("Accept", "*/*")})
        return answer.status_code, {"Content-Type": answer.content_type}, answer.get_data()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(
            openbadges.OB2_CONTEXT,
            body=(CONTEXTS / "openbadges-v2.jsonld").read_text(encoding="utf-8"),
            content_type="application/ld+json",
        )
        mock.add_callback(responses.GET, re.compile(re.escape(BASE) + r"/.*"), callback=from_app)
        yield fetched


def _errors(result: dict[str, Any]) -> list[str]:
    messages = result["report"]["messages"]
    return [m.get("result", "") for m in messages if m.get("messageLevel") == "ERROR"]


def test_app_baked_png_passes_the_official_validator(app: Flask, app_served: list[str]) -> None:
    with app.app_context():
        award = make_award()
        assertion_id = award.uuid
        png = service.baked_png(award)
        issued = award.assertion_json
    result = verifier.verify(io.BytesIO(png), recipient_profile={"email": "camille@example.org"})
    assert _errors(result) == []
    report = result["report"]
    assert report["valid"] is True and report["errorCount"] == 0
    assert report["openBadgesVersion"] == "2.0"
    ids = {node["id"] for node in result["graph"]}
    assert {
        f"{BASE}/badges/assertions/{assertion_id}.json",
        f"{BASE}/badges/classes/devices-2.json",
        f"{BASE}/badges/issuer.json",
    } <= ids
    # The validator really fetched our routes.
    assert f"/badges/assertions/{assertion_id}.json" in app_served
    assert "/badges/classes/devices-2.json" in app_served
    assert "/badges/issuer.json" in app_served
    # The reference bakery's unbake gives back exactly what the app serves.
    unbaked = bakery.unbake(io.BytesIO(png))
    assert json.loads(unbaked) == issued
    assert unbaked == openbadges.to_json(issued)


def test_validator_hosted_url_and_wrong_email(app: Flask, app_served: list[str]) -> None:
    with app.app_context():
        url = make_award(status="self_declared").assertion_json["id"]
    assert verifier.verify(url)["report"]["valid"] is True
    wrong = verifier.verify(url, recipient_profile={"email": "dominique@example.org"})
    assert wrong["report"]["valid"] is False


def test_validator_never_calls_a_revoked_badge_valid(app: Flask, app_served: list[str]) -> None:
    with app.app_context():
        award = make_award(status="self_declared")
        png = service.baked_png(award)
        service.revoke(db.session, award, "Délivré par erreur")
    result = verifier.verify(io.BytesIO(png))
    assert result["report"]["valid"] is False
    assert result["report"]["errorCount"] >= 1
