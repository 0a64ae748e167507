"""First visits served from the per-worker page store (app/page_cache.py), and never stale.

A visitor without a cookie gets the stored page with a token of their own; any committed change
to what the page shows reaches every worker at once; a visitor with a cookie, a language or a
staff session always gets the normal page.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app import create_app
from app import page_cache as pages
from app.db import db
from app.models import CollectionLink, CollectionPoint, Form
from tests.app.test_collect_views import link  # noqa: F401 - fixture
from tests.app.test_resident_costs import statements
from tests.conftest import AuthActions, base_config

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def _token(body: str) -> str:
    match = TOKEN.search(body)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _visitor(app: Flask) -> FlaskClient:
    """A phone that has never been here: no cookie on any request."""
    return app.test_client(use_cookies=False)


def _rename_point(app: Flask, code: str, name: str) -> None:
    with app.app_context():
        found = db.session.scalar(select(CollectionLink).where(CollectionLink.code == code))
        assert found is not None
        found.collection_point.name = name
        db.session.commit()


def test_a_first_visit_is_served_without_the_database_and_gets_its_own_token(
    app: Flask,
    link: str,  # noqa: F811
) -> None:
    first = _visitor(app).get(f"/q/{link}")
    assert first.status_code == 200
    with statements(app) as seen:
        second = _visitor(app).get(f"/q/{link}")
    assert second.status_code == 200
    assert seen == []  # no query: the stored page
    first_body, second_body = first.get_data(as_text=True), second.get_data(as_text=True)
    assert "Arrêt Boudème" in second_body
    assert _token(first_body) != _token(second_body)
    assert TOKEN.sub("", first_body) == TOKEN.sub("", second_body)  # the same page otherwise
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert "sha256-" in second.headers["Content-Security-Policy"]

    # The stored page's token is this visitor's: it starts a questionnaire.
    phone = app.test_client()
    page = phone.get(f"/q/{link}")  # served from the store (no cookie yet on this request)
    started = phone.post(f"/q/{link}", data={"csrf_token": _token(page.get_data(as_text=True))})
    assert started.status_code == 303
    assert started.headers["Location"].startswith("/repondre/")


def test_a_committed_change_is_seen_at_once_even_by_another_worker(
    app: Flask,
    tmp_dir,  # type: ignore[no-untyped-def]
    link: str,  # noqa: F811
) -> None:
    # A second app on the same database and instance folder: another gunicorn worker.
    other = create_app(base_config(tmp_dir))
    assert "Arrêt Boudème" in _visitor(other).get(f"/q/{link}").get_data(as_text=True)
    assert "Arrêt Boudème" in _visitor(app).get(f"/q/{link}").get_data(as_text=True)

    _rename_point(app, link, "Arrêt Boudème-Nord")
    assert "Arrêt Boudème-Nord" in _visitor(other).get(f"/q/{link}").get_data(as_text=True)

    # A bulk UPDATE (no ORM object) counts too.
    with app.app_context():
        db.session.execute(update(CollectionPoint).values(name="Place du marché"))
        db.session.commit()
    assert "Place du marché" in _visitor(app).get(f"/q/{link}").get_data(as_text=True)
    assert "Place du marché" in _visitor(other).get(f"/q/{link}").get_data(as_text=True)

    # An archived questionnaire is refused on the next visit, not a minute later.
    with app.app_context():
        db.session.execute(update(Form).values(archived=True))
        db.session.commit()
    assert _visitor(other).get(f"/q/{link}").status_code == 404


def test_answers_do_not_drop_the_stored_pages(
    app: Flask,
    link: str,  # noqa: F811
) -> None:
    phone = app.test_client()
    token = _token(phone.get(f"/q/{link}").get_data(as_text=True))
    _visitor(app).get(f"/q/{link}")  # stored
    assert phone.post(f"/q/{link}", data={"csrf_token": token}).status_code == 303  # a draft
    with statements(app) as seen:
        assert _visitor(app).get(f"/q/{link}").status_code == 200
    assert seen == []


@pytest.mark.parametrize("path", ["/", "/pass", "/questionnaire"])
def test_other_first_visit_pages_are_stored_too(app: Flask, path: str) -> None:
    # The first visit of /questionnaire installs the questionnaire (a commit, which drops
    # what was stored before it): the page stored is the one rendered after it.
    _visitor(app).get(path)
    first = _visitor(app).get(path)
    assert first.status_code == 200
    with statements(app) as seen:
        second = _visitor(app).get(path)
    assert second.status_code == 200 and seen == []
    assert TOKEN.sub("", first.get_data(as_text=True)) == TOKEN.sub(
        "", second.get_data(as_text=True)
    )


def test_visitors_with_a_cookie_or_a_language_get_their_own_page(
    app: Flask,
    link: str,  # noqa: F811
) -> None:
    _visitor(app).get(f"/q/{link}")  # stored, in French

    english = _visitor(app).get(f"/q/{link}?lang=en")
    assert english.status_code == 200 and 'lang="en"' in english.get_data(as_text=True)

    # A phone with a draft is offered to resume it: never the shared page.
    phone = app.test_client()
    token = _token(phone.get(f"/q/{link}").get_data(as_text=True))
    phone.post(f"/q/{link}", data={"csrf_token": token})
    with statements(app) as seen:
        again = phone.get(f"/q/{link}")
    assert again.status_code == 200 and seen  # rendered for this phone
    assert "/repondre/" in again.get_data(as_text=True)  # the way back to the draft

    # Staff signed in on a shared tablet see their own header, not the residents' page.
    staff = app.test_client()
    AuthActions(staff, app).login("aidant", "aidant-cache@example.org")
    home = staff.get("/").get_data(as_text=True)
    assert "Se déconnecter" in home
    assert "Se déconnecter" not in _visitor(app).get("/").get_data(as_text=True)


def test_the_store_can_be_turned_off_and_pages_expire(
    app: Flask,
    link: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _visitor(app).get(f"/q/{link}")
    clock = [pages.time.monotonic() + 3600]  # an hour later: past PAGE_CACHE_SECONDS
    monkeypatch.setattr(pages.time, "monotonic", lambda: clock[0])
    with statements(app) as seen:
        _visitor(app).get(f"/q/{link}")
    assert seen  # expired: rendered again

    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 0)
    _visitor(app).get(f"/q/{link}")
    with statements(app) as seen:
        _visitor(app).get(f"/q/{link}")
    assert seen  # off: every visit renders
