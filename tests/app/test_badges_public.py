"""Hosted badge documents, public badge page, the /verifier page and its JSON API."""

from __future__ import annotations

import io
import json
import random

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import db
from app.models import Pass
from app.services import badges as service
from badges import baking
from tests.app.test_badges_service import make_award
from tests.conftest import csrf_token, page_text

JSONLD = "application/ld+json"
BASE = "https://mairiebus.example.org"


@pytest.fixture
def issued(app: Flask) -> dict[str, object]:
    """One validated award: its uuid, baked PNG and frozen documents."""
    with app.app_context():
        award = make_award()
        return {
            "uuid": award.uuid,
            "png": service.baked_png(award),
            "assertion": award.assertion_json,
            "credential": award.credential_json,
            "key": service.public_key_value(),
        }


def _upload(client: FlaskClient, data: bytes, email: str = "", name: str = "badge.png"):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/verifier")
    return client.post(
        "/verifier",
        data={"csrf_token": token, "badge": (io.BytesIO(data), name), "email": email},
        content_type="multipart/form-data",
    )


def _api(client: FlaskClient, data: bytes, email: str | None = None):  # type: ignore[no-untyped-def]
    form: dict[str, object] = {"file": (io.BytesIO(data), "badge.png")}
    if email is not None:
        form["email"] = email
    return client.post("/api/verifier", data=form, content_type="multipart/form-data")


def _edit_baked_json(png: bytes, keyword: str, edit) -> bytes:  # type: ignore[no-untyped-def]
    document = json.loads(baking.unbake(png)[keyword])
    edit(document)
    return baking.bake(png, json.dumps(document), keyword)


# ---------------------------------------------------------------------------------------
# Hosted documents


def test_hosted_documents_follow_badge_urls(client: FlaskClient, issued: dict) -> None:
    uuid = issued["uuid"]
    expected_ids = {
        "/badges/issuer.json": f"{BASE}/badges/issuer.json",
        "/badges/issuer-v3.json": f"{BASE}/badges/issuer-v3.json",
        "/badges/revocations.json": f"{BASE}/badges/revocations.json",
        "/badges/classes/devices-2.json": f"{BASE}/badges/classes/devices-2.json",
        f"/badges/assertions/{uuid}.json": f"{BASE}/badges/assertions/{uuid}.json",
        f"/badges/credentials/{uuid}.json": f"{BASE}/badges/credentials/{uuid}.json",
        f"/badges/keys/{issued['key']}.json": f"{BASE}/badges/keys/{issued['key']}.json",
    }
    for path, document_id in expected_ids.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == JSONLD, path
        assert response.get_json(force=True)["id"] == document_id
    assert client.get(f"/badges/assertions/{uuid}.json").get_json(force=True) == issued["assertion"]
    issuer = client.get("/badges/issuer.json").get_json(force=True)
    assert issuer["email"] and issuer["name"] == "Ville de Martigues – Mairie Bus"
    controller = client.get("/badges/issuer-v3.json").get_json(force=True)
    assert controller["assertionMethod"] == [f"{BASE}/badges/keys/{issued['key']}.json"]
    download = client.get(f"/badges/credentials/{uuid}.json")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    assert download.get_json(force=True) == issued["credential"]


def test_images_are_png(client: FlaskClient, issued: dict) -> None:
    uuid = issued["uuid"]
    for path in ("/badges/issuer.png", "/badges/classes/devices-2.png"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data.startswith(baking.PNG_SIGNATURE)
    baked = client.get(f"/badges/assertions/{uuid}.png")
    assert baked.data == issued["png"]
    payloads = baking.unbake(baked.data)
    assert set(payloads) == {baking.KEYWORD_OB2, baking.KEYWORD_OB3}
    assert json.loads(payloads[baking.KEYWORD_OB2]) == issued["assertion"]
    download = client.get(f"/badges/assertions/{uuid}.png?download=1")
    assert "attachment" in download.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "path",
    [
        "/badges/classes/devices-9.json",
        "/badges/classes/cooking-1.png",
        "/badges/classes/DEVICES-1.json",
        "/badges/assertions/00000000-0000-4000-8000-000000000000.json",
        "/badges/keys/z6MkNotOurKey.json",
        "/badges/00000000-0000-4000-8000-000000000000",
        "/verifier/00000000-0000-4000-8000-000000000000",
    ],
)
def test_unknown_documents_are_french_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "existe pas" in page_text(response)


def test_revocation_shows_everywhere(app: Flask, client: FlaskClient, issued: dict) -> None:
    uuid = issued["uuid"]
    with app.app_context():
        service.revoke(db.session, service.find_award(db.session, uuid), "Délivré par erreur")
    gone = client.get(f"/badges/assertions/{uuid}.json")
    assert gone.status_code == 410 and gone.mimetype == JSONLD
    assert gone.get_json(force=True) == {
        "@context": "https://w3id.org/openbadges/v2",
        "id": f"{BASE}/badges/assertions/{uuid}.json",
        "revoked": True,
        "revocationReason": "Délivré par erreur",
    }
    assert client.get(f"/badges/credentials/{uuid}.json").status_code == 410
    assert client.get(f"/badges/assertions/{uuid}.png").status_code == 410
    listed = client.get("/badges/revocations.json").get_json(force=True)
    assert listed["revokedAssertions"] == [
        {"id": f"{BASE}/badges/assertions/{uuid}.json", "revocationReason": "Délivré par erreur"}
    ]
    page = page_text(client.get(f"/badges/{uuid}"))
    assert "Ce badge a été retiré" in page and "Délivré par erreur" in page
    verdict = _api(client, issued["png"]).get_json()
    assert verdict["valid"] is False
    assert verdict["headline"] == "Ce badge a été retiré : il n'est plus valide."
    assert verdict["revocation_reason"] == "Délivré par erreur"
    shown = page_text(_upload(client, issued["png"]))
    assert "Ce badge a été retiré" in shown
    assert "Ce badge a été retiré" in page_text(client.get(f"/verifier/{uuid}"))


# ---------------------------------------------------------------------------------------
# Public badge page


def test_badge_page_shows_no_personal_data_unless_chosen(
    app: Flask, client: FlaskClient, issued: dict
) -> None:
    uuid = issued["uuid"]
    page = page_text(client.get(f"/badges/{uuid}"))
    assert "Mon téléphone – Pas à pas" in page
    assert "CCAS de Martigues" in page
    assert "Je sais" in page
    assert "Camille" not in page and "camille@" not in page.lower()
    with app.app_context():
        service.set_show_name(db.session, service.find_award(db.session, uuid), True)
    assert "Camille" in page_text(client.get(f"/badges/{uuid}"))


# ---------------------------------------------------------------------------------------
# Verifier page


def test_verifier_page_valid_badge_and_email(client: FlaskClient, issued: dict) -> None:
    page = client.get("/verifier")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page_text(page)
    ok = _upload(client, issued["png"], email="  CAMILLE@example.org ")
    text = page_text(ok)
    assert ok.status_code == 200
    assert "Ce badge est valide." in text
    assert "L'adresse e-mail saisie correspond au titulaire du badge." in text
    wrong = page_text(_upload(client, issued["png"], email="dominique@example.org"))
    assert "n'appartient pas à cette adresse e-mail" in wrong


def test_verifier_accepts_the_json_files(client: FlaskClient, issued: dict) -> None:
    for document in (issued["assertion"], issued["credential"]):
        response = _upload(client, json.dumps(document).encode(), name="badge.json")
        assert "Ce badge est valide." in page_text(response)


@pytest.mark.parametrize(
    "tamper",
    ["edited_assertion", "edited_credential", "swapped_image", "chunk_removed", "signature"],
)
def test_tampered_png_is_caught(client: FlaskClient, issued: dict, tamper: str) -> None:
    png = issued["png"]
    if tamper == "edited_assertion":

        def later(doc: dict) -> None:
            doc["issuedOn"] = "2020-01-01T00:00:00Z"

        bad = _edit_baked_json(png, baking.KEYWORD_OB2, later)
        expected = "Ce badge a été modifié : il n'est pas valide."
    elif tamper == "edited_credential":

        def upgrade(doc: dict) -> None:
            doc["credentialSubject"]["achievement"]["name"] = "Mon téléphone – Autonome"

        bad = _edit_baked_json(png, baking.KEYWORD_OB3, upgrade)
        expected = "Ce badge a été modifié : il n'est pas valide."
    elif tamper == "swapped_image":
        other = service.render.render_badge(
            "TEL", "Mon téléphone – Autonome", 4, 4, "Ville", f"{BASE}/verifier"
        )
        payloads = baking.unbake(png)
        bad = other
        for keyword, payload in payloads.items():
            bad = baking.bake(bad, payload, keyword)
        expected = "Ce badge ne correspond pas à cette image : il n'est pas valide."
    elif tamper == "chunk_removed":
        bad = baking.strip_badges(png)
        expected = "Cette image ne contient pas de badge."
    else:
        # One byte of the signed 3.0 payload changed: the signature no longer holds even
        # though the issued copy is edited the same way (the verifier checks both).
        credential = json.loads(baking.unbake(png)[baking.KEYWORD_OB3])
        value = credential["proof"]["proofValue"]
        credential["proof"]["proofValue"] = value[:-1] + ("2" if value[-1] != "2" else "3")
        bad = baking.bake(png, json.dumps(credential), baking.KEYWORD_OB3)
        expected = "Ce badge a été modifié : il n'est pas valide."
    page = _upload(client, bad)
    assert page.status_code in (200, 400)
    assert expected in page_text(page)
    verdict = _api(client, bad).get_json()
    assert verdict["valid"] is False and verdict["headline"] == expected


def test_ob3_signature_verifies_then_fails_after_any_payload_byte(
    app: Flask, client: FlaskClient, issued: dict
) -> None:
    text = json.dumps(issued["credential"], ensure_ascii=False)
    answer = client.post("/api/verifier", data=text.encode(), content_type="application/json")
    assert answer.status_code == 200 and answer.get_json()["checks"]["signature"] is True
    # One character of the payload changed: tampered.
    changed = text.replace("Pas à pas", "Pas à paS", 1)
    assert changed != text
    verdict = client.post(
        "/api/verifier", data=changed.encode(), content_type="application/json"
    ).get_json()
    assert verdict["valid"] is False and "name" in verdict["tampered_fields"]

    # Even if someone edited the app's own frozen copy the same way (database tampering),
    # the Ed25519 signature catches every changed field.
    def edits(doc: dict) -> list[dict]:
        out = []
        for path, value in [
            (("name",), "Mon téléphone – Pas à paS"),
            (("validFrom",), "2025-03-04T10:30:01Z"),
            (("issuer", "name"), "Ville de Martigue"),
            (("credentialSubject", "achievement", "description"), "x"),
            (("evidence", 0, "narrative"), "Niveau vérifié."),
            (("proof", "created"), "2001-01-01T00:00:00Z"),
        ]:
            copy = json.loads(json.dumps(doc))
            node = copy
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            out.append(copy)
        return out

    uuid = issued["uuid"]
    for forged in edits(issued["credential"]):
        with app.app_context():
            award = service.find_award(db.session, uuid)
            award.credential_json = forged
            db.session.commit()
        body = client.post("/api/verifier", json=forged).get_json()
        assert body["valid"] is False
        assert body["checks"]["untampered"] is True and body["checks"]["signature"] is False


def test_verifier_form_errors_are_french_400(client: FlaskClient) -> None:
    token = csrf_token(client, "/verifier")
    empty = client.post("/verifier", data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 400
    assert "Choisissez le fichier du badge." in page_text(empty)
    no_csrf = client.post("/verifier", data={"badge": (io.BytesIO(b"x"), "b.png")})
    assert no_csrf.status_code == 400


def test_verify_award_page_from_the_qr_code(client: FlaskClient, issued: dict) -> None:
    uuid = issued["uuid"]
    page = client.get(f"/verifier/{uuid}")
    assert page.status_code == 200 and "Ce badge est valide." in page_text(page)
    token = csrf_token(client, f"/verifier/{uuid}")
    right = client.post(
        f"/verifier/{uuid}", data={"csrf_token": token, "email": "camille@example.org"}
    )
    assert "correspond au titulaire" in page_text(right)
    wrong = client.post(f"/verifier/{uuid}", data={"csrf_token": token, "email": "x@example.org"})
    assert "n'appartient pas à cette adresse e-mail" in page_text(wrong)
    invalid = client.post(f"/verifier/{uuid}", data={"csrf_token": token, "email": "pas-un-email"})
    assert invalid.status_code == 400 and "n'est pas valide" in page_text(invalid)


# ---------------------------------------------------------------------------------------
# JSON API


def test_api_answers_verdict_dict(client: FlaskClient, issued: dict) -> None:
    answer = _api(client, issued["png"], email="camille@example.org")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["valid"] is True
    assert body["assertion_id"] == issued["uuid"]
    assert body["checks"]["recipient"] is True and body["checks"]["image"] is True
    wrapped = client.post(
        "/api/verifier",
        json={"badge": issued["assertion"], "email": "someone@example.org"},
    ).get_json()
    assert wrapped["valid"] is False and wrapped["checks"]["recipient"] is False
    bad_email = _api(client, issued["png"], email="nope")
    assert bad_email.status_code == 400 and "adresse e-mail" in bad_email.get_json()["message"]
    assert client.post("/api/verifier").status_code == 400
    assert client.get("/api/verifier").status_code == 405


def test_fuzzed_and_truncated_uploads_never_500(
    app: Flask, client: FlaskClient, issued: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "BADGE_VERIFY_LIMIT", 1000)
    png = issued["png"]
    rng = random.Random(20250304)
    samples = [b"", b"\x89PNG\r\n\x1a\n", b"{", b'{"type": "Assertion"}', b"[" * 5000, png[:-1]]
    samples += [png[: rng.randrange(8, len(png))] for _ in range(8)]
    for _ in range(8):
        mutated = bytearray(png)
        for _ in range(rng.randrange(1, 20)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        samples.append(bytes(mutated))
    samples += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000))) for _ in range(4)]
    for sample in samples:
        api = _api(client, sample)
        assert api.status_code < 500, sample[:40]
        body = api.get_json()
        assert api.status_code in (200, 400)
        if api.status_code == 400:
            assert body["message"] and body["valid"] is False
        else:
            assert body["valid"] is False  # a damaged badge is never valid
        page = _upload(client, sample)
        assert 200 <= page.status_code < 500
    unreadable = _api(client, b"not a badge at all")
    assert unreadable.status_code == 400
    assert unreadable.get_json()["message"] == "Ce fichier n'a pas pu être lu."


def test_api_is_throttled_per_client(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "BADGE_VERIFY_LIMIT", 3)
    answers = [_api(client, b"x") for _ in range(4)]
    assert [a.status_code for a in answers] == [400, 400, 400, 429]
    assert "essais" in answers[-1].get_json()["error"].lower()
    assert "beaucoup de badges" in answers[-1].get_json()["message"]


def test_too_big_upload_is_413(app: Flask, client: FlaskClient) -> None:
    big = baking.PNG_SIGNATURE + b"\x00" * (baking.MAX_PNG_BYTES + 10)
    answer = _api(client, big)
    assert answer.status_code == 413
    assert "trop gros" in answer.get_json()["message"]


def test_pass_partial_lists_badges_with_downloads(app: Flask, issued: dict) -> None:
    from flask import render_template_string

    with app.test_request_context():
        pass_ = db.session.query(Pass).one()
        awards = service.awards_for_pass(db.session, pass_)
        html = render_template_string('{% include "badges/_pass_badges.html" %}', awards=awards)
        empty = render_template_string('{% include "badges/_pass_badges.html" %}', awards=[])
    uuid = issued["uuid"]
    assert f"/badges/assertions/{uuid}.png?download=1" in html
    assert f"/badges/credentials/{uuid}.json" in html
    assert f"/badges/{uuid}" in html
    assert "Mon téléphone – Pas à pas" in html and "vérifié par un aidant" in html
    assert "Pas encore de badge" in empty
