"""Shared fixtures: one app per test session on SQLite (default) or PostgreSQL.

Set ``TEST_DATABASE_URL`` (or a PostgreSQL ``DATABASE_URL``) to run the whole suite on
PostgreSQL; `make test` does both. Each test starts from empty tables.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.db import db
from app.demo import DEMO_PASSWORD

# Tests never read the developer's environment by accident.
for _name in ("SECRET_KEY", "RATELIMIT_STORAGE_URI", "MAIRIEBUS_ENV", "MAIRIEBUS_BASE_URL"):
    os.environ.pop(_name, None)


def test_database_url(tmp_dir: Path) -> str:
    """The database the suite runs on (on PostgreSQL, one database per xdist worker)."""
    url = os.environ.get("TEST_DATABASE_URL") or ""
    if not url and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        url = os.environ["DATABASE_URL"]
    if url.startswith("postgres") and os.environ.get("PYTEST_XDIST_WORKER"):
        return _worker_database(url, os.environ["PYTEST_XDIST_WORKER"])
    return url or f"sqlite:///{tmp_dir / 'test.sqlite'}"


@functools.cache
def _worker_database(url: str, worker: str) -> str:
    """``url`` with its database name suffixed by the xdist worker id, created when missing."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'test'}_{worker}"
    with psycopg.connect(url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(parts._replace(path="/" + name))


test_database_url.__test__ = False  # type: ignore[attr-defined]


def base_config(tmp_dir: Path, **overrides: object) -> dict[str, object]:
    """Configuration for a test app writing only under ``tmp_dir``."""
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production-use-0123456789",
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(test_database_url(tmp_dir)),
        "MAIRIEBUS_INSTANCE_PATH": str(tmp_dir / "instance"),
        "MAIRIEBUS_BASE_URL": "https://mairiebus.example.org",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_STORAGE_URI": None,
        # Background jobs: Redis database 6 and a queue of this process only (xdist-safe).
        "REDIS_URL": "redis://127.0.0.1:6379/6",
        "QUEUE_NAME": f"mairiebus-test-{os.getpid()}",
    }
    config.update(overrides)
    return config


def _sqlalchemy_url(url: str) -> str:
    from app.config import database_url

    return database_url(url, Path("."))


def reset_database() -> None:
    """Empty every table (fast enough for our sizes, and works on both databases)."""
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        if names:
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="session")
def tmp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mairiebus")


@pytest.fixture(scope="session")
def app(tmp_dir: Path) -> Iterator[Flask]:
    """One application for the session, with a fresh schema."""
    application = create_app(base_config(tmp_dir))
    with application.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
    yield application


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Start every test that uses the app from empty tables."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        reset_database()
        application.extensions.pop("mairiebus_throttle", None)
    yield
    with application.app_context():
        db.session.remove()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An application context, for tests that call services directly."""
    with app.app_context():
        yield app


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[object]:
    from tests.support.smtp import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(app: Flask, _smtp_server):  # type: ignore[no-untyped-def]
    """A real local SMTP server (aiosmtpd); ``MAIL_URL`` points at it for this test.

    ``smtp_server.sink.wait_for(n)`` returns the first ``n`` messages received (parsed).
    """
    _smtp_server.sink.clear()
    previous = app.config.get("MAIL_URL")
    app.config["MAIL_URL"] = _smtp_server.url
    yield _smtp_server
    app.config["MAIL_URL"] = previous
    _smtp_server.sink.clear()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def csrf_off(app: Flask) -> Iterator[None]:
    """Disable CSRF for tests that exercise something else."""
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = True


def make_user(email: str, role: str, password: str = DEMO_PASSWORD, organisation: str = "") -> int:
    """Create a staff account in the current app context; return its id."""
    from app.models import Role
    from app.services.accounts import create_user

    return create_user(db.session, email, password, Role(role), organisation=organisation).id


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client: FlaskClient, app: Flask) -> None:
        self._client = client
        self._app = app

    def login(self, role: str = "coordinator", email: str | None = None):  # type: ignore[no-untyped-def]
        email = email or f"{role}@test.example.org"
        with self._app.app_context():
            from app.models import User

            if db.session.scalar(User.by_email(email)) is None:
                make_user(email, role)
        token = csrf_token(self._client, "/login")
        return self._client.post(
            "/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token}
        )


def csrf_token(client: FlaskClient, path: str) -> str:
    """Fetch ``path`` and return the CSRF token of its first form."""
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def auth(client: FlaskClient, app: Flask) -> AuthActions:
    return AuthActions(client, app)


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    """The response body with HTML entities decoded, for assertions on French text."""
    import html

    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A local SMS gateway on 127.0.0.1: its URL, and the JSON messages it received."""
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"auth": self.headers.get("Authorization"), **json.loads(body)})
            self.send_response(202 if self.path == "/sms" else 500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()
