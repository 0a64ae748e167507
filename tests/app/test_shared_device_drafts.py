"""Issue 12, item 11: on a shared phone, an unfinished draft is not offered (with its answers) to
the next person for days: it expires after a few hours without an answer, and the resume page
offers "Ce n'est pas moi : recommencer"."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.db import utcnow
from app.extensions import db
from app.models import Response, ResponseStatus
from app.services.responses import DRAFT_IDLE
from tests.app.test_collect_views import PAGES, Walker, link  # noqa: F401 - fixture
from tests.conftest import csrf_token, page_text


def _first_person_leaves_a_draft(client: FlaskClient, code: str) -> None:
    walker = Walker(client)
    walker.start(f"/q/{code}")
    for key, raw in PAGES[:4]:
        result = walker.answer(key, raw)
        if result.headers["Location"] == f"/repondre/{key}":
            walker.answer(key, raw)
    assert "Ma carte vitale" in page_text(client.get("/repondre/needs_page"))


def _age_the_draft(app: Flask, by: dt.timedelta) -> None:
    with app.app_context():
        db.session.execute(
            update(Response)
            .where(Response.status == ResponseStatus.DRAFT)
            .values(updated_at=utcnow() - by)
        )
        db.session.commit()


def test_an_idle_draft_is_no_longer_offered(app: Flask, client: FlaskClient, link: str) -> None:  # noqa: F811
    _first_person_leaves_a_draft(client, link)
    _age_the_draft(app, DRAFT_IDLE - dt.timedelta(minutes=10))
    assert "Reprendre mes réponses" in page_text(client.get(f"/q/{link}"))  # still hers

    _age_the_draft(app, DRAFT_IDLE + dt.timedelta(minutes=10))
    start = page_text(client.get(f"/q/{link}"))
    assert "Reprendre mes réponses" not in start and "Commencer" in start
    # The answers cannot be reached either.
    page = client.get("/repondre/needs_page")
    assert page.status_code == 302
    assert "Ma carte vitale" not in page_text(
        client.get("/questionnaire/verification", follow_redirects=True)
    )


def test_an_answer_keeps_the_draft_alive(app: Flask, client: FlaskClient, link: str) -> None:  # noqa: F811
    _first_person_leaves_a_draft(client, link)
    _age_the_draft(app, DRAFT_IDLE - dt.timedelta(minutes=5))
    walker = Walker(client)
    walker.token = csrf_token(client, "/repondre/digital")
    assert walker.answer(*PAGES[4]).status_code == 303  # saving an answer counts as activity
    with app.app_context():
        draft = db.session.scalar(select(Response).where(Response.status == ResponseStatus.DRAFT))
        updated = draft.updated_at
        if updated.tzinfo is None:
            updated = updated.replace(tzinfo=dt.UTC)
        assert utcnow() - updated < dt.timedelta(minutes=5)


def test_not_me_restart_clears_the_previous_persons_answers(
    app: Flask,
    client: FlaskClient,
    link: str,  # noqa: F811
) -> None:
    _first_person_leaves_a_draft(client, link)
    start = client.get(f"/q/{link}")
    text = page_text(start)
    assert "Ce n'est pas moi : recommencer" in text and "Reprendre mes réponses" in text
    token = csrf_token(client, f"/q/{link}")
    restarted = client.post("/questionnaire/recommencer", data={"csrf_token": token})
    assert restarted.status_code == 303 and restarted.headers["Location"] == f"/q/{link}"
    assert "mairiebus_draft=;" in restarted.headers["Set-Cookie"]
    fresh = page_text(client.get(f"/q/{link}"))
    assert "Reprendre mes réponses" not in fresh
    assert client.get("/repondre/needs_page").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(Response).where(Response.status == ResponseStatus.DRAFT))
            is None
        )
