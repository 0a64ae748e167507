"""Collection points, short links, QR codes, drafts and atomic submission (services)."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from app.db import db
from app.models import (
    Answer,
    Channel,
    CollectionLink,
    Neighbourhood,
    PointKind,
    Response,
    ResponseStatus,
)
from app.services import collection as sites
from app.services import responses as drafts

NOW = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def version(app_ctx):  # type: ignore[no-untyped-def]
    """The shipped Mairie Bus questionnaire, imported, plus two neighbourhoods."""
    db.session.add(Neighbourhood(code="canto_perdrix", name="Canto Perdrix"))
    db.session.add(Neighbourhood(code="croix_sainte", name="Croix-Sainte"))
    db.session.commit()
    found = sites.ensure_default_form(db.session)
    assert found is not None
    return found


@pytest.fixture
def auchan(version):  # type: ignore[no-untyped-def]
    data = sites.PointData("Centre commercial Auchan", PointKind.SHOPPING_CENTRE, "croix_sainte")
    return sites.create_point(db.session, data)


# --------------------------------------------------------------------------- points and links


def test_point_gets_a_readable_code_and_the_questionnaire_link(auchan) -> None:  # type: ignore[no-untyped-def]
    assert auchan.code == "centre-commercial-auchan"
    assert auchan.neighbourhood.code == "croix_sainte"
    [link] = auchan.links
    assert link.form.form_id == "mairiebus"
    assert len(link.code) == 5
    assert set(link.code) <= set("abcdefghjkmnpqrstuvwxyz23456789")
    assert not set(link.code) & set("01ilo")
    assert sites.link_url(link) == f"https://mairiebus.example.org/q/{link.code}"
    assert sites.point_url(auchan) == sites.link_url(link)


def test_two_points_with_the_same_name_get_distinct_codes(version) -> None:  # type: ignore[no-untyped-def]
    data = sites.PointData("Arrêt Ferrières", PointKind.BUS_STOP)
    first = sites.create_point(db.session, data)
    second = sites.create_point(db.session, data)
    assert (first.code, second.code) == ("arret-ferrieres", "arret-ferrieres-2")


def test_typed_codes_are_found_despite_capitals_and_spaces(auchan) -> None:  # type: ignore[no-untyped-def]
    link = auchan.links[0]
    typed = " " + link.code[:2].upper() + " " + link.code[2:] + " "
    assert sites.normalise_code(typed) == link.code
    assert sites.find_link(db.session, typed).id == link.id
    assert sites.find_link(db.session, "zzz-unknown") is None
    assert sites.normalise_code("abcd") is None  # too short
    assert sites.normalise_code("abcd0") is None  # 0 is never used


def test_attaching_twice_keeps_one_link(auchan) -> None:  # type: ignore[no-untyped-def]
    again = sites.attach_form(db.session, auchan, "mairiebus")
    assert again.id == auchan.links[0].id
    assert db.session.scalar(select(func.count()).select_from(CollectionLink)) == 1
    with pytest.raises(sites.SiteError, match="n'existe pas"):
        sites.attach_form(db.session, auchan, "nope")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (sites.PointData("  ", PointKind.PARK), "Donnez un nom"),
        (sites.PointData("Parc", PointKind.PARK, latitude=43.4), "ou aucune des deux"),
        (sites.PointData("Parc", PointKind.PARK, latitude=91.0, longitude=5.0), "latitude"),
        (sites.PointData("Parc", PointKind.PARK, neighbourhood_code="atlantis"), "quartier"),
        (
            sites.PointData(
                "Parc",
                PointKind.PARK,
                active_from=dt.date(2024, 6, 1),
                active_until=dt.date(2024, 5, 1),
            ),
            "avant la date de début",
        ),
    ],
)
def test_bad_point_data_is_refused_in_french(version, data, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(sites.SiteError, match=message):
        sites.create_point(db.session, data)


def test_update_and_archive_keep_code_and_links(auchan) -> None:  # type: ignore[no-untyped-def]
    code, link_code = auchan.code, auchan.links[0].code
    data = sites.PointData(
        "Auchan Martigues",
        PointKind.SHOPPING_CENTRE,
        "canto_perdrix",
        43.42,
        5.04,
        dt.date(2024, 5, 1),
        dt.date(2024, 9, 30),
    )
    sites.update_point(db.session, auchan, data)
    sites.set_archived(db.session, auchan, True)
    db.session.expire_all()
    point = sites.point_by_code(db.session, code)
    assert (point.name, point.neighbourhood.code, point.archived) == (
        "Auchan Martigues",
        "canto_perdrix",
        True,
    )
    assert point.links[0].code == link_code
    assert sites.list_points(db.session, include_archived=False) == []
    assert not sites.is_active_on(point, dt.date(2024, 6, 1))
    sites.set_archived(db.session, point, False)
    assert sites.is_active_on(point, dt.date(2024, 6, 1))
    assert not sites.is_active_on(point, dt.date(2024, 10, 1))


def test_qr_png_decodes_to_the_public_url(auchan) -> None:  # type: ignore[no-untyped-def]
    url = sites.link_url(auchan.links[0])
    image = Image.open(io.BytesIO(sites.qr_png(url)))
    [found] = zxingcpp.read_barcodes(image)
    assert found.text == url
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    # Error correction H: the decoder reports the level it read.
    assert found.ec_level == "H"


def test_qr_svg_is_a_well_formed_svg(auchan) -> None:  # type: ignore[no-untyped-def]
    svg = sites.qr_svg(sites.link_url(auchan.links[0]))
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"style=" not in svg  # strict CSP: no inline styles
    assert root.find("{http://www.w3.org/2000/svg}path") is not None


# --------------------------------------------------------------------------- drafts


def _fill_all(response: Response, *, reason: list[str] | None = None) -> None:
    """Answer every page of the Mairie Bus questionnaire (required ones at least)."""
    pages = {
        "visit": {"reason": reason or ["curiosity"]},
        "about_you": {"age_band": "30_44", "gender": "woman"},
        "where": {"neighbourhood": "canto_perdrix", "household": ["young_children"]},
        "needs_page": {"needs": ["school", "caf"]},
        "digital": {"equipment": ["smartphone"], "confidence": "fairly"},
        "help": {},
        "when": {"frequency": "weekly", "preferred_days": ["wednesday"]},
        "where_bus": {"preferred_place": ["shopping_centre"]},
        "last_word": {"comment": "Merci !"},
    }
    for key, raw in pages.items():
        assert drafts.current_page(response) == key
        shown = frozenset(f.name for f in drafts.view(response, key, "fr").fields)
        step = drafts.save_page(db.session, response, key, raw, shown=shown, language="fr")
        assert step.ok, step.errors


def test_draft_keeps_only_the_token_hash(auchan, version) -> None:  # type: ignore[no-untyped-def]
    response, token = drafts.start_draft(db.session, version, point=auchan, now=NOW)
    assert response.draft_token_hash == drafts.hash_token(token)
    assert token not in str(response.draft_state)
    assert drafts.load_draft(db.session, token, now=NOW).id == response.id
    assert drafts.load_draft(db.session, token + "x", now=NOW) is None
    assert drafts.load_draft(db.session, None) is None
    assert drafts.current_page(response) == "visit"
    assert response.neighbourhood.code == "croix_sainte"  # where it was met, until answered
    assert drafts.answers_of(response)["today"] == "2024-05-06"


def test_required_answer_missing_keeps_the_page_with_a_french_message(version) -> None:  # type: ignore[no-untyped-def]
    response, _token = drafts.start_draft(db.session, version)
    step = drafts.save_page(db.session, response, "visit", {}, shown=frozenset({"reason"}))
    assert step.target == "visit"
    assert step.errors == {"reason": "Une réponse, même approximative, nous aide beaucoup."}
    step = drafts.save_page(
        db.session, response, "visit", {"reason": ["bogus"]}, shown=frozenset({"reason"})
    )
    assert step.errors == {"reason": "Choisissez une réponse dans la liste."}
    assert step.raw == {"reason": ["bogus"]}


def test_a_follow_up_question_on_the_same_page_is_shown_before_moving_on(version) -> None:  # type: ignore[no-untyped-def]
    response, _token = drafts.start_draft(db.session, version)
    raw = {"reason": ["heard_of_it"]}
    step = drafts.save_page(db.session, response, "visit", raw, shown=frozenset({"reason"}))
    # "How did you hear of it?" just became relevant: stay so it can be answered.
    assert step.ok and step.target == "visit"
    names = [f.name for f in drafts.view(response, "visit", "fr").fields]
    assert names == ["reason", "heard_how"]
    raw = {"reason": ["heard_of_it"], "heard_how": ["flyer"]}
    step = drafts.save_page(
        db.session, response, "visit", raw, shown=frozenset({"reason", "heard_how"})
    )
    assert step.target == "about_you"
    assert drafts.answers_of(response)["heard_how"] == "flyer"


def test_back_keeps_valid_answers_and_skips_irrelevant_questions(version) -> None:  # type: ignore[no-untyped-def]
    response, _token = drafts.start_draft(db.session, version)
    drafts.save_page(
        db.session, response, "visit", {"reason": ["curiosity"]}, shown=frozenset({"reason"})
    )
    # Going back from page 2 with one answer typed keeps it, even though another is missing.
    step = drafts.save_page(
        db.session, response, "about_you", {"gender": "man"}, action="back", shown=frozenset()
    )
    assert step.target == "visit"
    answers = drafts.answers_of(response)
    assert answers["gender"] == "man" and answers["reason"] == "curiosity"
    assert "heard_how" not in answers
    assert drafts.previous_key(response, "visit") is None


def test_submission_is_atomic_complete_and_immutable(auchan, version) -> None:  # type: ignore[no-untyped-def]
    response, token = drafts.start_draft(db.session, version, point=auchan, now=NOW)
    _fill_all(response)
    assert drafts.current_page(response) == drafts.CHECK_PAGE
    key = drafts.new_idempotency_key()
    stored = drafts.submit(db.session, response, key, now=NOW + dt.timedelta(minutes=4))
    assert stored is not None and stored.status is ResponseStatus.SUBMITTED
    assert stored.draft_token_hash is None and stored.draft_state is None
    assert stored.collection_point.code == auchan.code
    # The person's own neighbourhood wins over the place where they were met.
    assert stored.neighbourhood.code == "canto_perdrix"
    raw_state = db.session.execute(
        select(Response.__table__.c.draft_state).where(Response.id == stored.id)
    ).scalar_one()
    assert raw_state is None  # SQL NULL, not the JSON text 'null'
    rows = dict(
        db.session.execute(
            select(Answer.question, Answer.value).where(Answer.response_id == stored.id)
        ).all()
    )
    assert rows == {
        "start": "2024-05-06T09:30:00+00:00",
        "today": "2024-05-06",
        "reason": "curiosity",
        "age_band": "30_44",
        "gender": "woman",
        "neighbourhood": "canto_perdrix",
        "household": "young_children",
        "needs": "caf school",  # choice order, space-separated
        "equipment": "smartphone",
        "confidence": "fairly",
        "frequency": "weekly",
        "preferred_days": "wednesday",
        "preferred_place": "shopping_centre",
        "comment": "Merci !",
        "end": "2024-05-06T09:34:00+00:00",
    }
    assert drafts.load_draft(db.session, token) is None
    with pytest.raises(drafts.DraftError, match="déjà envoyées"):
        drafts.save_page(db.session, stored, "visit", {"reason": ["passing_by"]})
    assert drafts.needs_of(db.session, stored.uuid) == ["caf", "school"]


def test_double_submission_stores_one_response(version) -> None:  # type: ignore[no-untyped-def]
    response, _token = drafts.start_draft(db.session, version)
    _fill_all(response)
    key = drafts.new_idempotency_key()
    first = drafts.submit(db.session, response, key)
    second = drafts.submit(db.session, response, key)
    third = drafts.submit(db.session, response, drafts.new_idempotency_key())
    assert first.id == second.id == third.id
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    count = db.session.scalar(
        select(func.count()).select_from(Answer).where(Answer.question == "reason")
    )
    assert count == 1


def test_missing_required_answers_point_to_their_page(version) -> None:  # type: ignore[no-untyped-def]
    response, _token = drafts.start_draft(db.session, version)
    drafts.save_page(
        db.session, response, "visit", {"reason": ["curiosity"]}, shown=frozenset({"reason"})
    )
    with pytest.raises(drafts.IncompleteError) as caught:
        drafts.submit(db.session, response, drafts.new_idempotency_key())
    assert caught.value.page == "about_you"
    assert caught.value.errors == {"age_band": "Merci de répondre à cette question."}
    assert response.status is ResponseStatus.DRAFT
    with pytest.raises(drafts.DraftError):
        drafts.submit(db.session, response, "bad key!")


def test_honeypot_draft_is_accepted_but_never_stored(version) -> None:  # type: ignore[no-untyped-def]
    response, _token = drafts.start_draft(db.session, version, honeypot=True)
    _fill_all(response)
    assert drafts.submit(db.session, response, drafts.new_idempotency_key()) is None
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


def test_assisted_draft_in_the_bus_records_aidant_and_neighbourhood(version) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_user

    aidant_id = make_user("nasser@example.org", "aidant")
    hood = sites.neighbourhood_by_code(db.session, "canto_perdrix")
    response, _token = drafts.start_draft(
        db.session, version, neighbourhood=hood, channel=Channel.ASSISTED, aidant_id=aidant_id
    )
    _fill_all(response)
    stored = drafts.submit(db.session, response, drafts.new_idempotency_key())
    assert (stored.channel, stored.aidant_id, stored.collection_point) == (
        Channel.ASSISTED,
        aidant_id,
        None,
    )
    assert stored.neighbourhood.code == "canto_perdrix"


def test_other_neighbourhood_answer_gives_no_neighbourhood(auchan, version) -> None:  # type: ignore[no-untyped-def]
    response, _token = drafts.start_draft(db.session, version, point=auchan)
    _fill_all(response)
    answers = drafts.answers_of(response)
    answers["neighbourhood"] = "other"
    response.draft_state = {"answers": answers, "page": drafts.CHECK_PAGE}
    db.session.commit()
    stored = drafts.submit(db.session, response, drafts.new_idempotency_key())
    assert stored.neighbourhood_id is None


def test_summary_shows_answers_in_words(version) -> None:  # type: ignore[no-untyped-def]
    response, _token = drafts.start_draft(db.session, version)
    _fill_all(response)
    items = {item.label: item.value for item in drafts.summary(response, "fr")}
    assert items["Quel âge avez-vous ?"] == "30 à 44 ans"
    assert items["Pour quelles démarches avez-vous besoin d'aide ?"] == (
        "CAF (allocations familiales), École et cantine"
    )
    assert items["Qui vous aide pour les démarches en ligne ?"] == ""
    english = {item.label: item.value for item in drafts.summary(response, "en")}
    assert english["How old are you?"] == "30 to 44"
