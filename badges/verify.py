"""Verify a badge (PNG or JSON) against what the app issued, and explain it in plain French.

Looking the id up is not enough: the baked Assertion (2.0) or credential (3.0) must equal
the issued one field by field, so any edit shows as tampering. Then revocation, expiry,
the 3.0 signature (checked only with the app's own keys, never fetched), the image (when
the app kept the fingerprint of the image it rendered) and, if the person typed one, the
email against the hashed recipient. Never raises on bad input: a :class:`Verdict` says why.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from badges.baking import (
    KEYWORD_OB2,
    KEYWORD_OB3,
    MAX_PAYLOAD_BYTES,
    PNG_SIGNATURE,
    BakingError,
    NoBadgeError,
    image_fingerprint,
    unbake,
)
from badges.openbadges import BadgeUrls, recipient_matches, recipient_matches_id
from badges.signing import verify_proof

__all__ = ["IssuedRecord", "PassClaim", "Verdict", "field_labels", "verify_badge"]

Format = Literal["ob2", "ob3", ""]


@dataclass(frozen=True)
class IssuedRecord:
    """What the app issued for one award, as ``lookup(assertion_id)`` returns it."""

    assertion: Mapping[str, Any]
    credential: Mapping[str, Any] | None = None
    image_fingerprint: str | None = None
    revoked: bool = False
    revocation_reason: str = ""
    revoked_on: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    """Result of a verification; ``to_dict()`` is JSON-serialisable for the API."""

    valid: bool
    headline: str
    details: list[str] = field(default_factory=list)
    format: Format = ""
    assertion_id: str | None = None
    checks: dict[str, bool | None] = field(default_factory=dict)
    tampered_fields: list[str] = field(default_factory=list)
    revocation_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (str, bool, None, lists) for ``json.dumps``."""
        return asdict(self)


HEADLINES = {
    "valid": "Ce badge est valide.",
    "unreadable": "Ce fichier n'a pas pu être lu.",
    "no_badge": "Cette image ne contient pas de badge.",
    "foreign": "Ce badge n'a pas été délivré par ce site : nous ne pouvons pas le vérifier ici.",
    "unknown": "Ce badge est inconnu : il n'a pas été délivré par ce site.",
    "tampered": "Ce badge a été modifié : il n'est pas valide.",
    "image": "Ce badge ne correspond pas à cette image : il n'est pas valide.",
    "svg": "Les badges SVG ne sont pas encore pris en charge.",
    "unknown_key": (
        "Ce badge ne peut pas être vérifié : ce site ne connaît plus la clé qui l'a signé."
    ),
    "key_period": "Ce badge a été signé avec une clé qui n'était pas en service à cette date.",
    "revoked": "Ce badge a été retiré : il n'est plus valide.",
    "expired": "Ce badge a expiré.",
    "not_yet": "Ce badge n'est pas encore valable.",
    "recipient": "Ce badge est authentique mais n'appartient pas à cette adresse e-mail.",
    "pass": "Ce badge est authentique mais n'appartient pas à ce Pass.",
}

# What each part of a badge is, for people (never show them a JSON path).
_FIELD_LABELS: tuple[tuple[str, str], ...] = (
    ("recipient", "le destinataire"),
    ("credentialSubject.identifier", "le destinataire"),
    ("credentialSubject.achievement", "le badge obtenu"),
    ("credentialSubject", "le badge obtenu"),
    ("badge", "le badge obtenu"),
    ("issuedOn", "la date de délivrance"),
    ("validFrom", "la date de délivrance"),
    ("expires", "la date de fin de validité"),
    ("validUntil", "la date de fin de validité"),
    ("evidence", "la façon dont le badge a été obtenu"),
    ("narrative", "la façon dont le badge a été obtenu"),
    ("issuer", "l'émetteur"),
    ("proof", "la signature électronique"),
    ("credentialStatus", "le moyen de savoir si le badge a été retiré"),
    ("verification", "le moyen de vérifier le badge"),
    ("name", "le nom du badge"),
    ("id", "l'adresse du badge"),
    ("@context", "le format du badge"),
    ("type", "le format du badge"),
)


def field_labels(paths: list[str]) -> list[str]:
    """Plain French names of the changed parts, in order and without repeats."""
    labels: list[str] = []
    for path in paths:
        label = "d'autres informations"
        for prefix, text in _FIELD_LABELS:
            if path == prefix or path.startswith((prefix + ".", prefix + "[")):
                label = text
                break
        if label not in labels:
            labels.append(label)
    return labels


@dataclass(frozen=True)
class PassClaim:
    """A Pass typed by the holder: its code as shown, and who its badges may name."""

    label: str
    recipient_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


def _fail(key: str, details: list[str], **kwargs: Any) -> Verdict:
    """An invalid verdict with the headline of ``key``."""
    return Verdict(False, HEADLINES[key], details, **kwargs)


def _types(document: Mapping[str, Any]) -> list[str]:
    """The ``type`` values of a document as a list of strings."""
    value = document.get("type")
    items = value if isinstance(value, list) else [value]
    return [t for t in items if isinstance(t, str)]


def _diff(baked: Any, issued: Any, path: str, out: list[str], limit: int = 20) -> None:
    """Append the paths where ``baked`` differs from ``issued`` (exact JSON equality)."""
    if len(out) >= limit:
        return
    if isinstance(baked, dict) and isinstance(issued, dict):
        for key in sorted(set(baked) | set(issued), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in baked or key not in issued:
                out.append(sub)
            else:
                _diff(baked[key], issued[key], sub, out, limit)
    elif isinstance(baked, list) and isinstance(issued, list):
        if len(baked) != len(issued):
            out.append(path or "(document)")
            return
        for i, (b, s) in enumerate(zip(baked, issued, strict=True)):
            _diff(b, s, f"{path}[{i}]", out, limit)
    elif type(baked) is not type(issued) or baked != issued:
        out.append(path or "(document)")


def _parse_datetime(value: Any) -> datetime | None:
    """Parse an ISO 8601 date with timezone; None if absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _fr_date(moment: datetime) -> str:
    """Date as French readers write it: 04/03/2025."""
    return moment.astimezone(UTC).strftime("%d/%m/%Y")


def _assertion_id_from(url: Any, urls: BadgeUrls, kind: Format) -> str | None:
    """The UUID in one of our assertion/credential URLs, or None for any other id."""
    if not isinstance(url, str):
        return None
    prefix = f"{urls.base}/badges/{'assertions' if kind == 'ob2' else 'credentials'}/"
    if not url.startswith(prefix) or not url.endswith(".json"):
        return None
    candidate = url[len(prefix) : -len(".json")]
    try:
        canonical = str(uuid.UUID(candidate))
    except ValueError:
        return None
    # Only the canonical spelling is ours; any other spelling is an edited id.
    return canonical if canonical == candidate else None


class _SvgError(ValueError):
    """An SVG badge (not supported yet)."""


def _looks_like_svg(head: bytes) -> bool:
    """An SVG file: XML whose first element is ``<svg``."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text)


def _load_payloads(data: bytes | str | Mapping[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """Return ``({keyword: payload}, png_bytes_or_None)``; raises BakingError/ValueError."""
    if isinstance(data, Mapping):
        return {"json": dict(data)}, None
    if isinstance(data, bytes | bytearray) and bytes(data[:8]) == PNG_SIGNATURE:
        png = bytes(data)
        return dict(unbake(png)), png
    if isinstance(data, bytes | bytearray) and _looks_like_svg(bytes(data[:2048])):
        raise _SvgError
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_PAYLOAD_BYTES:
            raise ValueError("too big")
        data = bytes(data).decode("utf-8")
    if isinstance(data, str):
        if len(data) > MAX_PAYLOAD_BYTES:
            raise ValueError("too big")
        return {"json": data}, None
    raise ValueError("unsupported input")


def verify_badge(
    data: bytes | str | Mapping[str, Any],
    lookup: Callable[[str], IssuedRecord | None],
    urls: BadgeUrls,
    issuer_name: str,
    public_keys: Mapping[str, str] | None = None,
    email: str | None = None,
    now: datetime | None = None,
    key_periods: Mapping[str, tuple[datetime | None, datetime | None]] | None = None,
    claim: PassClaim | None = None,
) -> Verdict:
    """Verify PNG bytes or JSON (text or dict) of a 2.0 Assertion / 3.0 credential.

    ``lookup`` maps an assertion UUID to what the app issued; ``public_keys`` maps a
    verificationMethod URL to its ``z6Mk...`` value (the app's own keys only, current and
    retired) and ``key_periods`` to the period each key signed in. ``claim``: the Pass the
    holder typed, to say whether the badge is theirs.
    """
    now = now or datetime.now(UTC)
    try:
        payloads, png = _load_payloads(data)
    except NoBadgeError:
        return _fail("no_badge", ["Aucune donnée de badge n'a été trouvée dans l'image."])
    except _SvgError:
        return _fail("svg", ["Envoyez l'image PNG du badge, ou son fichier JSON."])
    except BakingError as exc:
        return _fail("unreadable", [exc.message])
    except (ValueError, TypeError):
        return _fail("unreadable", ["Le fichier n'est ni une image PNG ni un badge JSON."])

    verdicts: list[Verdict] = []
    for keyword, payload in payloads.items():
        verdicts.append(
            _verify_one(
                keyword,
                payload,
                png,
                lookup,
                urls,
                issuer_name,
                _Trust(public_keys or {}, key_periods or {}),
                email,
                now,
                claim,
            )
        )
    # Several badges baked in one image (2.0 and 3.0): all must hold; report the worst.
    failing = [v for v in verdicts if not v.valid]
    return failing[0] if failing else verdicts[0]


def _verify_one(
    keyword: str,
    payload: Any,
    png: bytes | None,
    lookup: Callable[[str], IssuedRecord | None],
    urls: BadgeUrls,
    issuer_name: str,
    trust: _Trust,
    email: str | None,
    now: datetime,
    claim: PassClaim | None = None,
) -> Verdict:
    """Verify one baked or given payload."""
    if keyword == KEYWORD_OB2 and isinstance(payload, str) and _is_url(payload):
        # Hosted verification: the chunk holds the Assertion's URL, not the Assertion.
        # Only this site's URLs are "fetched", from what it issued; never the network.
        assertion_id = _assertion_id_from(payload.strip(), urls, "ob2")
        if assertion_id is None:
            return _fail(
                "foreign",
                [
                    "C'est un badge d'un autre site : nous ne pouvons vérifier que les "
                    "badges délivrés ici.",
                    f"Émetteur attendu : {issuer_name}.",
                ],
                format="ob2",
            )
        try:
            found = lookup(assertion_id)
        except (ValueError, LookupError):
            found = None
        if found is None:
            return _fail("unknown", [], format="ob2", assertion_id=assertion_id)
        payload = found.assertion
    try:
        document = json.loads(payload) if isinstance(payload, str) else payload
    except (ValueError, RecursionError):
        return _fail("unreadable", ["Le contenu du badge n'est pas un document JSON lisible."])
    if not isinstance(document, dict):
        return _fail("unreadable", ["Le contenu du badge n'est pas un document Open Badges."])

    types = _types(document)
    kind: Format
    if "Assertion" in types:
        kind = "ob2"
    elif "OpenBadgeCredential" in types or "AchievementCredential" in types:
        kind = "ob3"
    else:
        return _fail("unreadable", ["Le contenu n'est ni un badge Open Badges 2.0 ni 3.0."])
    if (kind == "ob2" and keyword == KEYWORD_OB3) or (kind == "ob3" and keyword == KEYWORD_OB2):
        return _fail(
            "tampered", ["Le badge n'est pas rangé au bon endroit dans l'image."], format=kind
        )

    assertion_id = _assertion_id_from(document.get("id"), urls, kind)
    if assertion_id is None:
        return _fail(
            "foreign",
            [
                "C'est un badge d'un autre site : nous ne pouvons vérifier que les badges "
                "délivrés ici.",
                f"Émetteur attendu : {issuer_name}.",
            ],
            format=kind,
        )
    try:
        record = lookup(assertion_id)
    except (ValueError, LookupError):
        record = None
    if record is None:
        return _fail("unknown", [], format=kind, assertion_id=assertion_id)

    issued = record.assertion if kind == "ob2" else record.credential
    checks: dict[str, bool | None] = {
        "issued_here": True,
        "untampered": None,
        "signature": None,
        "image": None,
        "revoked": record.revoked,
        "expired": None,
        "recipient": None,
    }
    details = [f"Émetteur : {issuer_name}."]
    common: dict[str, Any] = {"format": kind, "assertion_id": assertion_id, "checks": checks}
    if issued is None:
        return _fail("unknown", details, **common)

    changed: list[str] = []
    try:
        _diff(document, issued, "", changed)
    except RecursionError:
        changed = ["(document)"]
    checks["untampered"] = not changed
    if changed:
        details.append("Ce qui a été changé : " + ", ".join(field_labels(changed)) + ".")
        return _fail("tampered", details, tampered_fields=changed, **common)
    details.append("Le contenu est identique au badge délivré.")

    if kind == "ob3":
        proof = document.get("proof")
        method = proof.get("verificationMethod") if isinstance(proof, dict) else None
        key = trust.keys.get(method) if isinstance(method, str) else None
        if key is None:
            # The content is what we issued, so the key is one we used and lost (a key file
            # replaced without "badges rotate-key"): not an edited badge.
            checks["signature"] = None
            details.append(
                "La clé de signature de ce badge n'est plus publiée par ce site. "
                "Contactez l'émetteur."
            )
            return _fail("unknown_key", details, **common)
        result = verify_proof(document, key)
        checks["signature"] = result.ok
        if not result.ok:
            details.append(result.reason)
            return _fail("tampered", details, **common)
        start_key, end_key = trust.periods.get(str(method), (None, None))
        created = _parse_datetime(proof.get("created")) if isinstance(proof, dict) else None
        if created is not None and (
            (start_key is not None and created < start_key)
            or (end_key is not None and created > end_key)
        ):
            checks["signature"] = False
            details.append("La date de la signature ne correspond pas à la période de sa clé.")
            return _fail("key_period", details, **common)
        details.append("La signature électronique est valide.")

    if png is not None and record.image_fingerprint:
        same_image = image_fingerprint(png) == record.image_fingerprint
        checks["image"] = same_image
        if not same_image:
            details.append("L'image ne correspond pas à celle délivrée avec ce badge.")
            return _fail("image", details, **common)
        details.append("L'image est celle délivrée avec ce badge.")

    if record.revoked:
        reason = record.revocation_reason.strip()
        when = f" le {_fr_date(record.revoked_on)}" if record.revoked_on else ""
        details.append(f"Badge retiré{when}" + (f" : {reason}" if reason else "."))
        return _fail("revoked", details, revocation_reason=reason or None, **common)

    start = _parse_datetime(document.get("issuedOn" if kind == "ob2" else "validFrom"))
    end = _parse_datetime(document.get("expires" if kind == "ob2" else "validUntil"))
    if start is not None and start > now:
        checks["expired"] = False
        details.append(f"Valable à partir du {_fr_date(start)}.")
        return _fail("not_yet", details, **common)
    if end is not None:
        checks["expired"] = end <= now
        if end <= now:
            details.append(f"Date de fin de validité : {_fr_date(end)}.")
            return _fail("expired", details, **common)
        details.append(f"Valable jusqu'au {_fr_date(end)}.")
    else:
        checks["expired"] = False
    if start is not None:
        details.insert(1, f"Délivré le {_fr_date(start)}.")

    if email is not None and email.strip():
        if kind == "ob2":
            identities = [document.get("recipient")]
        else:
            subject = document.get("credentialSubject")
            found = subject.get("identifier") if isinstance(subject, dict) else None
            identities = found if isinstance(found, list) else [found]
        match = any(isinstance(i, dict) and recipient_matches(i, email) for i in identities)
        checks["recipient"] = match
        if not match:
            details.append("L'adresse e-mail saisie ne correspond pas au titulaire du badge.")
            return _fail("recipient", details, **common)
        details.append("L'adresse e-mail saisie correspond au titulaire du badge.")

    if claim is not None:
        identities = _identities(document, kind)
        mine = any(
            isinstance(i, dict)
            and (
                any(recipient_matches_id(i, plain) for plain in claim.recipient_ids)
                or any(recipient_matches(i, mail) for mail in claim.emails)
            )
            for i in identities
        )
        checks["recipient"] = mine
        if not mine:
            details.append(f"Le Pass {claim.label} n'est pas le titulaire de ce badge.")
            return _fail("pass", details, **common)
        details.append(f"Ce badge appartient au Pass {claim.label}.")

    return Verdict(True, HEADLINES["valid"], details, **common)


def _identities(document: Mapping[str, Any], kind: Format) -> list[Any]:
    """The recipient IdentityObject(s) of a 2.0 Assertion or 3.0 credential."""
    if kind == "ob2":
        return [document.get("recipient")]
    subject = document.get("credentialSubject")
    found = subject.get("identifier") if isinstance(subject, dict) else None
    return found if isinstance(found, list) else [found]


def _is_url(text: str) -> bool:
    """A chunk holding a URL (hosted verification) instead of a JSON document."""
    value = text.strip()
    return value.startswith(("https://", "http://")) and len(value) < 2048 and " " not in value


@dataclass(frozen=True)
class _Trust:
    """The app's own keys: verificationMethod URL → z6Mk…, and each key's signing period."""

    keys: Mapping[str, str]
    periods: Mapping[str, tuple[datetime | None, datetime | None]]
