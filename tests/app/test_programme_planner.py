"""The programme planner end to end: needs in the database -> draft -> edits -> published."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import db
from app.models.passes import Assessment, AssessmentKind, LevelResult, LevelStatus, Pass
from app.models.programme import HalfDay, Programme, ProgrammeStatus, Service, Slot, Theme
from app.models.surveys import (
    Answer,
    CollectionPoint,
    Form,
    FormVersion,
    Neighbourhood,
    PointKind,
    Response,
    ResponseStatus,
)
from app.services import programme as svc
from tests.conftest import csrf_token, page_text

FEB = (2031, 2)  # 1 February 2031 is a Saturday; no holiday; no season for caf/id_papers/taxes


def _version() -> FormVersion:
    form = Form(form_id="mairiebus", title="Mairie Bus")
    version = FormVersion(
        form=form,
        version="1",
        title="Mairie Bus",
        source_filename="mairiebus.xlsx",
        source=b"x",
        source_sha256=hashlib.sha256(b"x").hexdigest(),
    )
    db.session.add(version)
    db.session.flush()
    return version


def _respond(
    version: FormVersion,
    *,
    neighbourhood: Neighbourhood | None = None,
    point: CollectionPoint | None = None,
    status: ResponseStatus = ResponseStatus.SUBMITTED,
    **answers: str,
) -> Response:
    response = Response(
        form_version_id=version.id,
        neighbourhood_id=neighbourhood.id if neighbourhood else None,
        collection_point_id=point.id if point else None,
        status=status,
        submitted_at=datetime.now(UTC),
    )
    db.session.add(response)
    db.session.flush()
    for question, value in answers.items():
        db.session.add(Answer(response_id=response.id, question=question, value=value))
    return response


def _assess(
    levels: dict[str, int], *, pass_: Pass | None = None, where: Neighbourhood | None = None, at=0
) -> None:
    assessment = Assessment(
        pass_=pass_,
        kind=AssessmentKind.SELF,
        neighbourhood_id=where.id if where else None,
        started_at=datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=at),
    )
    assessment.results = [
        LevelResult(domain=domain, level=level, status=LevelStatus.SELF_DECLARED)
        for domain, level in levels.items()
    ]
    db.session.add(assessment)


@pytest.fixture
def town(app_ctx: Flask) -> dict[str, Neighbourhood]:
    """Two neighbourhoods with hand-made questionnaire answers and Pass levels."""
    canto = Neighbourhood(code="canto_perdrix", name="Canto Perdrix")
    boudeme = Neighbourhood(code="boudeme", name="Boudème")
    db.session.add_all([canto, boudeme])
    db.session.flush()
    point = CollectionPoint(
        code="auchan", name="Parking Auchan", kind=PointKind.SHOPPING_CENTRE, neighbourhood=boudeme
    )
    db.session.add(point)
    version = _version()
    _respond(
        version,
        neighbourhood=canto,
        needs="caf taxes",
        wished_services="caf",
        preferred_days="wednesday",
        preferred_times="morning lunchtime",
    )
    _respond(
        version,
        neighbourhood=canto,
        needs="caf",
        preferred_days="wednesday friday",
        preferred_times="afternoon",
    )
    # A draft is not a measured need.
    _respond(version, neighbourhood=canto, status=ResponseStatus.DRAFT, needs="housing")
    # No neighbourhood of its own: the collection point's (Boudème) counts.
    _respond(version, point=point, needs="id_papers")
    # Pass A: weak in devices at first, then level 3 everywhere -> not counted.
    pass_a = Pass(code="AAA-AAA-AAA", neighbourhood_id=canto.id)
    pass_b = Pass(code="BBB-BBB-BBB", neighbourhood_id=canto.id)
    db.session.add_all([pass_a, pass_b])
    _assess({"devices": 1, "browsing": 3}, pass_=pass_a, at=0)
    _assess({"devices": 3}, pass_=pass_a, at=5)
    _assess({"devices": 0, "browsing": 2}, pass_=pass_b)  # weak: counts for Canto
    _assess({"browsing": 1}, where=boudeme)  # no Pass, weak: counts for Boudème
    db.session.commit()
    return {"canto": canto, "boudeme": boudeme, "point": point}


def test_measured_needs_from_answers_and_pass_levels(town: dict[str, Neighbourhood]) -> None:
    canto, boudeme = town["canto"], town["boudeme"]
    needs = {place.code: place for place in svc.measured_needs(db.session)}
    assert set(needs) == {f"n{canto.id}", f"n{boudeme.id}"}
    mine = needs[f"n{canto.id}"]
    assert mine.name == "Canto Perdrix"
    assert dict(mine.needs) == {"caf": 2, "taxes": 1, "digital_skills": 1}
    assert dict(mine.days) == {"wednesday": 2, "friday": 1}
    assert dict(mine.times) == {"morning": 1, "afternoon": 1}
    assert dict(needs[f"n{boudeme.id}"].needs) == {"id_papers": 1, "digital_skills": 1}
    # By collection point, only the response collected there counts (Pass has no point).
    by_point = svc.measured_needs(db.session, "point")
    assert [(p.code, dict(p.needs)) for p in by_point] == [
        (f"p{town['point'].id}", {"id_papers": 1})
    ]


def test_top_theme_of_each_neighbourhood_on_its_requested_day(
    town: dict[str, Neighbourhood],
) -> None:
    programme = svc.propose_month(
        db.session, svc.ProposalSettings(*FEB, max_slots=2), created_by_id=None
    )
    slots = programme.ordered_slots
    assert programme.status is ProgrammeStatus.DRAFT
    assert [(s.date, s.half_day, s.place_name, s.theme.code) for s in slots] == [
        # Boudème asked for no day: the earliest free half-day (Monday 3rd, morning).
        (date(2031, 2, 3), HalfDay.MORNING, "Boudème", "id_papers"),
        # Canto asked for Wednesdays: its CAF slot goes to the first Wednesday, not Monday.
        (date(2031, 2, 5), HalfDay.MORNING, "Canto Perdrix", "caf"),
    ]
    assert slots[1].explanation == (
        "Canto Perdrix, mercredi matin : 50 % des demandes y concernent la CAF, "
        "et c'est l'un des créneaux les plus demandés."
    )
    assert slots[0].explanation == (
        "Boudème, lundi matin : 50 % des demandes y concernent les papiers d'identité."
    )


def _one_place_needs(app_ctx: Flask) -> None:
    ferrieres = Neighbourhood(code="ferrieres", name="Ferrières")
    db.session.add(ferrieres)
    db.session.flush()
    version = _version()
    for _ in range(3):
        _respond(version, neighbourhood=ferrieres, needs="taxes")
    for _ in range(4):
        _respond(version, neighbourhood=ferrieres, needs="caf")
    db.session.commit()


def test_season_weighting_puts_taxes_first_in_april(app_ctx: Flask) -> None:
    _one_place_needs(app_ctx)
    april = svc.propose_month(db.session, svc.ProposalSettings(2031, 4, max_slots=1))
    february = svc.propose_month(db.session, svc.ProposalSettings(*FEB, max_slots=1))
    # April: 3 tax requests x 2.0 (declaration season) = 6 beat 4 CAF requests.
    assert [s.theme.code for s in april.slots] == ["taxes"]
    assert "c'est la période de la déclaration des revenus" in april.slots[0].explanation
    assert april.slots[0].score == 6.0
    # February: no season, the 4 CAF requests win.
    assert [s.theme.code for s in february.slots] == ["caf"]


def test_full_month_never_books_a_half_day_twice_and_skips_days_off(
    town: dict[str, Neighbourhood],
) -> None:
    days_off = svc.parse_days_off("10/02, 2031-02-11", *FEB)
    assert days_off == (date(2031, 2, 10), date(2031, 2, 11))
    programme = svc.propose_month(db.session, svc.ProposalSettings(*FEB, days_off=days_off))
    cells = [(s.date, s.half_day) for s in programme.slots]
    # 20 weekdays in February 2031, minus 2 days off, times 2 half-days.
    assert len(cells) == len(set(cells)) == 36
    assert not {s.date for s in programme.slots} & set(days_off)
    assert {s.place_name for s in programme.slots} == {"Canto Perdrix", "Boudème"}
    assert all(s.date.weekday() < 5 for s in programme.slots)


def test_parse_days_off_refuses_unreadable_dates() -> None:
    with pytest.raises(svc.ProgrammeError) as error:
        svc.parse_days_off("9/02, demain, 31/02", *FEB)
    assert "« demain », « 31/02 »" in error.value.messages["days_off"]


def test_service_comes_aboard_on_its_days(town: dict[str, Neighbourhood]) -> None:
    themes = svc.ensure_themes(db.session)
    db.session.add(
        Service(
            name="CAF des Bouches-du-Rhône",
            themes=[themes["caf"]],
            weekdays=["wednesday"],
            half_days=["afternoon"],
            max_slots_per_month=1,
        )
    )
    db.session.commit()
    programme = svc.propose_month(db.session, svc.ProposalSettings(*FEB, max_slots=2))
    canto = next(s for s in programme.slots if s.place_name == "Canto Perdrix")
    # Wednesday morning and afternoon fit Canto's requests equally; the partner can only come
    # on Wednesday afternoons, and its +1 makes that half-day the best.
    assert (canto.date, canto.half_day, canto.service.name) == (
        date(2031, 2, 5),
        HalfDay.AFTERNOON,
        "CAF des Bouches-du-Rhône",
    )
    assert canto.explanation == (
        "Canto Perdrix, mercredi après-midi : 50 % des demandes y concernent la CAF, et c'est "
        "l'un des créneaux les plus demandés ; CAF des Bouches-du-Rhône sera à bord."
    )


def test_inactive_theme_is_not_planned(town: dict[str, Neighbourhood]) -> None:
    themes = svc.ensure_themes(db.session)
    svc.set_theme_active(db.session, themes["caf"], False)
    programme = svc.propose_month(db.session, svc.ProposalSettings(*FEB))
    assert "caf" not in {s.theme.code for s in programme.slots}
    assert "taxes" in {s.theme.code for s in programme.slots}


def test_reproposing_replaces_the_draft_but_not_a_published_month(
    town: dict[str, Neighbourhood],
) -> None:
    first = svc.propose_month(db.session, svc.ProposalSettings(*FEB, max_slots=2))
    assert len(first.slots) == 2
    second = svc.propose_month(db.session, svc.ProposalSettings(*FEB, max_slots=4))
    assert db.session.scalar(select(func.count()).select_from(Programme)) == 1
    assert second.settings["max_slots"] == 4
    assert db.session.scalar(select(func.count()).select_from(Slot)) == 4
    svc.publish(db.session, second)
    with pytest.raises(svc.ProgrammeError) as error:
        svc.propose_month(db.session, svc.ProposalSettings(*FEB))
    assert "déjà publié" in error.value.messages["month"]


# --------------------------------------------------------------------------- through the views


def test_coordinator_proposes_edits_and_publishes(
    app: Flask, client: FlaskClient, auth, town: dict[str, Neighbourhood]
) -> None:
    auth.login("coordinator")
    page = client.get("/programme")
    assert page.status_code == 200
    assert "Besoins mesurés par quartier" in page_text(page)
    token = csrf_token(client, "/programme")
    response = client.post(
        "/programme/proposer",
        data={
            "csrf_token": token,
            "month": "2031-02",
            "place_kind": "neighbourhood",
            "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "half_days": ["morning", "afternoon"],
            "days_off": "",
            "max_slots": "2",
            "min_visits": "1",
        },
    )
    # The month choices start at the current month: 2031 is out of the list, so 400 first.
    assert response.status_code == 400
    assert "Not a valid choice" not in page_text(response)
    today = svc.paris_today()
    year, month = svc.next_month(today)
    response = client.post(
        "/programme/proposer",
        data={
            "csrf_token": token,
            "month": f"{year}-{month:02d}",
            "place_kind": "neighbourhood",
            "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "half_days": ["morning", "afternoon"],
            "days_off": "zz",
            "max_slots": "2",
            "min_visits": "1",
        },
    )
    assert response.status_code == 400
    assert "Date illisible : « zz »" in page_text(response)
    response = client.post(
        "/programme/proposer",
        data={
            "csrf_token": token,
            "month": f"{year}-{month:02d}",
            "place_kind": "neighbourhood",
            "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "half_days": ["morning", "afternoon"],
            "max_slots": "2",
            "min_visits": "1",
        },
    )
    assert response.status_code == 303
    programme = db.session.scalar(select(Programme))
    assert programme is not None and len(programme.slots) == 2
    edit_url = response.headers["Location"]
    edit_page = page_text(client.get(edit_url))
    assert "des demandes y concernent" in edit_page
    # The planner's weight reads as a rank, not as a raw "score 42.34".
    assert "(priorité 1 sur 2)" in edit_page and "(priorité 2 sur 2)" in edit_page
    assert "score" not in edit_page.lower()

    # Adding a slot on a taken half-day is refused next to the date field.
    taken = programme.ordered_slots[0]
    theme_id = taken.theme_id
    add_url = f"/programme/{programme.id}/creneaux/nouveau"
    token = csrf_token(client, add_url)
    form = {
        "csrf_token": token,
        "date": taken.date.isoformat(),
        "half_day": taken.half_day.value,
        "place": taken.place_key,
        "theme": str(theme_id),
        "service": "",
        "note": "Apportez votre avis d'imposition",
    }
    refused = client.post(add_url, data=form)
    assert refused.status_code == 400
    text = page_text(refused)
    assert "Le bus est déjà prévu le" in text
    assert 'id="date-error"' in refused.get_data(as_text=True)
    assert "Apportez votre avis d'imposition" in text  # what was typed is kept
    free = next(
        day
        for day in (date(year, month, n) for n in range(1, 29))
        if day not in {s.date for s in programme.slots}
    )
    accepted = client.post(add_url, data={**form, "date": free.isoformat()})
    assert accepted.status_code == 303
    db.session.expire_all()
    assert len(programme.slots) == 3

    # Publishing shows it on the public calendar.
    token = csrf_token(client, edit_url)
    assert (
        client.post(f"/programme/{programme.id}/publier", data={"csrf_token": token}).status_code
        == 303
    )
    db.session.expire_all()
    assert programme.status is ProgrammeStatus.PUBLISHED and programme.published_at is not None
    calendar = page_text(client.get("/calendrier"))
    assert taken.place_name in calendar
    # Unpublish takes it back to draft, off the calendar.
    client.post(f"/programme/{programme.id}/depublier", data={"csrf_token": token})
    db.session.expire_all()
    assert programme.status is ProgrammeStatus.DRAFT
    assert "pas encore publié" in page_text(client.get("/calendrier"))


def test_editing_a_published_slot_raises_its_sequence(
    app: Flask, client: FlaskClient, auth, town: dict[str, Neighbourhood]
) -> None:
    programme = svc.propose_month(db.session, svc.ProposalSettings(*FEB, max_slots=2))
    svc.publish(db.session, programme)
    slot = programme.ordered_slots[0]
    auth.login("coordinator")
    url = f"/programme/creneaux/{slot.id}"
    token = csrf_token(client, url)
    other = programme.ordered_slots[1]
    data = {
        "csrf_token": token,
        "date": other.date.isoformat(),
        "half_day": other.half_day.value,
        "place": slot.place_key,
        "theme": str(slot.theme_id),
        "service": "",
        "note": "",
    }
    assert client.post(url, data=data).status_code == 400  # double booking
    data["date"] = "2031-03-02"
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "Choisissez une date en février 2031." in page_text(response)
    data.update(date="2031-02-07", cancelled="y")
    assert client.post(url, data=data).status_code == 303
    db.session.expire_all()
    assert (slot.date, slot.cancelled, slot.sequence) == (date(2031, 2, 7), True, 1)
    assert slot.explanation == "Créneau modifié par la coordination."


def test_themes_and_services_management(app_ctx: Flask, client: FlaskClient, auth) -> None:
    auth.login("coordinator")
    token = csrf_token(client, "/programme/themes")
    response = client.post(
        "/programme/themes", data={"csrf_token": token, "code": "caf", "name": ""}
    )
    assert response.status_code == 400
    assert "Indiquez le nom." in page_text(response)
    response = client.post(
        "/programme/themes",
        data={"csrf_token": token, "code": "caf", "name": "CAF", "colour": "bleu"},
    )
    assert response.status_code == 400
    assert "La couleur s'écrit #" in page_text(response)
    ok = client.post("/programme/themes", data={"csrf_token": token, "code": "caf", "name": "CAF"})
    assert ok.status_code == 303
    caf = db.session.scalar(select(Theme).where(Theme.code == "caf"))
    assert caf is not None and caf.active

    token = csrf_token(client, "/programme/services")
    base = {
        "csrf_token": token,
        "name": "CAF 13",
        "weekdays": ["tuesday"],
        "half_days": ["morning"],
        "max_slots_per_month": "3",
    }
    response = client.post("/programme/services", data=base)
    assert response.status_code == 400
    assert "Cochez au moins un thème." in page_text(response)
    assert 'value="CAF 13"' in response.get_data(as_text=True)
    assert (
        client.post("/programme/services", data={**base, "themes": [str(caf.id)]}).status_code
        == 303
    )
    service = db.session.scalar(select(Service))
    assert service is not None
    assert (service.theme_codes, service.weekdays, service.max_slots_per_month) == (
        ["caf"],
        ["tuesday"],
        3,
    )
    client.post(f"/programme/services/{service.id}/activer", data={"csrf_token": token})
    client.post(f"/programme/themes/{caf.id}/activer", data={"csrf_token": token})
    db.session.expire_all()
    assert not service.active and not caf.active


def test_aidants_cannot_plan(client: FlaskClient, auth) -> None:
    auth.login("aidant")
    assert client.get("/programme").status_code == 403
    assert client.get("/programme/services").status_code == 403


def test_demo_seeder_publishes_this_and_next_month_idempotently_and_removes(
    app_ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.demo_seeders import programme as seeder

    monkeypatch.setattr(svc, "paris_today", lambda: date(2031, 2, 12))
    lines: list[str] = []
    seeder.seed(lines.append)
    seeder.seed(lines.append)
    for year, month in ((2031, 2), (2031, 3)):
        programme = svc.get_programme(db.session, year, month)
        assert programme is not None and programme.is_published and programme.is_demo
        assert len(programme.slots) > 10
    february = svc.get_programme(db.session, 2031, 2)
    assert february is not None and min(s.date for s in february.slots) == date(2031, 2, 12)
    assert db.session.scalar(select(func.count()).select_from(Programme)) == 2
    assert lines[2:] == [
        "Programme for février 2031 already exists",
        "Programme for mars 2031 already exists",
    ]
    # A real service survives removal; demo programme, services and themes go.
    real = Service(name="Vrai partenaire", weekdays=["monday"], half_days=["morning"])
    db.session.add(real)
    db.session.commit()
    seeder.remove(lines.append)
    assert db.session.scalar(select(func.count()).select_from(Programme)) == 0
    assert db.session.scalars(select(Service.name)).all() == ["Vrai partenaire"]
    assert db.session.scalar(select(func.count()).select_from(Theme)) == 0


def test_cli_proposes_and_publishes_a_month(runner, town: dict[str, Neighbourhood]) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(
        args=["programme", "propose", "2031-02", "--max-slots", "2", "--publish"]
    )
    assert result.exit_code == 0, result.output
    assert "Canto Perdrix, mercredi matin : 50 % des demandes y concernent la CAF" in result.output
    assert result.output.endswith("2 half-days proposed for 2031-02 (published).\n")
    bad = runner.invoke(args=["programme", "propose", "2031-13"])
    assert bad.exit_code != 0 and "le mois va de 01 à 12" in bad.output


def test_planner_never_proposes_days_already_past(town: dict[str, Neighbourhood]) -> None:
    """Proposing the current month on the 12th: nothing before the 12th; a past month refused."""
    programme = svc.propose_month(db.session, svc.ProposalSettings(*FEB), today=date(2031, 2, 12))
    assert programme.slots
    assert min(slot.date for slot in programme.slots) >= date(2031, 2, 12)
    with pytest.raises(svc.ProgrammeError) as error:
        svc.propose_month(db.session, svc.ProposalSettings(2031, 1), today=date(2031, 2, 12))
    assert error.value.messages == {
        "month": "Ce mois est passé : choisissez ce mois-ci ou un suivant."
    }
