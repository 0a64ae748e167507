"""The aidants' logbook end to end: recording, editing, referrals by email, the referent's
signed link, follow-ups, erasure after the retention period, exports and the planner."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import db
from app.models.journal import (
    Outcome,
    Referent,
    Referral,
    ReferralStatus,
    Visit,
    VisitChange,
)
from app.models.programme import HalfDay, Programme, ProgrammeStatus, Service, Slot
from app.models.surveys import Neighbourhood
from app.services import journal as svc
from app.services import programme as programme_svc
from app.services.programme import paris_today
from tests.conftest import csrf_token, page_text
from tests.support.smtp import free_port


@pytest.fixture
def town(app_ctx: Flask) -> dict[str, int]:
    """Two neighbourhoods, the CAF service and its referent, today's published slot."""
    themes = programme_svc.ensure_themes(db.session)
    canto = Neighbourhood(code="canto_perdrix", name="Canto Perdrix")
    ferrieres = Neighbourhood(code="ferrieres", name="Ferrières")
    caf = Service(
        name="CAF des Bouches-du-Rhône",
        themes=[themes["caf"]],
        referent_email="accueil.caf@example.net",
        referent_phone="04 42 00 00 01",
    )
    db.session.add_all([canto, ferrieres, caf])
    db.session.flush()
    referent = Referent(
        name="Sandrine Garcia",
        service=caf,
        email="sandrine.garcia@caf.example.net",
        phone="04 42 00 00 02",
        visio_url="https://visio.example.net/caf-martigues",
        themes=[themes["caf"], themes["housing"]],
    )
    today = paris_today()
    programme = Programme(year=today.year, month=today.month, status=ProgrammeStatus.PUBLISHED)
    programme.slots = [
        Slot(
            date=today,
            half_day=HalfDay.MORNING,
            neighbourhood_id=canto.id,
            theme_id=themes["caf"].id,
        ),
        Slot(
            date=today,
            half_day=HalfDay.AFTERNOON,
            neighbourhood_id=canto.id,
            theme_id=themes["caf"].id,
        ),
    ]
    db.session.add_all([referent, programme])
    db.session.commit()
    return {"canto": canto.id, "ferrieres": ferrieres.id, "referent": referent.id, "caf": caf.id}


def _form(client: FlaskClient) -> dict[str, str]:
    page = client.get("/journal/passage").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert key, "no idempotency key on the entry form"
    place = re.search(r'<option selected value="([^"]*)">', page)
    return {
        "csrf_token": csrf_token(client, "/journal/passage"),
        "idempotency_key": key.group(1),
        "place": place.group(1) if place else "",
    }


def _record(client: FlaskClient, **fields: object):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {**_form(client), **fields}
    return client.post("/journal/passage", data=data)


def test_entry_form_is_prefilled_with_todays_stop(client: FlaskClient, auth, town) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    fields = _form(client)
    assert fields["place"] == f"n{town['canto']}"


def test_common_case_records_one_visit_without_a_name(client: FlaskClient, auth, town) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    fields = _form(client)
    data = {**fields, "procedures": "caf_declaration", "outcome": "solved", "minutes": "15"}
    first = client.post("/journal/passage", data=data)
    assert first.status_code == 303
    again = client.post("/journal/passage", data=data)  # a double tap, or an offline replay
    assert again.status_code == 303
    visit = db.session.scalars(select(Visit)).one()
    assert visit.procedures == ["caf_declaration"]
    assert visit.themes == ["caf"]
    assert visit.outcome is Outcome.SOLVED
    assert visit.minutes == 15
    assert visit.place_neighbourhood_id == town["canto"]
    assert (visit.first_name, visit.phone, visit.email) == ("", "", "")
    assert [c.action for c in visit.changes] == ["created"]
    day = page_text(client.get("/journal"))
    assert (
        "1 passage" in day and "CAF : déclaration trimestrielle" in day and "Réglé sur place" in day
    )


def test_bad_input_says_what_to_fix_and_keeps_what_was_typed(
    client: FlaskClient, auth, town
) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    response = _record(client, note="Dossier APL à finir", minutes="10")
    assert response.status_code == 400
    text = page_text(response)
    assert "Choisissez au moins une démarche ou un thème." in text
    assert "Choisissez comment s'est terminé le passage." in text
    assert "Dossier APL à finir" in text
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_contact_needs_explicit_consent(client: FlaskClient, auth, town) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    response = _record(
        client,
        procedures="ameli_vitale",
        outcome="call_back",
        first_name="Monique",
        phone="06 39 98 12 34",
    )
    assert response.status_code == 400
    assert "Cochez l'accord de la personne" in page_text(response)
    assert "06 39 98 12 34" in page_text(response)
    bad_phone = _record(
        client, procedures="ameli_vitale", outcome="call_back", contact_consent="y", phone="12"
    )
    assert bad_phone.status_code == 400 and "10 chiffres" in page_text(bad_phone)
    ok = _record(
        client,
        procedures="ameli_vitale",
        outcome="call_back",
        contact_consent="y",
        first_name="Monique",
        phone="06 39 98 12 34",
    )
    assert ok.status_code == 303
    visit = db.session.scalars(select(Visit)).one()
    assert visit.has_contact and visit.phone == "06 39 98 12 34"
    assert "Monique" in page_text(client.get("/journal"))  # in "Personnes à rappeler"


def test_referral_email_link_answer_and_dashboard(
    client: FlaskClient, auth, town, smtp_server, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    response = _record(
        client,
        procedures="caf_housing_aid",
        outcome="referred",
        referral_to=f"r{town['referent']}",
        need="Dossier APL bloqué depuis 3 mois",
        minutes="20",
        contact_consent="y",
        first_name="Fatima",
        phone="06 39 98 00 11",
    )
    assert response.status_code == 303
    (received,) = smtp_server.sink.wait_for(1)
    assert received.rcpt_tos == ["sandrine.garcia@caf.example.net"]
    referral = db.session.scalars(select(Referral)).one()
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    assert referral.reference in received.message["Subject"]
    assert "Dossier APL bloqué depuis 3 mois" in body
    assert "Fatima" in body and "06 39 98 00 11" in body
    link = re.search(r"https://mairiebus\.example\.org(/orientation/\S+)", body)
    assert link, body
    assert referral.email_sent_at is not None

    referent = app.test_client()  # no account
    # Its own application context: the test's context would share ``g`` (and its CSRF token).
    with app.app_context():
        page = referent.get(link.group(1))
        assert page.status_code == 200
        assert "Dossier APL bloqué depuis 3 mois" in page_text(page)
        token = csrf_token(referent, link.group(1))
        answered = referent.post(link.group(1), data={"csrf_token": token, "status": "solved"})
        assert answered.status_code == 303
        assert "Merci, c'est noté." in page_text(referent.get(link.group(1)))
    db.session.refresh(referral)
    assert referral.status is ReferralStatus.SOLVED and referral.closed_at is not None

    for procedure in ("taxes_return", "ameli_account", "caf_declaration", "ants_id_card"):
        assert (
            _record(client, procedures=procedure, outcome="solved", minutes="10").status_code == 303
        )
    dashboard = page_text(client.get("/dashboard"))
    section = dashboard[dashboard.index('id="journal"') :]
    assert "Passages : <strong>5</strong>" in section
    # 1 referral, 1 referred of 5, 4 solved on the spot: all under the k = 5 rule, so hidden.
    assert "Orientations : <strong>moins de 5</strong>" in section
    assert "Orienté</th><td>moins de 5</td>" in section
    assert "Réglé sur place</th><td>moins de 5</td>" in section
    assert "Canto Perdrix</th><td>5</td>" in section


def test_referral_stored_when_email_fails_then_sent_again(
    client: FlaskClient, auth, town, app: Flask, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    working = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    response = _record(
        client, procedures="caf_declaration", outcome="referred", referral_to=f"s{town['caf']}"
    )
    assert response.status_code == 303
    referral = db.session.scalars(select(Referral)).one()
    assert referral.email_sent_at is None and referral.email_error
    assert "e-mail non envoyé, réessayer" in page_text(client.get("/journal"))
    app.config["MAIL_URL"] = working
    page = f"/journal/orientations/{referral.id}"
    again = client.post(f"{page}/renvoyer", data={"csrf_token": csrf_token(client, page)})
    assert again.status_code == 303
    (received,) = smtp_server.sink.wait_for(1)
    assert received.rcpt_tos == ["accueil.caf@example.net"]
    db.session.refresh(referral)
    assert referral.email_sent_at is not None
    # Without consent the referent gets no contact, only the reference to expect.
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    assert "n'a pas laissé de coordonnées" in body and referral.reference in body


def test_forged_or_expired_link_is_refused_in_french(client: FlaskClient, town, app: Flask) -> None:  # type: ignore[no-untyped-def]
    visit = Visit(
        idempotency_key="k" * 24,
        day=paris_today(),
        procedures=["taxes_return"],
        themes=["taxes"],
        outcome=Outcome.REFERRED,
    )
    referral = Referral(
        reference="OR-ABCDEF", visit=visit, service_id=town["caf"], kind=svc.ReferralKind.EMAIL
    )
    db.session.add(referral)
    db.session.commit()
    with app.test_request_context():
        token = svc.referral_token(referral)
    forged = client.get(f"/orientation/{token[:-3]}abc")
    assert forged.status_code == 404 and "pas valable" in page_text(forged)
    app.config["JOURNAL_LINK_DAYS"] = -1  # every link is already too old
    try:
        expired = client.get(f"/orientation/{token}")
    finally:
        app.config["JOURNAL_LINK_DAYS"] = 60
    assert expired.status_code == 404 and "a expiré" in page_text(expired)


def test_same_day_edit_keeps_an_audit_trail_without_personal_data(
    client: FlaskClient, auth, town
) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    _record(client, procedures="taxes_return", outcome="solved", minutes="10")
    visit = db.session.scalars(select(Visit)).one()
    url = f"/journal/passages/{visit.id}/modifier"
    edited = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "place": f"n{town['ferrieres']}",
            "procedures": ["taxes_return", "taxes_account"],
            "outcome": "call_back",
            "minutes": "30",
            "contact_consent": "y",
            "phone": "06 39 98 44 55",
        },
    )
    assert edited.status_code == 303
    db.session.refresh(visit)
    assert visit.outcome is Outcome.CALL_BACK and visit.minutes == 30
    change = visit.changes[-1]
    assert change.action == "updated"
    assert change.fields["minutes"] == [10, 30]
    assert change.fields["phone"] is True  # that it changed, never the number
    assert "06 39 98" not in str([c.fields for c in visit.changes])
    assert db.session.scalar(select(func.count()).select_from(VisitChange)) == 2
    visit.day = paris_today() - timedelta(days=1)
    db.session.commit()
    assert client.get(url).status_code == 403
    with pytest.raises(ValueError, match="never deleted"):
        db.session.delete(visit)
        db.session.flush()
    db.session.rollback()


def _visit_with_contact(day: date, **fields: object) -> Visit:
    visit = Visit(
        idempotency_key=f"key-{day.isoformat()}-{len(fields)}-{id(fields)}",
        day=day,
        procedures=["caf_declaration"],
        themes=["caf"],
        outcome=Outcome.REFERRED,
        contact_consent=True,
        first_name="Nadia",
        phone="06 39 98 77 66",
        email="nadia@example.net",
        **fields,
    )
    db.session.add(visit)
    return visit


def test_contacts_are_erased_after_the_retention_period(app_ctx: Flask, town) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2027, 6, 30, 12, tzinfo=UTC)
    closed_long_ago = _visit_with_contact(date(2027, 1, 10))
    db.session.add(
        Referral(
            reference="OR-AAAAAA",
            visit=closed_long_ago,
            service_id=town["caf"],
            kind=svc.ReferralKind.EMAIL,
            status=ReferralStatus.SOLVED,
            closed_at=now - timedelta(days=93),
        )
    )
    closed_recently = _visit_with_contact(date(2027, 1, 11))
    db.session.add(
        Referral(
            reference="OR-BBBBBB",
            visit=closed_recently,
            service_id=town["caf"],
            kind=svc.ReferralKind.EMAIL,
            status=ReferralStatus.NOT_OURS,
            closed_at=now - timedelta(days=30),
        )
    )
    still_open = _visit_with_contact(date(2027, 1, 12))
    db.session.add(
        Referral(
            reference="OR-CCCCCC",
            visit=still_open,
            service_id=town["caf"],
            kind=svc.ReferralKind.EMAIL,
        )
    )
    no_referral = _visit_with_contact(date(2027, 3, 1))
    db.session.commit()

    assert svc.erase_expired_contacts(db.session, now) == 2
    for visit in (closed_long_ago, no_referral):
        db.session.refresh(visit)
        assert (visit.first_name, visit.phone, visit.email) == ("", "", "")
        assert visit.contact_erased_at is not None and visit.changes[-1].action == "contact_erased"
    for visit in (closed_recently, still_open):
        db.session.refresh(visit)
        assert visit.phone == "06 39 98 77 66"

    app_ctx.config["JOURNAL_RETENTION_DAYS"] = 20
    try:
        assert svc.erase_expired_contacts(db.session, now) == 1  # the one closed 30 days ago
    finally:
        app_ctx.config["JOURNAL_RETENTION_DAYS"] = 92
    db.session.refresh(closed_recently)
    assert closed_recently.phone == ""


def test_follow_ups_list_old_open_referrals(app_ctx: Flask, town) -> None:  # type: ignore[no-untyped-def]
    old = _visit_with_contact(paris_today() - timedelta(days=10))
    recent = _visit_with_contact(paris_today())
    db.session.add_all(
        [
            Referral(
                reference="OR-OLD234",
                visit=old,
                referent_id=town["referent"],
                kind=svc.ReferralKind.EMAIL,
                created_at=datetime.now(UTC) - timedelta(days=10),
            ),
            Referral(
                reference="OR-NEW234",
                visit=recent,
                referent_id=town["referent"],
                kind=svc.ReferralKind.EMAIL,
            ),
        ]
    )
    db.session.commit()
    assert [r.reference for r in svc.follow_ups(db.session)] == ["OR-OLD234"]
    assert svc.follow_ups(db.session, days=30) == []


def test_visio_is_logged_as_a_referral_and_opens_the_link(client: FlaskClient, auth, town) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    _record(client, procedures="caf_account", outcome="solved_with_help", minutes="20")
    visit = db.session.scalars(select(Visit)).one()
    page = f"/journal/passages/{visit.id}"
    response = client.post(
        f"{page}/orienter",
        data={
            "csrf_token": csrf_token(client, page),
            "referral_to": f"r{town['referent']}",
            "visio": "1",
        },
    )
    assert response.status_code == 303
    referral = db.session.scalars(select(Referral)).one()
    assert referral.kind is svc.ReferralKind.VISIO
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'href="https://visio.example.net/caf-martigues"' in shown
    slip = page_text(client.get(f"/journal/orientations/{referral.id}/fiche"))
    assert referral.reference in slip and "04 42 00 00 02" in slip


def test_export_cli_neutralises_formulas(app_ctx: Flask, runner, tmp_path, town) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    trap = Neighbourhood(code="trap", name='=HYPERLINK("http://evil.example","x")')
    db.session.add(trap)
    db.session.flush()
    db.session.add(
        Visit(
            idempotency_key="x" * 24,
            day=date(2026, 11, 3),
            place_neighbourhood_id=trap.id,
            procedures=["taxes_return"],
            themes=["taxes"],
            outcome=Outcome.SOLVED,
            minutes=15,
            note="privé",
            contact_consent=True,
            phone="06 39 98 11 22",
        )
    )
    db.session.commit()
    target = tmp_path / "journal.xlsx"
    result = runner.invoke(args=["journal", "export", "--month", "2026-11", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "1 visits of 2026-11" in result.output
    sheet = openpyxl.load_workbook(target).active
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["lieu_du_bus"] == "'" + '=HYPERLINK("http://evil.example","x")'
    assert row["minutes"] == 15
    assert "06 39 98" not in str(row) and "privé" not in str(row)
    csv_target = tmp_path / "journal.csv"
    assert (
        runner.invoke(
            args=["journal", "export", "--month", "2026-11", "-o", str(csv_target)]
        ).exit_code
        == 0
    )
    assert "'=HYPERLINK" in csv_target.read_text(encoding="utf-8-sig")
    bad = runner.invoke(args=["journal", "export", "--month", "2026-13", "-o", str(csv_target)])
    assert bad.exit_code != 0 and "le mois va de 01 à 12" in bad.output


def test_export_page_for_coordinators(client: FlaskClient, auth, town) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    response = client.get("/journal/export?month=2026-11&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    bad = client.get("/journal/export?month=novembre&format=csv")
    assert bad.status_code == 400 and "2026-11" in page_text(bad)


def test_planner_counts_logbook_demand_and_says_so(app_ctx: Flask, town) -> None:  # type: ignore[no-untyped-def]
    for number in range(6):
        db.session.add(
            Visit(
                idempotency_key=f"plan-{number:020d}",
                day=paris_today(),
                place_neighbourhood_id=town["canto"],
                procedures=["france_travail_update"],
                themes=["job_seeking"],
                outcome=Outcome.SOLVED,
            )
        )
    db.session.commit()
    needs = {place.code: place for place in programme_svc.measured_needs(db.session)}
    canto = needs[f"n{town['canto']}"]
    assert canto.needs == {"job_seeking": 6} and canto.logbook == {"job_seeking": 6}
    from surveys import planning

    (slot, *_rest) = planning.plan_month(2031, 2, [canto])
    assert "6 passages notés au journal du bus" in slot.explanation


def test_referents_are_managed_by_coordinators(client: FlaskClient, auth, town) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    url = "/journal/referents/nouveau"
    bad = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "name": "Paul Martin",
            "visio_url": "http://visio.example.net/x",
        },
    )
    assert bad.status_code == 400 and "https://" in page_text(bad)
    ok = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "name": "Paul Martin",
            "service_id": str(town["caf"]),
            "email": "paul.martin@example.net",
            "active": "y",
        },
    )
    assert ok.status_code == 303
    assert "Paul Martin" in page_text(client.get("/journal/referents"))
    auth.login("aidant", email="aidant2@test.example.org")
    assert client.get("/journal/referents").status_code == 403


def test_demo_month_of_logbook_and_removal(app_ctx: Flask) -> None:
    from app.demo_seeders import journal as seeder

    messages: list[str] = []
    for name in ("canto_perdrix", "boudeme", "ferrieres"):
        db.session.add(Neighbourhood(code=name, name=name.replace("_", " ").title()))
    db.session.commit()
    seeder.seed(messages.append)
    days = {visit.day for visit in db.session.scalars(select(Visit))}
    assert len(days) >= 20 and max(days) - min(days) >= timedelta(days=25)
    assert db.session.scalar(select(func.count()).select_from(Referral)) > 0
    seeder.seed(messages.append)
    assert messages[-1] == "Demo logbook already exists"
    seeder.remove(messages.append)
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0
    assert db.session.scalar(select(func.count()).select_from(Referent)) == 0


def test_expired_contacts_are_erased_by_the_day_view_and_by_cron(
    client: FlaskClient,
    auth,
    runner,
    town,  # type: ignore[no-untyped-def]
) -> None:
    """Nobody has to remember the erasure: opening the day view runs it, and so does cron."""
    today = svc.paris_today()
    seen_by_the_day_view = _visit_with_contact(today - timedelta(days=200))
    recent = _visit_with_contact(today - timedelta(days=10))
    db.session.commit()
    auth.login("aidant")
    assert client.get("/journal").status_code == 200
    db.session.expire_all()
    assert (seen_by_the_day_view.first_name, seen_by_the_day_view.phone) == ("", "")
    assert seen_by_the_day_view.email == ""
    assert recent.phone == "06 39 98 77 66"

    left_for_cron = _visit_with_contact(today - timedelta(days=150))
    db.session.commit()
    result = runner.invoke(args=["journal", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 contact(s) erased." in result.output
    db.session.expire_all()
    assert (left_for_cron.first_name, left_for_cron.phone, left_for_cron.email) == ("", "", "")
    assert recent.email == "nadia@example.net"


def test_procedures_read_in_english_for_an_aidant_in_english(
    client: FlaskClient, auth, town
) -> None:  # type: ignore[no-untyped-def]
    from flask_babel import refresh

    # The test's app context is shared by its requests: the language is looked up afresh.
    auth.login("aidant")
    refresh()
    form = page_text(client.get("/journal/passage?lang=en"))
    assert "CAF: quarterly return, RSA, activity bonus" in form
    assert "déclaration trimestrielle" not in form
    data = {**_form(client), "procedures": "caf_declaration", "outcome": "solved", "minutes": "15"}
    assert client.post("/journal/passage", data=data).status_code == 303
    day = page_text(client.get("/journal"))
    assert "CAF: quarterly return, RSA, activity bonus" in day
    refresh()
    assert "CAF : déclaration trimestrielle" in page_text(client.get("/journal?lang=fr"))
