"""Walk every registered route with each role and check the answer matches its declaration."""

from __future__ import annotations

import pytest
from flask import Flask

from app.security import Access, view_access
from tests.conftest import make_user

DUMMY_VALUES = {
    "integer": "999999",
    "float": "1.5",
    "default": "zzz-unknown",
    "path": "zzz-unknown",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "string": "zzz-unknown",
    "any": "zzz-unknown",
}
ROLES = ("anonymous", "aidant", "coordinator")


def _url_for_rule(rule) -> str:  # type: ignore[no-untyped-def]
    url = rule.rule
    for argument in rule.arguments:
        converter = rule._converters[argument]
        kind = type(converter).__name__.replace("Converter", "").lower()
        value = DUMMY_VALUES.get(kind, DUMMY_VALUES["default"])
        url = _replace_argument(url, argument, value)
    return url


def _replace_argument(url: str, argument: str, value: str) -> str:
    import re

    return re.sub(r"<(?:[^:<>]+:)?" + re.escape(argument) + r">", value, url)


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, _url_for_rule(rule)))
    return routes


def test_every_view_declares_its_audience(app: Flask) -> None:
    undeclared = [e for e in app.view_functions if view_access(app, e) is None]
    assert undeclared == []


def test_walk_covers_every_route(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _m, _u in _routes(app)}
    assert endpoints == set(app.view_functions) - {"static"}


@pytest.mark.parametrize("role", ROLES)
def test_route_walk(app: Flask, role: str, csrf_off: None) -> None:
    client = app.test_client()
    if role != "anonymous":
        with app.app_context():
            make_user(f"{role}@walk.example.org", role)
        login = client.post(
            "/login", data={"email": f"{role}@walk.example.org", "password": "demo-mairiebus"}
        )
        assert login.status_code == 303
    problems = []
    for endpoint, method, url in _routes(app):
        if endpoint == "auth.logout":
            continue  # would end the walk's session; covered in test_auth
        access = view_access(app, endpoint)
        response = client.open(url, method=method)
        status = response.status_code
        location = response.headers.get("Location", "")
        to_login = status == 302 and location.startswith("/login")
        if status >= 500:
            problems.append(f"{method} {url}: {status}")
        elif access is Access.PUBLIC:
            if status in (401, 403) or to_login:
                problems.append(f"{method} {url} public but answered {status}")
        elif role == "anonymous":
            if not to_login:
                problems.append(f"{method} {url} should send anonymous to login, got {status}")
        elif access is Access.COORDINATOR and role == "aidant":
            if status != 403:
                problems.append(f"{method} {url} should be 403 for an aidant, got {status}")
        elif status == 403 or to_login:
            problems.append(f"{method} {url} should be allowed for {role}, got {status}")
    assert problems == []
