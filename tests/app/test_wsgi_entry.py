"""The production entry point (``gunicorn wsgi:app``) and the process settings it makes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What a worker ends up with: the variable, and the BLAS threads numpy actually started
# (threadpoolctl asks the loaded library itself, so numpy loaded too early would show).
PROBE = (
    "import os, wsgi, numpy\n"
    "from threadpoolctl import threadpool_info\n"
    "blas = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
    "print(os.environ['OPENBLAS_NUM_THREADS'], max(blas))\n"
)


def _threads_seen_by_a_worker(**extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env.update(extra)
    env.setdefault("SECRET_KEY", "wsgi-entry-test-secret-key-0123456789")
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


def test_workers_use_one_blas_thread_unless_told_otherwise(tmp_path: Path) -> None:
    instance = {"MAIRIEBUS_INSTANCE_PATH": str(tmp_path)}
    assert _threads_seen_by_a_worker(**instance) == "1 1"
    told = _threads_seen_by_a_worker(OPENBLAS_NUM_THREADS="2", **instance)
    assert told.split()[0] == "2"
