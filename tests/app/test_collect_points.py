"""Coordinators manage collection points, links, QR codes and posters; CLI and demo content."""

from __future__ import annotations

import io

import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from app.db import db
from app.models import (
    Answer,
    CollectionLink,
    CollectionPoint,
    Neighbourhood,
    PointKind,
    Response,
    ResponseStatus,
)
from app.services import collection as sites
from tests.conftest import csrf_token, page_text


def _setup(app: Flask) -> None:
    with app.app_context():
        db.session.add(Neighbourhood(code="mas_de_pouane", name="Mas de Pouane"))
        db.session.commit()
        sites.ensure_default_form(db.session)


def test_coordinator_creates_edits_archives_a_point(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    _setup(app)
    auth.login("coordinator")
    assert client.get("/points").status_code == 200
    token = csrf_token(client, "/points/nouveau")
    bad = client.post(
        "/points/nouveau",
        data={"csrf_token": token, "name": "", "kind": "park", "latitude": "43,398"},
    )
    assert bad.status_code == 400
    text = page_text(bad)
    assert "Donnez un nom au lieu." in text
    assert "Donnez la latitude et la longitude, ou aucune des deux." in text
    created = client.post(
        "/points/nouveau",
        data={
            "csrf_token": token,
            "name": "Parc de Figuerolles",
            "kind": "park",
            "neighbourhood": "mas_de_pouane",
            "latitude": "43,398",
            "longitude": "5.028",
            "active_from": "2024-05-01",
            "active_until": "",
        },
    )
    assert created.status_code == 303
    with app.app_context():
        point = db.session.scalar(select(CollectionPoint))
        assert (point.code, point.kind, point.latitude, point.longitude) == (
            "parc-de-figuerolles",
            PointKind.PARK,
            43.398,
            5.028,
        )
        assert point.neighbourhood.code == "mas_de_pouane"
        link_code = point.links[0].code
        point_id = point.id
    assert created.headers["Location"] == f"/points/{point_id}"
    edit = client.get(f"/points/{point_id}")
    assert f"mairiebus.example.org/q/{link_code}" in page_text(edit)
    changed = client.post(
        f"/points/{point_id}",
        data={"csrf_token": token, "name": "Parc Figuerolles", "kind": "park", "neighbourhood": ""},
    )
    assert changed.status_code == 303
    archived = client.post(
        f"/points/{point_id}/archiver", data={"csrf_token": token, "archived": "1"}
    )
    assert archived.status_code == 303
    listing = page_text(client.get("/points"))
    assert "Parc Figuerolles" in listing and "Archivé" in listing
    with app.app_context():
        point = db.session.get(CollectionPoint, point_id)
        assert (point.name, point.neighbourhood, point.archived) == ("Parc Figuerolles", None, True)
        assert point.links[0].code == link_code  # posters already printed keep working


def test_attach_and_detach_questionnaires(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    _setup(app)
    with app.app_context():
        point = sites.create_point(
            db.session, sites.PointData("Marché", PointKind.OTHER), attach=None
        )
        point_id = point.id
    auth.login("coordinator")
    page = page_text(client.get(f"/points/{point_id}"))
    assert "Aucun questionnaire n'est proposé ici" in page
    token = csrf_token(client, f"/points/{point_id}")
    bad = client.post(
        f"/points/{point_id}/questionnaires", data={"csrf_token": token, "attach-form_id": "x"}
    )
    assert bad.status_code == 400
    ok = client.post(
        f"/points/{point_id}/questionnaires",
        data={"csrf_token": token, "attach-form_id": "mairiebus"},
    )
    assert ok.status_code == 303
    with app.app_context():
        code = db.session.scalar(select(CollectionLink.code))
    gone = client.post(f"/liens/{code}/retirer", data={"csrf_token": token})
    assert gone.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CollectionLink)) == 0
    assert client.get(f"/q/{code}").status_code == 404


def test_qr_codes_and_poster(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    _setup(app)
    with app.app_context():
        point = sites.create_point(
            db.session, sites.PointData("Résidence Canto Perdrix", PointKind.HOUSING_ESTATE)
        )
        code = point.links[0].code
    assert client.get(f"/liens/{code}/affiche").status_code == 302  # staff only
    auth.login("coordinator")
    png = client.get(f"/liens/{code}/qr.png")
    assert png.status_code == 200 and png.content_type == "image/png"
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert found.text == f"https://mairiebus.example.org/q/{code}"
    svg = client.get(f"/liens/{code}/qr.svg")
    assert svg.content_type.startswith("image/svg+xml") and b"<svg" in svg.data
    poster = client.get(f"/liens/{code}/affiche")
    text = page_text(poster)
    assert f"mairiebus.example.org/q/{code}" in text
    assert "Scannez ce code" in text and "minutes" in text and "Anonyme" in text
    assert f'src="/liens/{code}/qr.svg"' in poster.get_data(as_text=True)
    assert client.get("/liens/zzz-unknown/affiche").status_code == 404


def test_aidants_cannot_manage_points(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    assert client.get("/points").status_code == 403
    assert client.get("/points/nouveau").status_code == 403


def test_every_question_page_route_answers_anonymous_get(app: Flask, client: FlaskClient) -> None:
    for path in ("/questionnaire", "/q", "/merci"):
        assert client.get(path).status_code == 200, path
    for path in ("/repondre/visit", "/questionnaire/verification", "/questionnaire/envoyer"):
        assert client.get(path).status_code in (302, 303), path


# --------------------------------------------------------------------------- CLI and demo


def test_sites_cli_lists_points_and_writes_qr(app: Flask, runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(app)
    with app.app_context():
        point = sites.create_point(db.session, sites.PointData("Auchan", PointKind.SHOPPING_CENTRE))
        code = point.links[0].code
    result = runner.invoke(args=["sites", "list"])
    assert result.exit_code == 0
    assert result.output == f"auchan\tAuchan\thttps://mairiebus.example.org/q/{code}\n"
    target = tmp_path / "auchan.png"
    result = runner.invoke(args=["sites", "qr", "auchan", "-o", str(target)])
    assert result.exit_code == 0, result.output
    [found] = zxingcpp.read_barcodes(Image.open(target))
    assert found.text == f"https://mairiebus.example.org/q/{code}"
    by_link = runner.invoke(args=["sites", "qr", code, "-o", str(tmp_path / "x.svg")])
    assert by_link.exit_code == 0 and (tmp_path / "x.svg").read_bytes().startswith(b"<svg")
    missing = runner.invoke(args=["sites", "qr", "nowhere", "-o", str(tmp_path / "n.png")])
    assert missing.exit_code == 1 and "No collection point or link" in missing.output


def test_demo_seeder_is_idempotent_realistic_and_removable(app: Flask) -> None:
    from app.demo_seeders import surveys as demo

    messages: list[str] = []
    with app.app_context():
        # Real data that must survive: a real point and a real response.
        sites.ensure_default_form(db.session)
        real = sites.create_point(db.session, sites.PointData("Mairie annexe", PointKind.OTHER))
        real_id = real.id
        demo.seed(messages.append, responses=120)
        demo.seed(messages.append, responses=120)
        assert messages[-1] == "Demo responses: 120 already there"
        assert db.session.scalar(select(func.count()).select_from(Neighbourhood)) == 13
        points = db.session.scalars(select(CollectionPoint).where(CollectionPoint.is_demo)).all()
        assert {p.name for p in points} >= {
            "Résidence Canto Perdrix",
            "Centre commercial Auchan",
            "Parc de Figuerolles",
        }
        assert all(p.links for p in points)
        total = db.session.scalar(
            select(func.count()).select_from(Response).where(Response.is_demo)
        )
        assert total == 120
        statuses = set(db.session.scalars(select(Response.status).distinct()))
        assert statuses == {ResponseStatus.SUBMITTED}
        # Every required question answered in every response.
        for question in ("reason", "age_band", "neighbourhood", "needs"):
            count = db.session.scalar(
                select(func.count()).select_from(Answer).where(Answer.question == question)
            )
            assert count == 120, question
        # Correlations the dashboard should find: seniors at the estate, CAF at Auchan.
        estate = next(p for p in points if p.code == "residence-canto-perdrix")
        auchan = next(p for p in points if p.code == "auchan")
        share_senior = _share(estate.id, "age_band", {"60_74", "75_plus"})
        share_caf = _share(auchan.id, "needs", {"caf"})
        assert share_senior > _share(auchan.id, "age_band", {"60_74", "75_plus"})
        assert share_caf > _share(estate.id, "needs", {"caf"})
        demo.remove(messages.append)
        assert messages[-1] == "Demo collection removed: 120 responses, 7 points"
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        assert db.session.get(CollectionPoint, real_id) is not None
        assert db.session.scalar(select(func.count()).select_from(CollectionPoint)) == 1


def _share(point_id: int, question: str, codes: set[str]) -> float:
    values = db.session.scalars(
        select(Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.collection_point_id == point_id, Answer.question == question)
    ).all()
    hits = sum(1 for value in values if codes & set(value.split()))
    return hits / max(1, len(values))


def test_demo_answers_fit_the_form(app: Flask) -> None:
    """Synthetic answers are valid for the engine: re-submitting them page by page passes."""
    import random

    from app.demo_seeders import surveys as demo
    from app.services.forms import load_definition
    from surveys import engine as E

    with app.app_context():
        version = sites.ensure_default_form(db.session)
        definition = load_definition(version)
        order = demo._choice_orders(version)
    rng = random.Random(1)
    for kind in (*PointKind, None):
        answers = demo.synthetic_answers(rng, kind, "boudeme", order)
        state = E.new_answers(definition)
        for page in E.relevant_pages(definition, {**state, **answers}):
            raw = {q.name: answers[q.name] for q in page.fields if q.name in answers}
            result = E.submit_page(definition, state, page.key, raw)
            assert result.ok, (page.key, result.errors)
            state = result.answers
        assert E.missing_required(definition, state) == []
        assert {k: v for k, v in state.items() if k in answers} == answers
