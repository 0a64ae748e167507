"""Coordinators' list of responses: filters, paging, the detail page, deletion with a reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import db
from app.models import (
    Answer,
    Channel,
    CollectionPoint,
    Neighbourhood,
    PointKind,
    Response,
    ResponseStatus,
)
from app.models.response_audit import ResponseAuditError, ResponseDeletion
from app.services.collection import ensure_default_form
from tests.conftest import AuthActions, csrf_token, page_text

# Answers as residents give them (XForm values of the shipped questionnaire).
AUCHAN_SENIOR = {
    "reason": "help_procedure",
    "age_band": "75_plus",
    "neighbourhood": "canto_perdrix",
    "needs": "taxes health_insurance",
    "comment": "Je n'arrive pas à ouvrir mon espace Ameli depuis mon téléphone.",
}
PARK_YOUNG = {
    "reason": "heard_of_it",
    "age_band": "18_29",
    "neighbourhood": "ile",
    "needs": "job_seeking",
}


def _seed(count_extra: int = 0) -> dict[str, str]:
    """Two points, two neighbourhoods and responses; returns the uuids by name."""
    version = ensure_default_form(db.session)
    assert version is not None
    canto = Neighbourhood(
        code="canto_perdrix", name="Canto Perdrix", latitude=43.4125, longitude=5.062
    )
    ile = Neighbourhood(code="ile", name="L'Île", latitude=43.4055, longitude=5.047)
    auchan = CollectionPoint(
        code="auchan", name="Auchan Martigues", kind=PointKind.SHOPPING_CENTRE, neighbourhood=canto
    )
    park = CollectionPoint(
        code="figuerolles", name="Parc de Figuerolles", kind=PointKind.PARK, neighbourhood=ile
    )
    db.session.add_all([canto, ile, auchan, park])
    db.session.flush()
    start = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    uuids: dict[str, str] = {}

    def add(
        name: str, answers: dict[str, str], point, hood, moment, channel=Channel.SELF, demo=False
    ):  # type: ignore[no-untyped-def]
        response = Response(
            form_version_id=version.id,
            collection_point=point,
            neighbourhood=hood,
            channel=channel,
            status=ResponseStatus.SUBMITTED,
            submitted_at=moment,
            is_demo=demo,
        )
        db.session.add(response)
        db.session.flush()
        db.session.add_all(
            Answer(response_id=response.id, question=q, value=v) for q, v in answers.items()
        )
        uuids[name] = response.uuid

    add("senior", AUCHAN_SENIOR, auchan, canto, start, Channel.ASSISTED)
    add("young", PARK_YOUNG, park, ile, start + timedelta(days=10))
    add("demo", PARK_YOUNG, park, ile, start + timedelta(days=12), demo=True)
    for n in range(count_extra):
        add(f"extra{n}", PARK_YOUNG, park, ile, start + timedelta(days=1, minutes=n))
    db.session.commit()
    return uuids


@pytest.fixture
def seeded(app: Flask) -> dict[str, str]:
    with app.app_context():
        return _seed()


def test_list_is_for_coordinators_only(client: FlaskClient, auth: AuthActions, seeded) -> None:
    assert client.get("/admin/reponses").status_code == 302
    auth.login("aidant")
    assert client.get("/admin/reponses").status_code == 403
    assert client.get(f"/admin/reponses/{seeded['senior']}").status_code == 403


def test_list_shows_newest_first_and_filters(
    client: FlaskClient, auth: AuthActions, seeded
) -> None:
    auth.login()
    page = page_text(client.get("/admin/reponses"))
    assert "3 réponses" in page
    links = re.findall(r"/admin/reponses/([0-9a-f-]{36})", page)
    assert links == [seeded["demo"], seeded["young"], seeded["senior"]]
    page = page_text(client.get("/admin/reponses?point=auchan"))
    assert "1 réponse" in page and seeded["senior"] in page and seeded["young"] not in page
    page = page_text(client.get("/admin/reponses?neighbourhood=ile&demo=real"))
    assert seeded["young"] in page and seeded["demo"] not in page and seeded["senior"] not in page
    page = page_text(client.get("/admin/reponses?channel=assisted"))
    assert seeded["senior"] in page and seeded["young"] not in page
    page = page_text(client.get("/admin/reponses?start=2026-11-10&end=2026-11-14"))
    assert seeded["young"] in page and seeded["demo"] not in page and seeded["senior"] not in page


def test_bad_filters_are_a_400_with_the_typed_values_kept(
    client: FlaskClient, auth: AuthActions, seeded
) -> None:
    auth.login()
    response = client.get("/admin/reponses?start=2026-11-20&end=2026-11-01&point=auchan")
    assert response.status_code == 400
    page = page_text(response)
    assert "La date de fin doit être après la date de début." in page
    assert 'value="2026-11-20"' in page
    assert client.get("/admin/reponses?point=nowhere").status_code == 400


def test_list_is_paged(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    with app.app_context():
        uuids = _seed(count_extra=55)
    auth.login()
    first = page_text(client.get("/admin/reponses?demo=real"))
    assert "57 réponses" in first and "page 1 sur 2" in first
    second = page_text(client.get("/admin/reponses?demo=real&page=2"))
    on_first = set(re.findall(r"/admin/reponses/([0-9a-f-]{36})", first))
    on_second = set(re.findall(r"/admin/reponses/([0-9a-f-]{36})", second))
    assert len(on_first) == 50 and len(on_second) == 7 and not on_first & on_second
    assert uuids["senior"] in on_second  # the oldest is last
    assert re.search(
        r'href="/admin/reponses\?page=1&amp;demo=real"|href="/admin/reponses\?demo=real&amp;page=1"',
        client.get("/admin/reponses?demo=real&page=2").get_data(as_text=True),
    )


def test_detail_shows_the_answers_in_words(client: FlaskClient, auth: AuthActions, seeded) -> None:
    auth.login()
    page = page_text(client.get(f"/admin/reponses/{seeded['senior']}"))
    assert "Auchan Martigues" in page and "Avec un aidant" in page
    assert "Pour quelles démarches avez-vous besoin d'aide ?" in page
    assert "Impôts, Assurance maladie" in page
    assert "75 ans ou plus" in page
    assert "Je n'arrive pas à ouvrir mon espace Ameli depuis mon téléphone." in page
    assert client.get("/admin/reponses/00000000-0000-4000-8000-000000000000").status_code == 404


def test_delete_needs_a_reason_and_keeps_the_response_otherwise(
    app: Flask, client: FlaskClient, auth: AuthActions, seeded
) -> None:
    auth.login()
    url = f"/admin/reponses/{seeded['young']}"
    token = csrf_token(client, url)
    response = client.post(f"{url}/supprimer", data={"csrf_token": token, "reason": "   "})
    assert response.status_code == 400
    assert "Indiquez la raison de la suppression." in page_text(response)
    too_long = "doublon " * 50
    response = client.post(f"{url}/supprimer", data={"csrf_token": token, "reason": too_long})
    assert response.status_code == 400
    assert too_long.strip() in page_text(response)  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 3
        assert db.session.scalar(select(func.count(ResponseDeletion.id))) == 0


def test_delete_removes_response_and_answers_and_logs_it(
    app: Flask, client: FlaskClient, auth: AuthActions, seeded
) -> None:
    auth.login()
    url = f"/admin/reponses/{seeded['young']}"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/supprimer?point=figuerolles",
        data={
            "csrf_token": token,
            "reason": "Réponse en double : la personne a répondu deux fois.",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/reponses?point=figuerolles")
    assert client.get(url).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Response).where(Response.uuid == seeded["young"])) is None
        remaining = db.session.scalar(select(func.count(Answer.id)))
        assert remaining == len(AUCHAN_SENIOR) + len(PARK_YOUNG)  # the other two responses
        entry = db.session.scalars(select(ResponseDeletion)).one()
        assert entry.response_uuid == seeded["young"]
        assert entry.reason == "Réponse en double : la personne a répondu deux fois."
        assert entry.actor_label == "coordinator@test.example.org"
        assert entry.collection_point == "Parc de Figuerolles"
        assert entry.answer_count == len(PARK_YOUNG)
    journal = page_text(client.get("/admin/reponses/journal"))
    assert seeded["young"] in journal and "la personne a répondu deux fois" in journal


def test_deletion_log_refuses_edits(
    app: Flask, client: FlaskClient, auth: AuthActions, seeded
) -> None:
    auth.login()
    url = f"/admin/reponses/{seeded['senior']}"
    client.post(f"{url}/supprimer", data={"csrf_token": csrf_token(client, url), "reason": "Essai"})
    with app.app_context():
        entry = db.session.scalars(select(ResponseDeletion)).one()
        entry.reason = "autre chose"
        with pytest.raises(ResponseAuditError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(ResponseDeletion)).one())
        with pytest.raises(ResponseAuditError):
            db.session.flush()
        db.session.rollback()
