"""Pass service: results stored per sitting, self + aidant combined, export, deletion."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.db import db
from app.models import (
    AidantNote,
    Assessment,
    LevelResult,
    LevelStatus,
    Neighbourhood,
    Observation,
    Pass,
    User,
)
from app.services import passes as service
from app.services.passes import PassError
from badges import assessment as engine
from badges import passcode
from badges.assessment import ChallengeStep, FeedbackStep, StatementStep
from tests.conftest import make_user

DOMAINS = ("devices", "browsing", "communicating", "procedures", "safety", "daily_life")


def answer_all(sitting: Assessment, levels: Mapping[str, int], frontier: str = "not_yet") -> None:
    """Answer as someone who does levels 1..levels[domain] alone (others: ``frontier``)."""
    while (step := service.current_step(db.session, sitting)) is not None:
        if isinstance(step, StatementStep):
            value = "alone" if step.level.number <= levels.get(step.domain.code, 0) else frontier
        elif isinstance(step, ChallengeStep):
            value = engine.SKIP
        else:
            assert isinstance(step, FeedbackStep)
            value = engine.CONTINUE
        service.answer_step(db.session, sitting, value, step.key)


def self_assessment(levels: Mapping[str, int], pass_: Pass | None = None, **kw):  # type: ignore[no-untyped-def]
    sitting, token = service.start_assessment(db.session, pass_=pass_, **kw)
    answer_all(sitting, levels)
    return sitting, token


def results_of(sitting: Assessment) -> dict[str, tuple[int, str]]:
    rows = db.session.scalars(select(LevelResult).where(LevelResult.assessment_id == sitting.id))
    return {r.domain: (r.level, r.status.value) for r in rows}


def test_a_finished_self_assessment_gets_a_pass_and_one_result_row_per_domain(
    app_ctx: Flask,
) -> None:
    area = Neighbourhood(code="canto_perdrix", name="Canto Perdrix")
    db.session.add(area)
    db.session.commit()
    sitting, token = self_assessment({"devices": 2, "browsing": 1}, neighbourhood_id=area.id)
    assert token and service.assessment_for_token(db.session, token) is sitting
    assert sitting.token_hash == service.hash_token(token) and token not in sitting.token_hash

    done = service.finish_assessment(db.session, sitting, at=datetime(2026, 3, 2, 10, tzinfo=UTC))

    assert passcode.is_valid(done.pass_.code)
    assert service.assessment_for_token(db.session, token) is None  # the cookie is spent
    # Hand-worked: levels 1..2 alone then "not yet" twice at level 3 -> 2; nothing alone -> 0.
    assert results_of(sitting) == {
        "devices": (2, "self_declared"),
        "browsing": (1, "self_declared"),
        "communicating": (0, "self_declared"),
        "procedures": (0, "self_declared"),
        "safety": (0, "self_declared"),
        "daily_life": (0, "self_declared"),
    }
    rows = service.pass_results_rows(db.session)
    assert len(rows) == 6
    assert rows[0] == {
        "assessment_id": sitting.id,
        "pass_id": done.pass_.id,
        "domain": "devices",
        "level": 2,
        "status": "self_declared",
        "assessed_at": datetime(2026, 3, 2, 10, tzinfo=UTC),
        "neighbourhood": "canto_perdrix",
        "channel": "self",
    }
    # Ending twice changes nothing.
    service.finish_assessment(db.session, sitting)
    assert db.session.scalar(select(func.count()).select_from(LevelResult)) == 6


def test_an_aidant_observation_validates_and_outweighs_a_declaration(app_ctx: Flask) -> None:
    aidant = db.session.get(User, make_user("nasser@test.example.org", "aidant"))
    first, _ = self_assessment({"devices": 3, "browsing": 2})
    pass_ = service.finish_assessment(db.session, first, at=datetime(2026, 1, 10, tzinfo=UTC)).pass_
    assert results_of(first)["devices"] == (3, "self_declared")

    # The aidant sees level 2 done alone, level 3 not yet: validated 2, and 3 is a ceiling.
    together, token = service.start_assessment(db.session, pass_=pass_, aidant=aidant)
    assert token is None and together.channel.value == "assisted"
    done = service.finish_assessment(
        db.session,
        together,
        {"devices-2-check": "alone", "devices-3-check": "not_yet", "browsing-4-check": "alone"},
        at=datetime(2026, 2, 10, tzinfo=UTC),
        note="A besoin de lunettes pour lire l'écran.",
    )
    # Only the domains the sitting touched get a row.
    assert results_of(together) == {"devices": (2, "validated"), "browsing": (4, "validated")}
    devices = done.standing.domain("devices")
    assert (devices.level, devices.status, devices.validated_level) == (2, "validated", 2)
    browsing = done.standing.domain("browsing")
    assert (
        browsing.level == 4 and "Vous en savez plus que vous ne le pensiez !" in browsing.messages
    )
    observed = db.session.scalars(select(Observation).order_by(Observation.level)).all()
    assert [(o.domain, o.level, o.outcome, o.observed) for o in observed] == [
        ("devices", 2, "alone", True),
        ("devices", 3, "not_yet", False),
        ("browsing", 4, "alone", True),
    ]
    assert [n.text for n in service.notes_for(db.session, pass_)] == [
        "A besoin de lunettes pour lire l'écran."
    ]
    assert {(b.domain, b.level, b.status) for b in done.new_badges} >= {
        ("devices", 2, "validated"),
        ("browsing", 4, "validated"),
    }

    # A later, lower self-declaration never lowers a validated level.
    later, _ = self_assessment({"devices": 1}, pass_=pass_)
    service.finish_assessment(db.session, later, at=datetime(2026, 3, 10, tzinfo=UTC))
    assert results_of(later)["devices"] == (2, "validated")
    standing = service.standing_for(pass_)
    assert standing.domain("devices").declared_level == 1
    history = service.history_rows(db.session, pass_)
    assert [row.channel for row in history] == ["self", "assisted", "self"]  # newest first


def test_unknown_or_bad_observations_are_refused_in_french(app_ctx: Flask) -> None:
    sitting, _ = service.start_assessment(
        db.session, pass_=service.create_pass(db.session), aidant=None
    )
    with pytest.raises(PassError, match="Vérification inconnue"):
        service.finish_assessment(db.session, sitting, {"devices-9-check": "alone"})
    with pytest.raises(PassError, match="choisissez une des réponses"):
        service.finish_assessment(db.session, sitting, {"devices-1-check": "maybe"})


def test_codes_are_found_however_they_are_typed(app_ctx: Flask) -> None:
    pass_ = service.create_pass(db.session)
    db.session.commit()
    shown = service.display_code(pass_.code)
    assert service.find_pass(db.session, shown.lower()) is pass_
    assert service.find_pass(db.session, f" {pass_.code} ") is pass_
    typo = pass_.code[:3] + ("A" if pass_.code[3] != "A" else "B") + pass_.code[4:]
    with pytest.raises(PassError, match="mal recopié"):
        service.find_pass(db.session, typo)
    other = passcode.generate()
    while other == pass_.code:
        other = passcode.generate()
    assert service.find_pass(db.session, other) is None


def test_contact_details_need_consent(app_ctx: Flask) -> None:
    pass_ = service.create_pass(db.session)
    with pytest.raises(PassError, match="Cochez la case"):
        service.set_contact(db.session, pass_, "Camille", "", consent=False)
    service.set_contact(db.session, pass_, " Camille ", "Camille@Example.org", consent=True)
    assert (pass_.first_name, pass_.email) == ("Camille", "camille@example.org")
    assert pass_.consent_at is not None
    service.set_contact(db.session, pass_, "", "", consent=False)
    assert (pass_.first_name, pass_.email, pass_.consent_at) == (None, None, None)


def test_export_holds_the_answers_and_levels_but_not_the_aidant_notes(app_ctx: Flask) -> None:
    sitting, _ = self_assessment({"devices": 1})
    pass_ = service.finish_assessment(db.session, sitting).pass_
    service.set_contact(db.session, pass_, "Camille", "camille@example.org", consent=True)
    service.add_note(db.session, pass_, None, "note privée")
    data = service.export_pass(db.session, pass_)
    assert data["pass"]["code"] == service.display_code(pass_.code)
    assert data["pass"]["email"] == "camille@example.org"
    assert data["evaluations"][0]["reponses"]["devices-1-1"] == "alone"
    assert {"domaine": "devices", "niveau": 1, "statut": "self_declared"} in data["evaluations"][0][
        "niveaux"
    ]
    assert "note privée" not in repr(data)


def test_deleting_a_pass_removes_personal_data_and_keeps_anonymous_counts(app_ctx: Flask) -> None:
    aidant = db.session.get(User, make_user("aidant@test.example.org", "aidant"))
    sitting, token = self_assessment({"devices": 2})
    pass_ = service.finish_assessment(db.session, sitting).pass_
    together, _ = service.start_assessment(db.session, pass_=pass_, aidant=aidant)
    service.finish_assessment(db.session, together, {"devices-3-check": "alone"})
    service.set_contact(db.session, pass_, "Camille", "camille@example.org", consent=True)
    service.add_note(db.session, pass_, aidant, "Vient le mardi.")
    pass_id, code = pass_.id, pass_.code
    counts_before = [
        (r["domain"], r["level"], r["status"], r["channel"])
        for r in service.pass_results_rows(db.session)
    ]
    awards_model = _awards_model()

    service.delete_pass(db.session, pass_)
    db.session.expire_all()

    assert db.session.get(Pass, pass_id) is None
    assert service.find_pass(db.session, code) is None
    assert db.session.scalar(select(func.count()).select_from(AidantNote)) == 0
    sittings = db.session.scalars(select(Assessment)).all()
    assert len(sittings) == 2
    assert all(s.pass_id is None and s.state is None and s.token_hash is None for s in sittings)
    rows = service.pass_results_rows(db.session)
    assert [(r["domain"], r["level"], r["status"], r["channel"]) for r in rows] == counts_before
    assert all(r["pass_id"] is None for r in rows)
    assert db.session.scalar(select(func.count()).select_from(Observation)) == 1
    assert service.assessment_for_token(db.session, token) is None
    if awards_model is not None:
        awards = db.session.scalars(select(awards_model)).all()
        assert awards, "the badges area issued awards on finishing"
        assert all(a.pass_id is None and a.recipient_identity == "" for a in awards)
        assert "camille@example.org" not in repr([a.assertion_json for a in awards])


def _awards_model():  # type: ignore[no-untyped-def]
    from flask import current_app

    if "badges_public" not in current_app.blueprints:
        return None
    from app.models.badges import Award

    return Award


def test_badges_are_issued_for_new_levels_when_the_badges_area_exists(app_ctx: Flask) -> None:
    award_model = _awards_model()
    if award_model is None:
        pytest.skip("the Open Badges area is not installed")
    sitting, _ = self_assessment({"devices": 2})
    done = service.finish_assessment(db.session, sitting)
    assert [(b.domain, b.level, b.status) for b in done.new_badges] == [
        ("devices", 1, "self_declared"),
        ("devices", 2, "self_declared"),
    ]
    awards = service.pass_awards(db.session, done.pass_)
    assert sorted((a.domain, a.level) for a in awards) == [("devices", 1), ("devices", 2)]


def test_level_status_values_match_the_shared_table() -> None:
    assert {s.value for s in LevelStatus} == {"self_declared", "validated"}
