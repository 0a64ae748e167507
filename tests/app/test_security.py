"""Security headers on every response, French error pages, request size limits, config."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import UnsafeConfiguration, build_config, database_url
from tests.conftest import base_config, page_text


def _assert_security_headers(response) -> None:  # type: ignore[no-untyped-def]
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/login", "/confidentialite", "/does-not-exist", "/espace"])
def test_security_headers_everywhere(client: FlaskClient, path: str) -> None:
    _assert_security_headers(client.get(path))


def test_error_pages_are_french_and_carry_headers(client: FlaskClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    _assert_security_headers(response)
    response = client.put("/login")
    assert response.status_code == 405
    assert "Action impossible" in response.get_data(as_text=True)


def test_500_shows_no_trace(tmp_path: Path) -> None:
    app = create_app(base_config(tmp_path, PROPAGATE_EXCEPTIONS=False))

    from app.security import public

    @app.route("/boom")
    @public
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body
    assert "Ce n'est pas de votre faute" in page_text(response)
    _assert_security_headers(response)


def test_request_size_limit_gives_413(app: Flask, client: FlaskClient) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/login", data=b"x" * (limit + 1), content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert "trop gros" in response.get_data(as_text=True)


def test_cookies_are_secure_over_https(tmp_path: Path) -> None:
    config = build_config(tmp_path, {"MAIRIEBUS_BASE_URL": "https://bus.example.org"})
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_postgresql_urls_go_through_psycopg3(tmp_path: Path) -> None:
    assert database_url("postgresql://u@h:5432/db", tmp_path) == "postgresql+psycopg://u@h:5432/db"
    assert database_url("postgres://u@h/db", tmp_path) == "postgresql+psycopg://u@h/db"
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path / 'mairiebus.sqlite'}"


def test_production_refuses_unsafe_settings(tmp_path: Path) -> None:
    with pytest.raises(UnsafeConfiguration) as error:
        build_config(tmp_path, {"MAIRIEBUS_ENV": "production"})
    message = str(error.value)
    assert "SECRET_KEY" in message and "DATABASE_URL" in message and "https://" in message
    ok = build_config(
        tmp_path,
        {
            "MAIRIEBUS_ENV": "production",
            "SECRET_KEY": "kq3V8w_ZpL0tRn4YbXe7HsDc2JmUa9GfQo1iWy6TzEr5",
            "DATABASE_URL": "postgresql://u@h/db",
            "MAIRIEBUS_BASE_URL": "https://bus.example.org",
        },
    )
    assert ok["MAIRIEBUS_ENV"] == "production"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    config = base_config(tmp_path)
    del config["SECRET_KEY"]
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (tmp_path / "instance" / "secret_key").read_text() == first


def test_english_is_selectable(client: FlaskClient) -> None:
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)
    assert 'lang="en"' in client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_nul_characters_in_text_are_refused_in_french(client: FlaskClient) -> None:
    response = client.get("/?q=a%00b")
    assert response.status_code == 400
    assert "caractère invalide" in page_text(response)
    response = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400
