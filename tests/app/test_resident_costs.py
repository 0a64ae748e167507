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
