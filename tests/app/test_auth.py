"""Login, logout, throttling, CSRF and the users CLI."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token, make_user, page_text


def _login(client: FlaskClient, email: str, password: str, token: str | None = None):  # type: ignore[no-untyped-def]
    token = token or csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_cli_created_user_can_log_in(app: Flask, client: FlaskClient, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(
        args=["users", "create", "a@example.org", "--role", "coordinator"],
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    assert "a@example.org" in result.output
    response = _login(client, "a@example.org", "correct horse battery")
    assert response.status_code == 303
    assert response.headers["Location"] == "/espace"
    assert client.get("/espace").status_code == 200


def test_cli_refuses_duplicate_and_weak_password(runner) -> None:  # type: ignore[no-untyped-def]
    ok = runner.invoke(
        args=["users", "create", "b@example.org", "--role", "aidant"], input="long enough pw\n"
    )
    assert ok.exit_code == 0
    duplicate = runner.invoke(
        args=["users", "create", "B@example.org", "--role", "aidant"], input="long enough pw\n"
    )
    assert duplicate.exit_code == 1
    assert "existe déjà" in duplicate.output
    weak = runner.invoke(
        args=["users", "create", "c@example.org", "--role", "aidant"], input="short\n"
    )
    assert weak.exit_code == 1
    assert "au moins 10 caractères" in weak.output


def test_wrong_password_is_refused_in_french(app_ctx: Flask, client: FlaskClient) -> None:
    make_user("d@example.org", "aidant", password="the right password")
    response = _login(client, "d@example.org", "wrong password")
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in response.get_data(as_text=True)
    # What the person typed is kept.
    assert 'value="d@example.org"' in response.get_data(as_text=True)


def _client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_five_failures_lock_that_account_on_that_client_only(app: Flask) -> None:
    """The bus shares one address: one aidant's typos must not lock out the colleagues."""
    with app.app_context():
        make_user("e@example.org", "aidant", password="the right password")
        make_user("colleague@example.org", "aidant", password="another good one")
    bus = _client_at(app, "192.0.2.10")
    statuses = [_login(bus, "e@example.org", "x").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    page = _login(bus, "e@example.org", "the right password")
    assert page.status_code == 429
    assert "Trop d'essais" in page_text(page)
    # A colleague on the same tablet, same address: not locked.
    colleague = _client_at(app, "192.0.2.10")
    assert _login(colleague, "colleague@example.org", "another good one").status_code == 303
    # The same person from the office: not locked either.
    office = _client_at(app, "198.51.100.7")
    assert _login(office, "e@example.org", "the right password").status_code == 303


def test_many_failures_from_one_client_lock_the_client(app: Flask) -> None:
    """Guessing across many accounts from one address hits the higher per-client limit."""
    limit = app.config["LOGIN_MAX_CLIENT_FAILURES"]
    assert limit > app.config["LOGIN_MAX_FAILURES"]
    with app.app_context():
        make_user("k@example.org", "aidant", password="the right password")
    guesser = _client_at(app, "203.0.113.5")
    statuses = [_login(guesser, f"nobody{i}@example.org", "x").status_code for i in range(limit)]
    assert statuses == [401] * (limit - 1) + [429]
    assert _login(guesser, "k@example.org", "the right password").status_code == 429
    assert (
        _login(_client_at(app, "203.0.113.6"), "k@example.org", "the right password").status_code
        == 303
    )


def test_one_account_guessed_from_many_clients_is_locked(app: Flask) -> None:
    limit = app.config["LOGIN_MAX_ACCOUNT_FAILURES"]
    with app.app_context():
        make_user("f@example.org", "aidant", password="the right password")
    for i in range(limit):
        last = _login(_client_at(app, f"10.0.{i // 200}.{i % 200 + 1}"), "f@example.org", "bad")
    assert last.status_code == 429
    assert (
        _login(_client_at(app, "10.9.9.9"), "f@example.org", "the right password").status_code
        == 429
    )


def test_login_counts_are_shared_through_redis_when_configured(app: Flask) -> None:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.ConnectionError:
        import pytest

        pytest.skip("Redis is not running on 127.0.0.1:6379")
    app.config["RATELIMIT_STORAGE_URI"] = url
    app.extensions.pop("mairiebus_throttle", None)
    try:
        with app.app_context():
            make_user("g@example.org", "aidant", password="the right password")
        client = app.test_client()
        statuses = [_login(client, "g@example.org", "bad").status_code for _ in range(5)]
        assert statuses[-1] == 429
        assert (
            int(redis.Redis.from_url(url).get("mairiebus:throttle:login:account:g@example.org"))
            == 5
        )
    finally:
        app.config["RATELIMIT_STORAGE_URI"] = None
        app.extensions.pop("mairiebus_throttle", None)


def test_post_without_csrf_token_gets_french_400(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Le formulaire a expiré" in body
    assert 'lang="fr"' in body


def test_disabled_account_cannot_log_in(app_ctx: Flask, client: FlaskClient) -> None:
    from app.extensions import db
    from app.models import User

    user_id = make_user("h@example.org", "aidant", password="the right password")
    db.session.get(User, user_id).active = False
    db.session.commit()
    assert _login(client, "h@example.org", "the right password").status_code == 401


def test_next_parameter_cannot_redirect_off_site(app_ctx: Flask, client: FlaskClient) -> None:
    make_user("i@example.org", "aidant", password="the right password")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example.com/x",
        data={"email": "i@example.org", "password": "the right password", "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/espace"


def test_logout_is_a_post(auth, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    token = csrf_token(client, "/espace")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/espace").status_code == 302
