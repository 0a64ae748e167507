"""Synthetic Mairie Bus answers, vectorised with numpy, for the dashboard benchmark.

`synthetic_frames(n)` returns the three frames of the shared codes (answers, responses, Pass
results) for `n` respondents, with realistic skews (seniors at the park, families at Auchan) so
the personas have something to find. Same seed, same data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveys.labels import AGE_BANDS, DAYS, NEIGHBOURHOODS, THEMES, TIMES

#: Collection points: code, name, neighbourhood, latitude, longitude (Martigues).
POINTS = (
    ("auchan", "Auchan", "croix_sainte", 43.4236, 5.0265),
    ("parc_figuerolles", "Parc de Figuerolles", "ferrieres", 43.4152, 5.0305),
    ("canto_perdrix_centre", "Centre social Canto Perdrix", "canto_perdrix", 43.4128, 5.0610),
    ("marche_ferrieres", "Marché de Ferrières", "ferrieres", 43.4089, 5.0488),
    ("gare_routiere", "Gare routière", "ile", 43.4050, 5.0440),
)
#: Neighbourhood centres (approximate), for the map.
HOOD_COORDS = {
    "canto_perdrix": (43.4125, 5.0620),
    "boudeme": (43.4185, 5.0700),
    "mas_de_pouane": (43.4230, 5.0560),
    "ferrieres": (43.4100, 5.0480),
    "jonquieres": (43.4010, 5.0450),
    "ile": (43.4055, 5.0470),
    "croix_sainte": (43.4240, 5.0290),
    "notre_dame_des_marins": (43.4000, 5.0200),
    "paradis_saint_roch": (43.4150, 5.0350),
    "carro": (43.3320, 5.0400),
    "la_couronne": (43.3360, 5.0700),
    "lavera": (43.3880, 5.0050),
    "saint_pierre": (43.3980, 5.1000),
}
DOMAINS = ("devices", "browsing", "communicating", "admin_procedures", "safety", "content")

SINGLE = {
    "gender": ("woman", "man", "other", "no_answer"),
    "confidence": ("not_at_all", "a_little", "fairly", "very"),
    "frequency": ("weekly", "fortnightly", "monthly", "occasionally"),
}
MULTI = {
    "reason": (
        "passing_by",
        "curiosity",
        "sent_by_centre",
        "sent_by_service",
        "town_hall",
        "heard_of_it",
    ),
    "heard_how": (
        "flyer",
        "town_magazine",
        "word_of_mouth",
        "social_networks",
        "social_worker",
        "other",
    ),
    "household": ("alone", "couple", "young_children", "older_children", "single_parent"),
    "needs": THEMES,
    "equipment": ("smartphone", "computer", "tablet", "internet_home", "none"),
    "helped_by": ("aidant", "family", "friend", "social_worker", "nobody"),
    "preferred_days": DAYS,
    "preferred_times": TIMES,
    "preferred_place": (
        "near_home",
        "shopping_centre",
        "park",
        "market",
        "neighbourhood_centre",
    ),
    "wished_services": THEMES,
}
WORDS = (
    "impôts en ligne",
    "dossier CAF bloqué",
    "rendez-vous médecin",
    "carte grise",
    "mot de passe oublié",
    "imprimer une attestation",
    "Pôle emploi inscription",
    "cantine des enfants",
)


@dataclass
class SyntheticData:
    """The three frames, plus the places to seed."""

    answers: pd.DataFrame
    responses: pd.DataFrame
    passes: pd.DataFrame


def _multi(rng: np.random.Generator, n: int, codes: tuple[str, ...], weights: np.ndarray) -> list:
    # Each code is picked independently with its own probability; at least one code each.
    picks = rng.random((n, len(codes))) < weights
    empty = ~picks.any(axis=1)
    picks[empty, rng.integers(0, len(codes), int(empty.sum()))] = True
    names = np.array(codes, dtype=object)
    return [" ".join(names[row]) for row in picks]


def synthetic_frames(n: int, *, seed: int = 7, passes: int | None = None) -> SyntheticData:
    """`n` synthetic respondents (ids 1..n) in the shared-code frames."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    point_index = rng.integers(0, len(POINTS) + 1, n)  # last = aboard the bus (no point)
    points = np.array([p[0] for p in POINTS] + [None], dtype=object)[point_index]
    hood_of_point = np.array([p[2] for p in POINTS] + [None], dtype=object)[point_index]
    hoods = np.array(NEIGHBOURHOODS[:-1], dtype=object)[rng.integers(0, 13, n)]
    # Half the people answer the neighbourhood question; the others get their point's.
    answered_hood = rng.random(n) < 0.5
    hood = np.where(answered_hood | (hood_of_point == None), hoods, hood_of_point)  # noqa: E711
    senior = point_index == 1
    ages = np.array(AGE_BANDS, dtype=object)[
        np.where(senior, rng.choice([4, 5], n), rng.choice([1, 2, 2, 3, 4], n))
    ]
    start = np.datetime64("2025-01-06T08:00:00")
    seconds = rng.integers(0, 300 * 86400, n).astype("timedelta64[s]")
    submitted = pd.to_datetime(start + seconds).tz_localize("UTC")
    responses = pd.DataFrame(
        {
            "response_id": ids,
            "form_id": "mairiebus",
            "form_version": np.where(ids % 3 == 0, "2", "1"),
            "collection_point": points,
            "neighbourhood": hood,
            "channel": np.where(rng.random(n) < 0.35, "assisted", "self"),
            "language": "fr",
            "submitted_at": submitted,
            "is_demo": False,
        }
    )
    columns: dict[str, np.ndarray | list] = {"age_band": ages}
    for question, codes in SINGLE.items():
        columns[question] = np.array(codes, dtype=object)[rng.integers(0, len(codes), n)]
    for question, codes in MULTI.items():
        weights = np.linspace(0.45, 0.05, len(codes))
        rng.shuffle(weights)
        columns[question] = _multi(rng, n, codes, weights)
    columns["neighbourhood"] = np.where(answered_hood, hoods, None)
    heard = np.array(["heard_of_it" in r for r in columns["reason"]])
    columns["heard_how"] = np.where(heard, columns["heard_how"], None)
    comment = rng.random(n) < 0.1
    columns["comment"] = np.where(
        comment, np.array(WORDS, dtype=object)[rng.integers(0, len(WORDS), n)], None
    )
    long = []
    for question, values in columns.items():
        values = np.asarray(values, dtype=object)
        keep = values != None  # noqa: E711
        long.append(
            pd.DataFrame(
                {
                    "response_id": ids[keep],
                    "question": question,
                    "repeat_index": 0,
                    "value": values[keep],
                }
            )
        )
    answers = pd.concat(long, ignore_index=True).sort_values("response_id", kind="stable")
    m = passes if passes is not None else max(n // 10, 1)
    assessment = np.repeat(np.arange(1, m + 1), len(DOMAINS))
    pass_results = pd.DataFrame(
        {
            "assessment_id": assessment,
            "pass_id": assessment,
            "domain": np.tile(np.array(DOMAINS, dtype=object), m),
            "level": rng.integers(0, 5, m * len(DOMAINS)),
            "status": "self_declared",
            "assessed_at": np.repeat(
                pd.to_datetime(start + rng.integers(0, 300 * 86400, m).astype("timedelta64[s]"))
                .tz_localize("UTC")
                .to_numpy(),
                len(DOMAINS),
            ),
            "neighbourhood": np.repeat(
                np.array(NEIGHBOURHOODS[:-1], dtype=object)[rng.integers(0, 13, m)], len(DOMAINS)
            ),
            "channel": "self",
        }
    )
    return SyntheticData(answers.reset_index(drop=True), responses, pass_results)


# =========================================================================== benchmark
"""Run: `.venv/bin/python benchmarks/dashboard_benchmark.py [--responses 100000]
[--database-url postgresql://postgres@127.0.0.1:5432/postgres]`.

Builds a temporary database (a SQLite file, or a PostgreSQL database created and dropped for
the run), bulk-inserts `n` synthetic submitted responses (about 14 answers each) and Pass
results, then times, in the same process:

- the dashboard page as a coordinator sees it: cold (empty cache: read from the database,
  widen, compute, render), warm (cached), another filter on warm tables, and the first page
  after a new response arrives (only that response is read and appended; the page shows the
  previous figures while the new ones are computed in the background), the background
  refresh, and the page after it;
- the same main aggregates written directly in SQL (GROUP BY queries, no suppression, no
  rendering) on the same database.
"""

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid as uuid_module  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

CHUNK = 20_000


def _timed(action) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _insert(connection, table, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Bulk insert: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        return
    for start in range(0, len(rows), CHUNK):
        connection.execute(table.insert(), rows[start : start + CHUNK])


def seed_database(app, data: SyntheticData) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Insert places, forms, responses, answers and Pass results; returns id maps."""
    from app.db import db
    from app.models import (
        Answer,
        Assessment,
        CollectionPoint,
        Form,
        FormVersion,
        LevelResult,
        Neighbourhood,
        Pass,
        Response,
    )

    with app.app_context():
        hoods = {}
        for code, (lat, lon) in HOOD_COORDS.items():
            hood = Neighbourhood(code=code, name=code.replace("_", " ").title(), latitude=lat)
            hood.longitude = lon
            db.session.add(hood)
            hoods[code] = hood
        db.session.flush()
        points = {}
        for code, name, hood_code, lat, lon in POINTS:
            point = CollectionPoint(
                code=code,
                name=name,
                kind="shopping_centre",
                neighbourhood_id=hoods[hood_code].id,
                latitude=lat,
                longitude=lon,
            )
            db.session.add(point)
            points[code] = point
        form = Form(form_id="mairiebus", title="Questionnaire du Mairie Bus")
        db.session.add(form)
        db.session.flush()
        versions = {}
        for label in ("1", "2"):
            version = FormVersion(
                form_pk=form.id,
                version=label,
                title=form.title,
                source_filename="mairiebus.xlsx",
                source=b"benchmark",
                source_sha256=label * 64,
            )
            db.session.add(version)
            versions[label] = version
        db.session.commit()
        hood_ids = {c: h.id for c, h in hoods.items()}
        point_ids = {c: p.id for c, p in points.items()}
        version_ids = {c: v.id for c, v in versions.items()}
        connection = db.session.connection()
        r = data.responses
        moments = [t.to_pydatetime() for t in r["submitted_at"]]
        rows = [
            {
                "id": int(rid),
                "uuid": str(uuid_module.uuid4()),
                "form_version_id": version_ids[version],
                "collection_point_id": point_ids.get(point) if point else None,
                "neighbourhood_id": hood_ids.get(hood) if hood else None,
                "channel": channel,
                "language": "fr",
                "status": "submitted",
                "started_at": moment,
                "updated_at": moment,
                "submitted_at": moment,
                "is_demo": False,
            }
            for rid, version, point, hood, channel, moment in zip(
                r["response_id"],
                r["form_version"],
                r["collection_point"],
                r["neighbourhood"],
                r["channel"],
                moments,
                strict=True,
            )
        ]
        _insert(connection, Response.__table__, rows)
        a = data.answers
        _insert(
            connection,
            Answer.__table__,
            [
                {"response_id": int(i), "question": q, "repeat_index": 0, "value": v}
                for i, q, v in zip(a["response_id"], a["question"], a["value"], strict=True)
            ],
        )
        p = data.passes.drop_duplicates("assessment_id")
        _insert(
            connection,
            Pass.__table__,
            [
                {
                    "id": int(i),
                    "code": f"B{int(i):08d}",
                    "neighbourhood_id": hood_ids[h],
                    "created_at": t.to_pydatetime(),
                    "last_seen_at": t.to_pydatetime(),
                    "is_demo": False,
                }
                for i, h, t in zip(p["pass_id"], p["neighbourhood"], p["assessed_at"], strict=True)
            ],
        )
        _insert(
            connection,
            Assessment.__table__,
            [
                {
                    "id": int(i),
                    "pass_id": int(i),
                    "kind": "self",
                    "channel": "self",
                    "started_at": t.to_pydatetime(),
                    "finished_at": t.to_pydatetime(),
                    "neighbourhood_id": hood_ids[h],
                }
                for i, h, t in zip(
                    p["assessment_id"], p["neighbourhood"], p["assessed_at"], strict=True
                )
            ],
        )
        results = data.passes
        _insert(
            connection,
            LevelResult.__table__,
            [
                {"assessment_id": int(i), "domain": d, "level": int(lv), "status": "self_declared"}
                for i, d, lv in zip(
                    results["assessment_id"], results["domain"], results["level"], strict=True
                )
            ],
        )
        if connection.dialect.name == "postgresql":
            for table in ("responses", "passes", "assessments"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            connection.exec_driver_sql("ANALYZE")
        db.session.commit()
        return {"version": version_ids["1"], "point": point_ids["auchan"]}


SQL_QUERIES = {
    "sqlite": {
        "week": "strftime('%Y-%W', r.submitted_at)",
    },
    "postgresql": {
        "week": "date_trunc('week', r.submitted_at AT TIME ZONE 'Europe/Paris')",
    },
}


def sql_aggregates(connection) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The main aggregates straight in SQL: timings in seconds per query."""
    from sqlalchemy import text

    from surveys.labels import THEMES as theme_codes

    dialect = connection.dialect.name
    themes = " UNION ALL ".join(f"SELECT '{code}' AS code" for code in theme_codes)
    concat = "' ' || a.value || ' '"
    queries = {
        "requests_by_theme": f"""
            SELECT t.code, count(*) FROM answers a
            JOIN responses r ON r.id = a.response_id AND r.status = 'submitted'
            JOIN ({themes}) t ON {concat} LIKE '% ' || t.code || ' %'
            WHERE a.question = 'needs' AND a.repeat_index = 0 GROUP BY t.code""",
        "age_by_neighbourhood": """
            SELECT a.value, coalesce(n.code, pn.code), count(*) FROM answers a
            JOIN responses r ON r.id = a.response_id AND r.status = 'submitted'
            LEFT JOIN neighbourhoods n ON n.id = r.neighbourhood_id
            LEFT JOIN collection_points p ON p.id = r.collection_point_id
            LEFT JOIN neighbourhoods pn ON pn.id = p.neighbourhood_id
            WHERE a.question = 'age_band' AND a.repeat_index = 0 GROUP BY 1, 2""",
        "frequency": """
            SELECT a.value, count(*) FROM answers a
            JOIN responses r ON r.id = a.response_id AND r.status = 'submitted'
            WHERE a.question = 'frequency' GROUP BY a.value""",
        "answers_over_time": f"""
            SELECT {SQL_QUERIES[dialect]["week"]} AS week, count(*) FROM responses r
            WHERE r.status = 'submitted' GROUP BY 1 ORDER BY 1""",
        "pass_levels": """
            SELECT domain, hood, level, count(*) FROM (
              SELECT l.domain, n.code AS hood, l.level, row_number() OVER (
                PARTITION BY s.pass_id, l.domain ORDER BY s.finished_at DESC, s.id DESC) AS rank
              FROM level_results l JOIN assessments s ON s.id = l.assessment_id
              LEFT JOIN neighbourhoods n ON n.id = s.neighbourhood_id) latest
            WHERE rank = 1 GROUP BY domain, hood, level""",
        "key_figures": """
            SELECT count(*), sum(CASE WHEN channel = 'assisted' THEN 1 ELSE 0 END),
                   count(DISTINCT collection_point_id) FROM responses WHERE status = 'submitted'""",
    }
    timings = {}
    for name, sql in queries.items():
        seconds, _rows = _timed(lambda sql=sql: connection.execute(text(sql)).fetchall())
        timings[name] = seconds
    return timings


def run(database_url: str | None, responses: int, repeat: int = 5) -> dict[str, object]:
    """Seed a temporary database and time the dashboard against plain SQL."""
    from sqlalchemy import text

    from app import create_app
    from app.db import db
    from app.services import dashboard as service
    from app.services.accounts import create_user

    work = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    temp_db = None
    url = f"sqlite:///{work / 'bench.sqlite'}"
    if database_url:
        import psycopg

        temp_db = f"dashboard_bench_{uuid_module.uuid4().hex[:8]}"
        admin = database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {temp_db}")
        url = admin.rsplit("/", 1)[0] + "/" + temp_db
    try:
        from app.config import database_url as to_sqlalchemy

        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghijklmnop",
                "SQLALCHEMY_DATABASE_URI": to_sqlalchemy(url, work),
                "MAIRIEBUS_INSTANCE_PATH": str(work / "instance"),
                "WTF_CSRF_ENABLED": False,
                "SESSION_COOKIE_SECURE": False,
                "RATELIMIT_STORAGE_URI": None,
                # Workers share computed figures through the instance folder (issue 17).
                "DASHBOARD_SHARED_CACHE": True,
            }
        )
        with app.app_context():
            db.create_all()
            create_user(db.session, "bench@example.org", "benchmark-password", "coordinator")
        data = synthetic_frames(responses)
        seed_seconds, ids = _timed(lambda: seed_database(app, data))
        client = app.test_client()
        client.post("/login", data={"email": "bench@example.org", "password": "benchmark-password"})
        cache = service.cache()
        cache.clear()
        results: dict[str, object] = {
            "database": "PostgreSQL" if database_url else "SQLite",
            "responses": responses,
            "answers": len(data.answers),
            "level_results": len(data.passes),
            "seed_s": seed_seconds,
        }

        def page(query: str = "") -> float:
            seconds, response = _timed(lambda: client.get("/dashboard" + query))
            assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
            return seconds

        results["cold_s"] = page()
        results["warm_s"] = statistics.median(page() for _ in range(repeat))
        results["other_filter_first_s"] = page("?point=auchan")
        results["other_filter_warm_s"] = statistics.median(
            page("?point=auchan") for _ in range(repeat)
        )
        # A new worker (a deploy, a restart, a recycled worker): nothing in its memory.
        cache.clear()
        results["new_worker_first_s"] = page()
        cache.clear()
        results["new_worker_other_filter_s"] = page("?point=auchan")
        # Filters nobody asked for yet, in a worker whose tables are loaded.
        combos = [
            "?neighbourhood=boudeme",
            "?channel=assisted",
            "?neighbourhood=jonquieres&channel=self",
            "?start=2026-01-01&end=2026-06-30",
            "?point=auchan&demo=all",
            # The heaviest: every response kept (demo answers included), personas on all.
            "?demo=all",
            "?channel=self&demo=all",
        ]
        each = {query: page(query) for query in combos}
        for query, seconds in each.items():
            print(f"  new filter {query:<42} {seconds:.3f} s", flush=True)
        results["new_filters_cold_max_s"] = max(each.values())
        # A new worker asked for a filter nobody asked for yet: tables from the store, then
        # the figures computed.
        cache.clear()
        results["new_worker_new_filter_s"] = page("?neighbourhood=carro&demo=all")
        page()  # the default view again in this worker's memory
        with app.app_context():
            # Breakdown of a cold load, without the page around it.
            breakdown = {}
            breakdown["read_sql_s"], frames = _timed(lambda: service.load_frames(db.session))
            responses_frame, answers_frame = frames  # type: ignore[misc]
            breakdown["wide_s"], _w = _timed(
                lambda: service.A.wide_responses(answers_frame, responses_frame)
            )
            tables = service.build_tables(db.session)
            places = service.load_places(db.session)
            breakdown["figures_s"], _d = _timed(
                lambda: service.compute(tables, service.DashboardFilters(), places)
            )
            results["breakdown"] = breakdown
        # A new answer arrives: the next page reads only it.
        with app.app_context():
            moment = datetime.now(UTC)
            new_id = db.session.execute(
                text(
                    "INSERT INTO responses (uuid, form_version_id, collection_point_id, channel, "
                    "language, status, started_at, updated_at, submitted_at, is_demo) VALUES "
                    "(:uuid, :version, :point, 'self', 'fr', 'submitted', :at, :at, :at, false) "
                    "RETURNING id"
                ),
                {
                    "uuid": str(uuid_module.uuid4()),
                    "version": ids["version"],
                    "point": ids["point"],
                    "at": moment,
                },
            ).scalar_one()
            db.session.execute(
                text(
                    "INSERT INTO answers (response_id, question, repeat_index, value) VALUES "
                    "(:id, 'needs', 0, 'caf housing'), (:id, 'age_band', 0, '30_44')"
                ),
                {"id": new_id},
            )
            db.session.commit()
        loads = cache.stats["loads"]
        # The page reads the new response, answers at once with the previous figures...
        results["after_new_answer_s"] = page()
        # ...while the new figures are computed in the background.
        results["background_refresh_s"], _r = _timed(cache.wait_idle)
        results["after_refresh_s"] = page()
        results["after_new_answer_warm_s"] = statistics.median(page() for _ in range(repeat))
        assert cache.stats["loads"] == loads + 1 and cache.stats["stale"] == 1, cache.stats
        seconds, _x = _timed(lambda: client.get("/dashboard/export.xlsx"))
        results["xlsx_export_s"] = seconds
        with app.app_context():
            connection = db.session.connection()
            sql = sql_aggregates(connection)
            results["sql"] = sql
            results["sql_total_s"] = sum(sql.values())
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return results
    finally:
        if temp_db:
            import psycopg

            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {temp_db} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)


def _print(results: dict[str, object]) -> None:
    r = results
    print(
        f"\n{r['database']}: {r['responses']:,} responses, {r['answers']:,} answers, "
        f"{r['level_results']:,} level results (seeded in {r['seed_s']:.1f} s)"
    )
    for key in (
        "cold_s",
        "warm_s",
        "other_filter_first_s",
        "other_filter_warm_s",
        "new_worker_first_s",
        "new_worker_other_filter_s",
        "new_filters_cold_max_s",
        "new_worker_new_filter_s",
        "after_new_answer_s",
        "background_refresh_s",
        "after_refresh_s",
        "after_new_answer_warm_s",
        "xlsx_export_s",
        "sql_total_s",
    ):
        print(f"  {key:<26} {r[key]:8.3f}")
    for key, value in r["breakdown"].items():  # type: ignore[attr-defined]
        print(f"  cold part {key:<16} {value:8.3f}")
    for key, value in r["sql"].items():  # type: ignore[attr-defined]
        print(f"  SQL {key:<22} {value:8.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL server URL (a temporary database is created there and dropped)",
    )
    parser.add_argument("--sqlite", action="store_true", help="Also run on SQLite (default).")
    args = parser.parse_args(argv)
    runs = []
    if args.sqlite or not args.database_url:
        runs.append(run(None, args.responses))
    if args.database_url:
        runs.append(run(args.database_url, args.responses))
    for result in runs:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
