"""Coordinators' badge pages and the ``flask badges`` commands."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from app.db import db
from app.models.badges import AwardEventKind
from app.services import badges as service
from badges import baking
from tests.app.test_badges_service import make_award, make_pass
from tests.conftest import csrf_token, page_text


def test_awards_list_is_coordinator_only(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/admin/badges").status_code == 302
    auth.login("aidant")
    assert client.get("/admin/badges").status_code == 403


def test_awards_list_with_filters(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        validated = make_award("devices", 1, "validated").uuid
        pass_ = make_pass(code="ABCDEFGH1", email=None)
        declared = service.issue_award(db.session, pass_, "browsing", 1, "self_declared")
        service.revoke(db.session, declared, "Erreur de saisie")
        declared_id = declared.uuid
    auth.login("coordinator")
    everything = page_text(client.get("/admin/badges"))
    assert validated in everything and declared_id in everything
    only_revoked = page_text(client.get("/admin/badges?state=revoked"))
    assert declared_id in only_revoked and validated not in only_revoked
    by_domain = page_text(client.get("/admin/badges?domain=devices&status=validated"))
    assert validated in by_domain and declared_id not in by_domain
    by_code = page_text(client.get("/admin/badges?q=abc-def-gh1"))
    assert declared_id in by_code and validated not in by_code
    by_uuid = page_text(client.get(f"/admin/badges?q={validated[:8]}"))
    assert validated in by_uuid and declared_id not in by_uuid
    assert client.get("/admin/badges?domain=cooking").status_code == 400
    assert client.get("/admin/badges?page=zzz").status_code == 200


def test_revoke_with_a_reason(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        uuid = make_award().uuid
    auth.login("coordinator")
    page = client.get(f"/admin/badges/{uuid}")
    assert "camille@example.org" in page_text(page)  # the coordinator sees the holder
    token = csrf_token(client, f"/admin/badges/{uuid}")
    missing = client.post(f"/admin/badges/{uuid}/revoke", data={"csrf_token": token, "reason": ""})
    assert missing.status_code == 400
    assert "Indiquez la raison du retrait." in page_text(missing)
    done = client.post(
        f"/admin/badges/{uuid}/revoke",
        data={"csrf_token": token, "reason": "Niveau validé par erreur"},
    )
    assert done.status_code == 303
    after = page_text(client.get(done.headers["Location"]))
    assert "Niveau validé par erreur" in after and "Retirer le badge" not in after
    assert client.get(f"/badges/assertions/{uuid}.json").status_code == 410
    with app.app_context():
        award = service.find_award(db.session, uuid)
        assert [e.kind for e in award.events] == [AwardEventKind.ISSUED, AwardEventKind.REVOKED]
        assert award.events[-1].actor_label == "coordinator@test.example.org"
    again = client.post(
        f"/admin/badges/{uuid}/revoke", data={"csrf_token": token, "reason": "encore"}
    )
    assert again.status_code == 400 and "déjà été retiré" in page_text(again)


def test_cli_list_bake_verify(app: Flask, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        award = make_award()
        uuid = award.uuid
        other = service.issue_award(
            db.session, make_pass(code="NOEMAIL01", email=None), "safety", 1, "self_declared"
        ).uuid
    listed = runner.invoke(args=["badges", "list"])
    assert listed.exit_code == 0
    lines = {line.split("\t")[0]: line.split("\t") for line in listed.output.splitlines()}
    assert lines[uuid][1] == "camille@example.org"
    assert lines[uuid][2] == "devices-2 (Mon téléphone – Pas à pas)"
    assert lines[uuid][4] == "validated valid"
    assert lines[other][1] == "-"

    out = tmp_path / "badge.png"
    baked = runner.invoke(args=["badges", "bake", uuid, "-o", str(out)])
    assert baked.exit_code == 0, baked.output
    assert set(baking.unbake(out.read_bytes())) == {baking.KEYWORD_OB2, baking.KEYWORD_OB3}
    unknown = runner.invoke(args=["badges", "bake", "nope", "-o", str(tmp_path / "x.png")])
    assert unknown.exit_code != 0 and "Aucun badge" in unknown.output

    valid = runner.invoke(args=["badges", "verify", str(out), "--email", "camille@example.org"])
    assert valid.exit_code == 0
    assert valid.output.startswith("Ce badge est valide.")
    assert "correspond au titulaire" in valid.output

    tampered = tmp_path / "tampered.png"
    payload = baking.unbake(out.read_bytes())[baking.KEYWORD_OB2].replace("HostedBadge", "Hosted")
    tampered.write_bytes(baking.bake(out.read_bytes(), payload, baking.KEYWORD_OB2))
    caught = runner.invoke(args=["badges", "verify", str(tampered)])
    assert caught.exit_code == 1
    assert caught.output.startswith("Ce badge a été modifié")
    assert "le moyen de vérifier le badge" in caught.output

    stripped = tmp_path / "stripped.png"
    stripped.write_bytes(baking.strip_badges(out.read_bytes()))
    empty = runner.invoke(args=["badges", "verify", str(stripped)])
    assert empty.exit_code == 1 and "ne contient pas de badge" in empty.output

    with app.app_context():
        service.revoke(db.session, service.find_award(db.session, uuid), "Erreur")
    revoked = runner.invoke(args=["badges", "verify", str(out)])
    assert revoked.exit_code == 1 and "retiré" in revoked.output
    assert "validated revoked" in runner.invoke(args=["badges", "list"]).output
