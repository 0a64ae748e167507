"""Reminders before the bus comes: subscribe, confirm, reminder the day before, one-click unsubscribe.

Everything real: the app's forms, Redis database 6 with an RQ worker run in this process
(burst), and a local SMTP server (aiosmtpd) receiving the emails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select, text

from app.db import db
from app.models.notify import Delivery, Subscription
from app.models.programme import HalfDay, Programme, ProgrammeStatus, Slot
from app.models.surveys import CollectionPoint, Neighbourhood, PointKind
from app.queue import get_queue, run_worker
from app.services import notify as svc
from app.services import programme as programme_svc
from tests.conftest import csrf_token, page_text

# A Tuesday in the tax-return season; the test says "today" is the Monday before.
STOP_DAY = date(2027, 5, 11)
EMAIL = "josiane.martin@exemple.fr"


@pytest.fixture
def queue(app: Flask) -> Iterator[None]:
    """The test's own queue on Redis database 6, emptied before and after."""
    with app.app_context():
        connection = Redis.from_url(app.config["REDIS_URL"])
        connection.ping()
        get_queue(connection).empty()
    yield
    with app.app_context():
        jobs = get_queue(connection)
        registries = (
            jobs.scheduled_job_registry,
            jobs.failed_job_registry,
            jobs.finished_job_registry,
            jobs.started_job_registry,
            jobs.deferred_job_registry,
        )
        ids = set(jobs.get_job_ids()).union(*(r.get_job_ids() for r in registries))
        jobs.empty()
        for job_id in ids:
            connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
        for key in connection.scan_iter(f"rq:*{app.config['QUEUE_NAME']}*"):
            connection.delete(key)


def work(app: Flask) -> None:
    """Run every queued job with a real RQ worker, then return."""
    with app.app_context():
        run_worker(burst=True)


@pytest.fixture
def stops(app_ctx: Flask) -> dict[str, int]:
    """A published month: Boudème on STOP_DAY (taxes), Carro the same afternoon, Ferrières later."""
    themes = programme_svc.ensure_themes(db.session)
    boudeme = Neighbourhood(code="boudeme", name="Boudème")
    carro = Neighbourhood(code="carro", name="Carro")
    ferrieres = Neighbourhood(code="ferrieres", name="Ferrières")
    db.session.add_all([boudeme, carro, ferrieres])
    market = CollectionPoint(
        code="marche-carro",
        name="Marché de Carro",
        kind=PointKind.OTHER,
        neighbourhood=carro,
    )
    db.session.add(market)
    programme = Programme(year=2027, month=5, status=ProgrammeStatus.PUBLISHED)
    programme.slots = [
        Slot(date=STOP_DAY, half_day=HalfDay.MORNING, neighbourhood=boudeme, theme=themes["taxes"]),
        Slot(
            date=STOP_DAY,
            half_day=HalfDay.AFTERNOON,
            collection_point=market,
            theme=themes["caf"],
        ),
        Slot(
            date=STOP_DAY + timedelta(days=2),
            half_day=HalfDay.MORNING,
            neighbourhood=ferrieres,
            theme=themes["pension"],
        ),
    ]
    db.session.add(programme)
    db.session.commit()
    return {
        slot.neighbourhood.code if slot.neighbourhood else "point": slot.id
        for slot in programme.slots
    }


def _subscribe(client: FlaskClient, **data: object):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/rappels")
    return client.post("/rappels", data={"csrf_token": token, **data})


def _link(message: EmailMessage, path: str) -> str:
    body = message.get_content()
    match = re.search(rf"https://mairiebus\.example\.org({path}/[A-Za-z0-9_-]+)", body)
    assert match, f"no {path} link in:\n{body}"
    return match.group(1)


def _confirmed_then_reminded(app: Flask, client: FlaskClient, smtp_server, **data: object):  # type: ignore[no-untyped-def]
    """Subscribe through the form, confirm by the emailed link, and return the reminder sent
    the day before STOP_DAY (the second email)."""
    assert _subscribe(client, **data).status_code == 303
    work(app)
    confirm_path = _link(smtp_server.sink.wait_for(1)[0].message, "/rappels/confirmer")
    client.post(confirm_path, data={"csrf_token": csrf_token(client, confirm_path)})
    app.test_cli_runner().invoke(args=["notify", "send-due", "--today", "2027-05-10"])
    work(app)
    return smtp_server.sink.wait_for(2)[1].message


def _rows_mentioning(value: str) -> list[str]:
    """Every table row, in any table, whose text contains ``value``."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            if any(value in str(cell) for cell in row):
                found.append(table.name)
    return found


def test_subscribe_confirm_remind_then_unsubscribe_leaves_nothing(
    app: Flask,
    client: FlaskClient,
    smtp_server,
    queue,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    offer = client.get("/calendrier")
    assert "Prévenez-moi quand le bus vient près de chez moi" in page_text(offer)

    answer = _subscribe(
        client, email=EMAIL, neighbourhoods=["boudeme"], procedure="income_tax_return"
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/rappels/envoye")
    assert smtp_server.sink.messages == []  # queued, not sent by the web request
    work(app)
    confirmation = smtp_server.sink.wait_for(1)[0]
    assert confirmation.rcpt_tos == [EMAIL]
    confirm_path = _link(confirmation.message, "/rappels/confirmer")

    # Not confirmed yet: no reminder.
    assert (
        app.test_cli_runner().invoke(args=["notify", "send-due", "--today", "2027-05-10"]).exit_code
        == 0
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0

    # Opening the link only asks; the button confirms (link scanners cannot confirm).
    assert "Oui, je veux être prévenu·e" in page_text(client.get(confirm_path))
    with app.app_context():
        assert db.session.scalar(select(Subscription.confirmed_at)) is None
    confirmed = client.post(confirm_path, data={"csrf_token": csrf_token(client, confirm_path)})
    assert "C'est confirmé" in page_text(confirmed)

    result = app.test_cli_runner().invoke(args=["notify", "send-due", "--today", "2027-05-10"])
    assert result.exit_code == 0, result.output
    assert "1 reminder(s) queued" in result.output
    work(app)
    reminder = smtp_server.sink.wait_for(2)[1]
    assert reminder.rcpt_tos == [EMAIL]
    message = reminder.message
    assert message["Subject"] == "Le bus passe demain à Boudème"
    body = message.get_content()
    assert "mardi 11 mai" in body
    assert "9 h – 12 h" in body
    assert "Vous venez pour ma déclaration d'impôts. Pensez à apporter :" in body
    assert "- votre dernier avis d'impôt (il porte votre numéro fiscal)" in body
    unsubscribe_path = _link(message, "/rappels/desinscription")
    assert message["List-Unsubscribe"] == f"<https://mairiebus.example.org{unsubscribe_path}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # cron runs again: nothing is sent twice.
    again = app.test_cli_runner().invoke(args=["notify", "send-due", "--today", "2027-05-10"])
    assert "0 new reminder(s)" in again.output
    work(app)
    assert len(smtp_server.sink.messages) == 2

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", without cookie nor CSRF token.
    one_click = app.test_client().post(unsubscribe_path, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert "votre adresse est effacée" in page_text(one_click)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
        assert _rows_mentioning("josiane") == []
    # The link keeps answering kindly afterwards.
    assert app.test_client().post(unsubscribe_path).status_code == 200


def test_reminder_for_a_collection_point_and_only_for_chosen_neighbourhoods(
    app: Flask,
    client: FlaskClient,
    smtp_server,
    queue,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    with app.app_context():
        carro = svc.subscribe(db.session, "marc.durand@exemple.fr", ["carro"])
        other = svc.subscribe(db.session, "lea.nguyen@exemple.fr", ["ferrieres"])
        for token in (carro.token, other.token):
            svc.confirm(db.session, token)
        report = svc.send_due(db.session, STOP_DAY - timedelta(days=1))
    assert (report.stops, report.created, report.queued) == (2, 1, 1)
    work(app)
    # Confirmation jobs find the addresses already confirmed and send nothing: one reminder only.
    reminder = smtp_server.sink.wait_for(1)[0]
    assert len(smtp_server.sink.messages) == 1
    assert reminder.rcpt_tos == ["marc.durand@exemple.fr"]
    assert reminder.message["Subject"] == "Le bus passe demain à Marché de Carro"


def test_without_redis_the_resident_still_subscribes(
    app: Flask,
    client: FlaskClient,
    smtp_server,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/6"  # nothing listens on port 1
    try:
        answer = _subscribe(client, email=EMAIL, neighbourhoods=["boudeme"], procedure="")
    finally:
        app.config["REDIS_URL"] = "redis://127.0.0.1:6379/6"
    assert answer.status_code == 303
    confirmation = smtp_server.sink.wait_for(1)[0]  # sent inline
    assert "/rappels/confirmer/" in confirmation.message.get_content()


def test_bad_input_keeps_what_was_typed(
    client: FlaskClient,
    smtp_server,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    answer = _subscribe(client, email="josiane.martin@", neighbourhoods=[])
    assert answer.status_code == 400
    text_ = page_text(answer)
    assert "Cette adresse e-mail n'est pas complète" in text_
    assert "Choisissez au moins un quartier." in text_
    assert 'value="josiane.martin@"' in answer.get_data(as_text=True)


def test_offer_hidden_when_email_is_not_configured(client: FlaskClient, app: Flask) -> None:
    assert not app.config.get("MAIL_URL")
    assert "Prévenez-moi" not in page_text(client.get("/calendrier"))
    page = client.get("/rappels")
    assert page.status_code == 200
    assert "ne sont pas encore proposés" in page_text(page)


def test_purge_after_twelve_months_without_a_click(app_ctx: Flask, stops: dict[str, int]) -> None:
    app_ctx.config["MAIL_URL"] = None
    now = programme_svc.datetime.now(programme_svc.UTC)
    kept = Subscription(email="a@exemple.fr", token="t-kept", neighbourhoods=["carro"])
    stale = Subscription(email="b@exemple.fr", token="t-stale", neighbourhoods=["carro"])
    unconfirmed = Subscription(email="c@exemple.fr", token="t-unconf", neighbourhoods=["carro"])
    kept.confirmed_at = stale.confirmed_at = now - timedelta(days=400)
    kept.last_click_at = now - timedelta(days=300)
    stale.last_click_at = now - timedelta(days=366)
    unconfirmed.created_at = unconfirmed.last_click_at = now - timedelta(days=8)
    db.session.add_all([kept, stale, unconfirmed])
    db.session.commit()
    assert svc.purge(db.session, now) == 2
    assert list(db.session.scalars(select(Subscription.email))) == ["a@exemple.fr"]
    # A click on a reminder's link renews the 12 months.
    assert svc.record_click(db.session, "t-kept")
    assert db.session.scalar(text("SELECT count(*) FROM reminder_subscriptions")) == 1


def test_expected_demand_per_stop(app_ctx: Flask, stops: dict[str, int]) -> None:
    app_ctx.config["MAIL_URL"] = None
    now = programme_svc.datetime.now(programme_svc.UTC)
    for number, (codes, procedure) in enumerate(
        [
            (["boudeme"], "income_tax_return"),
            (["boudeme", "carro"], "income_tax_return"),
            (["boudeme"], None),
            (["carro"], "caf_claim"),
        ]
    ):
        db.session.add(
            Subscription(
                email=f"p{number}@exemple.fr",
                token=f"t{number}",
                neighbourhoods=codes,
                procedure=procedure,
                confirmed_at=now,
            )
        )
    db.session.add(Subscription(email="x@exemple.fr", token="tx", neighbourhoods=["boudeme"]))
    db.session.commit()
    slots = db.session.scalars(select(Slot)).all()
    demand = svc.demand_per_stop(db.session, slots)
    boudeme = demand[stops["boudeme"]]
    assert boudeme.subscribers == 3
    assert boudeme.by_procedure == [("ma déclaration d'impôts", 2)]
    point = demand[stops["point"]]
    assert point.subscribers == 2
    assert sorted(point.by_procedure) == [
        ("ma déclaration d'impôts", 1),
        ("un dossier à la CAF (allocations, prime d'activité, RSA)", 1),
    ]
    assert demand[stops["ferrieres"]].subscribers == 0


def test_programme_page_shows_expected_demand(
    app: Flask,
    client: FlaskClient,
    auth,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    with app.app_context():
        now = programme_svc.datetime.now(programme_svc.UTC)
        for number in range(3):
            db.session.add(
                Subscription(
                    email=f"voisin{number}@exemple.fr",
                    token=f"tok{number}",
                    neighbourhoods=["boudeme"],
                    procedure="income_tax_return" if number else None,
                    confirmed_at=now,
                )
            )
        db.session.commit()
        programme_id = db.session.scalar(select(Programme.id))
    auth.login("coordinator")
    page = page_text(client.get(f"/programme/{programme_id}"))
    assert "Habitants prévenus" in page
    assert "3 personnes" in page
    assert "2 pour ma déclaration d'impôts" in page


def test_mail_server_down_the_job_is_retried_later_and_nothing_is_sent_twice(
    app: Flask,
    smtp_server,
    queue,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    from rq.registry import ScheduledJobRegistry

    with app.app_context():
        subscription = svc.subscribe(db.session, "marc.durand@exemple.fr", ["boudeme"])
        svc.confirm(db.session, subscription.token)
        get_queue().empty()  # the confirmation job finds the address confirmed anyway
    working_url = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = "smtp://127.0.0.1:1"  # nothing listens there
    try:
        with app.app_context():
            report = svc.send_due(db.session, STOP_DAY - timedelta(days=1))
            assert report.queued == 1
        work(app)
        with app.app_context():
            delivery = db.session.scalar(select(Delivery))
            assert delivery.status.value == "queued" and delivery.sent_at is None
            # RQ keeps the job for a retry with backoff (30 s first).
            assert len(ScheduledJobRegistry(queue=get_queue())) == 1
    finally:
        app.config["MAIL_URL"] = working_url
    assert smtp_server.sink.messages == []
    # The next cron run queues what is still pending; the reminder leaves once.
    with app.app_context():
        assert svc.send_due(db.session, STOP_DAY - timedelta(days=1)).queued == 1
    work(app)
    assert [r.rcpt_tos for r in smtp_server.sink.wait_for(1)] == [["marc.durand@exemple.fr"]]
    with app.app_context():
        assert svc.send_due(db.session, STOP_DAY - timedelta(days=1)).queued == 0
    work(app)
    assert len(smtp_server.sink.messages) == 1


def test_asking_again_for_a_confirmed_address_changes_nothing_and_tells_its_owner(
    app: Flask,
    client: FlaskClient,
    smtp_server,
    queue,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    with app.app_context():
        first = svc.subscribe(db.session, EMAIL, ["boudeme"], "income_tax_return")
        svc.confirm(db.session, first.token)
        get_queue().empty()
    answer = _subscribe(client, email=EMAIL, neighbourhoods=["carro"], procedure="")
    assert answer.status_code == 303  # the same page as for a new address: nothing is revealed
    work(app)
    [note] = smtp_server.sink.wait_for(1)
    assert note.message["Subject"] == "Vous êtes déjà inscrit·e"
    assert "/rappels/desinscription/" in note.message.get_content()
    with app.app_context():
        kept = db.session.scalar(select(Subscription))
        assert (kept.neighbourhoods, kept.procedure) == (["boudeme"], "income_tax_return")


def test_send_due_without_redis_sends_inline(
    app: Flask,
    smtp_server,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    with app.app_context():
        now = programme_svc.datetime.now(programme_svc.UTC)
        db.session.add(
            Subscription(
                email=EMAIL, token="t-inline", neighbourhoods=["boudeme"], confirmed_at=now
            )
        )
        db.session.commit()
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/6"  # nothing listens on port 1
    try:
        result = app.test_cli_runner().invoke(args=["notify", "send-due", "--today", "2027-05-10"])
    finally:
        app.config["REDIS_URL"] = "redis://127.0.0.1:6379/6"
    assert result.exit_code == 0, result.output
    assert "Queue unavailable: 1 sent now, 0 not sent" in result.output
    [reminder] = smtp_server.sink.wait_for(1)
    assert reminder.message["Subject"] == "Le bus passe demain à Boudème"


@pytest.fixture
def sms_gateway(app: Flask, gateway):  # type: ignore[no-untyped-def]
    """An SMS gateway on 127.0.0.1, configured as the app's provider."""
    url, received = gateway
    app.config.update(SMS_PROVIDER_URL=url + "/sms", SMS_PROVIDER_TOKEN="jeton")
    yield received
    app.config.update(SMS_PROVIDER_URL=None, SMS_PROVIDER_TOKEN=None)


def test_reminder_by_text_message_too_when_a_gateway_is_configured(
    app: Flask,
    client: FlaskClient,
    smtp_server,
    queue,
    stops: dict[str, int],
    sms_gateway,  # type: ignore[no-untyped-def]
) -> None:
    form = client.get("/rappels").get_data(as_text=True)
    assert 'type="tel"' in form
    assert 'autocomplete="tel"' in form
    reminder = _confirmed_then_reminded(
        app, client, smtp_server, email=EMAIL, neighbourhoods=["boudeme"], phone="06.12.34.56.78"
    )
    with app.app_context():
        assert db.session.scalar(select(Subscription.phone)) == "+33612345678"
    assert len(sms_gateway) == 1
    sms = sms_gateway[0]
    assert sms["to"] == "+33612345678"
    text_ = str(sms["text"])
    assert text_.startswith("Le bus passe demain à Boudème. Ne plus recevoir de rappels : ")
    assert text_.endswith(_link(reminder, "/rappels/desinscription"))
    assert len(text_) <= 160  # one SMS
    app.test_client().post(_link(reminder, "/rappels/desinscription"))
    with app.app_context():
        assert _rows_mentioning("612345678") == []


def test_a_wrong_phone_number_is_explained_and_nothing_typed_is_lost(
    client: FlaskClient,
    smtp_server,
    stops: dict[str, int],
    sms_gateway,  # type: ignore[no-untyped-def]
) -> None:
    answer = _subscribe(client, email=EMAIL, neighbourhoods=["carro"], phone="06 12 34")
    assert answer.status_code == 400
    assert "Ce numéro de téléphone n'est pas complet. Exemple : 06 12 34 56 78" in page_text(answer)
    html = answer.get_data(as_text=True)
    assert 'value="06 12 34"' in html
    assert f'value="{EMAIL}"' in html
    assert smtp_server.sink.messages == []


def test_no_phone_asked_without_a_gateway(
    app: Flask,
    client: FlaskClient,
    smtp_server,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    assert 'type="tel"' not in client.get("/rappels").get_data(as_text=True)
    # A number sent anyway (an old page, a script) is not kept: it would never be used.
    assert (
        _subscribe(client, email=EMAIL, neighbourhoods=["carro"], phone="0612345678").status_code
        == 303
    )
    with app.app_context():
        assert db.session.scalar(select(Subscription.phone)) is None


def test_a_resident_reading_in_english_gets_the_procedures_and_documents_in_english(
    app: Flask,
    client: FlaskClient,
    smtp_server,
    queue,
    stops: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    form = page_text(client.get("/rappels?lang=en"))
    assert "my income tax return" in form
    assert "ma déclaration d'impôts" not in form
    reminder = _confirmed_then_reminded(
        app,
        client,
        smtp_server,
        email=EMAIL,
        neighbourhoods=["boudeme"],
        procedure="income_tax_return",
    )
    body = reminder.get_content()
    assert "my income tax return" in body
    assert "- your last tax notice (it shows your tax number)" in body
    assert "avis d'impôt" not in body


def test_every_procedure_has_its_english_line_by_line() -> None:
    from surveys import procedures

    french = procedures.load_procedures()
    english = procedures.load_procedures(language="en")
    assert [p.code for p in english] == [p.code for p in french]
    for fr, en in zip(french, english, strict=True):
        assert en.name != fr.name, fr.code
        assert len(en.documents) == len(fr.documents), fr.code
        assert not set(en.documents) & set(fr.documents), fr.code
