"""Where a resident's request spends its time: cProfile over the real app, in one process.

Usage: python benchmarks/profile_resident.py [--rounds 30] [--database-url URL] [--top 25]

Serves the QR start page, the questionnaire pages (GET and POST) and the Pass step through the
WSGI app (Flask test client, no network) on a temporary SQLite file or a temporary PostgreSQL
database, profiles them with cProfile and prints, per kind of request, the milliseconds per
request spent in each area: session cookie, Babel, Jinja rendering, SQLAlchemy, draft writes,
the survey engine (skip logic), CSRF/forms, and the rest of Flask/Werkzeug.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from werkzeug.datastructures import MultiDict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import TemporaryDatabase  # noqa: E402
from submissions_benchmark import PAGES  # noqa: E402

# Areas, first match wins, on the file path of each function (self time is attributed).
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("survey engine (skip logic, views)", ("/surveys/",)),
    ("session cookie (itsdangerous, json)", ("itsdangerous", "flask/sessions", "/json/")),
    ("Babel (locale, gettext, formats)", ("babel", "gettext")),
    ("Jinja rendering", ("jinja2", "markupsafe", "<template>", "app/templates")),
    ("SQLAlchemy + driver", ("sqlalchemy", "sqlite3", "psycopg")),
    ("CSRF + WTForms", ("flask_wtf", "wtforms", "hmac", "hashlib")),
    ("Flask-Login", ("flask_login",)),
    ("app code (views, services)", ("/app/",)),
    ("Flask + Werkzeug", ("flask", "werkzeug")),
]


def area_of(filename: str) -> str:
    for name, needles in AREAS:
        if any(n in filename for n in needles):
            return name
    return "other (stdlib, …)"


def build(database_url: str | None):  # type: ignore[no-untyped-def]
    from app import create_app
    from app.db import db
    from app.models import Neighbourhood, PointKind
    from app.services import collection as sites

    config = {
        "COLLECT_SUBMISSIONS_PER_HOUR": 10**9,
        "COLLECT_STARTS_PER_HOUR": 10**9,
        "SECRET_KEY": "profile-secret-key-0123456789abcdef",
    }
    if database_url:
        config["SQLALCHEMY_DATABASE_URI"] = database_url.replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        db.session.add(Neighbourhood(code="boudeme", name="Boudème"))
        db.session.commit()
        sites.ensure_default_form(db.session)
        point = sites.create_point(db.session, sites.PointData("Banc d'essai", PointKind.BUS_STOP))
        code = point.links[0].code
    return app, code


def token_of(body: bytes) -> str:
    match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body)
    assert match, "no CSRF token in the page"
    return match.group(1).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--top", type=int, default=0, help="also print the top N functions")
    parser.add_argument("--sort", default="tottime", help="order of the top functions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, TemporaryDatabase(args.database_url) as url:
        os.environ["MAIRIEBUS_INSTANCE_PATH"] = directory
        app, code = build(url)
        kinds: dict[str, cProfile.Profile] = defaultdict(cProfile.Profile)
        counts: dict[str, int] = defaultdict(int)
        wall: dict[str, float] = defaultdict(float)

        def call(kind: str, method: str, path: str, client, data=None):  # type: ignore[no-untyped-def]
            profile = kinds[kind]
            start = time.perf_counter()
            profile.enable()
            response = client.open(path, method=method, data=data)
            profile.disable()
            wall[kind] += time.perf_counter() - start
            counts[kind] += 1
            assert response.status_code < 400, (kind, path, response.status_code)
            return response

        for i in range(args.rounds + 3):
            warm = i < 3  # first rounds fill caches; not counted
            client = app.test_client()
            label = (lambda k: "warm-up") if warm else (lambda k: k)
            page = call(label("QR start page GET"), "GET", f"/q/{code}", client)
            token = token_of(page.data)
            call(label("start POST"), "POST", f"/q/{code}", client, {"csrf_token": token})
            for key, fields in PAGES:
                call(label("questionnaire page GET"), "GET", f"/repondre/{key}", client)
                form = MultiDict([("csrf_token", token), *fields])
                call(label("questionnaire page POST"), "POST", f"/repondre/{key}", client, form)
            pass_client = app.test_client()
            start = call(label("Pass start GET"), "GET", "/pass", pass_client)
            ptoken = token_of(start.data)
            call(
                label("Pass begin POST"),
                "POST",
                "/pass/commencer",
                pass_client,
                {"csrf_token": ptoken, "neighbourhood": ""},
            )
            call(label("Pass step GET"), "GET", "/pass/question", pass_client)
        print(f"# {'PostgreSQL' if url else 'SQLite'}, {args.rounds} rounds; ms per request")
        names = [name for name, _ in AREAS] + ["other (stdlib, …)"]
        for kind, profile in kinds.items():
            if kind == "warm-up":
                continue
            stats = pstats.Stats(profile)
            by_area: dict[str, float] = defaultdict(float)
            for (filename, _line, _func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
                by_area[area_of(filename)] += tt
            n = counts[kind]
            total = sum(by_area.values())
            parts = ", ".join(
                f"{name} {by_area[name] / n * 1000:.2f}" for name in names if by_area[name] > 0
            )
            print(
                f"{kind}: wall {wall[kind] / n * 1000:.2f} ms (profiled {total / n * 1000:.2f}); {parts}"
            )
            if args.top:
                stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
