"""Open Badges 3.0 checked by implementations that share no code with ``badges/``.

- Digital Bazaar's ``@digitalbazaar/vc`` with ``eddsa-rdfc-2022`` and
  ``@digitalbazaar/vc-bitstring-status-list`` (pinned in package.json), run by
  ``tests/support/ob3_verify.mjs`` under Node: the proof, and the revocation status read
  from the app's signed status list. Without node or the packages the tests skip, unless
  ``REQUIRE_NODE=1`` (CI), where that is an error.
- A from-the-spec status-list reader below (gzip + base64url + bit order, nothing else).

Every URL the checkers need (keys, issuer, status list) is answered by the app through the
Flask test client; JSON-LD contexts come from local copies. Nothing leaves the machine.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import db
from app.services import badges as service
from tests.app.test_badges_service import make_award

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "support" / "ob3_verify.mjs"
CONTEXTS = ROOT / "badges" / "contexts"


def _node() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node not found on the PATH"
    elif not (ROOT / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        problem = "npm packages missing: run `npm ci` (scripts/install_browser.sh)"
    if problem:
        if os.environ.get("REQUIRE_NODE") == "1":
            pytest.fail(problem + " — REQUIRE_NODE=1 makes this an error")
        pytest.skip(problem)
    return str(node)


@pytest.fixture
def key_dir(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """A fresh key folder for this test (rotation must not change the session's key)."""
    previous = app.config.get("BADGE_KEY_DIR")
    app.config["BADGE_KEY_DIR"] = str(tmp_path)
    app.extensions.pop("mairiebus_badge_key", None)
    yield tmp_path
    app.config["BADGE_KEY_DIR"] = previous
    app.extensions.pop("mairiebus_badge_key", None)


def _get(client: FlaskClient, url: str) -> Any:
    answer = client.get(urlsplit(url).path)
    assert answer.status_code == 200, (url, answer.status_code)
    return json.loads(answer.get_data(as_text=True))


def _served_documents(client: FlaskClient, credential: dict[str, Any]) -> dict[str, Any]:
    """What a verifier would fetch for ``credential``, as the app serves it now."""
    method = credential["proof"]["verificationMethod"]
    key = _get(client, method)
    documents = {method: key, key["controller"]: _get(client, key["controller"])}
    status = credential.get("credentialStatus")
    if status:
        status_list = _get(client, status["statusListCredential"])
        documents[status["statusListCredential"]] = status_list
        list_method = status_list["proof"]["verificationMethod"]
        documents[list_method] = _get(client, list_method)
    return documents


def independent_check(client: FlaskClient, credential: dict[str, Any]) -> dict[str, Any]:
    """Run the Digital Bazaar verifier on ``credential``; its JSON answer."""
    node = _node()
    index = json.loads((CONTEXTS / "index.json").read_text(encoding="utf-8"))
    payload = {
        "credential": credential,
        "documents": _served_documents(client, credential),
        "contexts": {url: str(CONTEXTS / name) for url, name in index.items()},
    }
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def spec_status_bit(client: FlaskClient, credential: dict[str, Any]) -> bool:
    """The credential's revocation bit, read as the W3C spec describes (no app code)."""
    entry = credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    status_list = _get(client, entry["statusListCredential"])
    assert "BitstringStatusListCredential" in status_list["type"]
    subject = status_list["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")  # multibase base64url, no padding
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 >= 131_072
    index = int(entry["statusListIndex"])
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def test_revoked_credential_is_revoked_for_independent_checkers(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        kept = make_award(code="K7M9QXRT4")
        revoked = make_award(
            domain="browsing", level=1, status="self_declared", code="ABCD2345E", email=None
        )
        kept_credential = dict(kept.credential_json)
        revoked_credential = dict(revoked.credential_json)
        assert spec_status_bit(client, revoked_credential) is False
        service.revoke(db.session, revoked, "Badge délivré par erreur.", by="cli")

    assert spec_status_bit(client, revoked_credential) is True
    assert spec_status_bit(client, kept_credential) is False

    result = independent_check(client, revoked_credential)
    assert result["verified"] is True, result["errors"]  # authentic...
    assert result["revoked"] is True  # ...but revoked, as the status list says
    result = independent_check(client, kept_credential)
    assert result == {"verified": True, "errors": [], "revoked": False}


def test_independent_verifier_refuses_an_edited_credential(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        credential = dict(make_award().credential_json)
    credential["name"] = "Mon téléphone – Autonome"
    result = independent_check(client, credential)
    assert result["verified"] is False


def test_rotated_key_both_generations_verify(
    app: Flask, client: FlaskClient, key_dir: Path
) -> None:
    with app.app_context():
        before = make_award(code="K7M9QXRT4")
        old_key = service.public_key_value()
        old_credential = dict(before.credential_json)
        old_png = service.baked_png(before)
        retired, new_key = service.rotate_key()
        assert retired == old_key and new_key != old_key
        after = make_award(domain="browsing", level=1, status="self_declared", code="ABCD2345E")
        new_credential = dict(after.credential_json)
        assert old_key in old_credential["proof"]["verificationMethod"]
        assert new_key in new_credential["proof"]["verificationMethod"]
        # The app's own verifier: both generations still valid.
        assert service.verify_data(db.session, old_png).valid
        assert service.verify_award(db.session, after).valid

    # Both keys stay published: the controller document and the DID document list them.
    issuer = _get(client, old_credential["issuer"]["id"])
    assert [k["publicKeyMultibase"] for k in issuer["verificationMethod"]] == [old_key, new_key]
    retired_doc = _get(client, old_credential["proof"]["verificationMethod"])
    assert "signingUntil" in retired_doc and "expires" not in retired_doc
    did = _get(client, "/.well-known/did.json")
    assert [m["publicKeyMultibase"] for m in did["verificationMethod"]] == [old_key, new_key]
    assert did["assertionMethod"] == [m["id"] for m in did["verificationMethod"]]

    for credential in (old_credential, new_credential):
        result = independent_check(client, credential)
        assert result == {"verified": True, "errors": [], "revoked": False}
