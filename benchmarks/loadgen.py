"""A small bounded HTTP load generator for loopback benchmarks.

Threads with keep-alive connections send a fixed number of requests (and stop at a time cap),
recording each latency. Only 127.0.0.1 is ever targeted.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON_BIN = Path(sys.executable).parent


@dataclass
class Result:
    """Throughput and latency percentiles of one load run."""

    label: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]

    def line(self) -> str:
        return (
            f"{self.label:<28} {self.rps:8.1f} req/s  p50 {self.percentile(50):6.1f} ms  "
            f"p95 {self.percentile(95):6.1f} ms  p99 {self.percentile(99):6.1f} ms  "
            f"errors {self.errors}/{self.requests}"
        )


Request = Callable[[http.client.HTTPConnection, int], int]


def get(path: str) -> Request:
    """A request function doing GET ``path``; returns the status."""

    def send(conn: http.client.HTTPConnection, _i: int) -> int:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status

    return send


def run_load(
    base_url: str,
    request: Request,
    *,
    label: str,
    total: int = 2000,
    concurrency: int = 8,
    max_seconds: float = 30.0,
    ok: Callable[[int], bool] = lambda status: status < 400,
) -> Result:
    """Send ``total`` requests with ``concurrency`` threads, stopping at ``max_seconds``."""
    parts = urlsplit(base_url)
    assert parts.hostname in ("127.0.0.1", "localhost"), "benchmarks only target loopback"
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            start = time.perf_counter()
            try:
                status = request(conn, i)
                good = ok(status)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                good = False
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                if not good:
                    errors += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return Result(label, len(latencies), errors, seconds, latencies)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """Run ``gunicorn`` with 2 workers on a free loopback port for the duration of a block."""

    def __init__(self, target: str, env: dict[str, str] | None = None, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._cmd = [
            str(PYTHON_BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
            target,
        ]
        self._env = {**os.environ, **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        self._process = subprocess.Popen(self._cmd, env=self._env, start_new_session=True)
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not start: {' '.join(self._cmd)}")

    @property
    def pid(self) -> int:
        """The master's process id (the workers are its children)."""
        assert self._process is not None
        return self._process.pid

    def __exit__(self, *_exc: object) -> None:
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            self._process.wait(timeout=20)


def summary(results: list[Result]) -> str:
    return "\n".join(result.line() for result in results)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class TemporaryDatabase:
    """A fresh PostgreSQL database cloned from nothing for one benchmark run, dropped after.

    For SQLite (``url`` None) the app's default file in the instance folder is used.
    """

    def __init__(self, url: str | None) -> None:
        self._admin_url = url
        self.url: str | None = None
        self._name = f"mairiebus_bench_{os.getpid()}"

    def __enter__(self) -> str | None:
        if not self._admin_url:
            return None
        self._psql(f'CREATE DATABASE "{self._name}"')
        self.url = self._admin_url.rsplit("/", 1)[0] + "/" + self._name
        return self.url

    def __exit__(self, *_exc: object) -> None:
        if self.url:
            self._psql(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')

    def _psql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(sql)
