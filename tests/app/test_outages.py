"""Issue 12, item 5: a Redis outage keeps submissions and logins working (database counters),
/healthz reports Redis and the database separately, a database outage answers a French 503
with Retry-After."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Response, ResponseStatus, ThrottleCounter
from tests.app.test_collect_views import Walker, link  # noqa: F401 - fixture
from tests.conftest import base_config, csrf_token, make_user, page_text
from tests.support.servers import RedisServer, free_port

GOOD = "violon-carafe-tramway"


@pytest.fixture
def own_redis(app: Flask) -> Iterator[RedisServer]:
    """A Redis of this test's own (stopped during the test), used for throttling."""
    server = RedisServer()
    server.start()
    app.config["RATELIMIT_STORAGE_URI"] = server.url
    app.extensions.pop("mairiebus_throttle", None)
    try:
        yield server
    finally:
        app.config["RATELIMIT_STORAGE_URI"] = None
        app.extensions.pop("mairiebus_throttle", None)
        server.stop()


def _login(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _submit(client: FlaskClient, code: str, key: str):  # type: ignore[no-untyped-def]
    walker = Walker(client)
    walker.start(f"/q/{code}")
    walker.answer_all()
    return walker.send(key)


def test_redis_outage_keeps_submissions_and_logins_working(
    app: Flask,
    link: str,  # noqa: F811
    own_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with app.app_context():
        make_user("aidant@example.org", "aidant", password=GOOD)
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert _submit(client, link, "a" * 24).headers["Location"] == "/merci"
    counts = redis.Redis.from_url(own_redis.url).keys("mairiebus:throttle:*")
    assert counts  # Redis really held the counters while it ran

    own_redis.stop()
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "degraded", "database": "ok", "redis": "down"}

    with caplog.at_level(logging.WARNING):
        sent = _submit(app.test_client(), link, "b" * 24)
    assert sent.status_code == 303 and sent.headers["Location"] == "/merci"
    assert any("Redis unreachable" in r.getMessage() for r in caplog.records)
    assert _login(app.test_client(), "aidant@example.org", GOOD).status_code == 303
    # Throttling still holds, counted in the database meanwhile.
    guesser = app.test_client()
    statuses = [_login(guesser, "aidant@example.org", "wrong").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    with app.app_context():
        stored = db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.status == ResponseStatus.SUBMITTED)
        )
        assert stored == 2
        assert db.session.scalar(select(func.count()).select_from(ThrottleCounter)) > 0

    own_redis.start()  # back: /healthz says so at once
    assert client.get("/healthz").get_json()["redis"] == "ok"


@pytest.fixture
def app_without_database(tmp_path: Path) -> Flask:
    """The app pointed at a PostgreSQL that is not running (nothing listens on the port)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/mairiebus"
    return create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))


def test_database_outage_answers_503_in_french(app_without_database: Flask) -> None:
    client = app_without_database.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.headers["Retry-After"] == "5"
    assert health.get_json() == {"status": "down", "database": "down", "redis": "not configured"}

    page = client.get("/q/abcde")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    text = page_text(page)
    assert "momentanément indisponible" in text and 'lang="fr"' in text

    token = csrf_token(client, "/login")
    login = client.post(
        "/login", data={"email": "a@example.org", "password": "x" * 12, "csrf_token": token}
    )
    assert login.status_code == 503 and login.headers["Retry-After"] == "5"
    api = client.get("/q/abcde", headers={"Accept": "application/json"})
    assert api.status_code == 503
