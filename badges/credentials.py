"""Open Badges 3.0 ``OpenBadgeCredential`` (W3C VC 2.0) for an award, signed with Ed25519.

Same award as the OB 2.0 Assertion (see :mod:`badges.openbadges` for the recipient choice):
the credential ``id`` is its download URL, the issuer is a Profile whose ``id`` is the
controller document at ``BadgeUrls.issuer_v3`` (it lists the keys in ``assertionMethod``),
and the proof is a ``DataIntegrityProof`` with cryptosuite ``eddsa-rdfc-2022`` whose
``verificationMethod`` is the Multikey document at ``BadgeUrls.key(<z6Mk...>)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badges.openbadges import (
    AwardData,
    BadgeClassData,
    BadgeDataError,
    BadgeUrls,
    criteria_narrative,
    evidence,
    format_datetime,
)
from badges.signing import MULTIKEY_CONTEXT, public_key_multibase, sign_credential

__all__ = [
    "OB3_CONTEXT",
    "VC2_CONTEXT",
    "PublishedKey",
    "controller_document",
    "issuer_profile",
    "did_document",
    "did_web",
    "multikey_document",
    "open_badge_credential",
    "signed_credential",
    "verification_method",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"


def issuer_profile(settings: Mapping[str, str], urls: BadgeUrls) -> dict[str, Any]:
    """OB 3.0 issuer Profile (embedded in credentials and in the status lists)."""
    return _issuer_profile(settings, urls)


def _issuer_profile(settings: Mapping[str, str], urls: BadgeUrls) -> dict[str, Any]:
    """OB 3.0 issuer Profile embedded in each credential."""
    profile: dict[str, Any] = {"id": urls.issuer_v3, "type": ["Profile"]}
    for key in ("name", "url", "email"):
        value = settings.get(key)
        if not isinstance(value, str) or not value.strip():
            raise BadgeDataError(f"Réglage de l'émetteur manquant : {key}.")
        profile[key] = value.strip()
    image = settings.get("image")
    if isinstance(image, str) and image.strip():
        profile["image"] = {"id": image.strip(), "type": "Image"}
    return profile


def open_badge_credential(
    award: AwardData,
    badge: BadgeClassData,
    issuer_settings: Mapping[str, str],
    urls: BadgeUrls,
    credential_status: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Unsigned OpenBadgeCredential for one award (``credentialStatus`` when given)."""
    if (badge.domain, badge.level) != (award.domain, award.level):
        raise BadgeDataError("Le badge ne correspond pas à la récompense.")
    achievement: dict[str, Any] = {
        "id": urls.badge_class(badge.domain, badge.level),
        "type": ["Achievement"],
        "name": badge.name.strip(),
        "description": badge.description.strip(),
        "criteria": {"narrative": criteria_narrative(badge.can_dos)},
        "image": {
            "id": urls.badge_class_image(badge.domain, badge.level),
            "type": "Image",
        },
    }
    if badge.alignments:
        achievement["alignment"] = [a.to_ob3() for a in badge.alignments]
    if badge.tags:
        achievement["tag"] = [t for t in badge.tags if t]
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT, OB3_CONTEXT],
        "id": urls.credential(award.assertion_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": _issuer_profile(issuer_settings, urls),
        "validFrom": format_datetime(award.issued_on),
        "name": badge.name.strip(),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [award.recipient.to_ob3()],
            "achievement": achievement,
        },
        "evidence": evidence(award.status, award.aidant_organisation),
    }
    if award.expires is not None:
        if award.expires <= award.issued_on:
            raise BadgeDataError("La date d'expiration doit suivre la date d'émission.")
        credential["validUntil"] = format_datetime(award.expires)
    if credential_status is not None:
        credential["credentialStatus"] = dict(credential_status)
    return credential


def verification_method(urls: BadgeUrls, key: Ed25519PrivateKey) -> str:
    """URL of the Multikey document of ``key`` (what proofs point to)."""
    return urls.key(public_key_multibase(key))


def signed_credential(
    award: AwardData,
    badge: BadgeClassData,
    issuer_settings: Mapping[str, str],
    urls: BadgeUrls,
    private_key: Ed25519PrivateKey,
    created: datetime,
    credential_status: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """OpenBadgeCredential with its eddsa-rdfc-2022 DataIntegrityProof."""
    credential = open_badge_credential(award, badge, issuer_settings, urls, credential_status)
    return sign_credential(credential, private_key, verification_method(urls, private_key), created)


@dataclass(frozen=True)
class PublishedKey:
    """A public signing key and the period it signed in (None: open-ended / unknown)."""

    value: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def _period(key: PublishedKey) -> dict[str, Any]:
    """The signing period of a key, as published next to it.

    Not the Controlled Identifiers ``expires``/``revoked`` terms: those tell verifiers to
    refuse every proof made with the key, while a rotated key must keep verifying what it
    signed before the rotation.
    """
    period: dict[str, Any] = {}
    if key.valid_from is not None:
        period["signingFrom"] = format_datetime(key.valid_from)
    if key.valid_until is not None:
        period["signingUntil"] = format_datetime(key.valid_until)
    return period


def multikey_document(urls: BadgeUrls, key: PublishedKey | str) -> dict[str, Any]:
    """Multikey document served at ``urls.key(value)``, with its signing period."""
    published = key if isinstance(key, PublishedKey) else PublishedKey(key)
    return {
        "@context": MULTIKEY_CONTEXT,
        "id": urls.key(published.value),
        "type": "Multikey",
        "controller": urls.issuer_v3,
        "publicKeyMultibase": published.value,
        **_period(published),
    }


def controller_document(
    urls: BadgeUrls,
    issuer_settings: Mapping[str, str],
    public_keys: Iterable[PublishedKey | str],
    did: str | None = None,
) -> dict[str, Any]:
    """Issuer controller document at ``urls.issuer_v3``: profile plus every signing key.

    Retired keys stay in ``assertionMethod``: credentials they signed must still verify.
    """
    keys = [multikey_document(urls, value) for value in public_keys]
    profile = _issuer_profile(issuer_settings, urls)
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": urls.issuer_v3,
        "name": profile["name"],
        "url": profile["url"],
        "verificationMethod": keys,
        "assertionMethod": [k["id"] for k in keys],
    }
    if did:
        document["alsoKnownAs"] = [did]
    return document


def did_web(base_url: str) -> str:
    """The ``did:web`` identifier of the site at ``base_url`` (did:web method, section 3.2)."""
    parts = urlsplit(base_url)
    host = parts.netloc.replace(":", "%3A")
    path = [quote(p, safe="") for p in parts.path.split("/") if p]
    return ":".join(["did:web", host, *path])


def did_document(
    did: str, urls: BadgeUrls, public_keys: Iterable[PublishedKey | str]
) -> dict[str, Any]:
    """DID document of ``did``: the same keys as the controller document, as ``did#z6Mk…``."""
    methods = []
    for key in public_keys:
        published = key if isinstance(key, PublishedKey) else PublishedKey(key)
        methods.append(
            {
                "id": f"{did}#{published.value}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": published.value,
                **_period(published),
            }
        )
    ids = [m["id"] for m in methods]
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "alsoKnownAs": [urls.issuer_v3],
        "verificationMethod": methods,
        "assertionMethod": ids,
    }
