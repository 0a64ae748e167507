"""Open Badges: time per badge to issue (render + sign), render, bake, and verify.

Runs the real app services on a throwaway SQLite database, or on a temporary PostgreSQL
database created next to ``--database-url`` and dropped after (``loadgen.TemporaryDatabase``:
the database named in the URL is never touched), in a temporary instance folder, issues ``--badges`` awards over every domain and level, then
verifies each baked PNG as the /verifier page does. Prints a Markdown table row per step
with the median and p95 in milliseconds.

    .venv/bin/python benchmarks/badges_benchmark.py --badges 48
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _timed(func: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = func()
    return (time.perf_counter() - start) * 1000, result


def _row(name: str, samples: list[float], database: str) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return (
        f"| {date.today().isoformat()} | {database} | {name} | {len(samples)} | "
        f"{statistics.median(samples):.1f} | {p95:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--badges", type=int, default=48, help="number of awards to issue")
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL server URL (a temporary database is made)"
    )
    args = parser.parse_args()

    from loadgen import TemporaryDatabase

    from app import create_app
    from app.config import database_url
    from app.db import db
    from app.models import Pass
    from app.services import badges as service
    from badges import baking

    with (
        tempfile.TemporaryDirectory(prefix="badges-bench-") as tmp,
        TemporaryDatabase(args.database_url or None) as temporary_url,
    ):
        url = database_url(temporary_url, Path(tmp))
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "MAIRIEBUS_INSTANCE_PATH": str(Path(tmp) / "instance"),
                "MAIRIEBUS_BASE_URL": "https://mairiebus.example.org",
                "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdef",
            }
        )
        database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        with app.app_context():
            db.drop_all()
            db.create_all()
            service.signing_key()  # created once, outside the timings
            slots = [
                (domain, level)
                for domain, _name in service.domain_choices()
                for level in range(1, service.domain_levels(domain) + 1)
            ]
            issue, render, bake, verify = [], [], [], []
            awards = []
            for index in range(args.badges):
                pass_ = Pass(code=f"BENCH{index:04d}", email=f"person{index}@example.org")
                db.session.add(pass_)
                db.session.commit()
                domain, level = slots[index % len(slots)]
                status = "validated" if index % 2 else "self_declared"
                elapsed, award = _timed(
                    lambda p=pass_, d=domain, lv=level, s=status: service.issue_award(
                        db.session, p, d, lv, s
                    )
                )
                issue.append(elapsed)
                awards.append(award)
                verify_url = service.urls().verify_page(award.uuid)
                elapsed, _png = _timed(
                    lambda d=domain, lv=level, u=verify_url: service.render_award_image(d, lv, u)
                )
                render.append(elapsed)
            for award in awards:
                elapsed, png = _timed(lambda a=award: service.baked_png(a))
                bake.append(elapsed)
                assert len(baking.unbake(png)) == 2
                elapsed, verdict = _timed(
                    lambda p=png, a=award: service.verify_data(
                        db.session, p, email=a.pass_.email if a.pass_ else None
                    )
                )
                assert verdict.valid, verdict  # type: ignore[attr-defined]
                verify.append(elapsed)
            # Status list: signed again after each revocation (cold), then served from cache.
            cold, warm = [], []
            for award in awards[: max(1, len(awards) // 2)]:
                service.revoke(db.session, award, "Mesure de performance.", by="benchmark")
                elapsed, _doc = _timed(lambda: service.status_list_document(db.session, 0))
                cold.append(elapsed)
                elapsed, _doc = _timed(lambda: service.status_list_document(db.session, 0))
                warm.append(elapsed)
            db.session.remove()
            db.engine.dispose()

    print("| date | database | step (per badge) | badges | median ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    print(_row("issue_award (render + OB 2.0 + signed OB 3.0 + save)", issue, database))
    print(_row("render_badge only (512x512 PNG with QR)", render, database))
    print(_row("bake 2.0 + 3.0 chunks", bake, database))
    print(_row("verify baked PNG (lookup, diff, signature, image, email)", verify, database))
    print(_row("status list after a revocation (query + encode + sign)", cold, database))
    print(_row("status list unchanged (query + cache)", warm, database))
    print(_full_list_row())


def _full_list_row() -> str:
    """A full list: 65,536 of 131,072 positions revoked, encoded and signed (no database)."""
    import random
    from datetime import UTC, datetime

    from badges import signing, status_list

    rng = random.Random(14)
    positions = rng.sample(range(status_list.LIST_SIZE), status_list.LIST_SIZE // 2)
    key = signing.generate_private_key()
    url = "https://mairiebus.example.org/badges/status/0.json"
    samples = []
    for _ in range(5):
        elapsed, _doc = _timed(
            lambda: signing.sign_credential(
                status_list.status_list_credential(
                    url,
                    "https://mairiebus.example.org/badges/issuer-v3.json",
                    "2026-12-02T21:00:00Z",
                    positions,
                ),
                key,
                "https://mairiebus.example.org/badges/keys/z6Mk.json",
                datetime.now(UTC),
            )
        )
        samples.append(elapsed)
    return _row("status list of 65,536 revoked: encode + sign (no DB)", samples, "—")


if __name__ == "__main__":
    main()
