"""The official 1EdTech/IMS Open Badges 2.0 validator, run offline on our documents.

Install it with ``scripts/install_validator.sh`` (PyPI ``openbadges`` 1.1.2 with working
dependencies, see requirements-validator.txt); without it these tests are skipped. HTTP is
intercepted at the ``requests`` transport with ``responses``, serving our hosted documents
and the locally stored JSON-LD context: nothing leaves the machine.

Compatibility shim (applied here with monkeypatch, site-packages untouched): the
validator's JSON-LD document loader was written for PyLD 0.7 — it takes one argument and
returns the body as text — while PyLD 2 calls ``loader(url, options)`` and expects a parsed
document. The shim keeps its behaviour (same ``requests`` GET and Accept header).
"""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from badges import baking, openbadges

verifier = pytest.importorskip(
    "openbadges.verifier",
    reason="Open Badges validator not installed: run scripts/install_validator.sh",
)
ob_utils = pytest.importorskip("openbadges.verifier.utils")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

_spec = importlib.util.spec_from_file_location(
    "badge_sample", Path(__file__).parents[2] / "fixtures" / "badges" / "sample.py"
)
assert _spec and _spec.loader
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)

CONTEXTS = Path(openbadges.__file__).with_name("contexts")
JSONLD = "application/ld+json"


def _pyld2_loader(self: Any, url: str, options: Any = None) -> dict[str, Any]:
    """The validator's CachableDocumentLoader.__call__, adapted to PyLD 2 (see module doc)."""
    response = requests.get(url, headers={"Accept": "application/ld+json, application/json"})
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(response.text)}


@pytest.fixture
def hosted(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    monkeypatch.setattr(ob_utils.CachableDocumentLoader, "__call__", _pyld2_loader)
    urls = sample.urls
    image = sample.rendered_png()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(
            openbadges.OB2_CONTEXT,
            body=(CONTEXTS / "openbadges-v2.jsonld").read_text(encoding="utf-8"),
            content_type=JSONLD,
        )
        mock.get(
            urls.issuer, json=openbadges.issuer_profile(sample.ISSUER, urls), content_type=JSONLD
        )
        mock.get(
            urls.badge_class("TEL", 2),
            json=openbadges.badge_class(sample.BADGE, urls),
            content_type=JSONLD,
        )
        mock.get(urls.badge_class_image("TEL", 2), body=image, content_type="image/png")
        mock.get(urls.revocations, json=openbadges.revocation_list([], urls), content_type=JSONLD)
        yield mock


def _serve_assertion(mock: responses.RequestsMock, revoked: bool = False) -> bytes:
    urls = sample.urls
    assertion = openbadges.assertion(sample.award(), urls)
    baked = baking.bake(sample.rendered_png(), openbadges.to_json(assertion))
    mock.get(urls.assertion_image(sample.ASSERTION_ID), body=baked, content_type="image/png")
    if revoked:
        body = openbadges.revoked_assertion(sample.ASSERTION_ID, "Délivré par erreur", urls)
        mock.get(urls.assertion(sample.ASSERTION_ID), json=body, status=410, content_type=JSONLD)
    else:
        mock.get(urls.assertion(sample.ASSERTION_ID), json=assertion, content_type=JSONLD)
    return baked


def _errors(result: dict[str, Any]) -> list[str]:
    return [
        m.get("result", "")
        for m in result["report"]["messages"]
        if m.get("messageLevel") == "ERROR"
    ]


def test_baked_png_passes_the_official_validator(hosted: responses.RequestsMock) -> None:
    baked = _serve_assertion(hosted)
    result = verifier.verify(io.BytesIO(baked), recipient_profile={"email": sample.EMAIL})
    report = result["report"]
    assert _errors(result) == []
    assert report["valid"] is True and report["errorCount"] == 0
    assert report["openBadgesVersion"] == "2.0"
    assert report["recipientProfile"] == {"email": sample.EMAIL}
    ids = {node["id"] for node in result["graph"]}
    assert sample.urls.assertion(sample.ASSERTION_ID) in ids
    assert sample.urls.issuer in ids


def test_hosted_url_passes_and_wrong_email_fails(hosted: responses.RequestsMock) -> None:
    _serve_assertion(hosted)
    url = sample.urls.assertion(sample.ASSERTION_ID)
    assert verifier.verify(url)["report"]["valid"] is True
    wrong = verifier.verify(url, recipient_profile={"email": "dominique@example.org"})
    assert wrong["report"]["valid"] is False


def test_revoked_assertion_per_the_validator(hosted: responses.RequestsMock) -> None:
    # The 410 body holds only id/revoked/reason, no type: the validator ignores the HTTP
    # status (reference notes, gap 1) but cannot classify the node, so it reports an error
    # and never says a revoked badge is valid.
    _serve_assertion(hosted, revoked=True)
    result = verifier.verify(sample.urls.assertion(sample.ASSERTION_ID))
    assert result["report"]["valid"] is False
    assert result["report"]["errorCount"] == 1
    assert "Chosen OBClass None not implemented" in _errors(result)[0]
