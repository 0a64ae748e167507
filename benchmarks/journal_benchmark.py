"""The aidants' logbook at a busy year's size: dashboard figures, exports, erasure, planner input.

Usage: python benchmarks/journal_benchmark.py [--visits N] [--runs R]

A temporary SQLite file receives N synthetic visits (default 20,000: about 80 a day on 250 bus
days, several times what one bus sees), one in six referred, one in four with a consented
contact, inserted with SQLAlchemy Core executemany. Each step then runs R times through the
services the views and the CLI use (app/services/journal.py); the median and the worst run are
reported, with the process's peak resident memory at the end.
"""

from __future__ import annotations

import argparse
import platform
import random
import resource
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _seed(app: Any, count: int) -> None:
    from sqlalchemy import insert

    from app.db import db
    from app.models.journal import Referent, Referral, Visit
    from app.models.surveys import Neighbourhood
    from surveys import journal as domain

    rng = random.Random(15)
    with app.app_context():
        db.create_all()
        places = [Neighbourhood(code=f"q{n}", name=f"Quartier {n}") for n in range(12)]
        referent = Referent(name="Référente CAF", email="caf@example.net")
        db.session.add_all([*places, referent])
        db.session.commit()
        start = date.today() - timedelta(days=365)
        visits, referrals = [], []
        for number in range(1, count + 1):
            day = start + timedelta(days=rng.randrange(365))
            procedures = rng.sample(domain.PROCEDURE_CODES, rng.choice([1, 1, 2]))
            outcome = rng.choices(domain.OUTCOMES, weights=[50, 25, 16, 9])[0]
            contact = rng.random() < 0.25
            visits.append(
                {
                    "id": number,
                    "idempotency_key": secrets.token_urlsafe(18),
                    "day": day,
                    "place_neighbourhood_id": rng.choice(places).id,
                    "neighbourhood_id": rng.choice(places).id,
                    "procedures": procedures,
                    "themes": domain.visit_themes(procedures),
                    "outcome": outcome,
                    "minutes": rng.choice(domain.MINUTES),
                    "note": "",
                    "contact_consent": contact,
                    "first_name": "Nadia" if contact else "",
                    "phone": "06 39 98 00 00" if contact else "",
                    "email": "",
                    "is_demo": False,
                    "created_at": datetime.combine(day, datetime.min.time(), UTC),
                    "updated_at": datetime.combine(day, datetime.min.time(), UTC),
                }
            )
            if outcome == "referred":
                created = datetime.combine(day, datetime.min.time(), UTC)
                closed = (
                    created + timedelta(days=rng.randint(1, 20)) if rng.random() < 0.8 else None
                )
                referrals.append(
                    {
                        "reference": f"OR-{number:06d}",
                        "visit_id": number,
                        "referent_id": referent.id,
                        "kind": "email",
                        "status": "solved" if closed else "open",
                        "need": "CAF",
                        "created_at": created,
                        "closed_at": closed,
                        "email_error": "",
                        "is_demo": False,
                    }
                )
        db.session.execute(insert(Visit), visits)
        db.session.execute(insert(Referral), referrals)
        db.session.commit()


def _time(label: str, runs: int, step: Any, rows: list[tuple[str, float, float]]) -> None:
    times = []
    for _run in range(runs):
        began = time.perf_counter()
        step()
        times.append((time.perf_counter() - began) * 1000)
    rows.append((label, statistics.median(times), max(times)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from app import create_app
    from app.db import db
    from app.services import journal as svc

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                "MAIRIEBUS_INSTANCE_PATH": folder,
                "SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
            }
        )
        began = time.perf_counter()
        _seed(app, args.visits)
        print(f"seeded {args.visits} visits in {time.perf_counter() - began:.1f} s")
        rows: list[tuple[str, float, float]] = []
        today = date.today()
        month_start, month_end = svc.month_range(today.year, today.month)
        with app.test_request_context():
            session = db.session
            _time("dashboard figures, whole year", args.runs, lambda: svc.figures(session), rows)
            _time(
                "dashboard figures, one month",
                args.runs,
                lambda: svc.figures(session, month_start, month_end),
                rows,
            )
            _time(
                "day view query (one day)", args.runs, lambda: svc.day_visits(session, today), rows
            )
            _time("follow-ups (open referrals)", args.runs, lambda: svc.follow_ups(session), rows)
            _time(
                "planner input (logbook demand)",
                args.runs,
                lambda: svc.logbook_demand(session, "neighbourhood"),
                rows,
            )
            _time(
                "export one month, xlsx",
                args.runs,
                lambda: svc.export_bytes(svc.export_rows(session, month_start, month_end), "xlsx"),
                rows,
            )
            _time(
                "export whole year, csv",
                1,
                lambda: svc.export_bytes(
                    svc.export_rows(session, today - timedelta(days=366), today), "csv"
                ),
                rows,
            )
            _time(
                "erase expired contacts (first pass)",
                1,
                lambda: svc.erase_expired_contacts(session),
                rows,
            )
            _time(
                "erase expired contacts (nothing left)",
                args.runs,
                lambda: svc.erase_expired_contacts(session),
                rows,
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"Python {platform.python_version()}, {args.visits} visits, SQLite")
        print("| step | median ms | worst ms |")
        print("|---|---|---|")
        for label, median, worst in rows:
            print(f"| {label} | {median:.0f} | {worst:.0f} |")
        print(f"peak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
