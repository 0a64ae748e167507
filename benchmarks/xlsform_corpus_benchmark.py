"""XLSForm corpus: import time and answer-page time of the largest form of the test corpus.

Imports tests/fixtures/forms/corpus/22_large_baseline.md (150 rows, 12 sections, two languages,
skip logic, a roster) ``--imports`` times through ``surveys.xlsform.load_form`` (pyxform + our
checks) and through the app's ``import_form`` service (plus storage), then answers one of its
pages ``--pages`` times through the Flask test client as a phone without JavaScript would
(GET the page, POST its answers, follow the 303). Prints Markdown rows: median and p95 in ms.

    .venv/bin/python benchmarks/xlsform_corpus_benchmark.py --imports 10 --pages 50
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
FORM = ROOT / "tests" / "fixtures" / "forms" / "corpus" / "22_large_baseline.md"


def _row(name: str, samples: list[float], database: str) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return (
        f"| {date.today().isoformat()} | {database} | {name} | {len(samples)} | "
        f"{statistics.median(samples):.1f} | {p95:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imports", type=int, default=10)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL (temporary DB)")
    args = parser.parse_args()

    from loadgen import TemporaryDatabase

    from app import create_app
    from app.config import database_url
    from app.db import db
    from app.models import PointKind
    from app.services import collection as sites
    from app.services.forms import import_form
    from surveys.xlsform import load_form

    data = FORM.read_bytes()
    load_form(data, FORM.name)  # pyxform's own imports, outside the timings
    parse_ms: list[float] = []
    for _ in range(args.imports):
        start = time.perf_counter()
        load_form(data, FORM.name)
        parse_ms.append((time.perf_counter() - start) * 1000)

    with (
        tempfile.TemporaryDirectory(prefix="xlsform-bench-") as tmp,
        TemporaryDatabase(args.database_url or None) as temporary_url,
    ):
        url = database_url(temporary_url, Path(tmp))
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "MAIRIEBUS_INSTANCE_PATH": str(Path(tmp) / "instance"),
                "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdef",
                "WTF_CSRF_ENABLED": False,
                "COLLECT_STARTS_PER_HOUR": 10**6,
            }
        )
        database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        with app.app_context():
            db.drop_all()
            db.create_all()
            import_ms: list[float] = []
            for i in range(args.imports):
                # A new version each time: the service parses, checks and stores it.
                text = data.replace(b"2024060101", str(2024060101 + i + 1).encode())
                start = time.perf_counter()
                import_form(db.session, text, FORM.name)
                import_ms.append((time.perf_counter() - start) * 1000)
            point = sites.create_point(db.session, sites.PointData("Bus", PointKind.OTHER, None))
            code = sites.attach_form(db.session, point, "large_baseline").code

        client = app.test_client()
        begun = client.post(f"/q/{code}")
        location = begun.headers["Location"]
        answers = {
            "identification_q1": "yes",
            "identification_q2": "4",
            "identification_q3": ["caf", "other"],
            "identification_q4": "Carte vitale",
        }
        page_ms: list[float] = []
        for _ in range(args.pages):
            start = time.perf_counter()
            html = client.get(location).get_data(as_text=True)
            shown = re.findall(r'name="shown" value="([^"]+)"', html)
            sent = client.post(location, data={**answers, "shown": shown, "action": "back"})
            assert sent.status_code == 303, sent.status_code
            page_ms.append((time.perf_counter() - start) * 1000)

    print("| date | database | step | runs | median ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    print(_row("load_form (pyxform + checks), 150 rows", parse_ms, "—"))
    print(_row("import_form service (parse + store a version)", import_ms, database))
    print(_row("answer page: GET + POST (10 questions) + 303", page_ms, database))


if __name__ == "__main__":
    main()
