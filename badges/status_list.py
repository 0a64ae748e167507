"""W3C Bitstring Status List v1.0: revocation of 3.0 credentials that others can check.

Each new OpenBadgeCredential carries a ``credentialStatus`` of type
``BitstringStatusListEntry`` (``statusPurpose: revocation``) pointing at one bit of a
published, signed ``BitstringStatusListCredential``. A set bit means "revoked".

Encoding (spec section "Bitstring Encoding"): the bitstring is at least 131,072 bits
(16 KB, for herd privacy), bit 0 is the left-most bit of the first byte, and
``encodedList`` is the multibase base64url (prefix ``u``, no padding) of its GZIP
compression. Positions are drawn at random (not in issue order) so a position says
nothing about when or to whom a badge was issued.
"""

from __future__ import annotations

import base64
import gzip
import io
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "LIST_SIZE",
    "STATUS_PURPOSE",
    "StatusListError",
    "decode_list",
    "encode_list",
    "is_set",
    "status_entry",
    "status_list_credential",
]

# Minimum size the specification asks for; one list holds this many credentials.
LIST_SIZE = 131_072
STATUS_PURPOSE = "revocation"
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# A compressed list is tiny; refuse to inflate anything that would exceed 16 MB.
_MAX_LIST_BYTES = 16 * 1024 * 1024


class StatusListError(ValueError):
    """A malformed status list or index; ``message`` is plain French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def encode_list(set_positions: Iterable[int], size: int = LIST_SIZE) -> str:
    """``encodedList`` of a bitstring of ``size`` bits where ``set_positions`` are 1."""
    if size < LIST_SIZE or size % 8:
        raise StatusListError("La liste de statuts doit compter au moins 131 072 positions.")
    bits = bytearray(size // 8)
    for position in set_positions:
        if not 0 <= position < size:
            raise StatusListError("Position hors de la liste de statuts.")
        bits[position // 8] |= 0x80 >> (position % 8)
    # mtime=0: the same list always encodes to the same text (stable caching, stable tests).
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_list(encoded: str) -> bytes:
    """The raw bitstring of an ``encodedList`` (multibase ``u`` or bare base64url)."""
    if not isinstance(encoded, str) or not encoded:
        raise StatusListError("La liste de statuts est vide.")
    text = encoded[1:] if encoded.startswith("u") else encoded
    try:
        padded = text + "=" * (-len(text) % 4)
        compressed = base64.b64decode(padded, altchars=b"-_", validate=True)
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as handle:
            raw = handle.read(_MAX_LIST_BYTES + 1)
    except (ValueError, OSError, EOFError) as exc:
        raise StatusListError("La liste de statuts est illisible.") from exc
    if len(raw) > _MAX_LIST_BYTES:
        raise StatusListError("La liste de statuts est trop grande.")
    if not raw:
        raise StatusListError("La liste de statuts est vide.")
    return raw


def is_set(bitstring: bytes, position: int) -> bool:
    """Whether bit ``position`` (0 = left-most) is 1."""
    if not 0 <= position < len(bitstring) * 8:
        raise StatusListError("Position hors de la liste de statuts.")
    return bool(bitstring[position // 8] & (0x80 >> (position % 8)))


def status_entry(list_url: str, position: int) -> dict[str, Any]:
    """The ``credentialStatus`` of a credential at ``position`` of the list at ``list_url``."""
    if not 0 <= position < LIST_SIZE:
        raise StatusListError("Position hors de la liste de statuts.")
    return {
        "id": f"{list_url}#{position}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": STATUS_PURPOSE,
        "statusListIndex": str(position),
        "statusListCredential": list_url,
    }


def status_list_credential(
    list_url: str,
    issuer: Mapping[str, Any] | str,
    valid_from: str,
    revoked_positions: Iterable[int],
) -> dict[str, Any]:
    """Unsigned ``BitstringStatusListCredential`` with the revoked positions set."""
    return {
        "@context": [VC2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": dict(issuer) if isinstance(issuer, Mapping) else issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encode_list(revoked_positions),
        },
    }
