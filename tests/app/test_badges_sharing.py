"""Badges that travel: claim by Pass code, email with the PNGs, re-issue to a new email,
status list and did:web documents, CORS, CLI revoke / rotate-key, expiry, plain reasons."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import db
from app.models import Pass
from app.models.badges import Award
from app.services import badges as service
from app.services import passes as pass_service
from badges import baking, openbadges, status_list
from tests.app.test_badges_interop import key_dir  # noqa: F401 - fixture
from tests.app.test_badges_service import make_award, make_pass
from tests.conftest import csrf_token, page_text

BASE = "https://mairiebus.example.org"
CODE = "K7M9QXRT4"
OTHER_CODE = "ECJ3R30VZ"


def _check_on_page(client: FlaskClient, uuid: str, **fields: str):  # type: ignore[no-untyped-def]
    path = f"/verifier/{uuid}"
    data = {"csrf_token": csrf_token(client, path), "email": "", "pass_code": ""}
    data.update(fields)
    return client.post(path, data=data)


# ---------------------------------------------------------------------------------------
# Claiming a badge issued without an email


def test_pass_only_badge_is_claimed_by_its_pass_code(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        award = make_award(email=None, code=CODE)
        uuid = award.uuid
        pass_ = award.pass_
        assert pass_ is not None and pass_.badge_recipient.startswith("urn:uuid:")
        # The badge names the Pass's own id (hashed), in both formats.
        assert openbadges.recipient_matches_id(
            award.assertion_json["recipient"], pass_.badge_recipient
        )
        (identity,) = award.credential_json["credentialSubject"]["identifier"]
        assert identity["identityType"] == "identifier"
        assert openbadges.recipient_matches_id(identity, pass_.badge_recipient)
        make_pass(email=None, code=OTHER_CODE)

    mine = _check_on_page(client, uuid, pass_code="k7m-9qx-rt4")
    assert mine.status_code == 200
    text = page_text(mine)
    assert "Ce badge est valide." in text
    assert "Ce badge appartient au Pass K7M-9QX-RT4." in text

    for code in (OTHER_CODE, "ABCD2345E"):  # another Pass, and a code that is nobody's
        other = _check_on_page(client, uuid, pass_code=code)
        assert other.status_code == 200
        assert "Ce badge est authentique mais n'appartient pas à ce Pass." in page_text(other)

    bad = _check_on_page(client, uuid, pass_code="pas un code !")
    assert bad.status_code == 400
    assert "Ce code de Pass n'est pas valide" in page_text(bad)
    assert 'value="pas un code !"' in bad.get_data(as_text=True)  # what was typed is kept


def test_badge_issued_before_pass_identifiers_is_claimed_from_the_issuers_record(
    app: Flask,
) -> None:
    with app.app_context():
        award = make_award(email=None, code=CODE)
        pass_ = award.pass_
        assert pass_ is not None
        # As before this feature: the random identifier behind the hash was not kept.
        pass_.badge_recipient = None
        db.session.commit()
        make_pass(email=None, code=OTHER_CODE)
        verdict = service.verify_award(db.session, award, pass_code=CODE)
        assert verdict.valid and verdict.checks["recipient"] is True
        assert verdict.details[-1] == (
            "Ce badge appartient au Pass K7M-9QX-RT4, d'après le registre de l'émetteur."
        )
        other = service.verify_award(db.session, award, pass_code=OTHER_CODE)
        assert not other.valid
        assert other.headline == "Ce badge est authentique mais n'appartient pas à ce Pass."


def test_cli_verify_with_a_pass_code(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        award = make_award(email=None, code=CODE)
        make_pass(email=None, code=OTHER_CODE)
        out = tmp_path / "badge.png"
        out.write_bytes(service.baked_png(award))
    mine = runner.invoke(args=["badges", "verify", str(out), "--pass-code", CODE])
    assert mine.exit_code == 0 and "Ce badge appartient au Pass K7M-9QX-RT4." in mine.output
    other = runner.invoke(args=["badges", "verify", str(out), "--pass-code", OTHER_CODE])
    assert other.exit_code == 1
    assert other.output.startswith("Ce badge est authentique mais n'appartient pas à ce Pass.")


def test_api_checks_a_pass_code(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        award = make_award(email=None, code=CODE)
        credential = award.credential_json
        png = service.baked_png(award)
    mine = client.post("/api/verifier", json={"badge": credential, "pass_code": "K7M-9QX-RT4"})
    assert mine.status_code == 200
    assert mine.get_json()["valid"] is True
    assert mine.get_json()["checks"]["recipient"] is True
    other = client.post(
        "/api/verifier",
        data={"file": (io.BytesIO(png), "badge.png"), "pass_code": OTHER_CODE},
        content_type="multipart/form-data",
    )
    assert other.get_json()["valid"] is False
    assert other.get_json()["headline"] == (
        "Ce badge est authentique mais n'appartient pas à ce Pass."
    )
    bad = client.post("/api/verifier", json={"badge": credential, "pass_code": "???"})
    assert bad.status_code == 400


def test_pass_code_also_claims_a_badge_issued_to_the_pass_email(app: Flask) -> None:
    with app.app_context():
        award = make_award(code=CODE)  # issued to camille@example.org
        verdict = service.verify_award(db.session, award, pass_code=CODE)
        assert verdict.valid and verdict.checks["recipient"] is True


def test_adding_an_email_later_reissues_the_badges_to_it(app: Flask) -> None:
    with app.app_context():
        first = make_award(email=None, code=CODE)
        pass_ = first.pass_
        assert pass_ is not None
        pass_service.set_contact(db.session, pass_, "Camille", "Camille@Example.org", True)

        shown = service.awards_for_pass(db.session, pass_)
        assert len(shown) == 1 and shown[0].id != first.id
        new = shown[0]
        assert (new.domain, new.level, new.status) == (first.domain, first.level, first.status)
        assert new.recipient_type == "email"
        assert service.verify_award(db.session, new, email="camille@example.org").valid
        # The earlier badge is superseded, not revoked: it still proves the Pass's ownership.
        db.session.refresh(first)
        assert first.superseded_by_id == new.id and first.revoked_at is None
        assert service.verify_award(db.session, first, pass_code=CODE).valid
        # Saving the same email again issues nothing new.
        pass_service.set_contact(db.session, pass_, "Camille", "camille@example.org", True)
        assert db.session.scalars(select(Award)).all().__len__() == 2


# ---------------------------------------------------------------------------------------
# « Recevoir mes badges par e-mail »


def _receive(client: FlaskClient, **fields: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client, "/badges/recevoir"), "consent": "y"}
    data.update(fields)
    return client.post("/badges/recevoir", data=data)


def test_badges_arrive_by_email_and_each_attachment_unbakes(
    app: Flask, client: FlaskClient, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        first = make_award(email=None, code=CODE)
        pass_ = first.pass_
        assert pass_ is not None
        service.issue_award(db.session, pass_, "browsing", 1, "self_declared")

    answer = _receive(client, pass_code="K7M-9QX-RT4", email="Lucie.Martin@example.net")
    assert answer.status_code == 303, page_text(answer)
    assert "Vos 2 badges ont été envoyés à lucie.martin@example.net." in page_text(
        client.get(answer.headers["Location"])
    )

    (received,) = smtp_server.sink.wait_for(1)
    assert received.rcpt_tos == ["lucie.martin@example.net"]
    message = received.message
    assert message["Subject"] == "Vos badges du Pass informatique"
    attachments = list(message.iter_attachments())
    assert len(attachments) == 2
    with app.app_context():
        for part in attachments:
            assert part.get_content_type() == "image/png"
            png = part.get_content()
            assert set(baking.unbake(png)) == {baking.KEYWORD_OB2, baking.KEYWORD_OB3}
            verdict = service.verify_data(db.session, png, email="lucie.martin@example.net")
            assert verdict.valid, verdict.details
        stored = db.session.scalar(select(Pass).where(Pass.code == CODE))
        assert stored is not None and stored.email == "lucie.martin@example.net"


def test_receiving_badges_refuses_plainly(app: Flask, client: FlaskClient, smtp_server) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        make_award(email=None, code=CODE)
        make_pass(email=None, code=OTHER_CODE)

    no_consent = _receive(client, pass_code=CODE, email="lucie@example.net", consent="")
    assert no_consent.status_code == 400
    assert "Cochez la case" in page_text(no_consent)
    assert 'value="lucie@example.net"' in no_consent.get_data(as_text=True)

    unknown = _receive(client, pass_code="ABCD2345E", email="lucie@example.net")
    assert unknown.status_code == 400
    assert "Ce code de Pass n'existe pas" in page_text(unknown)

    empty = _receive(client, pass_code=OTHER_CODE, email="lucie@example.net")
    assert empty.status_code == 400
    assert "Ce Pass n'a pas encore de badge." in page_text(empty)
    assert smtp_server.sink.messages == []


def test_without_mail_url_the_email_offer_is_hidden(app: Flask, client: FlaskClient) -> None:
    assert not app.config.get("MAIL_URL")
    with app.app_context():
        uuid = make_award().uuid
    page = client.get(f"/badges/{uuid}")
    assert "/badges/recevoir" not in page.get_data(as_text=True)
    receive = client.get("/badges/recevoir")
    assert receive.status_code == 200
    assert "L'envoi d'e-mails n'est pas en service sur ce site." in page_text(receive)


# ---------------------------------------------------------------------------------------
# Public documents, CORS


def test_status_list_and_did_documents_are_served(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        award = make_award()
        entry = award.credential_json["credentialStatus"]
        key = service.public_key_value()
    assert entry["statusListCredential"] == f"{BASE}/badges/status/0.json"
    answer = client.get("/badges/status/0.json")
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    document = answer.get_json(force=True)
    assert document["issuer"] == f"{BASE}/badges/issuer-v3.json"
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert client.get("/badges/status/7.json").status_code == 404

    did = client.get("/.well-known/did.json").get_json(force=True)
    assert client.get("/did.json").get_json(force=True) == did
    assert did["id"] == "did:web:mairiebus.example.org"
    assert did["assertionMethod"] == [f"did:web:mairiebus.example.org#{key}"]
    assert did["alsoKnownAs"] == [f"{BASE}/badges/issuer-v3.json"]
    issuer = client.get("/badges/issuer-v3.json").get_json(force=True)
    assert issuer["alsoKnownAs"] == ["did:web:mairiebus.example.org"]
    # Today's key URL keeps working.
    assert client.get(f"/badges/keys/{key}.json").status_code == 200


def test_cors_on_baked_png_and_verifier_api(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        award = make_award()
        uuid, png = award.uuid, service.baked_png(award)
    image = client.get(
        f"/badges/assertions/{uuid}.png", headers={"Origin": "https://backpack.example"}
    )
    assert image.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in image.headers

    preflight = client.options(
        "/api/verifier",
        headers={
            "Origin": "https://backpack.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]

    answer = client.post(
        "/api/verifier",
        data={"file": (io.BytesIO(png), "badge.png")},
        content_type="multipart/form-data",
        headers={"Origin": "https://backpack.example"},
    )
    assert answer.status_code == 200 and answer.get_json()["valid"] is True
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers
    refused = client.post("/api/verifier", data=b"", content_type="application/json")
    assert refused.status_code == 400
    assert refused.headers["Access-Control-Allow-Origin"] == "*"


# ---------------------------------------------------------------------------------------
# The badge's public page


def test_badge_page_offers_linkedin_wallet_and_link_previews(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        award = make_award()
        uuid, name = award.uuid, award.name
    html = client.get(f"/badges/{uuid}").get_data(as_text=True)
    assert '<meta property="og:title" content="Mon téléphone – Pas à pas">' in html
    assert f'<meta property="og:image" content="{BASE}/badges/classes/devices-2.png">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in html
    assert f"certUrl=https%3A%2F%2Fmairiebus.example.org%2Fbadges%2F{uuid}" in html
    assert "Ajouter à mon profil LinkedIn" in html
    assert f"/badges/credentials/{uuid}.json" in html  # the OB 3.0 JSON next to the 2.0 one
    assert f"/badges/assertions/{uuid}.json" in html
    assert "<svg" in html and "Learner Credential Wallet" in html
    assert name in html


def test_linkedin_url_carries_the_badge(app: Flask) -> None:
    from urllib.parse import parse_qs, urlsplit

    with app.test_request_context("/"):
        award = make_award()
        query = parse_qs(urlsplit(service.linkedin_url(award)).query)
        assert query["name"] == ["Mon téléphone – Pas à pas"]
        assert query["organizationName"] == [service.issuer_settings()["name"]]
        assert query["issueYear"] == [str(award.issued_at.year)]
        assert query["certId"] == [award.uuid]


# ---------------------------------------------------------------------------------------
# Plain reasons


def test_verifier_speaks_plainly(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        award = make_award()
        png = service.baked_png(award)
        uuid = award.uuid
        plain = service.render_award_image("devices", 2, f"{BASE}/verifier/{uuid}")

    def upload(data: bytes, name: str):  # type: ignore[no-untyped-def]
        token = csrf_token(client, "/verifier")
        return client.post(
            "/verifier",
            data={"csrf_token": token, "badge": (io.BytesIO(data), name), "email": ""},
            content_type="multipart/form-data",
        )

    # An edited recipient: "le destinataire", never a JSON path.
    document = json.loads(baking.unbake(png)[baking.KEYWORD_OB3])
    document["credentialSubject"]["identifier"][0]["identityHash"] = "sha256$" + "0" * 64
    edited = upload(baking.bake(png, json.dumps(document), baking.KEYWORD_OB3), "badge.png")
    text = page_text(edited)
    assert "Ce badge a été modifié" in text and "le destinataire" in text
    assert "credentialSubject" not in text and "identityHash" not in text

    # An SVG badge.
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'
    answer = upload(svg, "badge.svg")
    assert answer.status_code == 400
    assert "Les badges SVG ne sont pas encore pris en charge." in page_text(answer)

    # A hosted-verification chunk (a URL): ours is read from what we issued...
    hosted = baking.bake(plain, f"{BASE}/badges/assertions/{uuid}.json", baking.KEYWORD_OB2)
    assert "Ce badge est valide." in page_text(upload(hosted, "badge.png"))
    # ...another site's is refused plainly, without fetching anything.
    foreign = baking.bake(plain, "https://badges.example.com/a/1.json", baking.KEYWORD_OB2)
    text = page_text(upload(foreign, "badge.png"))
    assert "badge d'un autre site" in text

    # Another badge's data baked into this image.
    with app.app_context():
        other = make_award(domain="browsing", level=1, status="self_declared", code=OTHER_CODE)
        swapped = baking.bake(plain, baking.unbake(service.baked_png(other))["openbadges"])
    assert "Ce badge ne correspond pas à cette image" in page_text(upload(swapped, "badge.png"))


def test_lost_key_is_not_reported_as_an_edit(app: Flask, key_dir: Path) -> None:  # noqa: F811
    with app.app_context():
        award = make_award()
        png = service.baked_png(award)
        # The key file replaced by hand (not rotated): the old key is no longer published.
        service.key_path().unlink()
        app.extensions.pop("mairiebus_badge_key", None)
        verdict = service.verify_data(db.session, png)
    assert not verdict.valid
    assert "modifié" not in verdict.headline
    assert verdict.headline == (
        "Ce badge ne peut pas être vérifié : ce site ne connaît plus la clé qui l'a signé."
    )


# ---------------------------------------------------------------------------------------
# CLI, expiry


def test_cli_revoke_and_rotate_key(app: Flask, runner, key_dir: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with app.app_context():
        award = make_award()
        uuid = award.uuid
        old_key = service.public_key_value()

    missing = runner.invoke(args=["badges", "revoke", uuid])
    assert missing.exit_code != 0 and "--reason" in missing.output
    done = runner.invoke(args=["badges", "revoke", uuid, "--reason", "Délivré par erreur."])
    assert done.exit_code == 0, done.output
    assert "Badge retiré" in done.output
    again = runner.invoke(args=["badges", "revoke", uuid, "--reason", "Encore."])
    assert again.exit_code != 0 and "déjà été retiré" in again.output
    unknown = runner.invoke(args=["badges", "revoke", "nope", "--reason", "x"])
    assert unknown.exit_code != 0 and "Aucun badge" in unknown.output

    rotated = runner.invoke(args=["badges", "rotate-key", "--yes"])
    assert rotated.exit_code == 0, rotated.output
    with app.app_context():
        new_key = service.public_key_value()
        keys = service.published_keys()
        revoked = db.session.scalar(select(Award).where(Award.uuid == uuid))
        assert revoked is not None and revoked.revocation_reason == "Délivré par erreur."
    assert new_key != old_key and old_key in rotated.output and new_key in rotated.output
    assert [k.value for k in keys] == [old_key, new_key]
    assert keys[0].valid_until is not None and keys[1].valid_from == keys[0].valid_until
    history = json.loads((key_dir / "badge_keys.json").read_text(encoding="utf-8"))
    assert [row["publicKeyMultibase"] for row in history] == [old_key, new_key]
    assert (key_dir / "badge_signing_key.pem").stat().st_mode & 0o077 == 0


def test_proof_made_after_its_key_was_retired_is_refused(app: Flask, key_dir: Path) -> None:  # noqa: F811
    from badges import signing

    with app.app_context():
        award = make_award()
        stolen = service.signing_key()
        service.rotate_key()
        # Someone who kept the retired private key signs a badge after the rotation.
        unsigned = {k: v for k, v in award.credential_json.items() if k != "proof"}
        moment = service.published_keys()[0].valid_until + timedelta(days=3)
        late = signing.sign_credential(
            unsigned, stolen, award.credential_json["proof"]["verificationMethod"], moment
        )
        award.credential_json = late  # as if the app had stored it
        verdict = service.verify_data(db.session, late)
    assert not verdict.valid
    assert verdict.headline == (
        "Ce badge a été signé avec une clé qui n'était pas en service à cette date."
    )


def test_expiry_set_per_level_in_the_framework(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    framework = service._framework()
    domain = framework.domain("devices")
    levels = tuple(
        dataclasses.replace(level, expires_after_days=365) if level.number == 2 else level
        for level in domain.levels
    )
    patched_domain = dataclasses.replace(domain, levels=levels)
    patched = dataclasses.replace(
        framework,
        domains=tuple(patched_domain if d.code == "devices" else d for d in framework.domains),
    )
    monkeypatch.setattr(service, "_framework", lambda: patched)
    with app.app_context():
        award = make_award()
        later = make_award(domain="devices", level=1, status="self_declared", code=OTHER_CODE)
        assert award.expires_at is not None
        assert (award.expires_at - award.issued_at).days == 365
        issued = openbadges.format_datetime(award.issued_at.replace(tzinfo=UTC))
        until = openbadges.format_datetime(
            award.issued_at.replace(tzinfo=UTC) + timedelta(days=365)
        )
        assert award.credential_json["validFrom"] == issued
        assert award.credential_json["validUntil"] == until
        assert award.assertion_json["expires"] == until
        assert later.expires_at is None and "validUntil" not in later.credential_json


def test_status_positions_are_spread_and_unique(app: Flask) -> None:
    with app.app_context():
        pass_ = make_pass(email=None, code=CODE)
        awards = [
            service.issue_award(db.session, pass_, domain, level, "self_declared")
            for domain in ("devices", "browsing", "communicating")
            for level in (1, 2, 3)
        ]
        indexes = [a.status_index for a in awards]
    assert len(set(indexes)) == len(indexes)
    assert all(i is not None and 0 <= i < status_list.LIST_SIZE for i in indexes)
    # Drawn at random, not handed out in order (a position says nothing about its holder).
    assert indexes != list(range(indexes[0], indexes[0] + len(indexes)))


def test_coordinator_sees_whether_a_revocation_is_visible_elsewhere(
    app: Flask, client: FlaskClient, auth
) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        award = make_award()
        uuid = award.uuid
        older = make_award(domain="browsing", level=1, status="self_declared", code=OTHER_CODE)
        older.status_index = None  # as for a badge issued before the status lists
        older_uuid = older.uuid
        db.session.commit()
    auth.login("coordinator")
    assert "Oui : liste de statuts publiée" in page_text(client.get(f"/admin/badges/{uuid}"))
    assert "Non : badge délivré avant les listes de statuts" in page_text(
        client.get(f"/admin/badges/{older_uuid}")
    )
