"""Verification verdicts: valid, tampered, swapped image, removed chunk, revoked, wrong email."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from badges import baking, openbadges, render
from badges.verify import IssuedRecord, Verdict, verify_badge

_spec = importlib.util.spec_from_file_location(
    "badge_sample", Path(__file__).parents[2] / "fixtures" / "badges" / "sample.py"
)
assert _spec and _spec.loader
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)

PNG, RECORD = sample.issued()
KEYS = {sample.urls.key(sample.PUBLIC_KEY): sample.PUBLIC_KEY}


def _check(data: object, record: IssuedRecord | None = RECORD, **kwargs: object) -> Verdict:
    return verify_badge(
        data,  # type: ignore[arg-type]
        lambda aid: record if aid == sample.ASSERTION_ID else None,
        sample.urls,
        sample.ISSUER["name"],
        public_keys=KEYS,
        now=sample.NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def _rebake(keyword: str, edit: object) -> bytes:
    document = json.loads(baking.unbake(PNG)[keyword])
    edit(document)  # type: ignore[operator]
    return baking.bake(PNG, json.dumps(document), keyword)


def test_issued_png_is_valid() -> None:
    verdict = _check(PNG)
    assert verdict.valid and verdict.headline == "Ce badge est valide."
    assert verdict.assertion_id == sample.ASSERTION_ID
    assert verdict.details[:2] == [
        "Émetteur : Ville de Martigues - Mairie Bus.",
        "Délivré le 04/03/2025.",
    ]
    assert verdict.checks["image"] is True and verdict.checks["untampered"] is True
    assert json.loads(json.dumps(verdict.to_dict()))["valid"] is True


def test_both_formats_are_checked_as_json_too() -> None:
    assert _check(json.dumps(RECORD.assertion)).format == "ob2"
    ob3 = _check(dict(RECORD.credential))
    assert ob3.valid and ob3.format == "ob3" and ob3.checks["signature"] is True


def test_edited_assertion_is_tampering() -> None:
    def edit(doc: dict[str, object]) -> None:
        doc["badge"] = sample.urls.badge_class("TEL", 4)

    verdict = _check(_rebake("openbadges", edit))
    assert not verdict.valid
    assert verdict.headline == "Ce badge a été modifié : il n'est pas valide."
    assert verdict.tampered_fields == ["badge"]


def test_added_field_is_tampering() -> None:
    verdict = _check(_rebake("openbadges", lambda d: d.update(narrative="Expert")))
    assert verdict.tampered_fields == ["narrative"]


def test_edited_credential_is_tampering_and_resigning_needs_our_key() -> None:
    def edit(doc: dict[str, object]) -> None:
        doc["name"] = "Autre badge"  # type: ignore[index]

    verdict = _check(_rebake("openbadgecredential", edit))
    assert not verdict.valid and verdict.tampered_fields == ["name"]
    # Same content but a proof made with another key: the signature check refuses it.
    forged = dict(RECORD.credential)
    forged["proof"] = dict(forged["proof"], proofValue="z" + "2" * 87)
    record = IssuedRecord(RECORD.assertion, forged, RECORD.image_fingerprint)
    bad = _check(forged, record)
    assert not bad.valid and bad.checks["signature"] is False


def test_swapped_image_is_caught() -> None:
    other = render.render_badge("TEL", "Mon téléphone", 4, 4, "Ville", sample.urls.base + "/x")
    swapped = baking.bake(other, baking.unbake(PNG)["openbadges"])
    swapped = baking.bake(swapped, baking.unbake(PNG)["openbadgecredential"], baking.KEYWORD_OB3)
    verdict = _check(swapped)
    assert not verdict.valid
    assert verdict.headline == "Ce badge ne correspond pas à cette image : il n'est pas valide."
    assert verdict.checks["image"] is False


def test_removed_chunk_means_no_badge() -> None:
    verdict = _check(baking.strip_badges(PNG))
    assert not verdict.valid and verdict.headline == "Cette image ne contient pas de badge."


def test_revoked_shows_revoked_with_reason() -> None:
    record = IssuedRecord(
        RECORD.assertion,
        RECORD.credential,
        RECORD.image_fingerprint,
        revoked=True,
        revocation_reason="Badge délivré par erreur",
        revoked_on=datetime(2025, 5, 2, tzinfo=UTC),
    )
    verdict = _check(PNG, record)
    assert not verdict.valid
    assert verdict.headline == "Ce badge a été retiré : il n'est plus valide."
    assert verdict.revocation_reason == "Badge délivré par erreur"
    assert "Badge retiré le 02/05/2025 : Badge délivré par erreur" in verdict.details


def test_expired() -> None:
    award = sample.award(expires=datetime(2025, 5, 1, tzinfo=UTC))
    assertion = openbadges.assertion(award, sample.urls)
    verdict = _check(assertion, IssuedRecord(assertion))
    assert not verdict.valid and verdict.headline == "Ce badge a expiré."
    assert "Date de fin de validité : 01/05/2025." in verdict.details


def test_email_matching() -> None:
    assert _check(PNG, email=" Camille@Example.org").checks["recipient"] is True
    wrong = _check(PNG, email="dominique@example.org")
    assert not wrong.valid and wrong.checks["recipient"] is False
    assert wrong.headline == (
        "Ce badge est authentique mais n'appartient pas à cette adresse e-mail."
    )


def test_unknown_and_foreign_badges() -> None:
    assert _check(PNG, record=None).headline.startswith("Ce badge est inconnu")
    foreign = dict(RECORD.assertion, id="https://autre.example/badges/assertions/1.json")
    assert _check(foreign).headline.startswith("Ce badge n'a pas été délivré par ce site")
    upper = dict(RECORD.assertion, id=RECORD.assertion["id"].upper().replace("HTTPS", "https"))
    assert not _check(upper).valid


def test_unreadable_inputs() -> None:
    assert _check(b"not json").headline == "Ce fichier n'a pas pu être lu."
    assert _check("[1, 2]").headline == "Ce fichier n'a pas pu être lu."
    assert _check(baking.PNG_SIGNATURE + b"junk").headline == "Ce fichier n'a pas pu être lu."
    deep = baking.bake(sample.rendered_png(), "[" * 100_000 + "]" * 100_000)
    assert _check(deep).headline == "Ce fichier n'a pas pu être lu."


@given(st.integers(min_value=0, max_value=len(PNG)), st.integers(min_value=0, max_value=7))
@settings(max_examples=150, deadline=None)
def test_fuzzed_and_truncated_pngs_never_crash(cut: int, bit: int) -> None:
    truncated = _check(PNG[:cut])
    assert isinstance(truncated, Verdict) and truncated.valid == (cut == len(PNG))
    if cut < len(PNG):
        flipped = bytearray(PNG)
        flipped[cut] ^= 1 << bit
        verdict = _check(bytes(flipped))
        assert isinstance(verdict, Verdict) and not verdict.valid


@given(st.binary(max_size=512))
@settings(max_examples=100, deadline=None)
def test_random_bytes_never_crash(data: bytes) -> None:
    assert not _check(baking.PNG_SIGNATURE + data).valid
    assert not _check(data).valid


def test_changed_parts_are_named_for_people() -> None:
    from badges.verify import field_labels

    assert field_labels(
        [
            "credentialSubject.identifier[0].identityHash",
            "recipient.identity",
            "validFrom",
            "proof.proofValue",
            "somethingElse",
        ]
    ) == [
        "le destinataire",
        "la date de délivrance",
        "la signature électronique",
        "d'autres informations",
    ]
