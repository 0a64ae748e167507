"""What one questionnaire request costs, counted (never timed): skip-logic passes, SQL, writes.

Speed itself is measured in benchmarks/ (resident_benchmark.py, profile_resident.py); these
tests keep the waste removed for issue 17 from coming back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app.db import db
from surveys import engine as E
from tests.app.test_collect_views import Walker, link  # noqa: F401 - fixture


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def walker(client: FlaskClient, link: str) -> Walker:  # noqa: F811
    phone = Walker(client)
    assert phone.start(f"/q/{link}").status_code == 303
    return phone


def test_a_page_evaluates_the_skip_logic_once(
    walker: Walker, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = E.relevant_pages

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("relevant_pages")
        return real(*args, **kwargs)

    monkeypatch.setattr(E, "relevant_pages", counted)
    page = walker.client.get("/repondre/visit")
    assert page.status_code == 200
    # Does the page exist and which page is before it: one pass for the service (three before
    # issue 17); the engine makes its own for "page i of n".
    assert calls == ["relevant_pages", "relevant_pages"]


def test_a_page_reads_the_draft_without_the_workbook(
    app: Flask,
    walker: Walker,
    link: str,  # noqa: F811
) -> None:
    walker.client.get("/repondre/visit")  # the parsed questionnaire is cached from here on
    with statements(app) as seen:
        page = walker.client.get("/repondre/about_you")
        sent = walker.post("/repondre/about_you", {"age_band": "60_74", "shown": ["age_band"]})
        start = walker.client.get(f"/q/{link}")
    assert page.status_code == 200 and sent.status_code == 303 and start.status_code == 200
    reads = [s for s in seen if s.startswith("SELECT")]
    assert reads, "the listener saw nothing"
    # The stored XLSForm (``form_versions.source``) is only read to parse it, once per process.
    assert not [s for s in reads if "form_versions.source," in s or "form_versions.source " in s]
    # A page sent is one write of the draft.
    writes = [s for s in seen if s.startswith(("UPDATE", "INSERT", "DELETE"))]
    assert len(writes) == 1 and writes[0].startswith("UPDATE responses SET")


def test_each_resident_request_is_one_read(
    app: Flask,
    walker: Walker,
    client: FlaskClient,
    link: str,  # noqa: F811
) -> None:
    """The QR start page and a questionnaire page each read the database once.

    Before: four reads for the start page (link, form, newest version, point) and two for a
    page (the draft, then its version), each a round trip to PostgreSQL.
    """
    walker.client.get("/repondre/visit")
    with statements(app) as page_reads:
        assert walker.client.get("/repondre/about_you").status_code == 200
    app.config["PAGE_CACHE_SECONDS"] = 0  # the start page rendered each time
    with statements(app) as start_reads:
        assert app.test_client().get(f"/q/{link}").status_code == 200
    app.config["PAGE_CACHE_SECONDS"] = 60  # now kept for the next first visit
    assert app.test_client().get(f"/q/{link}").status_code == 200
    with statements(app) as cached_reads:
        assert app.test_client().get(f"/q/{link}").status_code == 200
    assert [s for s in page_reads if s.startswith("SELECT")][0].startswith("SELECT responses.")
    assert len([s for s in page_reads if s.startswith("SELECT")]) == 1
    assert len([s for s in start_reads if s.startswith("SELECT")]) == 1
    assert cached_reads == []


def test_the_start_page_still_follows_the_newest_version_and_refuses_archived(
    app: Flask,
    link: str,  # noqa: F811
) -> None:
    """The one-query start page sees what the four queries saw: no stale form or version."""
    from sqlalchemy import select

    from app.models import CollectionLink

    client = app.test_client()
    assert client.get(f"/q/{link}").status_code == 200
    assert client.get(f"/q/{link.lower()}").status_code in (200, 303)
    assert client.get("/q/zzzzzzzz").status_code == 404
    with app.app_context():
        found = db.session.scalar(select(CollectionLink).where(CollectionLink.code == link))
        assert found is not None
        found.form.archived = True
        db.session.commit()
    page = client.get(f"/q/{link}")
    assert page.status_code == 404
    assert "plus proposé" in page.get_data(as_text=True)
