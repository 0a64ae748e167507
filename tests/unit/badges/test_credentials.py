"""Open Badges 3.0 credentials: content, signature, and any changed byte breaking it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from badges import credentials, signing
from badges.openbadges import BadgeDataError

_spec = importlib.util.spec_from_file_location(
    "badge_sample", Path(__file__).parents[2] / "fixtures" / "badges" / "sample.py"
)
assert _spec and _spec.loader
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)


def _signed() -> dict[str, object]:
    return credentials.signed_credential(
        sample.award(),
        sample.BADGE,
        sample.ISSUER,
        sample.urls,
        sample.PRIVATE_KEY,
        sample.ISSUED_ON,
    )


def test_credential_content() -> None:
    cred = credentials.open_badge_credential(
        sample.award(), sample.BADGE, sample.ISSUER, sample.urls
    )
    assert cred["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert (
        cred["id"] == f"https://mairiebus.example.fr/badges/credentials/{sample.ASSERTION_ID}.json"
    )
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["issuer"] == {
        "id": "https://mairiebus.example.fr/badges/issuer-v3.json",
        "type": ["Profile"],
        "name": "Ville de Martigues - Mairie Bus",
        "url": "https://www.ville-martigues.fr",
        "email": "mairiebus@ville-martigues.fr",
    }
    assert cred["validFrom"] == "2025-03-04T10:30:00Z"
    subject = cred["credentialSubject"]
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "hashed": True,
            "identityHash": sample.award().recipient.identity,
            "identityType": "emailAddress",
            "salt": "5a1t",
        }
    ]
    achievement = subject["achievement"]
    assert achievement["id"] == "https://mairiebus.example.fr/badges/classes/tel-2.json"
    assert achievement["criteria"]["narrative"].endswith(
        "- Je sais régler le volume et la luminosité."
    )
    assert achievement["alignment"][0]["type"] == ["Alignment"]
    assert achievement["tag"] == ["numérique", "Mairie Bus"]
    assert cred["evidence"][0]["genre"] == "validated"


def test_every_property_is_understood_by_the_contexts() -> None:
    # JSON-LD drops unknown terms silently, so an unsigned property would go unnoticed:
    # every quad must come from a defined term, none from the VC 2.0 @vocab fallback.
    cred = credentials.open_badge_credential(
        sample.award(), sample.BADGE, sample.ISSUER, sample.urls
    )
    nquads = signing.canonicalize(cred)
    assert "issuer-dependent" not in nquads
    # Achievement 8 (type, criteria, alignment, image, description, 2 tags, name), its
    # Image 1, credential 7 (2 types, name, subject, evidence, issuer, validFrom), issuer 4,
    # criteria 1, alignment 5, subject 3, evidence 4, identity object 5: 38 quads.
    assert nquads.count("\n") == 38


def test_signed_credential_verifies_with_issuer_key() -> None:
    signed = _signed()
    proof = signed["proof"]
    assert proof["verificationMethod"] == sample.urls.key(sample.PUBLIC_KEY)
    assert proof["created"] == "2025-03-04T10:30:00Z"
    assert signing.verify_proof(signed, sample.PUBLIC_KEY).ok
    # Ed25519 is deterministic: the same award signs to the same bytes.
    assert json.dumps(_signed()) == json.dumps(signed)


def test_any_changed_byte_breaks_the_signature() -> None:
    text = json.dumps(_signed(), ensure_ascii=False, separators=(",", ":")).encode()
    assert signing.verify_proof(json.loads(text), sample.PUBLIC_KEY).ok
    # Every byte outside the proofValue digits is tried once, changed to a neighbour.
    start = text.index(b'"proofValue"')
    failures = 0
    for pos in range(len(text)):
        if start <= pos < start + 15:
            continue
        edited = bytearray(text)
        edited[pos] = edited[pos] ^ 0x01
        try:
            document = json.loads(bytes(edited).decode("utf-8"))
        except (ValueError, RecursionError):
            failures += 1
            continue
        if (
            not isinstance(document, dict)
            or not signing.verify_proof(document, sample.PUBLIC_KEY).ok
        ):
            failures += 1
    assert failures == len(text) - 15


def test_controller_and_key_documents() -> None:
    key_doc = credentials.multikey_document(sample.urls, sample.PUBLIC_KEY)
    assert key_doc == {
        "@context": "https://w3id.org/security/multikey/v1",
        "id": sample.urls.key(sample.PUBLIC_KEY),
        "type": "Multikey",
        "controller": "https://mairiebus.example.fr/badges/issuer-v3.json",
        "publicKeyMultibase": sample.PUBLIC_KEY,
    }
    controller = credentials.controller_document(sample.urls, sample.ISSUER, [sample.PUBLIC_KEY])
    assert controller["id"] == sample.urls.issuer_v3
    assert controller["assertionMethod"] == [sample.urls.key(sample.PUBLIC_KEY)]
    assert controller["verificationMethod"] == [key_doc]


def test_mismatched_badge_is_refused() -> None:
    with pytest.raises(BadgeDataError, match="ne correspond pas"):
        credentials.open_badge_credential(
            sample.award(level=3), sample.BADGE, sample.ISSUER, sample.urls
        )


def test_did_web_identifiers_follow_the_method_spec() -> None:
    from badges.credentials import did_web

    assert did_web("https://mairiebus.example.org") == "did:web:mairiebus.example.org"
    assert did_web("http://127.0.0.1:5000") == "did:web:127.0.0.1%3A5000"
    assert did_web("https://ville.example.fr/bus") == "did:web:ville.example.fr:bus"


def test_retired_key_documents_keep_their_period_without_expiring() -> None:
    from datetime import UTC, datetime

    from badges.credentials import PublishedKey, controller_document, multikey_document
    from badges.openbadges import badge_urls

    urls = badge_urls("https://mairiebus.example.org")
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    end = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    old = PublishedKey("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", start, end)
    new = PublishedKey("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", end, None)
    document = multikey_document(urls, old)
    assert document["signingFrom"] == "2025-01-06T09:00:00Z"
    assert document["signingUntil"] == "2026-03-02T17:30:00Z"
    # "expires"/"revoked" would make verifiers refuse what the key signed before.
    assert "expires" not in document and "revoked" not in document
    controller = controller_document(
        urls,
        {"name": "Ville", "url": "https://ville.example.fr", "email": "bus@ville.example.fr"},
        [old, new],
    )
    assert controller["assertionMethod"] == [urls.key(old.value), urls.key(new.value)]
