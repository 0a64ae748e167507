"""Open Badges 2.0 hosted-verification documents, as plain dicts ready for JSON.

The app serves these at the URLs of :func:`badge_urls` with content type
``application/ld+json`` (:data:`JSONLD_MEDIA_TYPE`). A revoked assertion answers HTTP 410
Gone with the small body of :func:`revoked_assertion` (OB 2.0 "HostedBadge" section); the
revocation list document lists it too.

Recipient privacy (choice documented here, as the issue asks):

* With an email: ``{"type": "email", "hashed": true, "salt": <random>,
  "identity": "sha256$<hex of sha256(email + salt)>"}``. The email is stripped and
  lowercased first, because validators hash exactly what they are given and
  ``John@`` would not match ``john@``.
* Without an email we do not invent a fake one: the recipient is a random opaque id
  ``urn:uuid:<uuid4>`` created for this award, hashed the same way with
  ``"type": "id"`` (the IdentityObject types are ``email``, ``url``, ``telephone`` and
  ``id``). The hash reveals nothing; the app may keep the plain id (returned in
  :class:`Recipient`) so the holder can later prove the badge is theirs through their Pass.

No names are ever written in an Assertion (hosted assertions are public documents).
Evidence says only "self-declared" or "validated by an aidant of <organisation>".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = [
    "JSONLD_MEDIA_TYPE",
    "OB2_CONTEXT",
    "REVOKED_HTTP_STATUS",
    "Alignment",
    "AwardData",
    "BadgeClassData",
    "BadgeDataError",
    "BadgeUrls",
    "Recipient",
    "assertion",
    "badge_class",
    "badge_urls",
    "format_datetime",
    "hash_identifier",
    "hash_recipient",
    "issuer_profile",
    "normalize_email",
    "recipient_matches",
    "recipient_matches_id",
    "revocation_list",
    "revoked_assertion",
    "to_json",
]

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
JSONLD_MEDIA_TYPE = "application/ld+json"
REVOKED_HTTP_STATUS = 410

Status = Literal["self_declared", "validated"]
_CODE_RE = re.compile(r"^[A-Za-z0-9_]{1,40}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class BadgeDataError(ValueError):
    """Bad input for a badge document; ``message`` is plain French for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------
# URL layout


@dataclass(frozen=True)
class BadgeUrls:
    """Every public badge URL, built from the base URL; the app's routes follow these."""

    base: str

    @property
    def issuer(self) -> str:
        """OB 2.0 Issuer profile."""
        return f"{self.base}/badges/issuer.json"

    @property
    def issuer_v3(self) -> str:
        """OB 3.0 issuer id: a controller document listing the signing keys."""
        return f"{self.base}/badges/issuer-v3.json"

    @property
    def revocations(self) -> str:
        """OB 2.0 RevocationList."""
        return f"{self.base}/badges/revocations.json"

    @property
    def issuer_image(self) -> str:
        """Issuer logo (PNG)."""
        return f"{self.base}/badges/issuer.png"

    def badge_class(self, domain: str, level: int) -> str:
        """BadgeClass of one domain and level."""
        return f"{self.base}/badges/classes/{_slug(domain, level)}.json"

    def badge_class_image(self, domain: str, level: int) -> str:
        """Plain (unbaked) image of a BadgeClass."""
        return f"{self.base}/badges/classes/{_slug(domain, level)}.png"

    def assertion(self, assertion_id: str) -> str:
        """Hosted Assertion JSON of one award."""
        return f"{self.base}/badges/assertions/{_uuid(assertion_id)}.json"

    def assertion_image(self, assertion_id: str) -> str:
        """Baked PNG of one award."""
        return f"{self.base}/badges/assertions/{_uuid(assertion_id)}.png"

    def credential(self, assertion_id: str) -> str:
        """OB 3.0 signed credential JSON of one award."""
        return f"{self.base}/badges/credentials/{_uuid(assertion_id)}.json"

    def status_list(self, number: int) -> str:
        """Bitstring Status List credential (revocation) number ``number``."""
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise BadgeDataError("Numéro de liste de statuts invalide.")
        return f"{self.base}/badges/status/{number}.json"

    def key(self, key_id: str) -> str:
        """Public key (Multikey) document; ``key_id`` is its ``z6Mk...`` value."""
        if not re.fullmatch(r"[1-9A-HJ-NP-Za-km-z]{1,100}", key_id):
            raise BadgeDataError("Identifiant de clé invalide.")
        return f"{self.base}/badges/keys/{key_id}.json"

    def verify_page(self, assertion_id: str) -> str:
        """Public "vérifier un badge" page for one award (the QR code points here)."""
        return f"{self.base}/verifier/{_uuid(assertion_id)}"


def badge_urls(base_url: str) -> BadgeUrls:
    """Check ``base_url`` (http(s), no query/fragment) and return the URL layout."""
    if not isinstance(base_url, str):
        raise BadgeDataError("L'adresse du site est manquante.")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadgeDataError("L'adresse du site doit commencer par https://")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise BadgeDataError("L'adresse du site ne doit contenir que le domaine et le chemin.")
    return BadgeUrls(base=f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}")


def _slug(domain: str, level: int) -> str:
    """``<domain>-<level>`` in lower case, after checking both."""
    if not isinstance(domain, str) or not _CODE_RE.match(domain):
        raise BadgeDataError("Code de domaine invalide.")
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 9:
        raise BadgeDataError("Niveau invalide.")
    return f"{domain.lower()}-{level}"


def _uuid(value: str) -> str:
    """Canonical lower-case UUID string; BadgeDataError otherwise."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise BadgeDataError("Identifiant de badge invalide.") from exc


# ---------------------------------------------------------------------------------------
# Recipient


@dataclass(frozen=True)
class Recipient:
    """A hashed recipient; ``plain`` is the hashed value (email or urn), never published."""

    type: Literal["email", "id"]
    identity: str
    salt: str
    plain: str = field(repr=False)

    def to_ob2(self) -> dict[str, Any]:
        """OB 2.0 IdentityObject."""
        return {"type": self.type, "hashed": True, "salt": self.salt, "identity": self.identity}

    def to_ob3(self) -> dict[str, Any]:
        """OB 3.0 IdentityObject (``identityType`` per the 3.0 vocabulary)."""
        return {
            "type": "IdentityObject",
            "hashed": True,
            "identityHash": self.identity,
            "identityType": "emailAddress" if self.type == "email" else "identifier",
            "salt": self.salt,
        }


def normalize_email(email: str) -> str:
    """Strip and lowercase an email (issuance and checking must agree); error if invalid."""
    value = email.strip().lower() if isinstance(email, str) else ""
    if len(value) > 254 or not _EMAIL_RE.match(value):
        raise BadgeDataError("Adresse e-mail invalide.")
    return value


def _sha256_identity(value: str, salt: str) -> str:
    """``sha256$`` + lower-case hex of sha256(value + salt), as the OB 2.0 validator computes."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def hash_recipient(email: str | None, salt: str | None = None) -> Recipient:
    """Hash an email, or a fresh random ``urn:uuid`` when there is no email (see module doc)."""
    salt = salt if salt is not None else secrets.token_hex(16)
    if not isinstance(salt, str) or not salt:
        raise BadgeDataError("Sel invalide.")
    if email is None or (isinstance(email, str) and not email.strip()):
        plain = uuid.uuid4().urn
        return Recipient("id", _sha256_identity(plain, salt), salt, plain)
    plain = normalize_email(email)
    return Recipient("email", _sha256_identity(plain, salt), salt, plain)


def hash_identifier(plain: str, salt: str | None = None) -> Recipient:
    """Hash a given opaque id (a Pass's ``urn:uuid:…``) as an ``id`` recipient."""
    if not isinstance(plain, str) or not plain.startswith("urn:uuid:"):
        raise BadgeDataError("Identifiant de destinataire invalide.")
    salt = salt if salt is not None else secrets.token_hex(16)
    return Recipient("id", _sha256_identity(plain, salt), salt, plain)


def recipient_matches_id(identity: Mapping[str, Any], plain: str) -> bool:
    """True when ``plain`` (a ``urn:uuid:…``) is the hashed ``id`` recipient of ``identity``."""
    if not isinstance(plain, str) or not plain:
        return False
    if identity.get("type") == "IdentityObject":
        if identity.get("identityType") != "identifier":
            return False
        expected = identity.get("identityHash")
    elif identity.get("type") == "id":
        expected = identity.get("identity")
    else:
        return False
    salt = identity.get("salt") or ""
    if not isinstance(expected, str) or not isinstance(salt, str):
        return False
    if identity.get("hashed") is not True:
        return hmac.compare_digest(expected, plain)
    algo, _, digest = expected.partition("$")
    if algo.lower() != "sha256":
        return False
    computed = hashlib.sha256((plain + salt).encode("utf-8")).hexdigest()
    return hmac.compare_digest(computed, digest.lower())


def recipient_matches(identity: Mapping[str, Any], email: str) -> bool:
    """True when ``email`` is the recipient of an OB 2.0 or 3.0 IdentityObject."""
    try:
        value = normalize_email(email)
    except BadgeDataError:
        return False
    kind = identity.get("type")
    if kind == "IdentityObject":
        if identity.get("identityType") != "emailAddress":
            return False
        expected = identity.get("identityHash")
    else:
        if kind != "email":
            return False
        expected = identity.get("identity")
    if not isinstance(expected, str):
        return False
    salt = identity.get("salt") or ""
    if not isinstance(salt, str):
        return False
    if identity.get("hashed") is not True:
        return hmac.compare_digest(expected.strip().lower(), value)
    algo, _, digest = expected.partition("$")
    data = (value + salt).encode("utf-8")
    if algo.lower() == "sha256":
        computed = hashlib.sha256(data).hexdigest()
    elif algo.lower() == "md5":
        computed = hashlib.md5(data, usedforsecurity=False).hexdigest()
    else:
        return False
    return hmac.compare_digest(computed, digest.lower())


# ---------------------------------------------------------------------------------------
# Documents


def format_datetime(moment: datetime) -> str:
    """ISO 8601 UTC with a ``Z`` and no fractions; OB requires a timezone."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise BadgeDataError("La date doit avoir un fuseau horaire.")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_profile(settings: Mapping[str, str], urls: BadgeUrls) -> dict[str, Any]:
    """OB 2.0 Issuer profile from settings ``name``, ``url``, ``email`` (+ image, ...)."""
    profile: dict[str, Any] = {"@context": OB2_CONTEXT, "type": "Issuer", "id": urls.issuer}
    for key in ("name", "url", "email"):
        value = settings.get(key)
        if not isinstance(value, str) or not value.strip():
            raise BadgeDataError(f"Réglage de l'émetteur manquant : {key}.")
        profile[key] = value.strip()
    normalize_email(profile["email"])
    if urlsplit(profile["url"]).scheme not in ("http", "https"):
        raise BadgeDataError("L'adresse web de l'émetteur doit commencer par https://")
    for key in ("description", "telephone"):
        value = settings.get(key)
        if isinstance(value, str) and value.strip():
            profile[key] = value.strip()
    image = settings.get("image")
    if isinstance(image, str) and image.strip():
        profile["image"] = image.strip()
    profile["revocationList"] = urls.revocations
    return profile


@dataclass(frozen=True)
class Alignment:
    """Alignment to an external framework (DigComp 2.2 competence, ...)."""

    target_name: str
    target_url: str
    target_framework: str = ""
    target_code: str = ""
    target_description: str = ""

    def to_ob2(self) -> dict[str, Any]:
        """OB 2.0 AlignmentObject (empty optional fields left out)."""
        out: dict[str, Any] = {"targetName": self.target_name, "targetUrl": self.target_url}
        if self.target_description:
            out["targetDescription"] = self.target_description
        if self.target_framework:
            out["targetFramework"] = self.target_framework
        if self.target_code:
            out["targetCode"] = self.target_code
        return out

    def to_ob3(self) -> dict[str, Any]:
        """OB 3.0 Alignment."""
        return {"type": ["Alignment"], **self.to_ob2()}


@dataclass(frozen=True)
class BadgeClassData:
    """What a badge is: one domain and level of the Pass, with its can-do statements."""

    domain: str
    level: int
    name: str
    description: str
    can_dos: Sequence[str]
    alignments: Sequence[Alignment] = ()
    tags: Sequence[str] = ()


def criteria_narrative(can_dos: Sequence[str]) -> str:
    """Markdown narrative listing the level's "je sais..." statements."""
    items = [c.strip() for c in can_dos if isinstance(c, str) and c.strip()]
    if not items:
        raise BadgeDataError("Le niveau n'a aucun « je sais… ».")
    lines = "\n".join(f"- {c}" for c in items)
    return f"Pour obtenir ce badge, la personne montre qu'elle sait :\n\n{lines}"


def badge_class(data: BadgeClassData, urls: BadgeUrls) -> dict[str, Any]:
    """OB 2.0 BadgeClass for one domain and level."""
    if not data.name.strip() or not data.description.strip():
        raise BadgeDataError("Le badge doit avoir un nom et une description.")
    doc: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": urls.badge_class(data.domain, data.level),
        "name": data.name.strip(),
        "description": data.description.strip(),
        "image": urls.badge_class_image(data.domain, data.level),
        "criteria": {"narrative": criteria_narrative(data.can_dos)},
        "issuer": urls.issuer,
    }
    if data.alignments:
        doc["alignment"] = [a.to_ob2() for a in data.alignments]
    if data.tags:
        doc["tags"] = [t for t in data.tags if t]
    return doc


@dataclass(frozen=True)
class AwardData:
    """One award: which badge, to whom (hashed), when, and how it was earned."""

    assertion_id: str
    domain: str
    level: int
    recipient: Recipient
    issued_on: datetime
    status: Status
    aidant_organisation: str | None = None
    expires: datetime | None = None


def evidence(status: Status, aidant_organisation: str | None) -> list[dict[str, Any]]:
    """Evidence: self-declared, or validated by an aidant (organisation only, no name)."""
    if status == "self_declared":
        return [
            {
                "type": "Evidence",
                "name": "Auto-évaluation",
                "genre": "self_declared",
                "narrative": "Niveau déclaré par la personne elle-même (auto-évaluation).",
            }
        ]
    if status == "validated":
        org = (aidant_organisation or "").strip()
        by = f"un aidant numérique de « {org} »" if org else "un aidant numérique"
        return [
            {
                "type": "Evidence",
                "name": "Vérification par un aidant",
                "genre": "validated",
                "narrative": f"Niveau vérifié en pratique par {by}.",
            }
        ]
    raise BadgeDataError("Statut d'évaluation inconnu.")


def assertion(award: AwardData, urls: BadgeUrls) -> dict[str, Any]:
    """OB 2.0 hosted Assertion of one award."""
    doc: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": urls.assertion(award.assertion_id),
        "recipient": award.recipient.to_ob2(),
        "badge": urls.badge_class(award.domain, award.level),
        "issuedOn": format_datetime(award.issued_on),
        "verification": {"type": "HostedBadge"},
        "evidence": evidence(award.status, award.aidant_organisation),
        "image": urls.assertion_image(award.assertion_id),
    }
    if award.expires is not None:
        if award.expires <= award.issued_on:
            raise BadgeDataError("La date d'expiration doit suivre la date d'émission.")
        doc["expires"] = format_datetime(award.expires)
    return doc


def revoked_assertion(assertion_id: str, reason: str, urls: BadgeUrls) -> dict[str, Any]:
    """Body served with HTTP 410 Gone for a revoked hosted assertion (OB 2.0 spec)."""
    body: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "id": urls.assertion(assertion_id),
        "revoked": True,
    }
    if reason.strip():
        body["revocationReason"] = reason.strip()
    return body


def revocation_list(
    revoked: Sequence[tuple[str, str]] | Mapping[str, str], urls: BadgeUrls
) -> dict[str, Any]:
    """OB 2.0 RevocationList from ``(assertion_id, reason)`` pairs (or a mapping)."""
    pairs = list(revoked.items()) if isinstance(revoked, Mapping) else list(revoked)
    entries: list[dict[str, Any]] = []
    for assertion_id, reason in sorted(pairs, key=lambda p: _uuid(p[0])):
        entry: dict[str, Any] = {"id": urls.assertion(assertion_id)}
        if reason and reason.strip():
            entry["revocationReason"] = reason.strip()
        entries.append(entry)
    return {
        "@context": OB2_CONTEXT,
        "type": "RevocationList",
        "id": urls.revocations,
        "issuer": urls.issuer,
        "revokedAssertions": entries,
    }


def to_json(document: Mapping[str, Any]) -> str:
    """Serialise a badge document (UTF-8 text, stable key order as built)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
