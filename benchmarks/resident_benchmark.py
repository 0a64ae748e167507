"""Residents' pages per second against a bare hello-world Flask app, in the same run.

Usage: python benchmarks/resident_benchmark.py [--database-url postgresql://…/postgres]
       [--requests 1500] [--concurrency 8] [--label before|after]

Serves the app with gunicorn (2 sync workers) on SQLite and, with a URL, on a temporary
PostgreSQL database (created and dropped), then measures, with keep-alive connections:

* the QR start page (``GET /q/<code>``, a first visit: no cookie);
* a questionnaire page (``GET /repondre/visit``, a phone with a draft);
* a questionnaire page sent (``POST /repondre/about_you``, CSRF token, one draft write);
* the Pass step (``GET /pass/question``, a sitting in progress).

Each load thread is one phone: it starts its own draft and Pass sitting first. The output ends
with one Markdown table row per page: requests/s, p50/p95 ms and the ratio to hello-world,
measured right before each page (on a shared machine the load changes from minute to minute).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import Gunicorn, Result, TemporaryDatabase, get, run_load  # noqa: E402
from submissions_benchmark import Phone, prepare  # noqa: E402

TOKEN = re.compile(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
ABOUT_YOU = [("age_band", "30_44"), ("shown", "age_band"), ("shown", "gender")]


TICKS = os.sysconf("SC_CLK_TCK")


def workers_cpu_seconds(master_pid: int) -> float:
    """User + system CPU seconds used so far by the worker processes of a gunicorn master.

    On a machine shared with other work, throughput moves with everybody's load; the CPU a
    worker spends per request does not (much), so both are reported.
    """
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def cpu_load(server: Gunicorn, url: str, request, **kw) -> tuple[Result, float]:  # type: ignore[no-untyped-def]
    """run_load, plus the workers' CPU milliseconds per request."""
    pid = server.pid
    before = workers_cpu_seconds(pid)
    result = run_load(url, request, **kw)
    used = workers_cpu_seconds(pid) - before
    return result, used * 1000 / max(1, result.requests)


def _token(page: bytes) -> str:
    match = TOKEN.search(page)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1).decode()


class Phones:
    """One respondent per load thread (and per connection), set up on its first request."""

    def __init__(self, code: str) -> None:
        self.code = code
        self._local = threading.local()

    def phone(self, conn: http.client.HTTPConnection) -> tuple[Phone, str]:
        state = getattr(self._local, "state", None)
        if state is None or state[0].conn is not conn:
            phone = Phone(conn)
            _status, _loc, page = phone.request("GET", f"/q/{self.code}")
            token = _token(page)
            status, _loc, _ = phone.request("POST", f"/q/{self.code}", [("csrf_token", token)])
            assert status == 303, status
            _status, _loc, page = phone.request("GET", "/pass")
            pass_token = _token(page)
            status, _loc, _ = phone.request(
                "POST", "/pass/commencer", [("csrf_token", pass_token), ("neighbourhood", "")]
            )
            assert status == 303, status
            state = (phone, token)
            self._local.state = state
        return state


def page_get(phones: Phones, path: str):  # type: ignore[no-untyped-def]
    def send(conn: http.client.HTTPConnection, _i: int) -> int:
        phone, _token_value = phones.phone(conn)
        status, _loc, _body = phone.request("GET", path)
        return status

    return send


def page_post(phones: Phones):  # type: ignore[no-untyped-def]
    def send(conn: http.client.HTTPConnection, _i: int) -> int:
        phone, token = phones.phone(conn)
        status, _loc, _body = phone.request(
            "POST", "/repondre/about_you", [("csrf_token", token), *ABOUT_YOU]
        )
        return status

    return send


def measure(
    label: str, admin_url: str | None, args: argparse.Namespace, hello: Gunicorn
) -> list[tuple[Result, float, Result, float]]:
    """Each page's result with the hello-world result measured just before it."""
    results = []
    with tempfile.TemporaryDirectory() as directory, TemporaryDatabase(admin_url) as url:
        env, code = prepare(directory, url)
        env["MAIRIEBUS_COMPRESS"] = "0"  # bytes on the wire are measured by the browser tests
        target = "benchmarks.submissions_benchmark:bench_app()"
        with Gunicorn(target, env=env) as server:
            phones = Phones(code)
            cases = [
                ("QR start page GET", get(f"/q/{code}"), lambda s: s == 200),
                ("questionnaire page GET", page_get(phones, "/repondre/visit"), lambda s: s == 200),
                ("questionnaire page POST", page_post(phones), lambda s: s == 303),
                ("Pass step GET", page_get(phones, "/pass/question"), lambda s: s == 200),
            ]
            for name, request, ok in cases:
                run_load(server.url, request, label="warm-up", total=200, concurrency=4, ok=ok)
                # The machine's load changes: the baseline is measured right before each page.
                baseline, hello_cpu = cpu_load(
                    hello,
                    hello.url,
                    get("/"),
                    label="hello-world Flask /",
                    total=args.requests,
                    concurrency=args.concurrency,
                )
                result, cpu = cpu_load(
                    server,
                    server.url,
                    request,
                    label=f"{label}: {name}",
                    total=args.requests,
                    concurrency=args.concurrency,
                    max_seconds=120,
                    ok=ok,
                )
                print(f"{baseline.line()}  CPU {hello_cpu:.2f} ms/request", flush=True)
                print(f"{result.line()}  CPU {cpu:.2f} ms/request", flush=True)
                results.append((baseline, hello_cpu, result, cpu))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL")
    parser.add_argument("--label", default="", help="a word for the table rows (before/after)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"# {date.today()} on {platform.node()} ({os.cpu_count()} cores, load {load:.1f}), "
        f"{args.requests} requests per page, concurrency {args.concurrency}"
    )
    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.database_url:
        databases.append(("PostgreSQL", args.database_url))
    rows = []
    with Gunicorn("benchmarks.hello_app:app") as hello:
        run_load(hello.url, get("/"), label="warm-up", total=300, concurrency=4)
        for label, url in databases:
            for measured in measure(label, url, args, hello):
                rows.append((label, *measured))
    print(
        "\n| run | database | page | req/s | p95 ms | hello req/s | ratio req/s "
        "| CPU ms/req | hello CPU ms/req | ratio CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for database, baseline, hello_cpu, result, cpu in rows:
        page = result.label.split(": ", 1)[1]
        print(
            f"| {args.label} | {database} | {page} | {result.rps:.0f} "
            f"| {result.percentile(95):.1f} | {baseline.rps:.0f} | {result.rps / baseline.rps:.2f} "
            f"| {cpu:.2f} | {hello_cpu:.2f} | {hello_cpu / cpu:.2f} |"
            + (f" errors {result.errors}" if result.errors else "")
        )


if __name__ == "__main__":
    main()
