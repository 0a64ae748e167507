"""Issue 12, items 4, 8 and 9: sessions end on the server, strong passwords, production refusals,
temporary passwords never in the cookie."""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.config import UnsafeConfiguration, build_config
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import User
from tests.conftest import csrf_token, make_user, page_text

GOOD = "violon-carafe-tramway"


def _login(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a stolen copy of ``client``'s session cookie."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief.set_cookie("session", cookie.value)
    return thief


def _decoded_cookie(client: FlaskClient) -> str:
    """What anyone reading the session cookie sees (itsdangerous payload: base64, maybe zlib)."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return ""
    payload = cookie.value
    compressed = payload.startswith(".")
    data = payload.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def test_copied_cookie_stops_working_after_logout(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_user("aidant1@example.org", "aidant", password=GOOD)
    assert _login(client, "aidant1@example.org", GOOD).status_code == 303
    thief = _copy_of(app, client)
    assert thief.get("/espace").status_code == 200  # the copy works while the session lives
    client.post("/logout", data={"csrf_token": csrf_token(client, "/espace")})
    assert thief.get("/espace").status_code == 302
    assert "/login" in thief.get("/espace").headers["Location"]


def test_password_reset_and_disable_end_the_aidants_sessions(app: Flask, auth, client) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        user_id = make_user("aidant2@example.org", "aidant", password=GOOD)
    aidant = app.test_client()
    assert _login(aidant, "aidant2@example.org", GOOD).status_code == 303
    stolen = _copy_of(app, aidant)
    auth.login("coordinator")
    token = csrf_token(client, "/admin/users")
    assert (
        client.post(f"/admin/users/{user_id}/reset", data={"csrf_token": token}).status_code == 200
    )
    assert aidant.get("/espace").status_code == 302
    assert stolen.get("/espace").status_code == 302

    with app.app_context():
        make_user("aidant3@example.org", "aidant", password=GOOD)
        other_id = db.session.scalar(User.by_email("aidant3@example.org")).id
    third = app.test_client()
    assert _login(third, "aidant3@example.org", GOOD).status_code == 303
    copy = _copy_of(app, third)
    client.post(f"/admin/users/{other_id}/disable", data={"csrf_token": token})
    client.post(f"/admin/users/{other_id}/enable", data={"csrf_token": token})
    # Re-enabling does not bring the old sessions back.
    assert copy.get("/espace").status_code == 302


def test_temporary_passwords_never_travel_in_the_cookie(app: Flask, auth, client) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    token = csrf_token(client, "/admin/users")
    created = client.post(
        "/admin/users",
        data={"email": "nour@example.org", "role": "aidant", "csrf_token": token},
    )
    password = re.search(
        r'<strong class="password"><code>([^<]+)</code>', created.get_data(as_text=True)
    ).group(1)
    assert password not in _decoded_cookie(client)
    for header in created.headers.getlist("Set-Cookie"):
        assert password not in header
    with app.app_context():
        user_id = db.session.scalar(User.by_email("nour@example.org")).id
    reset = client.post(f"/admin/users/{user_id}/reset", data={"csrf_token": token})
    new = re.search(
        r'<strong class="password"><code>([^<]+)</code>', reset.get_data(as_text=True)
    ).group(1)
    assert new != password
    assert new not in _decoded_cookie(client)
    assert "flashes" not in _decoded_cookie(client)


@pytest.mark.parametrize(
    "weak", ["aaaaaaaaaa", "azertyuiop1", "motdepasse123", "1234567890", "Martigues2024"]
)
def test_trivial_passwords_are_refused(runner, weak: str) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(
        args=["users", "create", "x@example.org", "--role", "aidant"], input=weak + "\n"
    )
    assert result.exit_code == 1
    assert "trop facile à deviner" in result.output


def test_password_built_on_the_email_is_refused(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(
        args=["users", "create", "nadia.benali@example.org", "--role", "aidant"],
        input="nadiabenali2026\n",
    )
    assert result.exit_code == 1


def test_staff_change_their_own_password(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_user("aidant4@example.org", "aidant", password=GOOD)
    assert _login(client, "aidant4@example.org", GOOD).status_code == 303
    other_device = app.test_client()
    assert _login(other_device, "aidant4@example.org", GOOD).status_code == 303
    page = client.get("/compte/mot-de-passe")
    assert page.status_code == 200 and "Mon mot de passe" in page_text(page)
    token = csrf_token(client, "/compte/mot-de-passe")

    wrong = client.post(
        "/compte/mot-de-passe",
        data={
            "current": "not it at all",
            "new": "girafe-pivoine-boussole",
            "confirm": "girafe-pivoine-boussole",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400 and "actuel n'est pas le bon" in page_text(wrong)
    weak = client.post(
        "/compte/mot-de-passe",
        data={"current": GOOD, "new": "aaaaaaaaaa", "confirm": "aaaaaaaaaa", "csrf_token": token},
    )
    assert weak.status_code == 400 and "trop facile à deviner" in page_text(weak)
    mismatch = client.post(
        "/compte/mot-de-passe",
        data={
            "current": GOOD,
            "new": "girafe-pivoine-boussole",
            "confirm": "girafe-pivoine",
            "csrf_token": token,
        },
    )
    assert mismatch.status_code == 400 and "pas identiques" in page_text(mismatch)

    done = client.post(
        "/compte/mot-de-passe",
        data={
            "current": GOOD,
            "new": "girafe-pivoine-boussole",
            "confirm": "girafe-pivoine-boussole",
            "csrf_token": token,
        },
    )
    assert done.status_code == 303
    assert client.get("/espace").status_code == 200  # this session goes on
    assert other_device.get("/espace").status_code == 302  # the others end
    fresh = app.test_client()
    assert _login(fresh, "aidant4@example.org", GOOD).status_code == 401
    assert _login(fresh, "aidant4@example.org", "girafe-pivoine-boussole").status_code == 303


def test_production_refuses_the_demo_password_at_login(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_user("old-demo@example.org", "coordinator", password=DEMO_PASSWORD)
    app.config["MAIRIEBUS_ENV"] = "production"
    try:
        assert _login(client, "old-demo@example.org", DEMO_PASSWORD).status_code == 401
        with app.app_context(), pytest.raises(Exception, match="démonstration est public"):
            make_user("new@example.org", "aidant", password=DEMO_PASSWORD)
    finally:
        app.config["MAIRIEBUS_ENV"] = "development"
    assert _login(app.test_client(), "old-demo@example.org", DEMO_PASSWORD).status_code == 303


def test_production_refuses_flask_demo(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    app.config["MAIRIEBUS_ENV"] = "production"
    try:
        result = runner.invoke(args=["demo"])
    finally:
        app.config["MAIRIEBUS_ENV"] = "development"
    assert result.exit_code == 1
    assert "Refusing to seed demo content in production" in result.output
    with app.app_context():
        assert db.session.scalar(User.by_email("coordinatrice@example.org")) is None


@pytest.mark.parametrize(
    "key", ["a" * 64, "changeme" * 4, "abcdefghijklmnopqrstuvwxyz0123456789", "0123456789" * 4]
)
def test_production_refuses_a_low_entropy_secret_key(tmp_path: Path, key: str) -> None:
    env = {
        "MAIRIEBUS_ENV": "production",
        "SECRET_KEY": key,
        "DATABASE_URL": "postgresql://u@h/db",
        "MAIRIEBUS_BASE_URL": "https://bus.example.org",
    }
    with pytest.raises(UnsafeConfiguration, match="SECRET_KEY looks guessable"):
        build_config(tmp_path, env)


def test_production_accepts_a_generated_secret_key(tmp_path: Path) -> None:
    import secrets

    for key in (secrets.token_urlsafe(48), secrets.token_hex(32)):
        env = {
            "MAIRIEBUS_ENV": "production",
            "SECRET_KEY": key,
            "DATABASE_URL": "postgresql://u@h/db",
            "MAIRIEBUS_BASE_URL": "https://bus.example.org",
        }
        assert build_config(tmp_path, env)["MAIRIEBUS_ENV"] == "production"


def test_cookie_decoder_sees_flash_messages(app: Flask, auth, client) -> None:  # type: ignore[no-untyped-def]
    """The helper above really reads the cookie: a flashed text is visible in it."""
    with app.app_context():
        user_id = make_user("aidant5@example.org", "aidant", password=GOOD)
    auth.login("coordinator")
    token = csrf_token(client, "/admin/users")
    client.post(f"/admin/users/{user_id}/disable", data={"csrf_token": token})
    assert "aidant5@example.org" in json.dumps(_decoded_cookie(client))


def test_own_password_page_cannot_be_used_to_guess_the_password(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        make_user("aidant6@example.org", "aidant", password=GOOD)
    assert _login(client, "aidant6@example.org", GOOD).status_code == 303
    token = csrf_token(client, "/compte/mot-de-passe")
    new = "girafe-pivoine-boussole"
    statuses = [
        client.post(
            "/compte/mot-de-passe",
            data={"current": f"guess {i}", "new": new, "confirm": new, "csrf_token": token},
        ).status_code
        for i in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    right = client.post(
        "/compte/mot-de-passe",
        data={"current": GOOD, "new": new, "confirm": new, "csrf_token": token},
    )
    assert right.status_code == 429  # locked for the window, even with the right one


def test_a_very_long_email_at_login_is_not_a_500(client: FlaskClient) -> None:
    email = "a" * 64 + "@" + ("b" * 50 + ".") * 3 + "example.org"
    assert 200 < len(email) <= 254  # accepted by the form; longer than the counters' column
    response = _login(client, email, "not the password")
    assert response.status_code == 401
