"""The respondent flow through the Flask client: start, pages, skip logic, errors, resume,
check, submit, thank-you; abuse guards; the aidant's tablet mode."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.db import db
from app.models import Answer, Channel, Neighbourhood, PointKind, Response, ResponseStatus
from app.services import collection as sites
from tests.conftest import csrf_token, page_text

# Answers for every page of the Mairie Bus questionnaire, in order.
PAGES = [
    ("visit", {"reason": ["curiosity", "heard_of_it"], "heard_how": ["flyer"]}),
    ("about_you", {"age_band": "60_74"}),
    ("where", {"neighbourhood": "boudeme", "household": ["alone"]}),
    ("needs_page", {"needs": ["pension", "other"], "needs_other": "Ma carte vitale"}),
    ("digital", {"equipment": ["smartphone"], "confidence": "a_little"}),
    ("help", {"helped_by": ["family"]}),
    ("when", {"frequency": "monthly", "preferred_days": ["tuesday"]}),
    ("where_bus", {}),
    ("last_word", {}),
]


@pytest.fixture
def link(app: Flask):  # type: ignore[no-untyped-def]
    """A collection point at a bus stop with the Mairie Bus questionnaire; returns its code."""
    with app.app_context():
        for code, name in (("boudeme", "Boudème"), ("canto_perdrix", "Canto Perdrix")):
            db.session.add(Neighbourhood(code=code, name=name))
        db.session.commit()
        sites.ensure_default_form(db.session)
        point = sites.create_point(
            db.session, sites.PointData("Arrêt Boudème", PointKind.BUS_STOP, "boudeme")
        )
        return point.links[0].code


class Walker:
    """Answer the questionnaire like a phone would: GET, then POST the form with its token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def start(self, path: str):  # type: ignore[no-untyped-def]
        self.token = csrf_token(self.client, path)
        return self.client.post(path, data={"csrf_token": self.token})

    def post(self, path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
        return self.client.post(path, data={"csrf_token": self.token, **data})

    def answer(self, key: str, raw: dict[str, object], action: str = "next"):  # type: ignore[no-untyped-def]
        page = self.client.get(f"/repondre/{key}")
        assert page.status_code == 200, key
        shown = re.findall(r'name="shown" value="([^"]+)"', page.get_data(as_text=True))
        return self.post(f"/repondre/{key}", {**raw, "shown": shown, "action": action})

    def answer_all(self, pages=PAGES) -> None:  # type: ignore[no-untyped-def]
        for key, raw in pages:
            result = self.answer(key, raw)
            if key == "visit" or (key == "needs_page" and "needs_other" in raw):
                # The follow-up question appears on the same page first.
                assert result.status_code == 303
                assert result.headers["Location"] == f"/repondre/{key}"
                result = self.answer(key, raw)
            assert result.status_code == 303, (key, page_text(result)[:2000])

    def send(self, key: str = "k" * 24, **extra: object):  # type: ignore[no-untyped-def]
        check = self.client.get("/questionnaire/verification")
        assert check.status_code == 200
        return self.post("/questionnaire/envoyer", {"idempotency_key": key, **extra})


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_whole_flow_from_a_poster_link(app: Flask, client: FlaskClient, link: str) -> None:
    start = client.get(f"/q/{link}")
    text = page_text(start)
    assert start.status_code == 200
    assert "Vous êtes à : Arrêt Boudème" in text
    assert "Anonyme" in text and "minutes" in text
    walker = Walker(client)
    begun = walker.start(f"/q/{link}")
    assert begun.status_code == 303 and begun.headers["Location"] == "/repondre/visit"
    cookie = begun.headers["Set-Cookie"]
    assert "mairiebus_draft=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    walker.answer_all()
    check = client.get("/questionnaire/verification")
    summary = page_text(check)
    assert "On m'en a parlé, je l'ai lu" in summary and "Ma carte vitale" in summary
    sent = walker.send()
    assert sent.status_code == 303 and sent.headers["Location"] == "/merci"
    thanks = client.get("/merci")
    assert thanks.status_code == 200
    assert "Vos réponses sont bien enregistrées" in page_text(thanks)
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert response.status is ResponseStatus.SUBMITTED
        assert response.channel is Channel.SELF and response.aidant_id is None
        assert response.collection_point.name == "Arrêt Boudème"
        answers = dict(
            db.session.execute(
                select(Answer.question, Answer.value).where(Answer.response_id == response.id)
            ).all()
        )
    assert answers["reason"] == "curiosity heard_of_it"
    assert answers["heard_how"] == "flyer"
    assert answers["needs"] == "pension other" and answers["needs_other"] == "Ma carte vitale"
    # The draft cookie is gone: the flow starts again from the start page.
    assert client.get("/repondre/visit").status_code == 302


def test_skip_logic_hides_follow_up_questions(client: FlaskClient, link: str) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    page = page_text(client.get("/repondre/visit"))
    assert "Comment avez-vous connu" not in page
    result = walker.answer("visit", {"reason": ["passing_by"]})
    assert result.headers["Location"] == "/repondre/about_you"
    # Going back: still no follow-up question, answer kept and ticked.
    back = walker.answer("about_you", {}, action="back")
    assert back.status_code == 303 and back.headers["Location"] == "/repondre/visit"
    page = client.get("/repondre/visit").get_data(as_text=True)
    assert 'value="passing_by" checked' in page
    assert "heard_how" not in page


def test_missing_answer_shows_the_message_next_to_the_field(client: FlaskClient, link: str) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer("visit", {"reason": ["curiosity"]})
    result = walker.answer("about_you", {"gender": "woman"})
    assert result.status_code == 400
    html = result.get_data(as_text=True)
    text = page_text(result)
    assert "Il y a un problème" in text
    assert 'id="e-age_band"' in html and "Une réponse, même approximative" in text
    assert 'aria-describedby="e-age_band"' in html
    assert 'value="woman" checked' in html  # what was chosen stays chosen
    # An invented choice code is refused, never a 500.
    result = walker.answer("about_you", {"age_band": "<script>"})
    assert result.status_code == 400
    assert "Choisissez une réponse dans la liste" in page_text(result)


def test_reload_and_resume_with_the_cookie(client: FlaskClient, link: str) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer("visit", {"reason": ["town_hall"]})
    walker.answer("about_you", {"age_band": "75_plus"})
    # The phone slept; the resident opens the poster's link again.
    again = page_text(client.get(f"/q/{link}"))
    assert "Reprendre mes réponses" in again
    assert 'href="/repondre/where"' in client.get(f"/q/{link}").get_data(as_text=True)
    page = client.get("/repondre/about_you").get_data(as_text=True)
    assert 'value="75_plus" checked' in page
    # An unknown page sends the resident back to where they were.
    lost = client.get("/repondre/zzz-unknown")
    assert lost.status_code == 303 and lost.headers["Location"] == "/repondre/where"
    # Starting again throws the draft away.
    restart = walker.post("/questionnaire/recommencer", {})
    assert restart.status_code == 303 and restart.headers["Location"] == f"/q/{link}"
    assert "Commencer" in page_text(client.get(f"/q/{link}"))


def test_pages_without_a_draft_redirect_to_the_start(client: FlaskClient, link: str) -> None:
    for path in ("/repondre/visit", "/questionnaire/verification", "/questionnaire/envoyer"):
        response = client.get(path)
        assert response.status_code in (302, 303)
    assert client.get("/questionnaire/envoyer").headers["Location"] == "/questionnaire/verification"
    assert client.get("/merci").status_code == 200
    assert client.get("/questionnaire").status_code == 200


def test_double_submit_gives_the_same_thank_you_and_one_response(
    app: Flask, client: FlaskClient, link: str
) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer_all()
    first = walker.send(key="same-key-0123456789abcdef")
    second = walker.post("/questionnaire/envoyer", {"idempotency_key": "same-key-0123456789abcdef"})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == "/merci"
    with app.app_context():
        assert _count(Response) == 1


def test_incomplete_submission_shows_the_missing_question(client: FlaskClient, link: str) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer("visit", {"reason": ["curiosity"]})
    result = walker.post("/questionnaire/envoyer", {"idempotency_key": "k" * 30})
    assert result.status_code == 400
    text = page_text(result)
    assert "Quel âge avez-vous ?" in text and "Merci de répondre à cette question." in text


def test_filled_honeypot_is_thanked_but_not_stored(
    app: Flask, client: FlaskClient, link: str
) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer_all()
    result = walker.send(website="http://spam.example")
    assert result.status_code == 303 and result.headers["Location"] == "/merci"
    with app.app_context():
        assert _count(Response) == 0 and _count(Answer) == 0
    html = client.get(f"/q/{link}").get_data(as_text=True)
    assert 'class="collect-hp"' in html and "style=" not in html


def test_submissions_are_throttled_per_client(app: Flask, client: FlaskClient, link: str) -> None:
    app.config["COLLECT_SUBMISSIONS_PER_HOUR"] = 1
    try:
        for attempt in range(2):
            walker = Walker(client)
            walker.start(f"/q/{link}")
            walker.answer_all()
            result = walker.send(key=f"key-{attempt}-0123456789abcdef")
            if attempt == 0:
                assert result.status_code == 303
        assert result.status_code == 429
        assert "Attendez un peu" in page_text(result)
    finally:
        app.config.pop("COLLECT_SUBMISSIONS_PER_HOUR")
    with app.app_context():
        assert _count(Response) == 2  # the refused one is still a draft, not lost
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Response)
                .where(Response.status == ResponseStatus.SUBMITTED)
            )
            == 1
        )


def test_english_labels_with_lang_en(app: Flask, client: FlaskClient, link: str) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}?lang=en")
    page = page_text(client.get("/repondre/visit"))
    assert "Why did you come to the Mairie Bus today?" in page
    assert "I was passing by" in page
    walker.answer_all()
    walker.send()
    with app.app_context():
        assert db.session.scalar(select(Response.language)) == "en"


def test_thank_you_page_links_the_calendar_when_there_is_one(
    app: Flask, client: FlaskClient, link: str
) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer_all()
    walker.send()
    text = page_text(client.get("/merci"))
    assert "Quand passe le bus ?" in text
    if "programme.calendar" in app.view_functions:
        assert "Voir les prochains passages du bus" in text
    else:
        assert "Le programme du mois est affiché" in text


def test_typed_code_and_unknown_codes(client: FlaskClient, link: str) -> None:
    assert client.get("/q").status_code == 200
    found = client.get(f"/q?code={link.upper()}")
    assert found.status_code == 303 and found.headers["Location"] == f"/q/{link}"
    wrong = client.get("/q?code=abc")
    assert wrong.status_code == 400 and "Vérifiez les lettres" in page_text(wrong)
    missing = client.get("/q/zzz-unknown")
    assert missing.status_code == 404 and "Vérifiez les lettres" in page_text(missing)


def test_archived_point_still_opens_but_records_no_place(
    app: Flask, client: FlaskClient, link: str
) -> None:
    with app.app_context():
        point = sites.find_link(db.session, link).collection_point
        sites.set_archived(db.session, point, True)
    assert "Vous êtes à" not in page_text(client.get(f"/q/{link}"))
    walker = Walker(client)
    walker.start(f"/q/{link}")
    walker.answer_all()
    walker.send()
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert response.collection_point_id is None
        assert response.neighbourhood.code == "boudeme"  # the person's own answer


def test_expired_draft_post_is_redirected_not_an_error(client: FlaskClient, link: str) -> None:
    walker = Walker(client)
    walker.token = csrf_token(client, f"/q/{link}")
    result = walker.post("/repondre/visit", {"reason": "curiosity"})
    assert result.status_code == 303 and result.headers["Location"] == "/questionnaire"


# --------------------------------------------------------------------------- aidant mode


def test_aidant_fills_in_with_a_resident_then_starts_the_next_one(
    app: Flask, client: FlaskClient, auth, link: str
) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/aidant/questionnaire").status_code == 302  # anonymous: to login
    auth.login("aidant", email="nasser@example.org")
    page = client.get("/aidant/questionnaire")
    assert page.status_code == 200
    assert "Dans le bus, à Canto Perdrix" in page_text(page)
    walker = Walker(client)
    walker.token = csrf_token(client, "/aidant/questionnaire")
    bad = walker.post("/aidant/questionnaire", {"place": "bus:atlantis", "form_id": "mairiebus"})
    assert bad.status_code == 400
    begun = walker.post(
        "/aidant/questionnaire", {"place": "bus:canto_perdrix", "form_id": "mairiebus"}
    )
    assert begun.status_code == 303 and begun.headers["Location"] == "/repondre/visit"
    assert "Avec un aidant" in page_text(client.get("/repondre/visit"))
    walker.answer_all()
    app.config["COLLECT_SUBMISSIONS_PER_HOUR"] = 0  # aidants are never throttled
    try:
        sent = walker.send()
    finally:
        app.config.pop("COLLECT_SUBMISSIONS_PER_HOUR")
    assert sent.status_code == 303
    thanks = page_text(client.get("/merci"))
    assert "Commencer un nouveau questionnaire" in thanks
    with app.app_context():
        response = db.session.scalar(select(Response))
        from app.models import User

        aidant = db.session.scalar(User.by_email("nasser@example.org"))
        assert (response.channel, response.aidant_id) == (Channel.ASSISTED, aidant.id)
        assert response.collection_point_id is None
        assert response.neighbourhood.code == "boudeme"  # answered; the bus was at Canto Perdrix
    # The form resets for the next person, at the same place.
    following = walker.post(
        "/aidant/questionnaire", {"place": "bus:canto_perdrix", "form_id": "mairiebus"}
    )
    assert following.status_code == 303 and following.headers["Location"] == "/repondre/visit"
    assert 'value="curiosity" checked' not in client.get("/repondre/visit").get_data(as_text=True)


def test_aidant_at_a_collection_point(app: Flask, client: FlaskClient, auth, link: str) -> None:  # type: ignore[no-untyped-def]
    auth.login("aidant")
    with app.app_context():
        point_id = sites.find_link(db.session, link).collection_point_id
    walker = Walker(client)
    walker.token = csrf_token(client, "/aidant/questionnaire")
    walker.post("/aidant/questionnaire", {"place": f"point:{point_id}", "form_id": "mairiebus"})
    walker.answer_all()
    walker.send()
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert response.collection_point_id == point_id
        assert response.channel is Channel.ASSISTED


def test_lost_page_in_a_draft_sends_back_to_the_first_page(
    app: Flask, client: FlaskClient, link: str
) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    with app.app_context():
        response = db.session.scalar(select(Response))
        response.draft_state = {**response.draft_state, "page": "gone#7"}
        db.session.commit()
    lost = client.get("/repondre/zzz")
    assert lost.status_code == 303 and lost.headers["Location"] == "/repondre/visit"


@pytest.mark.parametrize(
    "garbage",
    [
        {"reason": ["x" * 6000]},
        {"age_band": ["30_44", "60_74"], "gender": "🙂"},
        {"neighbourhood": "../../etc/passwd", "household": ""},
        {"needs": ["caf", "caf", "nope"], "needs_other": "\x00\x01"},
        {"action": "explode", "shown": ["nothing", "age_band"]},
        {"then": "check", "comment": "<b>gras</b>"},
    ],
)
def test_garbage_on_every_page_never_gives_a_500(
    client: FlaskClient, link: str, garbage: dict[str, object]
) -> None:
    walker = Walker(client)
    walker.start(f"/q/{link}")
    for key, raw in PAGES:
        result = walker.post(f"/repondre/{key}", garbage)
        assert result.status_code in (303, 400), (key, result.status_code)
        walker.answer(key, raw)
    result = walker.post("/questionnaire/envoyer", {"idempotency_key": "x" * 300})
    assert result.status_code in (303, 400)
    assert "<b>gras</b>" not in client.get("/questionnaire/verification").get_data(as_text=True)
