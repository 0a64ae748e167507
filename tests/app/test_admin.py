"""Coordinators create, disable, re-enable and reset aidants from the web UI."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User
from tests.conftest import csrf_token


def _shown_password(response) -> str:  # type: ignore[no-untyped-def]
    return re.search(
        r'<strong class="password"><code>([^<]+)</code>', response.get_data(as_text=True)
    ).group(1)


def test_coordinator_creates_disables_and_resets_an_aidant(
    app: Flask, client: FlaskClient, auth
) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    token = csrf_token(client, "/admin/users")
    created = client.post(
        "/admin/users",
        data={
            "email": "New.Aidant@Example.org",
            "display_name": "Nour",
            "organisation": "CCAS",
            "role": "aidant",
            "csrf_token": token,
        },
    )
    assert created.status_code == 200
    password = _shown_password(created)
    assert created.headers["Cache-Control"] == "no-store"
    # Shown once: not on the next visit.
    assert password not in client.get("/admin/users").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(User.by_email("new.aidant@example.org"))
        assert user is not None and user.organisation == "CCAS" and user.active
        user_id = user.id

    other = app.test_client()
    assert (
        other.post(
            "/login",
            data={
                "email": "new.aidant@example.org",
                "password": password,
                "csrf_token": csrf_token(other, "/login"),
            },
        ).status_code
        == 303
    )

    assert (
        client.post(f"/admin/users/{user_id}/disable", data={"csrf_token": token}).status_code
        == 303
    )
    with app.app_context():
        assert db.session.get(User, user_id).active is False
    # A disabled aidant is logged out at the next request.
    assert other.get("/espace").status_code == 302

    reset = client.post(f"/admin/users/{user_id}/reset", data={"csrf_token": token})
    assert reset.status_code == 200
    assert "pour new.aidant@example.org" in reset.get_data(as_text=True)
    new_password = _shown_password(reset)
    assert new_password != password
    assert (
        client.post(f"/admin/users/{user_id}/enable", data={"csrf_token": token}).status_code == 303
    )
    fresh = app.test_client()
    assert (
        fresh.post(
            "/login",
            data={
                "email": "new.aidant@example.org",
                "password": new_password,
                "csrf_token": csrf_token(fresh, "/login"),
            },
        ).status_code
        == 303
    )


def test_bad_new_account_keeps_what_was_typed(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    token = csrf_token(client, "/admin/users")
    response = client.post(
        "/admin/users",
        data={
            "email": "not-an-email",
            "display_name": "Nour B",
            "role": "aidant",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "n&#39;est pas valide" in body or "n'est pas valide" in body
    assert 'value="Nour B"' in body


def test_unknown_account_is_404_not_500(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    token = csrf_token(client, "/admin/users")
    response = client.post("/admin/users/424242/disable", data={"csrf_token": token})
    assert response.status_code == 404
    assert "Ce compte n&#39;existe pas" in response.get_data(as_text=True)
