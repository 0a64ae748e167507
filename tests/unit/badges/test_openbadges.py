"""Open Badges 2.0 documents: URL layout, recipient hashing, Issuer, BadgeClass, Assertion."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from badges import openbadges as ob

_spec = importlib.util.spec_from_file_location(
    "badge_sample", Path(__file__).parents[2] / "fixtures" / "badges" / "sample.py"
)
assert _spec and _spec.loader
sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample)

AID = sample.ASSERTION_ID


def test_url_layout_is_stable() -> None:
    urls = ob.badge_urls("https://MairieBus.example.fr/")
    assert urls.base == "https://mairiebus.example.fr"
    assert urls.issuer == "https://mairiebus.example.fr/badges/issuer.json"
    assert urls.issuer_v3 == "https://mairiebus.example.fr/badges/issuer-v3.json"
    assert urls.revocations == "https://mairiebus.example.fr/badges/revocations.json"
    assert urls.badge_class("TEL", 2) == "https://mairiebus.example.fr/badges/classes/tel-2.json"
    assert urls.badge_class_image("TEL", 2).endswith("/badges/classes/tel-2.png")
    assert urls.assertion(AID.upper()) == (
        f"https://mairiebus.example.fr/badges/assertions/{AID}.json"
    )
    assert urls.assertion_image(AID).endswith(f"/badges/assertions/{AID}.png")
    assert urls.credential(AID).endswith(f"/badges/credentials/{AID}.json")
    assert urls.key("z6MkTest") == "https://mairiebus.example.fr/badges/keys/z6MkTest.json"
    assert urls.verify_page(AID) == f"https://mairiebus.example.fr/verifier/{AID}"
    assert ob.badge_urls("http://127.0.0.1:5000/app/").base == "http://127.0.0.1:5000/app"


@pytest.mark.parametrize(
    "bad", ["ftp://x.fr", "mairie.fr", "https://x.fr/?a=1", "https://x.fr/#f", "https://u@x.fr"]
)
def test_bad_base_url_is_refused(bad: str) -> None:
    with pytest.raises(ob.BadgeDataError) as err:
        ob.badge_urls(bad)
    assert err.value.message.startswith("L'adresse du site")


def test_bad_ids_are_refused() -> None:
    urls = sample.urls
    with pytest.raises(ob.BadgeDataError, match="Identifiant de badge invalide"):
        urls.assertion("../../etc/passwd")
    with pytest.raises(ob.BadgeDataError, match="Code de domaine invalide"):
        urls.badge_class("tel/../x", 1)
    with pytest.raises(ob.BadgeDataError, match="Niveau invalide"):
        urls.badge_class("TEL", 0)
    with pytest.raises(ob.BadgeDataError, match="Identifiant de clé invalide"):
        urls.key("z6Mk/../../x")


def test_email_recipient_is_salted_sha256_of_normalised_email() -> None:
    recipient = ob.hash_recipient("  Camille@Example.ORG ", salt="5a1t")
    expected = hashlib.sha256(b"camille@example.org5a1t").hexdigest()
    assert recipient.identity == "sha256$" + expected
    assert recipient.to_ob2() == {
        "type": "email",
        "hashed": True,
        "salt": "5a1t",
        "identity": "sha256$" + expected,
    }
    assert recipient.to_ob3()["identityType"] == "emailAddress"
    assert recipient.plain == "camille@example.org"
    assert "camille" not in repr(recipient)


def test_hash_matches_hand_computed_value() -> None:
    # sha256("a@b.fr" + "x"), computed with `printf 'a@b.frx' | sha256sum`.
    recipient = ob.hash_recipient("a@b.fr", salt="x")
    assert recipient.identity == ("sha256$" + hashlib.sha256(b"a@b.frx").hexdigest())
    assert ob.recipient_matches(recipient.to_ob2(), "A@B.FR ")


def test_without_email_the_recipient_is_an_opaque_random_id() -> None:
    first = ob.hash_recipient(None)
    second = ob.hash_recipient("")
    assert first.type == "id" and first.plain.startswith("urn:uuid:")
    assert first.plain != second.plain and first.salt != second.salt
    assert (
        first.identity
        == "sha256$" + hashlib.sha256((first.plain + first.salt).encode()).hexdigest()
    )
    assert not ob.recipient_matches(first.to_ob2(), "camille@example.org")


def test_recipient_matching() -> None:
    identity = ob.hash_recipient("camille@example.org", salt="s").to_ob2()
    assert ob.recipient_matches(identity, "Camille@example.org")
    assert not ob.recipient_matches(identity, "camile@example.org")
    assert not ob.recipient_matches(identity, "not an email")
    upper = dict(identity, identity=identity["identity"].upper().replace("SHA256$", "sha256$"))
    assert ob.recipient_matches(upper, "camille@example.org")
    md5 = {
        "type": "email",
        "hashed": True,
        "salt": "s",
        "identity": "md5$" + hashlib.md5(b"camille@example.orgs").hexdigest(),
    }
    assert ob.recipient_matches(md5, "camille@example.org")
    plain = {"type": "email", "hashed": False, "identity": "camille@example.org"}
    assert ob.recipient_matches(plain, "CAMILLE@example.org")
    ob3 = ob.hash_recipient("camille@example.org", salt="s").to_ob3()
    assert ob.recipient_matches(ob3, "camille@example.org")


def test_invalid_email_is_refused() -> None:
    with pytest.raises(ob.BadgeDataError, match="Adresse e-mail invalide"):
        ob.hash_recipient("camille at example")


def test_issuer_profile_requires_email() -> None:
    profile = ob.issuer_profile(dict(sample.ISSUER, image="https://x.fr/logo.png"), sample.urls)
    assert profile == {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Issuer",
        "id": "https://mairiebus.example.fr/badges/issuer.json",
        "name": "Ville de Martigues - Mairie Bus",
        "url": "https://www.ville-martigues.fr",
        "email": "mairiebus@ville-martigues.fr",
        "image": "https://x.fr/logo.png",
        "revocationList": "https://mairiebus.example.fr/badges/revocations.json",
    }
    no_email = {k: v for k, v in sample.ISSUER.items() if k != "email"}
    with pytest.raises(ob.BadgeDataError, match="Réglage de l'émetteur manquant : email"):
        ob.issuer_profile(no_email, sample.urls)


def test_badge_class() -> None:
    doc = ob.badge_class(sample.BADGE, sample.urls)
    assert doc["type"] == "BadgeClass"
    assert doc["id"] == "https://mairiebus.example.fr/badges/classes/tel-2.json"
    assert doc["issuer"] == "https://mairiebus.example.fr/badges/issuer.json"
    assert doc["image"] == "https://mairiebus.example.fr/badges/classes/tel-2.png"
    assert doc["criteria"] == {
        "narrative": "Pour obtenir ce badge, la personne montre qu'elle sait :\n\n"
        "- Je sais installer une application.\n"
        "- Je sais régler le volume et la luminosité."
    }
    assert doc["alignment"] == [
        {
            "targetName": "Protéger les appareils",
            "targetUrl": "https://publications.jrc.ec.europa.eu/repository/handle/JRC128415",
            "targetFramework": "DigComp 2.2",
            "targetCode": "4.1",
        }
    ]
    assert doc["tags"] == ["numérique", "Mairie Bus"]


def test_assertion_validated_by_aidant() -> None:
    doc = ob.assertion(sample.award(), sample.urls)
    assert doc == {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": f"https://mairiebus.example.fr/badges/assertions/{AID}.json",
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": "5a1t",
            "identity": "sha256$" + hashlib.sha256(b"camille@example.org5a1t").hexdigest(),
        },
        "badge": "https://mairiebus.example.fr/badges/classes/tel-2.json",
        "issuedOn": "2025-03-04T10:30:00Z",
        "verification": {"type": "HostedBadge"},
        "evidence": [
            {
                "type": "Evidence",
                "name": "Vérification par un aidant",
                "genre": "validated",
                "narrative": "Niveau vérifié en pratique par un aidant numérique de "
                "« CCAS de Martigues ».",
            }
        ],
        "image": f"https://mairiebus.example.fr/badges/assertions/{AID}.png",
    }
    assert "camille" not in ob.to_json(doc)


def test_assertion_self_declared_with_expiry() -> None:
    expires = datetime(2027, 3, 4, 10, 30, tzinfo=UTC)
    doc = ob.assertion(sample.award(status="self_declared", expires=expires), sample.urls)
    assert doc["expires"] == "2027-03-04T10:30:00Z"
    assert doc["evidence"][0]["narrative"] == (
        "Niveau déclaré par la personne elle-même (auto-évaluation)."
    )
    with pytest.raises(ob.BadgeDataError, match="expiration"):
        ob.assertion(sample.award(expires=sample.ISSUED_ON), sample.urls)
    with pytest.raises(ob.BadgeDataError, match="fuseau horaire"):
        ob.assertion(sample.award(issued_on=datetime(2025, 1, 1)), sample.urls)


def test_revocation_documents() -> None:
    other = "ffffffff-0000-4000-8000-000000000001"
    body = ob.revoked_assertion(AID, " Erreur de saisie ", sample.urls)
    assert ob.REVOKED_HTTP_STATUS == 410
    assert body == {
        "@context": "https://w3id.org/openbadges/v2",
        "id": f"https://mairiebus.example.fr/badges/assertions/{AID}.json",
        "revoked": True,
        "revocationReason": "Erreur de saisie",
    }
    doc = ob.revocation_list([(other, ""), (AID, "Erreur de saisie")], sample.urls)
    assert doc["type"] == "RevocationList"
    assert doc["issuer"] == sample.urls.issuer
    assert doc["revokedAssertions"] == [
        {"id": sample.urls.assertion(AID), "revocationReason": "Erreur de saisie"},
        {"id": sample.urls.assertion(other)},
    ]
    assert json.loads(ob.to_json(doc)) == doc
