"""Where a dashboard filter nobody asked for yet spends its time (issue 17).

Seeds a SQLite database with the synthetic answers of `dashboard_benchmark.py` (kept in
`--keep` between runs, since seeding 100,000 responses takes a minute), loads the base tables
once, computes the default view (as a worker that already served a page has), then for each
filter times every part of `dashboard.compute` separately and, with `--cprofile`, prints the
functions that took the most time.

    .venv/bin/python benchmarks/profile_dashboard.py --responses 100000 [--cprofile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

FILTERS = (
    "neighbourhood=boudeme",
    "channel=assisted",
    "neighbourhood=jonquieres&channel=self",
    "start=2026-01-01&end=2026-06-30",
    "point=auchan&demo=all",
    "demo=all",
    "channel=self&demo=all",
)


def _filters(query: str):  # type: ignore[no-untyped-def]
    from datetime import date

    from app.services.dashboard import DashboardFilters

    names = {"point": "collection_point", "form": "form_id"}
    values: dict[str, object] = {}
    for pair in query.split("&"):
        name, value = pair.split("=")
        key = names.get(name, name)
        values[key] = date.fromisoformat(value) if key in ("start", "end") else value
    return DashboardFilters(**values)  # type: ignore[arg-type]


def _parts(tables, filters, places) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The steps of dashboard.compute, each timed on its own."""
    from app.services import dashboard as D

    A, C, P, W = D.A, D.C, D.P, D.W
    times: dict[str, float] = {}

    def timed(name, action):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = action()
        times[name] = time.perf_counter() - start
        return result

    criteria = filters.analytics()
    wide = timed("filter wide table", lambda: D._filter_wide(tables.wide, criteria))
    timed("pass figures", lambda: D._pass_figures(tables, filters, criteria))
    names = places.point_names
    timed("requests by theme", lambda: A.requests_by_theme(wide))
    timed("how heard", lambda: A.how_heard(wide))
    timed("expectations", lambda: A.expectations(wide))
    timed("age by neighbourhood", lambda: A.age_by_neighbourhood(wide))
    timed("answers over time", lambda: A.answers_over_time(wide, "month"))
    timed("typical profile", lambda: A.most_frequent_profile(wide, point_names=names))
    timed(
        "typical profile per point",
        lambda: A.most_frequent_profile(wide, "collection_point", point_names=names),
    )
    timed(
        "typical profile per neighbourhood",
        lambda: A.most_frequent_profile(wide, "neighbourhood"),
    )
    words = timed(
        "word cloud",
        lambda: W.word_frequencies(tables.free_text, response_ids=wide["response_id"]),
    )
    timed("word cloud chart", lambda: W.word_cloud(words))
    timed("personas", lambda: P.find_personas(wide, point_names=names))
    timed(
        "needs map",
        lambda: D.M.needs_map(wide, places.map_places(), theme=None, town=D.M.load_town()),
    )
    del C
    return times


def _pages(app, profile: bool, new_worker: bool = False) -> int:  # type: ignore[no-untyped-def]
    """Each filter's whole page, as the coordinator's browser asks for it."""
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": "benchmark-password"})
    start = time.perf_counter()
    assert client.get("/dashboard").status_code == 200
    print(f"first page {time.perf_counter() - start:.3f} s")
    if new_worker:
        # As dashboard_benchmark.py: a new worker, its tables read back from the shared store.
        from app.services import dashboard as D

        D.cache().clear()
        start = time.perf_counter()
        assert client.get("/dashboard").status_code == 200
        print(f"new worker's first page {time.perf_counter() - start:.3f} s")
    for query in FILTERS:
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
        start = time.perf_counter()
        response = client.get("/dashboard?" + query)
        seconds = time.perf_counter() - start
        if profile:
            profiler.disable()
        assert response.status_code == 200, response.status_code
        print(f"\n?{query}: page {seconds:.3f} s, {len(response.data):,} bytes")
        if profile:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
            print(out.getvalue())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--keep", default="/tmp/mairiebus-dashboard-profile.sqlite")
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument(
        "--new-worker",
        action="store_true",
        help="with --page: the filters asked of a new worker (tables from the shared store)",
    )
    parser.add_argument(
        "--page",
        action="store_true",
        help="profile the whole /dashboard request (rendering and shared store included)",
    )
    args = parser.parse_args(argv)

    from app import create_app
    from app.config import database_url as to_sqlalchemy
    from app.db import db
    from app.services import dashboard as D
    from benchmarks.dashboard_benchmark import seed_database, synthetic_frames

    keep = Path(args.keep)
    work = Path(tempfile.mkdtemp(prefix="dashboard-profile-"))
    fresh = not keep.exists()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghijklmnop",
            "SQLALCHEMY_DATABASE_URI": to_sqlalchemy(f"sqlite:///{keep}", work),
            "MAIRIEBUS_INSTANCE_PATH": str(work / "instance"),
            "RATELIMIT_STORAGE_URI": None,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "DASHBOARD_SHARED_CACHE": True,
        }
    )
    with app.app_context():
        if fresh:
            db.create_all()
            print(f"seeding {args.responses:,} responses into {keep}…", flush=True)
            seed_database(app, synthetic_frames(args.responses))
        from app.models import User
        from app.services.accounts import create_user

        if db.session.query(User).filter_by(email="bench@example.org").first() is None:
            create_user(db.session, "bench@example.org", "benchmark-password", "coordinator")
        if args.page:
            return _pages(app, args.cprofile, args.new_worker)
        tables = D.build_tables(db.session)
        places = D.load_places(db.session)
        print(f"{len(tables.wide):,} responses in the wide table", flush=True)
        D.compute(tables, D.DashboardFilters(), places)  # the worker's first page
        for query in FILTERS:
            filters = _filters(query)
            # Each filter new to this worker: the Pass figures memo starts empty each time.
            tables.pass_figures = {}
            start, cpu = time.perf_counter(), time.process_time()
            if args.cprofile:
                profiler = cProfile.Profile()
                profiler.enable()
            D.compute(tables, filters, places)
            if args.cprofile:
                profiler.disable()
            total, cpu = time.perf_counter() - start, time.process_time() - cpu
            tables.pass_figures = {}
            parts = _parts(tables, filters, places)
            # CPU counts every thread of the process (numpy's BLAS threads included).
            print(f"\n?{query}: compute {total:.3f} s, CPU {cpu:.3f} s; parts:")
            for name, seconds in sorted(parts.items(), key=lambda item: -item[1]):
                print(f"  {name:<36} {seconds:7.3f} s")
            if args.cprofile:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
                print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
