"""Reminders: time to send N reminder emails the day before a stop, with the RQ worker.

Runs the real code path: ``notify send-due`` logic (one delivery per subscriber and stop, queued
on Redis with retries) then RQ workers (``app.queue.run_worker``, as ``flask --app wsgi worker``
runs it) sending each email through SMTP to a local aiosmtpd server on 127.0.0.1. The database
is a throwaway SQLite file, or a temporary PostgreSQL database made next to ``--database-url``
(``loadgen.TemporaryDatabase``: the database named in the URL is never touched). Redis database 6,
with a queue name of this run only, emptied after.

    .venv/bin/python benchmarks/reminders_benchmark.py --reminders 10000 --workers 1
    .venv/bin/python benchmarks/reminders_benchmark.py --reminders 10000 --workers 2 \
        --database-url postgresql://postgres@127.0.0.1:5432/test

Prints a Markdown table row: queueing time, sending time, total, emails per second.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

REDIS_URL = "redis://127.0.0.1:6379/6"
STOP_DAY = date(2027, 5, 11)


def _config(url: str, tmp: str, mail_url: str, queue: str) -> dict[str, object]:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "MAIRIEBUS_INSTANCE_PATH": str(Path(tmp) / "instance"),
        "MAIRIEBUS_BASE_URL": "https://mairiebus.example.org",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdef",
        "MAIL_URL": mail_url,
        "REDIS_URL": REDIS_URL,
        "QUEUE_NAME": queue,
    }


def _worker(config: dict[str, object]) -> None:
    """One worker process: its own app, burst mode (stops when the queue is empty)."""
    import logging

    logging.disable(logging.WARNING)
    from app import create_app
    from app.queue import run_worker

    app = create_app(config)
    with app.app_context():
        run_worker(burst=True)


def _seed(count: int) -> None:
    from sqlalchemy import insert

    from app.db import db
    from app.models.notify import Subscription
    from app.models.programme import HalfDay, Programme, ProgrammeStatus, Slot
    from app.models.surveys import Neighbourhood
    from app.services import programme as programme_svc

    themes = programme_svc.ensure_themes(db.session)
    boudeme = Neighbourhood(code="boudeme", name="Boudème")
    db.session.add(boudeme)
    programme = Programme(
        year=STOP_DAY.year, month=STOP_DAY.month, status=ProgrammeStatus.PUBLISHED
    )
    programme.slots = [
        Slot(date=STOP_DAY, half_day=HalfDay.MORNING, neighbourhood=boudeme, theme=themes["taxes"])
    ]
    db.session.add(programme)
    db.session.commit()
    now = datetime.now(UTC)
    rows = [
        {
            "email": f"habitant{i:05d}@exemple.fr",
            "token": f"bench-token-{i:05d}-{os.getpid()}",
            "neighbourhoods": ["boudeme"],
            "procedure": "income_tax_return" if i % 3 == 0 else None,
            "language": "fr",
            "created_at": now,
            "confirmed_at": now,
            "last_click_at": now,
        }
        for i in range(count)
    ]
    for start in range(0, count, 2000):
        db.session.execute(insert(Subscription), rows[start : start + 2000])
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL server URL (a temporary database is made)"
    )
    args = parser.parse_args()

    from loadgen import TemporaryDatabase
    from redis import Redis

    from app import create_app
    from app.config import database_url
    from app.db import db
    from app.queue import get_queue
    from app.services import notify
    from tests.support.smtp import SmtpServer

    queue_name = f"mairiebus-bench-{os.getpid()}"
    smtp = SmtpServer().start()
    with (
        tempfile.TemporaryDirectory(prefix="reminders-bench-") as tmp,
        TemporaryDatabase(args.database_url or None) as temporary_url,
    ):
        url = database_url(temporary_url, Path(tmp))
        # helo= spares smtplib a reverse DNS lookup (socket.getfqdn) per connection.
        config = _config(url, tmp, smtp.url + "?helo=mairiebus.example.org", queue_name)
        app = create_app(config)
        database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        connection = Redis.from_url(REDIS_URL)
        try:
            with app.app_context():
                db.drop_all()
                db.create_all()
                _seed(args.reminders)
                start = time.perf_counter()
                report = notify.send_due(db.session, STOP_DAY - timedelta(days=1))
                queued_at = time.perf_counter()
                assert report.queued == args.reminders, report
                db.session.remove()
            processes = [
                multiprocessing.get_context("fork").Process(target=_worker, args=(config,))
                for _ in range(args.workers)
            ]
            for process in processes:
                process.start()
            last_report = time.perf_counter()
            while len(smtp.sink.messages) < args.reminders:
                if not any(p.is_alive() for p in processes):
                    break
                time.sleep(0.2)
                if time.perf_counter() - last_report > 10:
                    last_report = time.perf_counter()
                    print(f"  {len(smtp.sink.messages)} / {args.reminders} sent", file=sys.stderr)
            for process in processes:
                process.join()
            done = time.perf_counter()
            sent = len(smtp.sink.messages)
            assert sent == args.reminders, f"{sent} emails received, {args.reminders} expected"
            queue_s = queued_at - start
            send_s = done - queued_at
            total = done - start
            print(
                f"| {date.today().isoformat()} | {database} | {args.reminders} | {args.workers} | "
                f"{queue_s:.1f} | {send_s:.1f} | {total:.1f} | {sent / send_s:.0f} |"
            )
        finally:
            with app.app_context():
                get_queue(connection).empty()
            for key in connection.scan_iter(f"rq:*{queue_name}*"):
                connection.delete(key)
            smtp.stop()


if __name__ == "__main__":
    main()
