"""Badges service: signing key, issuing (idempotent, superseding), revocation, erasure, log."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.db import db
from app.models import Pass
from app.models.badges import AuditLogError, Award, AwardEvent, AwardEventKind
from app.models.passes import LevelStatus
from app.services import badges as service
from badges import baking, openbadges
from badges.signing import verify_proof
from tests.conftest import make_user

EMAIL = "Camille@Example.org"


def make_pass(
    email: str | None = EMAIL, code: str = "K7M9QXRT4", first_name: str = "Camille"
) -> Pass:
    """A Pass with (or without) an email, committed."""
    pass_ = Pass(code=code, email=email, first_name=first_name)
    db.session.add(pass_)
    db.session.commit()
    return pass_


def make_award(
    domain: str = "devices", level: int = 2, status: str = "validated", **pass_fields: object
) -> Award:
    """A Pass and one award for it, issued by an aidant of the "CCAS de Martigues"."""
    pass_ = make_pass(**pass_fields)  # type: ignore[arg-type]
    aidant = None
    if status == "validated":
        from app.models import Role, User

        # Built directly: hashing a password would make every badge test slow.
        aidant = User(
            email="nasser@example.org",
            role=Role.AIDANT,
            password_hash="!",
            display_name="Nasser",
            organisation="CCAS de Martigues",
        )
        db.session.add(aidant)
        db.session.flush()
    return service.issue_award(db.session, pass_, domain, level, status, aidant)


def test_signing_key_is_created_once_owner_only(app_ctx: Flask) -> None:
    app_ctx.extensions.pop("mairiebus_badge_key", None)
    path = Path(app_ctx.instance_path) / "badge_signing_key.pem"
    path.unlink(missing_ok=True)
    first = service.public_key_value()
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    app_ctx.extensions.pop("mairiebus_badge_key", None)
    assert service.public_key_value() == first  # read back, not regenerated
    assert first.startswith("z6Mk")


def test_issuer_settings_defaults_and_overrides(app_ctx: Flask) -> None:
    settings = service.issuer_settings()
    assert settings["name"] == "Ville de Martigues – Mairie Bus"
    assert settings["url"] == "https://mairiebus.example.org"
    assert settings["email"] == app_ctx.config["CONTACT_EMAIL"]
    assert settings["image"] == "https://mairiebus.example.org/badges/issuer.png"
    app_ctx.config["BADGE_ISSUER_NAME"] = "Ville de Martigues"
    try:
        assert service.issuer_settings()["name"] == "Ville de Martigues"
    finally:
        del app_ctx.config["BADGE_ISSUER_NAME"]


def test_badge_class_comes_from_the_framework(app_ctx: Flask) -> None:
    data = service.badge_class_data("devices", 1)
    assert data.name == "Mon téléphone – Premiers pas"
    assert data.can_dos[0] == "Je sais allumer mon téléphone et le déverrouiller."
    assert {a.target_framework for a in data.alignments} >= {
        "DigComp 2.2 (Commission européenne, JRC, 2022)"
    }
    assert ("5.1" in {a.target_code for a in data.alignments}) is True
    with pytest.raises(service.BadgeError):
        service.badge_class_data("devices", 9)
    with pytest.raises(service.BadgeError):
        service.badge_class_data("cooking", 1)


def test_issue_award_freezes_both_documents(app_ctx: Flask) -> None:
    award = make_award()
    urls = service.urls()
    assertion = award.assertion_json
    assert assertion["id"] == f"https://mairiebus.example.org/badges/assertions/{award.uuid}.json"
    assert assertion["badge"] == urls.badge_class("devices", 2)
    # The email is normalised before hashing: the lowercase address matches.
    assert openbadges.recipient_matches(assertion["recipient"], "camille@example.org")
    assert award.recipient_type == "email"
    assert assertion["recipient"]["salt"] == award.recipient_salt
    assert "Camille" not in openbadges.to_json(assertion)
    assert "CCAS de Martigues" in assertion["evidence"][0]["narrative"]
    assert "nasser" not in openbadges.to_json(assertion).lower()
    assert award.aidant_organisation == "CCAS de Martigues"
    credential = award.credential_json
    assert credential["id"] == urls.credential(award.uuid)
    assert verify_proof(credential, service.public_key_value()).ok
    assert award.image_fingerprint == baking.image_fingerprint(award.image_png)
    events = db.session.scalars(select(AwardEvent).where(AwardEvent.award_id == award.id)).all()
    assert [(e.kind, e.actor_label) for e in events] == [
        (AwardEventKind.ISSUED, "nasser@example.org")
    ]


def test_without_email_the_recipient_is_an_opaque_id(app_ctx: Flask) -> None:
    award = make_award(status="self_declared", email=None)
    recipient = award.assertion_json["recipient"]
    assert recipient["type"] == "id"
    assert recipient["identity"].startswith("sha256$")
    assert award.aidant_organisation is None
    assert service.recipient_email(award) is None


def test_issue_award_is_idempotent_and_validated_supersedes(app_ctx: Flask) -> None:
    pass_ = make_pass()
    declared = service.issue_award(db.session, pass_, "devices", 1, "self_declared")
    again = service.issue_award(db.session, pass_, "devices", 1, LevelStatus.SELF_DECLARED)
    assert again.id == declared.id
    validated = service.issue_award(db.session, pass_, "devices", 1, "validated")
    assert validated.id != declared.id
    db.session.refresh(declared)
    assert declared.superseded_by_id == validated.id
    assert declared.revoked_at is None  # still a true statement: it stays valid
    # Asking again for the self-declared badge gives the validated one.
    assert service.issue_award(db.session, pass_, "devices", 1, "self_declared").id == validated.id
    assert [a.id for a in service.awards_for_pass(db.session, pass_)] == [validated.id]
    assert len(service.awards_for_pass(db.session, pass_, include_hidden=True)) == 2
    with pytest.raises(service.BadgeError):
        service.issue_award(db.session, pass_, "devices", 1, "guessed")


def test_revoke_logs_and_refuses_twice(app_ctx: Flask) -> None:
    award = make_award(status="self_declared")
    with pytest.raises(service.BadgeError, match="raison"):
        service.revoke(db.session, award, "   ")
    service.revoke(db.session, award, "Délivré par erreur", by="cli")
    assert award.revocation_reason == "Délivré par erreur"
    with pytest.raises(service.BadgeError, match="déjà"):
        service.revoke(db.session, award, "encore")
    kinds = [e.kind for e in award.events]
    assert kinds == [AwardEventKind.ISSUED, AwardEventKind.REVOKED]
    document = service.revocation_list_document(db.session)
    assert document["revokedAssertions"] == [
        {"id": service.urls().assertion(award.uuid), "revocationReason": "Délivré par erreur"}
    ]
    # Revoked, the same badge can be issued anew (a fresh UUID).
    pass_ = db.session.get(Pass, award.pass_id)
    fresh = service.issue_award(db.session, pass_, "devices", 2, "self_declared")
    assert fresh.uuid != award.uuid


def test_audit_log_refuses_update_and_delete(app_ctx: Flask) -> None:
    award = make_award(status="self_declared")
    event = award.events[0]
    event.reason = "changed"
    with pytest.raises(AuditLogError):
        db.session.flush()
    db.session.rollback()
    event = db.session.scalar(select(AwardEvent))
    db.session.delete(event)
    with pytest.raises(AuditLogError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(AwardEvent).where(AwardEvent.id == event.id)) is not None


@pytest.mark.parametrize("how", ["service", "orm_delete"])
def test_deleting_a_pass_erases_personal_data(app_ctx: Flask, how: str) -> None:
    award = make_award()
    png = service.baked_png(award)
    pass_ = db.session.get(Pass, award.pass_id)
    if how == "service":
        service.erase_pass_awards(db.session, pass_)
    db.session.delete(pass_)
    db.session.commit()
    db.session.expire_all()
    award = db.session.scalar(select(Award))
    assert award.pass_id is None
    assert award.recipient_identity == "" and award.recipient_salt == ""
    assert "recipient" not in award.assertion_json
    assert "identifier" not in award.credential_json["credentialSubject"]
    assert award.is_revoked and award.erased_at is not None
    # The baked copy the holder kept now reads as withdrawn, not as forged.
    verdict = service.verify_data(db.session, png)
    assert verdict.valid is False
    assert verdict.headline == "Ce badge a été retiré : il n'est plus valide."
    assert verdict.revocation_reason == "Badge effacé à la demande de son titulaire."
    assert verdict.tampered_fields == []


def test_sync_awards_finds_the_validating_aidant(app_ctx: Flask) -> None:
    from datetime import UTC, datetime

    from app.models import Assessment, AssessmentKind
    from badges.scoring import EarnedBadge

    pass_ = make_pass()
    aidant_id = make_user("aidant@sync.example.org", "aidant", organisation="Centre social")
    sitting = Assessment(pass_id=pass_.id, kind=AssessmentKind.AIDANT, aidant_id=aidant_id)
    db.session.add(sitting)
    db.session.commit()
    when = datetime(2025, 3, 4, tzinfo=UTC)
    earned = [
        EarnedBadge("browsing", 1, "validated", when, sitting.id),
        EarnedBadge("browsing", 2, "self_declared", when, None),
    ]
    awards = service.sync_awards(db.session, pass_, earned)
    assert [(a.level, a.status.value, a.aidant_organisation) for a in awards] == [
        (1, "validated", "Centre social"),
        (2, "self_declared", None),
    ]


def test_demo_seeder_is_idempotent_and_removable(app_ctx: Flask) -> None:
    from app.demo_seeders import accounts, badges

    real = make_award(status="self_declared", email="real@example.org", code="REAL00001")
    accounts.seed(echo=lambda _m: None)
    badges.seed(echo=lambda _m: None)
    demo = db.session.scalars(select(Award).where(Award.is_demo.is_(True))).all()
    assert demo, "the demo Pass holds badges"
    assert {a.status.value for a in demo} == {"self_declared", "validated"}
    validated = [a for a in demo if a.status.value == "validated"]
    assert {a.aidant_organisation for a in validated} == {"Maison de quartier de Canto Perdrix"}
    assert all(service.recipient_email(a) == "camille@example.org" for a in demo)
    badges.seed(echo=lambda _m: None)
    again = db.session.scalars(select(Award).where(Award.is_demo.is_(True))).all()
    assert len(again) == len(demo)
    badges.remove(echo=lambda _m: None)
    assert db.session.scalars(select(Award).where(Award.is_demo.is_(True))).all() == []
    assert db.session.get(Award, real.id) is not None
