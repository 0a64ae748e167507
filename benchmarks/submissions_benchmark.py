"""Questionnaire submissions per second under gunicorn (2 workers), SQLite and PostgreSQL,
against a bare hello-world Flask app in the same run; then 200 submissions at once, counted
back in the database (none may be lost or doubled).

Usage: python benchmarks/submissions_benchmark.py [--database-url postgresql://…/test]
       [--submissions 300] [--concurrency 8] [--burst 200]

One "submission" is the whole flow a phone goes through: GET the poster's page, POST start,
POST each of the 9 pages of the Mairie Bus questionnaire, POST send (12 HTTP requests, CSRF
tokens and cookies included). SQLite always runs; PostgreSQL runs when a URL is given (a
temporary database is created and dropped).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import (  # noqa: E402
    PYTHON_BIN,
    ROOT,
    Gunicorn,
    Result,
    TemporaryDatabase,
    get,
    run_load,
)

# Every page of the questionnaire with the fields it shows (so no follow-up stops the flow).
PAGES: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "visit",
        [("reason", "curiosity"), ("reason", "heard_of_it"), ("heard_how", "flyer")]
        + [("shown", "reason"), ("shown", "heard_how")],
    ),
    ("about_you", [("age_band", "30_44"), ("shown", "age_band"), ("shown", "gender")]),
    (
        "where",
        [("neighbourhood", "boudeme"), ("shown", "neighbourhood"), ("shown", "household")],
    ),
    ("needs_page", [("needs", "caf"), ("needs", "school"), ("shown", "needs")]),
    ("digital", [("equipment", "smartphone"), ("shown", "equipment"), ("shown", "confidence")]),
    ("help", [("shown", "helped_by")]),
    ("when", [("preferred_days", "wednesday"), ("shown", "preferred_days")]),
    ("where_bus", [("shown", "preferred_place"), ("shown", "wished_services")]),
    ("last_word", [("comment", "Banc d'essai"), ("shown", "comment")]),
]
REQUESTS_PER_SUBMISSION = 3 + len(PAGES)
SETUP = """
from app import create_app
from app.db import db
from app.models import Neighbourhood, PointKind
from app.services import collection as sites
app = create_app()
with app.app_context():
    db.create_all()
    db.session.add(Neighbourhood(code="boudeme", name="Boudème"))
    db.session.commit()
    sites.ensure_default_form(db.session)
    point = sites.create_point(db.session, sites.PointData("Banc d'essai", PointKind.BUS_STOP))
    print(point.links[0].code)
"""


def bench_app():  # type: ignore[no-untyped-def]
    """The app under test: one client (the load generator) may submit without limit."""
    from app import create_app

    return create_app({"COLLECT_SUBMISSIONS_PER_HOUR": 10**9, "COLLECT_STARTS_PER_HOUR": 10**9})


def prepare(directory: str, database_url: str | None) -> tuple[dict[str, str], str]:
    """Create the schema, the questionnaire and a collection point; return env and link code."""
    env = {
        "MAIRIEBUS_INSTANCE_PATH": directory,
        "SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    done = subprocess.run(
        [str(PYTHON_BIN / "python"), "-c", SETUP],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return env, done.stdout.strip().splitlines()[-1]


class Phone:
    """Cookies of one respondent across keep-alive requests."""

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None):  # type: ignore[no-untyped-def]
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.headers.get("Location", ""), data


def submission(code: str):  # type: ignore[no-untyped-def]
    """A load-generator request doing one whole questionnaire; returns 303 when accepted."""

    def send(conn: http.client.HTTPConnection, _i: int) -> int:
        phone = Phone(conn)
        status, _loc, page = phone.request("GET", f"/q/{code}")
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not match:
            return status or 599
        token = ("csrf_token", match.group(1).decode())
        status, location, _ = phone.request("POST", f"/q/{code}", [token])
        if status != 303:
            return status
        for key, fields in PAGES:
            status, location, _ = phone.request("POST", f"/repondre/{key}", [token, *fields])
            if status != 303:
                return status
        key = ("idempotency_key", secrets.token_urlsafe(24))
        status, location, _ = phone.request("POST", "/questionnaire/envoyer", [token, key])
        return status if location.endswith("/merci") else 598

    return send


def count_submitted(instance: str, database_url: str | None) -> int:
    """Submitted responses in the database, read directly (not through the app)."""
    query = "SELECT count(*) FROM responses WHERE status = 'submitted'"
    if database_url:
        import psycopg

        with psycopg.connect(database_url) as conn:
            return int(conn.execute(query).fetchone()[0])
    with sqlite3.connect(Path(instance) / "mairiebus.sqlite") as conn:
        return int(conn.execute(query).fetchone()[0])


def run_database(label: str, admin_url: str | None, args: argparse.Namespace) -> list[str]:
    """Measure one database; return result lines."""
    lines = []
    with tempfile.TemporaryDirectory() as directory, TemporaryDatabase(admin_url) as url:
        env, code = prepare(directory, url)
        target = "benchmarks.submissions_benchmark:bench_app()"
        with Gunicorn(target, env=env) as server:
            run_load(server.url, submission(code), label="warm-up", total=20, concurrency=4)
            before = count_submitted(directory, url)
            steady = run_load(
                server.url,
                submission(code),
                label=f"{label}: submissions",
                total=args.submissions,
                concurrency=args.concurrency,
                max_seconds=300,
                ok=lambda status: status == 303,
            )
            after_steady = count_submitted(directory, url)
            burst = run_load(
                server.url,
                submission(code),
                label=f"{label}: {args.burst} at once",
                total=args.burst,
                concurrency=args.burst,
                max_seconds=600,
                ok=lambda status: status == 303,
            )
            after_burst = count_submitted(directory, url)
        accepted_steady = steady.requests - steady.errors
        accepted_burst = burst.requests - burst.errors
        lines.append(steady.line())
        lines.append(
            f"{label}: {steady.rps:.1f} submissions/s = "
            f"{steady.rps * REQUESTS_PER_SUBMISSION:.0f} HTTP requests/s; "
            f"stored {after_steady - before} of {accepted_steady} accepted"
        )
        lines.append(burst.line())
        lines.append(
            f"{label}: burst of {args.burst}: accepted {accepted_burst}, "
            f"stored {after_burst - after_steady} "
            f"({'none lost' if after_burst - after_steady == accepted_burst else 'MISMATCH'})"
        )
        RESULTS.append((label, steady, burst, accepted_burst, after_burst - after_steady))
    return lines


RESULTS: list[tuple[str, Result, Result, int, int]] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--requests", type=int, default=3000, help="hello-world requests")
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL")
    args = parser.parse_args()
    print(
        f"# {date.today()} on {platform.node()} ({os.cpu_count()} cores), "
        f"{args.submissions} submissions at concurrency {args.concurrency}, burst {args.burst}"
    )
    with Gunicorn("benchmarks.hello_app:app") as hello:
        run_load(hello.url, get("/"), label="warm-up", total=300, concurrency=4)
        baseline = run_load(
            hello.url,
            get("/"),
            label="hello-world Flask /",
            total=args.requests,
            concurrency=args.concurrency,
        )
    print(baseline.line())
    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.database_url:
        databases.append(("PostgreSQL", args.database_url))
    for label, url in databases:
        for line in run_database(label, url, args):
            print(line, flush=True)
    for label, steady, _burst, accepted, stored in RESULTS:
        http_rps = steady.rps * REQUESTS_PER_SUBMISSION
        print(
            f"{label}: HTTP requests/s during submissions vs hello-world: "
            f"{http_rps / baseline.rps:.2f}; burst lost {accepted - stored}"
        )


if __name__ == "__main__":
    main()
