"""Export 100,000 submitted Mairie Bus responses to CSV and XLSX: wall time and peak memory.

Usage: python benchmarks/export_benchmark.py [--responses N] [--database-url URL]

Synthetic responses to the shipped questionnaire (surveys/forms/mairiebus.xlsx) are inserted
with SQLAlchemy Core executemany into a temporary SQLite file, or into a temporary PostgreSQL
database created (and dropped) next to ``--database-url``. Each export then runs in a fresh
child process through the same service the CLI and the web use (app.services.exports); the
child reports its own peak resident memory (getrusage ru_maxrss), which includes Python, Flask,
SQLAlchemy, pyxform and openpyxl themselves. The issue's limit is 200 MB peak.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MAIRIEBUS = ROOT / "surveys" / "forms" / "mairiebus.xlsx"
LIMIT_MB = 200
BATCH = 5000
NEIGHBOURHOODS = (
    "canto_perdrix boudeme mas_de_pouane ferrieres jonquieres ile croix_sainte "
    "notre_dame_des_marins paradis_saint_roch carro la_couronne lavera saint_pierre"
).split()
COMMENTS = (
    "Merci pour le bus, c'est pratique.",
    "J'aimerais de l'aide pour la CAF.",
    "Venez plus souvent le samedi matin, s'il vous plaît.",
    "Je ne sais pas utiliser l'ordinateur, mais je veux apprendre.",
)


def make_app(url: str, instance: str) -> Any:
    """The Mairie Bus app on the benchmark's database."""
    from app import create_app
    from app.config import database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(url, Path(instance)),
            "MAIRIEBUS_INSTANCE_PATH": instance,
            "SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
        }
    )


# --------------------------------------------------------------------------- seeding


def _answers(definition: Any, rng: random.Random, day: date) -> list[tuple[str, str]]:
    """One synthetic response: plausible answers to every question, skip logic respected."""
    answers: list[tuple[str, str]] = [("start", f"{day}T10:00:00+00:00"), ("today", str(day))]
    for question in definition.walk():
        if question.is_container or question.list_name is None:
            continue
        codes = definition.choice_lists[question.list_name].codes()
        if question.type == "select_one":
            if question.name == "gender" and rng.random() < 0.2:
                continue  # optional
            answers.append((question.name, rng.choice(codes)))
        elif question.type == "select_multiple":
            if question.name == "heard_how":
                reason = dict(answers).get("reason", "")
                if "heard_of_it" not in reason.split():
                    continue
            picked = set(rng.sample(codes, k=rng.randint(1, min(3, len(codes)))))
            answers.append((question.name, " ".join(c for c in codes if c in picked)))
    if "other" in dict(answers).get("needs", "").split():
        answers.append(("needs_other", "Un dossier de retraite à l'étranger"))
    if rng.random() < 0.3:
        answers.append(("comment", rng.choice(COMMENTS)))
    answers.append(("end", f"{day}T10:07:00+00:00"))
    return answers


def seed(app: Any, responses: int) -> int:
    """Import the questionnaire and insert ``responses`` submitted responses; return answers."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import (
        Answer,
        Channel,
        CollectionPoint,
        Neighbourhood,
        PointKind,
        Response,
        ResponseStatus,
    )
    from app.services.forms import import_form, load_definition

    rng = random.Random(20240506)
    answers_total = 0
    with app.app_context():
        db.create_all()
        version = import_form(db.session, MAIRIEBUS.read_bytes(), MAIRIEBUS.name).version
        definition = load_definition(version)
        for code in NEIGHBOURHOODS:
            db.session.add(Neighbourhood(code=code, name=code.replace("_", " ").title()))
        db.session.flush()
        areas = [n.id for n in db.session.query(Neighbourhood).all()]
        points = []
        for i, area in enumerate(areas[:5]):
            point = CollectionPoint(
                code=f"point{i}", name=f"Point {i}", kind=PointKind.PARK, neighbourhood_id=area
            )
            db.session.add(point)
            points.append(point)
        db.session.commit()
        point_ids = [None, *(p.id for p in points)]
        version_id = version.id
        start = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
        with db.engine.begin() as conn:
            for first in range(1, responses + 1, BATCH):
                rows, answer_rows = [], []
                for rid in range(first, min(first + BATCH, responses + 1)):
                    at = start + timedelta(minutes=7 * rid)
                    rows.append(
                        {
                            "id": rid,
                            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                            "form_version_id": version_id,
                            "collection_point_id": rng.choice(point_ids),
                            "neighbourhood_id": rng.choice(areas),
                            "channel": rng.choice((Channel.SELF, Channel.ASSISTED)),
                            "language": "fr" if rng.random() < 0.9 else "en",
                            "status": ResponseStatus.SUBMITTED,
                            "started_at": at,
                            "updated_at": at,
                            "submitted_at": at,
                            "is_demo": False,
                        }
                    )
                    for question, value in _answers(definition, rng, at.date()):
                        answer_rows.append(
                            {
                                "response_id": rid,
                                "question": question,
                                "repeat_index": 0,
                                "value": value,
                            }
                        )
                conn.execute(insert(Response.__table__), rows)
                conn.execute(insert(Answer.__table__), answer_rows)
                answers_total += len(answer_rows)
    return answers_total


# --------------------------------------------------------------------------- child: one export


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, fmt: str, url: str, instance: str, out: str) -> None:
    """Run one export and print a JSON line: seconds, peak RSS before and after, in MB.

    ``service``: the export service on a bare SQLAlchemy session (what grows with the data);
    ``cli``: the real ``flask surveys export`` command inside the whole app (every area's
    imports included: pandas, Pillow, pyld...).
    """
    if mode == "service":
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        from app.config import database_url
        from app.services import exports as X
        from app.services.forms import get_form

        with Session(create_engine(database_url(url, Path(instance)))) as session:
            form = get_form(session, "mairiebus")
            assert form is not None
            X.export_definition(form)  # parse the workbook before measuring
            total = X.count_submitted(session, form)
            baseline = _rss_mb()
            began = time.perf_counter()
            if fmt == "csv":
                X.write_csv_files(session, form, Path(out))
            else:
                with open(out, "wb") as handle:
                    X.write_xlsx_export(session, form, handle)
            seconds = time.perf_counter() - began
    else:
        from flask.cli import ScriptInfo

        app = make_app(url, instance)
        baseline = _rss_mb()
        began = time.perf_counter()
        args = ["surveys", "export", "mairiebus", "--format", fmt, "-o", out]
        app.cli.main(args, obj=ScriptInfo(create_app=lambda: app), standalone_mode=False)
        seconds = time.perf_counter() - began
        total = None  # the command prints its own count
    size = Path(out).stat().st_size / (1024 * 1024)
    print(json.dumps({"responses": total, "seconds": seconds, "baseline_mb": baseline,
                      "peak_mb": _rss_mb(), "file_mb": size}))  # fmt: skip


def run_export(mode: str, fmt: str, url: str, instance: str, out: Path) -> dict[str, float]:
    """Export in a fresh child process; it reports its own peak (ru_maxrss)."""
    command = [sys.executable, __file__, "--child", mode, "--format", fmt, "--url", url]
    done = subprocess.run(
        command + ["--instance", instance, "--out", str(out)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    # Cross-check: the maximum over every child waited for so far (children run in turn).
    result["children_max_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL admin URL (a temporary DB is made)")
    parser.add_argument("--child", choices=["seed", "service", "cli"], help=argparse.SUPPRESS)
    parser.add_argument("--format", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "seed":
        answers = seed(make_app(args.url, args.instance), args.responses)
        print(json.dumps({"answers": answers}))
        return
    if args.child:
        child(args.child, args.format, args.url, args.instance, args.out)
        return

    from loadgen import TemporaryDatabase

    with tempfile.TemporaryDirectory(prefix="mairiebus-export-") as tmp:
        with TemporaryDatabase(args.database_url) as pg_url:
            url = pg_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            database = "PostgreSQL" if pg_url else "SQLite"
            began = time.perf_counter()
            # Seeding runs in a child too: the parent stays small, because a child's
            # ru_maxrss starts from its parent's size at fork time.
            command = [sys.executable, __file__, "--child", "seed", "--url", url]
            command += ["--instance", tmp, "--responses", str(args.responses)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            answers = json.loads(done.stdout.strip().splitlines()[-1])["answers"]
            seeded = time.perf_counter() - began
            print(
                f"Seeded {args.responses} responses ({answers} answers) in {seeded:.1f} s "
                f"on {database}",
                file=sys.stderr,
            )
            print(f"Python {platform.python_version()}, {platform.machine()}", file=sys.stderr)
            print("| date | database | responses | format | run in | seconds | peak MB "
                  "| before export MB | file MB |")  # fmt: skip
            print("|---|---|---|---|---|---|---|---|---|")
            worst = 0.0
            for mode in ("service", "cli"):
                for fmt in ("csv", "xlsx"):
                    result = run_export(mode, fmt, url, tmp, Path(tmp) / f"export.{fmt}")
                    if mode == "service":
                        worst = max(worst, result["peak_mb"])
                    where = (
                        "export service alone" if mode == "service" else "`flask surveys export`"
                    )
                    print(
                        f"| {date.today()} | {database} | {args.responses} | {fmt.upper()} "
                        f"| {where} | {result['seconds']:.1f} | {result['peak_mb']:.0f} "
                        f"| {result['baseline_mb']:.0f} | {result['file_mb']:.1f} |",
                        flush=True,
                    )
            if worst >= LIMIT_MB:
                raise SystemExit(f"Peak memory {worst:.0f} MB is over {LIMIT_MB} MB")


if __name__ == "__main__":
    main()
