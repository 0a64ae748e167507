"""Faults under load: about 200 questionnaire submissions while a gunicorn worker is killed
(SIGKILL), a PostgreSQL of this script's own is restarted and a Redis of its own is stopped.

Usage: python benchmarks/faults.py [--submissions 200] [--concurrency 6] [--workers 3]

Reports accepted vs stored submissions, duplicates, lost ones, 5xx answers per phase and the
recovery time after each fault. Everything runs on 127.0.0.1: the PostgreSQL cluster (initdb in
a temporary folder, through ``runuser -u postgres`` when run as root) and the Redis server are
started on free ports for the run and removed after; the machine's own servers are untouched.

A phone here behaves like a patient person: when a page answers 503 (the French "réessayez
dans quelques secondes") or the connection drops, it tries the same step again a little later,
with the same idempotency key for the final "send", so a retried send is never stored twice.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import PYTHON_BIN, ROOT  # noqa: E402
from submissions_benchmark import PAGES  # noqa: E402

from tests.support.servers import PostgresServer, RedisServer, free_port, wait_until  # noqa: E402

SETUP = """
from app import create_app
from app.db import db
from app.models import Neighbourhood, PointKind
from app.services import collection as sites
app = create_app()
with app.app_context():
    db.session.add(Neighbourhood(code="boudeme", name="Boudème"))
    db.session.commit()
    sites.ensure_default_form(db.session)
    point = sites.create_point(db.session, sites.PointData("Banc d'essai", PointKind.BUS_STOP))
    print(point.links[0].code)
"""
RETRY_STATUSES = {502, 503, 504}


@dataclass
class Ledger:
    """What every phone saw, by phase; shared by the threads."""

    phase: str = "normal"
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # connections lost, by phase
    accepted: set[str] = field(default_factory=set)
    abandoned: int = 0
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, status: int) -> None:
        with self.lock:
            self.statuses[(self.phase, status)] += 1

    def drop(self) -> None:
        with self.lock:
            self.dropped[self.phase] += 1


class Phone:
    """One respondent: cookies, a keep-alive connection re-opened when it drops, retries."""

    def __init__(self, port: int, ledger: Ledger, patience: float) -> None:
        self.port = port
        self.ledger = ledger
        self.patience = patience
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def _once(self, method: str, path: str, form: list[tuple[str, str]] | None):  # type: ignore[no-untyped-def]
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
            if "Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.headers.get("Location", ""), data

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + self.patience
        delay = 0.2
        while True:
            try:
                status, location, data = self._once(method, path, form)
            except (OSError, http.client.HTTPException):
                self.ledger.drop()
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            else:
                self.ledger.saw(status)
                if status not in RETRY_STATUSES:
                    return status, location, data
            if time.monotonic() > deadline:
                return 599, "", b""
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)


def submit(port: int, code: str, ledger: Ledger, patience: float) -> None:
    """The whole questionnaire, as a phone does it; records the key when the send is accepted."""
    phone = Phone(port, ledger, patience)
    key = secrets.token_urlsafe(24)
    try:
        status, _loc, page = phone.request("GET", f"/q/{code}")
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not match:
            raise RuntimeError(status)
        token = ("csrf_token", match.group(1).decode())
        status, _loc, _ = phone.request("POST", f"/q/{code}", [token])
        if status != 303:
            raise RuntimeError(status)
        for page_key, fields in PAGES:
            status, _loc, _ = phone.request("POST", f"/repondre/{page_key}", [token, *fields])
            if status != 303:
                raise RuntimeError(status)
        status, location, _ = phone.request(
            "POST", "/questionnaire/envoyer", [token, ("idempotency_key", key)]
        )
        if status != 303 or not location.endswith("/merci"):
            raise RuntimeError(status)
        with ledger.lock:
            ledger.accepted.add(key)
    except RuntimeError:
        with ledger.lock:
            ledger.abandoned += 1
    finally:
        phone.conn.close()
        with ledger.lock:
            ledger.done += 1


def health(port: int) -> dict[str, object] | None:
    import json

    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        body = json.loads(response.read() or b"{}")
        conn.close()
        return {"status_code": response.status, **body}
    except (OSError, http.client.HTTPException, ValueError):
        return None


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def run(args: argparse.Namespace) -> dict[str, object]:
    results: dict[str, object] = {}
    postgres = PostgresServer()
    redis = RedisServer()
    gunicorn: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory() as instance:
        try:
            postgres.init()
            postgres.start()
            redis.start()
            env = {
                **os.environ,
                "DATABASE_URL": postgres.url,
                "RATELIMIT_STORAGE_URI": redis.url,
                "MAIRIEBUS_INSTANCE_PATH": instance,
                "SECRET_KEY": "faults-benchmark-secret-" + secrets.token_hex(16),
                "COLLECT_SUBMISSIONS_PER_HOUR": str(10**9),
                "COLLECT_STARTS_PER_HOUR": str(10**9),
            }
            flask = [str(PYTHON_BIN / "python"), "-m", "flask", "--app", "wsgi"]
            subprocess.run(
                [*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
            )
            code = subprocess.run(
                [str(PYTHON_BIN / "python"), "-c", SETUP],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()[-1]
            port = free_port()
            gunicorn = subprocess.Popen(
                [
                    str(PYTHON_BIN / "gunicorn"),
                    "--workers",
                    str(args.workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "error",
                    "--chdir",
                    str(ROOT),
                    "wsgi:app",
                ],
                env=env,
                start_new_session=True,
            )
            master = gunicorn.pid
            wait_until(lambda: (health(port) or {}).get("status") == "ok", "the app to answer")
            wait_until(lambda: len(workers_of(master)) == args.workers, "every worker")

            ledger = Ledger()
            started = time.monotonic()
            total = args.submissions
            pool = ThreadPoolExecutor(max_workers=args.concurrency)
            futures = [pool.submit(submit, port, code, ledger, args.patience) for _ in range(total)]

            def reach(fraction: float) -> None:
                wait_until(lambda: ledger.done >= fraction * total, f"{fraction:.0%} done", 900)

            # 1. SIGKILL one worker; gunicorn's master starts a new one.
            reach(0.2)
            ledger.phase = "worker killed"
            victim = workers_of(master)[0]
            moment = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            wait_until(
                lambda: (
                    victim not in workers_of(master) and len(workers_of(master)) == args.workers
                ),
                "a new worker",
            )
            results["worker_recovery_s"] = time.monotonic() - moment
            reach(0.35)

            # 2. Restart PostgreSQL (fast shutdown: open connections are cut).
            ledger.phase = "PostgreSQL restart"
            moment = time.monotonic()
            postgres.restart()
            wait_until(lambda: (health(port) or {}).get("database") == "ok", "the database back")
            results["postgres_recovery_s"] = time.monotonic() - moment
            reach(0.55)

            # 3. Stop Redis while submissions go on; start it again later.
            ledger.phase = "Redis outage"
            moment = time.monotonic()
            redis.stop()
            outage_from = ledger.done
            wait_until(
                lambda: ledger.done >= min(total, outage_from + args.redis_outage_submissions),
                "submissions during the Redis outage",
                900,
            )
            results["redis_outage_submissions"] = ledger.done - outage_from
            results["redis_outage_s"] = time.monotonic() - moment
            redis.start()
            moment = time.monotonic()
            wait_until(lambda: (health(port) or {}).get("redis") == "ok", "Redis back")
            results["redis_recovery_s"] = time.monotonic() - moment
            ledger.phase = "normal (after)"
            for future in futures:
                future.result()
            pool.shutdown()
            results["seconds"] = time.monotonic() - started

            import psycopg

            with psycopg.connect(postgres.url) as conn:
                rows = conn.execute(
                    "SELECT idempotency_key FROM responses WHERE status = 'submitted'"
                ).fetchall()
            keys = [row[0] for row in rows]
            stored = set(keys)
            results.update(
                submissions=total,
                accepted=len(ledger.accepted),
                abandoned=ledger.abandoned,
                stored=len(keys),
                duplicates=len(keys) - len(stored),
                lost=len(ledger.accepted - stored),
                stored_unconfirmed=len(stored - ledger.accepted),
                statuses=dict(ledger.statuses),
                dropped=dict(ledger.dropped),
            )
        finally:
            if gunicorn is not None and gunicorn.poll() is None:
                os.killpg(gunicorn.pid, signal.SIGTERM)
                gunicorn.wait(timeout=30)
            redis.stop()
            postgres.cleanup()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--redis-outage-submissions", type=int, default=40)
    parser.add_argument("--patience", type=float, default=60.0, help="seconds a phone retries")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"# {date.today()} on {platform.node()} ({os.cpu_count()} cores, load {load:.1f}), "
        f"{args.submissions} submissions, concurrency {args.concurrency}, "
        f"{args.workers} gunicorn workers"
    )
    results = run(args)
    statuses: dict[tuple[str, int], int] = results.pop("statuses")  # type: ignore[assignment]
    dropped: dict[str, int] = results.pop("dropped")  # type: ignore[assignment]
    for key, value in results.items():
        print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
    phases = sorted({phase for phase, _status in statuses} | set(dropped))
    print("phase | requests | 5xx | 503 | dropped connections")
    for phase in phases:
        requests = sum(n for (p, _s), n in statuses.items() if p == phase)
        fives = sum(n for (p, s), n in statuses.items() if p == phase and s >= 500)
        busy = statuses.get((phase, 503), 0)
        print(f"{phase} | {requests} | {fives} | {busy} | {dropped.get(phase, 0)}")


if __name__ == "__main__":
    main()
