"""Put the hand-made analytics fixtures (tests/fixtures/analytics) into the database."""

from __future__ import annotations

import csv
import itertools
from datetime import UTC, datetime
from pathlib import Path

from app.db import db
from app.models import (
    Answer,
    Assessment,
    AssessmentKind,
    Channel,
    CollectionPoint,
    Form,
    FormVersion,
    LevelResult,
    LevelStatus,
    Neighbourhood,
    Pass,
    PointKind,
    Response,
    ResponseStatus,
)

_PASS_CODES = itertools.count(1)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "analytics"
HOODS = {
    "canto_perdrix": ("Canto Perdrix", 43.4125, 5.0620),
    "ile": ("L'Île", 43.4055, 5.0470),
    "carro": ("Carro", 43.3320, 5.0400),
}
POINTS = {
    "auchan": ("Auchan", "canto_perdrix", 43.4236, 5.0265),
    "parc_figuerolles": ("Parc de Figuerolles", "ile", 43.4152, 5.0305),
}


def _version(form: Form, version: str) -> FormVersion:
    row = FormVersion(
        form=form,
        version=version,
        title=form.title,
        source_filename=f"{form.form_id}.xlsx",
        source=b"test",
        source_sha256=f"{form.form_id}-{version}".ljust(64, "0"),
    )
    db.session.add(row)
    return row


def seed_places() -> dict[str, object]:
    """Neighbourhoods, collection points and the two forms' versions; returns them by code."""
    hoods = {
        code: Neighbourhood(code=code, name=name, latitude=lat, longitude=lon)
        for code, (name, lat, lon) in HOODS.items()
    }
    db.session.add_all(hoods.values())
    points = {
        code: CollectionPoint(
            code=code,
            name=name,
            kind=PointKind.SHOPPING_CENTRE,
            neighbourhood=hoods[hood],
            latitude=lat,
            longitude=lon,
        )
        for code, (name, hood, lat, lon) in POINTS.items()
    }
    db.session.add_all(points.values())
    mairiebus = Form(form_id="mairiebus", title="Questionnaire du Mairie Bus")
    other = Form(form_id="other_form", title="Autre questionnaire")
    db.session.add_all([mairiebus, other])
    versions = {
        ("mairiebus", "1"): _version(mairiebus, "1"),
        ("mairiebus", "2"): _version(mairiebus, "2"),
        ("other_form", "1"): _version(other, "1"),
    }
    db.session.flush()
    return {"hoods": hoods, "points": points, "versions": versions}


def add_response(
    places: dict[str, object],
    *,
    form_id: str = "mairiebus",
    version: str = "1",
    point: str | None = "auchan",
    neighbourhood: str | None = "canto_perdrix",
    channel: str = "self",
    submitted_at: datetime | None = None,
    is_demo: bool = False,
    answers: dict[str, str] | list[tuple[str, int, str]] | None = None,
    status: ResponseStatus = ResponseStatus.SUBMITTED,
) -> Response:
    """One response with its answers (not committed)."""
    response = Response(
        form_version=places["versions"][(form_id, version)],  # type: ignore[index]
        collection_point=places["points"][point] if point else None,  # type: ignore[index]
        neighbourhood=places["hoods"][neighbourhood] if neighbourhood else None,  # type: ignore[index]
        channel=Channel(channel),
        status=status,
        submitted_at=submitted_at or datetime(2025, 3, 3, 9, tzinfo=UTC),
        is_demo=is_demo,
    )
    db.session.add(response)
    db.session.flush()
    rows = answers.items() if isinstance(answers, dict) else answers or []
    for row in rows:
        question, index, value = row if len(row) == 3 else (row[0], 0, row[1])
        db.session.add(
            Answer(response_id=response.id, question=question, repeat_index=index, value=value)
        )
    return response


def seed_fixture_responses() -> dict[str, object]:
    """The 22 hand-made responses of tests/fixtures/analytics, ids kept in `ids` by CSV id."""
    places = seed_places()
    answers: dict[int, list[tuple[str, int, str]]] = {}
    with (FIXTURES / "answers.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            answers.setdefault(int(row["response_id"]), []).append(
                (row["question"], int(row["repeat_index"]), row["value"])
            )
    ids = {}
    with (FIXTURES / "responses.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            response = add_response(
                places,
                form_id=row["form_id"],
                version=row["form_version"],
                point=row["collection_point"] or None,
                neighbourhood=row["neighbourhood"] or None,
                channel=row["channel"],
                submitted_at=datetime.fromisoformat(row["submitted_at"].replace("Z", "+00:00")),
                is_demo=row["is_demo"] == "True",
                answers=answers.get(int(row["response_id"]), []),
            )
            ids[int(row["response_id"])] = response.id
    # A draft is never counted.
    add_response(places, status=ResponseStatus.DRAFT, answers={"needs": "taxes"})
    db.session.commit()
    places["ids"] = ids
    return places


def add_pass_results(
    places: dict[str, object],
    levels: list[tuple[str, str, int]],
    *,
    when: datetime | None = None,
    is_demo: bool = False,
) -> None:
    """One Pass and one finished sitting per (neighbourhood, domain, level) entry."""
    for hood, domain, level in levels:
        pass_ = Pass(code=f"TEST{next(_PASS_CODES)}", is_demo=is_demo)
        pass_.neighbourhood_id = places["hoods"][hood].id  # type: ignore[index]
        db.session.add(pass_)
        db.session.flush()
        sitting = Assessment(
            pass_id=pass_.id,
            kind=AssessmentKind.SELF,
            finished_at=when or datetime(2025, 3, 10, 10, tzinfo=UTC),
            neighbourhood_id=pass_.neighbourhood_id,
        )
        db.session.add(sitting)
        db.session.flush()
        db.session.add(
            LevelResult(
                assessment_id=sitting.id,
                domain=domain,
                level=level,
                status=LevelStatus.SELF_DECLARED,
            )
        )
    db.session.commit()


# ----------------------------------------------------------------------------- tests

import io  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import zipfile  # noqa: E402
from datetime import date  # noqa: E402

import pytest  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from app.services import dashboard as service  # noqa: E402
from tests.conftest import page_text  # noqa: E402

BASE = service.DashboardFilters(form_id="mairiebus", demo="real")
BASE_QUERY = "form=mairiebus&demo=real"
#: Headers of exported columns that count people: every number in them must be 5 or more.
PEOPLE_HEADERS = {
    "Personnes",
    "Personnes ayant répondu",
    "Pass",
    "Sur",
    "Pas encore commencé",
    "Niveau 1",
    "Niveau 2",
    "Niveau 3",
    "Niveau 4",
}
MOTHERS = (
    "Une mère de famille de 30 à 44 ans, rencontrée à Auchan, qui vient pour la CAF et préfère "
    "le mercredi matin."
)


@pytest.fixture
def seeded(app: Flask) -> dict[str, object]:
    """The 22 hand-made responses, and Pass levels: 6 at level 2 in Canto Perdrix, 5 at level
    3 in L'Île (devices), plus 5 demo Passes that real-only views leave out."""
    service.cache().clear()
    with app.app_context():
        places = seed_fixture_responses()
        add_pass_results(
            places,
            [("canto_perdrix", "devices", 2)] * 6 + [("ile", "devices", 3)] * 5,
        )
        add_pass_results(places, [("carro", "devices", 4)] * 5, is_demo=True)
        places["hood_ids"] = {c: h.id for c, h in places["hoods"].items()}  # type: ignore[attr-defined]
        return places


def _data(app: Flask, filters: service.DashboardFilters = BASE) -> service.DashboardData:
    with app.app_context():
        return service.dashboard_data(db.session, filters)


def _counts(frame, column: str = "count") -> list[int | None]:  # type: ignore[no-untyped-def]
    import pandas as pd

    return [None if pd.isna(v) else int(v) for v in frame[column]]


# --- access


URLS = (
    "/dashboard",
    "/dashboard/rapport",
    "/dashboard/export.xlsx",
    "/dashboard/export.zip",
    "/dashboard/export/demandes_par_theme.csv",
)


def test_only_coordinators_get_in(app: Flask) -> None:
    from tests.conftest import AuthActions

    anonymous = app.test_client()
    for url in URLS:
        response = anonymous.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    aidant = app.test_client()
    AuthActions(aidant, app).login("aidant")
    assert [aidant.get(url).status_code for url in URLS] == [403] * len(URLS)
    coordinator = app.test_client()
    AuthActions(coordinator, app).login("coordinator")
    assert [coordinator.get(url).status_code for url in URLS] == [200] * len(URLS)


def test_unknown_export_is_a_french_404(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    response = client.get("/dashboard/export/zzz-unknown.csv")
    assert response.status_code == 404
    assert "Ce tableau n'existe pas." in page_text(response)


# --- figures, from the database, on hand-worked data


def test_key_figures_and_requests(app: Flask, seeded: dict[str, object]) -> None:
    data = _data(app)
    # 20 people of the mairiebus form (the demo response 21 and the other form's 22 left
    # out, the draft never counted); 6 assisted (9-14) = 30 %; Auchan and the park;
    # Canto Perdrix, L'Île, Carro; 11 real Passes.
    assert data.key == {
        "responses": 20,
        "assisted": 6,
        "assisted_percent": 30.0,
        "collection_points": 2,
        "neighbourhoods": 3,
        "passes": 11,
    }
    themes = data.frames["requests_by_theme"]
    # CAF 8 + 3 = 11 (55 %), school 8, health insurance and pension 6; taxes and job seeking
    # 3 each are hidden, as are the themes nobody cited.
    assert list(themes["code"][:4]) == ["caf", "school", "health_insurance", "pension"]
    assert _counts(themes) == [11, 8, 6, 6] + [None] * 9
    assert [float(p) for p in themes["percent"][:4]] == [55.0, 40.0, 30.0, 30.0]


def test_how_heard_and_expectations(app: Flask, seeded: dict[str, object]) -> None:
    data = _data(app)
    heard = data.frames["how_heard"]
    reason = dict(zip(heard["code"], _counts(heard), strict=True))
    assert reason["passing_by"] == 8 and reason["sent_by_centre"] == 6
    assert reason["heard_of_it"] == 12 and reason["curiosity"] is None
    expectations = data.frames["expectations"]
    days = expectations[expectations["question"] == "preferred_days"]
    assert dict(zip(days["code"], _counts(days), strict=True)) == {
        "monday": None,
        "tuesday": 6,
        "wednesday": 8,
        "thursday": 6,
        "friday": None,
        "saturday": None,
    }


def test_age_by_neighbourhood_with_second_suppression(
    app: Flask, seeded: dict[str, object]
) -> None:
    frame = _data(app).frames["age_by_neighbourhood"]
    shown = {
        (r.age_band, r.neighbourhood): int(r.count)
        for r in frame.itertuples()
        if r.count is not None and str(r.count) != "<NA>"
    }
    # Grid (canto, ile, carro | total): 18-29 (0,3,0|3), 30-44 (8,0,0|8), 45-59 (0,0,3|3),
    # 60-74 (0,6,0|6); Canto's total 8 and L'Île's 6 are hidden as second cells.
    assert shown == {
        ("30_44", "canto_perdrix"): 8,
        ("30_44", "total"): 8,
        ("60_74", "total"): 6,
        ("total", "ile"): 9,
        ("total", "total"): 20,
    }


def test_pass_levels_over_time_and_profiles(app: Flask, seeded: dict[str, object]) -> None:
    data = _data(app)
    levels = data.frames["pass_levels"].set_index("neighbourhood")
    # Devices: 6 Passes at level 2 in Canto Perdrix, 5 at level 3 in L'Île: mean 27/11 = 2.5.
    # The 5 demo Passes of Carro are left out.
    assert set(levels.index) == {"canto_perdrix", "ile", "total"}
    assert int(levels.loc["canto_perdrix", "passes"]) == 6
    assert int(levels.loc["canto_perdrix", "level_2"]) == 6
    assert int(levels.loc["ile", "level_3"]) == 5
    assert [float(levels.loc[h, "mean_level"]) for h in ("canto_perdrix", "ile", "total")] == [
        2.0,
        3.0,
        2.5,
    ]
    weeks = data.frames["answers_over_time"]
    assert [str(d) for d in weeks["period_start"]] == [
        "2025-03-03",
        "2025-03-10",
        "2025-03-17",
        "2025-03-24",
        "2025-03-31",
    ]
    assert _counts(weeks) == [8, 6, None, None, None]
    profile = data.frames["profile"].iloc[0]
    assert (profile["age_band"], profile["gender"], profile["household"]) == (
        "30_44",
        "woman",
        "young_children",
    )
    assert int(profile["count"]) == 8 and float(profile["percent"]) == 40.0
    by_point = data.frames["profile_by_point"].set_index("group")
    assert int(by_point.loc["auchan", "people"]) == 11
    assert by_point.loc["auchan", "group_label"] == "Auchan"


def test_personas_and_map(app: Flask, seeded: dict[str, object]) -> None:
    data = _data(app)
    result = data.personas
    assert result.people == 20
    assert [p.sentence for p in result.personas][:1] == [MOTHERS]
    assert result.personas[0].count == 8
    assert sum(p.count for p in result.personas) + result.hidden_people == 20
    rows = {row[0]: row for row in data.frames["needs_map"].itertuples(index=False)}
    # Points: Auchan 11 (CAF and school 8 each: CAF first), the park 6 hidden because the 3
    # answers taken aboard are; neighbourhoods: Carro 3 hidden, so Canto (8) too; L'Île 9,
    # health insurance and pension 6 each (health insurance first).
    assert rows["Auchan"][2:] == ("11", "CAF (8)")
    assert rows["Parc de Figuerolles"][2:] == ("moins de 5", "moins de 5")
    assert rows["L'Île"][2:] == ("9", "Assurance maladie (6)")
    assert rows["Canto Perdrix"][2] == "moins de 5" and rows["Carro"][2] == "moins de 5"
    with app.app_context():
        caf = service.needs_map(data, "caf")
    caf_rows = {row[0]: row for row in caf.rows}
    # Citing CAF: Auchan 8 (1-8), aboard 3 (18-20): the 3 are hidden, so Auchan's 8 too.
    assert caf_rows["Auchan"][2] == "moins de 5"
    assert "CAF" in caf.title


def test_filters_change_the_figures(app: Flask, seeded: dict[str, object]) -> None:
    auchan = _data(app, service.DashboardFilters(form_id="mairiebus", collection_point="auchan"))
    assert auchan.key["responses"] == 11
    march = _data(
        app,
        service.DashboardFilters(
            form_id="mairiebus", start=date(2025, 3, 17), end=date(2025, 3, 31)
        ),
    )
    # 15-17 answered on 23 March (local); 18-20 at 00:30 on 1 April in Martigues.
    assert march.key["responses"] is None and len(march.wide) == 3
    assisted = _data(app, service.DashboardFilters(channel="assisted"))
    assert assisted.key["responses"] == 6
    with_demo = _data(app, service.DashboardFilters(form_id="mairiebus", demo="all"))
    assert len(with_demo.wide) == 21 and with_demo.key["passes"] == 16


# --- the page


def test_dashboard_page_shows_everything(client: FlaskClient, auth, seeded) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    response = client.get(f"/dashboard?{BASE_QUERY}")
    assert response.status_code == 200
    text = page_text(response)
    assert MOTHERS in text
    for title in (
        "Demandes par thème",
        "Âge des personnes selon leur quartier",
        "Carte des besoins",
        "Pourquoi et comment les gens sont venus",
        "Attentes : quand et où le bus doit venir",
        "Niveau moyen du Pass informatique par domaine et par quartier",
        "Réponses reçues au fil du temps",
        "Nuage de mots des demandes écrites",
    ):
        assert title in text
    assert text.count("<svg") == 8
    assert "moins de 5" in text
    # Strict CSP: no inline style or script anywhere, SVG included.
    assert re.search(r"\sstyle=", text) is None and "<script" not in text
    assert 'fill="' in text  # presentation attributes instead


def test_filter_form_by_point_and_bad_input(client: FlaskClient, auth, seeded) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    response = client.get(f"/dashboard?{BASE_QUERY}&point=auchan")
    assert response.status_code == 200
    assert '<option selected value="auchan">' in response.get_data(as_text=True)
    bad = client.get("/dashboard?start=2025-04-01&end=2025-03-01")
    assert bad.status_code == 400
    text = page_text(bad)
    assert "La date de fin doit être après la date de début." in text
    assert 'value="2025-04-01"' in text  # what was typed is kept
    assert client.get("/dashboard?point=zzz-unknown").status_code == 400
    assert client.get("/dashboard?start=pas-une-date").status_code == 400
    assert client.get("/dashboard/export.xlsx?channel=zzz").status_code == 400


def test_only_demo_data_shows_with_a_notice(client: FlaskClient, auth, app: Flask) -> None:  # type: ignore[no-untyped-def]
    service.cache().clear()
    with app.app_context():
        places = seed_places()
        for _n in range(6):
            add_response(places, is_demo=True, answers={"needs": "caf"})
        db.session.commit()
    auth.login("coordinator")
    text = page_text(client.get("/dashboard"))
    assert "Il n'y a pas encore de réponse réelle : ce tableau de bord montre les réponses" in text
    assert '<option selected value="all">' in text


def test_empty_database(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    service.cache().clear()
    auth.login("coordinator")
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert "Trop peu de réponses (0)" in page_text(response)
    assert client.get("/dashboard/export.xlsx").status_code == 200


def test_printable_report(client: FlaskClient, auth, seeded) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    response = client.get(f"/dashboard/rapport?{BASE_QUERY}&point=auchan")
    text = page_text(response)
    assert response.status_code == 200
    assert MOTHERS in text and "Carte des besoins" in text and text.count("<svg") == 8
    # The report carries its stylesheet (inlined with app.css, app/static_files.py).
    dashboard_css = (Path(__file__).parents[2] / "app/static/css/dashboard.css").read_text()

    # Inlined, without comments and layout spaces: compare the rules, all whitespace aside.
    def rules(css: str) -> str:
        return re.sub(r"\s+", "", re.sub(r"/\*.*?\*/", "", css, flags=re.S))

    assert rules(dashboard_css) in rules(text) and "Auchan" in text  # named filter
    assert 'class="filters"' not in text  # nothing to fill in on paper


def test_free_text_words(client: FlaskClient, auth, app: Flask, seeded) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for n in range(7):
            add_response(
                seeded,
                answers={
                    "needs": "other",
                    "needs_other": "Inscription à la cantine" if n < 5 else "La piscine",
                },
            )
        db.session.commit()
    data = _data(app)
    words = {w.word: w.people for w in data.words}
    assert words == {"Inscription": 5, "cantine": 5, "piscine": 2}
    table = dict(
        zip(data.frames["words"]["word"], _counts(data.frames["words"], "people"), strict=True)
    )
    assert table == {"Inscription": 5, "cantine": 5, "piscine": None}
    auth.login("coordinator")
    text = page_text(client.get(f"/dashboard?{BASE_QUERY}"))
    assert "cantine" in text and "piscine" in text


# --- exports: the same figures, suppressed the same way


def _check_people_columns(header: list[object], rows: list[list[object]], where: str) -> None:
    for row in rows:
        for name, value in zip(header, row, strict=False):
            if name in PEOPLE_HEADERS and value not in (None, ""):
                assert value == "moins de 5" or int(str(value).replace("\u202f", "")) >= 5, (
                    where,
                    name,
                    row,
                )


def test_xlsx_export(client: FlaskClient, auth, seeded) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    response = client.get(f"/dashboard/export.xlsx?{BASE_QUERY}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == list(service.EXPORT_NAMES)
    themes = [list(r) for r in book["demandes_par_theme"].iter_rows(min_row=2, values_only=True)]
    header, rows = themes[0], themes[1:]
    by_code = {r[header.index("Code")]: r for r in rows}
    assert by_code["caf"][header.index("Personnes")] == 11  # a number, not text
    assert by_code["caf"][header.index("Part")] == 55.0
    assert by_code["taxes"][header.index("Personnes")] == "moins de 5"
    key = {r[0]: r[1] for r in book["chiffres_cles"].iter_rows(min_row=3, values_only=True)}
    assert key["Réponses"] == 20 and key["Part avec un aidant (%)"] == 30.0
    personas = [list(r) for r in book["profils_types"].iter_rows(min_row=2, values_only=True)]
    assert personas[1][1] == MOTHERS and personas[1][2] == 8
    for sheet in book.worksheets:
        table = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
        _check_people_columns(table[0], table[1:], sheet.title)


def test_csv_exports(client: FlaskClient, auth, seeded) -> None:  # type: ignore[no-untyped-def]
    import csv as csv_module

    auth.login("coordinator")
    response = client.get(f"/dashboard/export.zip?{BASE_QUERY}")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == sorted(f"{n}.csv" for n in service.EXPORT_NAMES)
    for name in archive.namelist():
        text = archive.read(name).decode("utf-8-sig")
        table = list(csv_module.reader(io.StringIO(text), delimiter=";"))
        _check_people_columns(table[0], table[1:], name)
    single = client.get(f"/dashboard/export/age_par_quartier.csv?{BASE_QUERY}")
    text = single.data.decode("utf-8-sig")
    assert single.mimetype == "text/csv"
    assert "30 à 44 ans;canto_perdrix;Canto Perdrix;8" in text
    assert "45 à 59 ans;carro;Carro;moins de 5" in text


# --- cache


def test_cache_refreshes_when_a_response_arrives(client: FlaskClient, auth, app, seeded) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    cache = service.cache()
    cache.clear()
    first = page_text(client.get(f"/dashboard?{BASE_QUERY}"))
    assert '<span class="figure">20</span>' in first
    client.get(f"/dashboard?{BASE_QUERY}")
    assert cache.stats == {"loads": 1, "computes": 1, "hits": 1, "stale": 0}
    with app.app_context():
        add_response(
            seeded,
            submitted_at=datetime(2025, 4, 2, 9, tzinfo=UTC),
            answers={"needs": "caf housing", "age_band": "30_44"},
        )
        db.session.commit()
    # The page does not wait: the previous figures, said to be updating, while the new ones
    # are computed in the background; the next page has them.
    second = page_text(client.get(f"/dashboard?{BASE_QUERY}"))
    assert '<span class="figure">20</span>' in second
    assert "les chiffres se mettent à jour" in second
    cache.wait_idle()
    third = page_text(client.get(f"/dashboard?{BASE_QUERY}"))
    assert '<span class="figure">21</span>' in third
    assert "se mettent à jour" not in third
    assert cache.stats == {"loads": 2, "computes": 2, "hits": 2, "stale": 1}
    data = _data(app)
    # Appended, not reloaded: the new one-hot column exists and old rows have it False.
    assert int(data.wide["needs/housing"].sum()) == 1
    assert _counts(data.frames["requests_by_theme"])[0] == 12
    # A removed response (demo clean-up, retention) makes a full reload; exports always
    # wait for the current figures.
    with app.app_context():
        db.session.execute(
            Response.__table__.delete().where(Response.id == seeded["ids"][1])  # type: ignore[index]
        )
        db.session.commit()
    export = client.get(f"/dashboard/export/chiffres_cles.csv?{BASE_QUERY}")
    assert "Réponses;20" in export.data.decode("utf-8-sig")
    assert cache.stats["loads"] == 3


# --- CLI


def test_cli_profiles_show(runner, seeded) -> None:  # type: ignore[no-untyped-def]
    service.cache().clear()
    result = runner.invoke(args=["profiles", "show", "--form", "mairiebus"])
    assert result.exit_code == 0, result.output
    assert "Réponses : 20" in result.output
    assert "Avec un aidant : 6 (30 %)" in result.output
    assert f"1. {MOTHERS} (8 personnes sur 20, 40 %)" in result.output
    as_json = runner.invoke(args=["profiles", "show", "--form", "mairiebus", "--json"])
    assert as_json.exit_code == 0, as_json.output
    summary = json.loads(as_json.output)
    assert summary["key_figures"]["responses"] == 20
    assert summary["personas"][0]["sentence"] == MOTHERS
    assert summary["personas"][0]["count"] == 8
    assert summary["people"] == 20
    bad = runner.invoke(args=["profiles", "show", "--demo", "zzz"])
    assert bad.exit_code != 0


def test_pass_figures_are_reused_by_filters_that_do_not_apply_to_passes(
    app: Flask, seeded: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A point or form filter leaves the Pass figures as they were: they are computed once."""
    calls: list[object] = []
    real = service.A.pass_levels

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(service.A, "pass_levels", counted)
    with app.app_context():
        tables = service.build_tables(db.session)
        places = service.load_places(db.session)
        everybody = service.compute(tables, service.DashboardFilters(), places)
        auchan = service.compute(
            tables, service.DashboardFilters(collection_point="auchan", form_id="mairiebus"), places
        )
        with_demo = service.compute(tables, service.DashboardFilters(demo="all"), places)
    assert len(calls) == 2  # the default view, then the demo answers included
    assert auchan.frames["pass_levels"].equals(everybody.frames["pass_levels"])
    assert auchan.key["passes"] == everybody.key["passes"]
    assert with_demo.key["passes"] == 16
    # Each view has its own copy: changing one does not change the other.
    auchan.frames["pass_levels"].loc[0, "passes"] = 999
    assert not everybody.frames["pass_levels"].equals(auchan.frames["pass_levels"])
