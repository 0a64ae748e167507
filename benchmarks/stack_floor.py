"""How close the product card's stack itself can come to hello-world on a stateful page.

Usage: python benchmarks/stack_floor.py [--requests 1500] [--concurrency 8]
       [--database-url postgresql://…/postgres]

Serves ``stack_floor_app.py`` with gunicorn (2 sync workers, as ``resident_benchmark.py``) and
measures, with one visitor's session cookie and keep-alive connections, each layer a page of a
person with a draft cannot do without: the signed session cookie, one ORM query by key, a small
Jinja page with Babel labels and a CSRF token. Each is compared with ``/hello`` of the same
server measured right before it, in requests per second and in the workers' CPU per request.
The last row is the ceiling for the residents' pages with a draft or a Pass sitting (issue 17:
0.4x hello-world asked).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import Gunicorn, TemporaryDatabase, get, run_load  # noqa: E402
from resident_benchmark import cpu_load  # noqa: E402


def with_cookie(path: str, cookie: str):  # type: ignore[no-untyped-def]
    def send(conn: http.client.HTTPConnection, _i: int) -> int:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        response.read()
        return response.status

    return send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL")
    args = parser.parse_args()
    print(
        f"# {date.today()} on {platform.node()} ({os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}), {args.requests} requests per route, "
        f"concurrency {args.concurrency}"
    )
    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.database_url:
        databases.append(("PostgreSQL", args.database_url))
    rows = []
    for database, admin_url in databases:
        rows += _measure(database, admin_url, args)
    print(
        "\n| database | layer | req/s | hello req/s | ratio req/s | CPU ms/req | hello CPU ms/req |"
    )
    print("|---|---|---|---|---|---|---|")
    for database, name, baseline, hello_cpu, result, cpu in rows:
        print(
            f"| {database} | {name} | {result.rps:.0f} | {baseline.rps:.0f} | "
            f"{result.rps / baseline.rps:.2f} | {cpu:.2f} | {hello_cpu:.2f} |"
            + (f" errors {result.errors}" if result.errors else "")
        )


def _measure(database: str, admin_url: str | None, args: argparse.Namespace) -> list[tuple]:  # type: ignore[type-arg]
    rows = []
    with tempfile.TemporaryDirectory() as folder, TemporaryDatabase(admin_url) as url:
        env = {"STACK_FLOOR_DIR": folder}
        if url:
            env["STACK_FLOOR_DATABASE_URL"] = url.replace("postgresql://", "postgresql+psycopg://")
        with Gunicorn("benchmarks.stack_floor_app:app", env=env) as server:
            port = int(server.url.rsplit(":", 1)[1])
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/start")
            response = conn.getresponse()
            response.read()
            cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
            conn.close()
            assert cookie.startswith("session="), cookie
            routes = [
                ("signed session cookie", "/session"),
                ("+ one ORM query by key", "/query"),
                ("+ Jinja page, Babel, CSRF token", "/page"),
                ("query + draft written and committed, 303", "/write"),
            ]
            for name, path in routes:
                request = with_cookie(path, cookie)
                run_load(server.url, request, label="warm-up", total=200, concurrency=4)
                baseline, hello_cpu = cpu_load(
                    server,
                    server.url,
                    get("/hello"),
                    label="hello-world /hello",
                    total=args.requests,
                    concurrency=args.concurrency,
                )
                result, cpu = cpu_load(
                    server,
                    server.url,
                    request,
                    label=f"{database}: {name}",
                    total=args.requests,
                    concurrency=args.concurrency,
                    ok=lambda status: status in (200, 303),
                )
                print(f"{baseline.line()}  CPU {hello_cpu:.2f} ms/request", flush=True)
                print(f"{result.line()}  CPU {cpu:.2f} ms/request", flush=True)
                rows.append((database, name, baseline, hello_cpu, result, cpu))
    return rows


if __name__ == "__main__":
    main()
