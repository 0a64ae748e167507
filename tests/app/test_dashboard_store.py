"""The dashboard's tables and figures shared between workers through the instance folder.

Two workers are two ``DashboardCache`` objects (each gunicorn worker holds one): what the first
computes, the second reads back instead of loading every answer again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from app.db import db
from app.services import dashboard as service
from app.services.dashboard_store import DashboardStore
from tests.app.test_dashboard import (
    BASE,
    add_pass_results,
    add_response,
    seed_fixture_responses,
)

EXPECTED_KEY = {
    "responses": 20,
    "assisted": 6,
    "assisted_percent": 30.0,
    "collection_points": 2,
    "neighbourhoods": 3,
    "passes": 11,
}


@pytest.fixture
def seeded(app: Flask) -> dict[str, object]:
    """The hand-made responses and 11 real Passes of test_dashboard.py."""
    with app.app_context():
        places = seed_fixture_responses()
        add_pass_results(
            places, [("canto_perdrix", "devices", 2)] * 6 + [("ile", "devices", 3)] * 5
        )
        return places


@pytest.fixture
def shared(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Switch the shared store on (tests keep it off) in a folder of this test."""
    folder = tmp_path / "dashboard-cache"
    app.config.update(DASHBOARD_SHARED_CACHE=True, DASHBOARD_CACHE_DIR=str(folder))
    yield folder
    app.config.pop("DASHBOARD_SHARED_CACHE")
    app.config.pop("DASHBOARD_CACHE_DIR")


def _view(app: Flask, worker: service.DashboardCache, filters=BASE) -> service.DashboardData:  # type: ignore[no-untyped-def]
    with app.app_context():
        return worker.view(db.session, filters)


def test_off_in_tests_unless_asked(app: Flask) -> None:
    with app.app_context():
        assert service.shared_store() is None


def test_a_new_worker_reads_what_another_computed(app: Flask, seeded, shared: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = service.DashboardCache(), service.DashboardCache()
    computed = _view(app, first)
    assert computed.key == EXPECTED_KEY
    assert first.stats["loads"] == 1 and first.stats["computes"] == 1
    kinds = sorted(p.name.split("-")[1].removesuffix(".pickle") for p in shared.glob("*.pickle"))
    assert kinds == ["latest", "tables", "view"]

    read = _view(app, second)
    # Nothing loaded from the database, nothing computed: both come from the store.
    assert second.stats == {"loads": 0, "computes": 0, "hits": 0, "stale": 0}
    assert second.shared == {"tables": 1, "views": 1}
    assert read.key == EXPECTED_KEY
    assert read.frames["requests_by_theme"].equals(computed.frames["requests_by_theme"])
    assert [p.sentence for p in read.personas.personas] == [
        p.sentence for p in computed.personas.personas
    ]
    # The filtered wide table is derived again (it is not stored) and the map still works.
    assert len(read.wide) == 20
    assert service.needs_map(read, "caf").rows == service.needs_map(computed, "caf").rows
    # From then on the second worker serves from its own memory.
    _view(app, second)
    assert second.stats["hits"] == 1


def test_a_new_worker_catches_up_with_new_answers(app: Flask, seeded, shared: Path) -> None:  # type: ignore[no-untyped-def]
    first = service.DashboardCache()
    _view(app, first)
    with app.app_context():
        add_response(
            seeded,
            submitted_at=datetime(2025, 4, 2, 9, tzinfo=UTC),
            answers={"needs": "caf housing", "age_band": "30_44"},
        )
        db.session.commit()
    second = service.DashboardCache()
    data = _view(app, second)
    # The stored tables are older: the new worker appends the one new response to them.
    assert second.shared["tables"] == 1 and second.shared["views"] == 0
    assert second.stats["loads"] == 1 and second.stats["computes"] == 1
    with app.app_context():
        assert second.tables(db.session).appended
    assert data.key["responses"] == 21
    assert int(data.wide["needs/housing"].sum()) == 1


def test_a_damaged_file_is_only_a_miss(app: Flask, seeded, shared: Path) -> None:  # type: ignore[no-untyped-def]
    _view(app, service.DashboardCache())
    for path in shared.glob("*.pickle"):
        path.write_bytes(b"not a pickle")
    worker = service.DashboardCache()
    data = _view(app, worker)
    assert data.key == EXPECTED_KEY
    assert worker.shared == {"tables": 0, "views": 0}
    assert worker.stats["loads"] == 1 and worker.stats["computes"] == 1
    # Rewritten with good copies.
    third = service.DashboardCache()
    assert _view(app, third).key == EXPECTED_KEY
    assert third.shared == {"tables": 1, "views": 1}


@dataclass
class Tables:
    """Stands for BaseTables: the store only reads its ``version``."""

    version: str


def test_views_of_older_data_are_removed(tmp_path: Path) -> None:
    store = DashboardStore(tmp_path, "sqlite:///one.sqlite")
    other_database = DashboardStore(tmp_path, "sqlite:///two.sqlite")

    store.save_view("v1", ("v1", "all"), {"figures": 1})
    other_database.save_view("v1", ("v1", "all"), {"figures": 2})
    assert store.load_view("v1", ("v1", "all")) == {"figures": 1}
    store.save_tables(Tables("v2"))
    assert store.load_view("v1", ("v1", "all")) is None
    # Another database's files are left alone.
    assert other_database.load_view("v1", ("v1", "all")) == {"figures": 2}
    assert store.load_tables().version == "v2"
    store.clear()
    assert store.load_tables() is None
    assert other_database.load_view("v1", ("v1", "all")) == {"figures": 2}


def test_a_new_worker_shows_older_figures_while_computing(app: Flask, seeded, shared: Path) -> None:  # type: ignore[no-untyped-def]
    _view(app, service.DashboardCache())
    with app.app_context():
        add_response(seeded, submitted_at=datetime(2025, 4, 2, 9, tzinfo=UTC))
        db.session.commit()
    worker = service.DashboardCache()
    with app.app_context():
        # The dashboard page does not wait: the figures of the 20 responses, said to be
        # updating, while those of the 21 are computed in the background.
        shown = worker.view(db.session, BASE, wait=False)
        assert shown.refreshing and shown.key["responses"] == 20
        worker.wait_idle()
        current = worker.view(db.session, BASE, wait=False)
    assert not current.refreshing and current.key["responses"] == 21
    assert worker.stats["stale"] == 1 and worker.stats["computes"] == 1
    # Exports and the CLI wait for the current figures.
    third = service.DashboardCache()
    assert _view(app, third).key["responses"] == 21


def test_cli_warm_prepares_the_first_page(app: Flask, runner, seeded, shared: Path) -> None:  # type: ignore[no-untyped-def]
    service.cache().clear()
    result = runner.invoke(args=["dashboard", "warm"])
    assert result.exit_code == 0, result.output
    # The 20 mairiebus responses, the demo one and the other form's one: 22 sent, the
    # dashboard opens on real answers of every form (21).
    assert "22 réponses envoyées." in result.output
    assert "21 réponses comptées" in result.output
    # A worker started afterwards serves the first page from the store.
    worker = service.DashboardCache()
    with app.app_context():
        filters = service.DashboardFilters(demo=service.default_demo_choice(db.session))
        data = worker.view(db.session, filters)
    assert worker.shared == {"tables": 1, "views": 1} and worker.stats["computes"] == 0
    assert data.key["responses"] == 21
    service.cache().clear()


def test_cli_warm_says_when_sharing_is_off(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["dashboard", "warm"])
    assert result.exit_code != 0
    assert "désactivé" in result.output


def test_tables_stored_with_another_text_storage_are_not_read(tmp_path: Path) -> None:
    # Tables pickled before text columns moved to Arrow (or after a move back) would keep the
    # old storage for every answer appended to them: a worker builds its tables afresh instead.
    import pandas as pd

    previous = pd.get_option("mode.string_storage")
    try:
        pd.set_option("mode.string_storage", "python")
        DashboardStore(tmp_path, "sqlite:///one.sqlite").save_tables(Tables("v1"))
        assert DashboardStore(tmp_path, "sqlite:///one.sqlite").load_tables().version == "v1"
        pd.set_option("mode.string_storage", "pyarrow")
        assert DashboardStore(tmp_path, "sqlite:///one.sqlite").load_tables() is None
    finally:
        pd.set_option("mode.string_storage", previous)
