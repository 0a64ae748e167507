"""Mairie Bus pages against a bare hello-world Flask app, both under gunicorn with 2 workers.

Usage: python benchmarks/http_baseline.py [--requests N] [--concurrency C]
Prints requests per second and p50/p95/p99 latency for each, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import PYTHON_BIN, ROOT, Gunicorn, TemporaryDatabase, get, run_load  # noqa: E402


def prepare_instance(directory: str, database_url: str | None) -> dict[str, str]:
    """Migrate a fresh database and seed the demo accounts; return the server environment."""
    env = {
        "MAIRIEBUS_INSTANCE_PATH": directory,
        "SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    full = {**os.environ, **env}
    flask = str(PYTHON_BIN / "flask")
    subprocess.run(
        [flask, "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=full,
        check=True,
        capture_output=True,
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"# {date.today()} on {platform.node()} ({os.cpu_count()} cores), {database}, "
        f"{args.requests} requests, concurrency {args.concurrency}"
    )
    with tempfile.TemporaryDirectory() as directory, TemporaryDatabase(args.database_url) as url:
        env = prepare_instance(directory, url)
        with Gunicorn("benchmarks.hello_app:app") as hello:
            run_load(hello.url, get("/"), label="warm-up", total=300, concurrency=4)
            baseline = run_load(
                hello.url,
                get("/"),
                label="hello-world Flask /",
                total=args.requests,
                concurrency=args.concurrency,
            )
        with Gunicorn("wsgi:app", env=env) as mairiebus:
            run_load(mairiebus.url, get("/"), label="warm-up", total=300, concurrency=4)
            home = run_load(
                mairiebus.url,
                get("/"),
                label="Mairie Bus / (home)",
                total=args.requests,
                concurrency=args.concurrency,
            )
            health = run_load(
                mairiebus.url,
                get("/healthz"),
                label="Mairie Bus /healthz (DB)",
                total=args.requests,
                concurrency=args.concurrency,
            )
    for result in (baseline, home, health):
        print(result.line())
    print(f"ratio home/baseline throughput: {home.rps / baseline.rps:.2f}")
    print(f"ratio healthz/baseline throughput: {health.rps / baseline.rps:.2f}")


if __name__ == "__main__":
    main()
