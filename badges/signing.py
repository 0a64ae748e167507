"""Ed25519 keys and ``eddsa-rdfc-2022`` Data Integrity proofs for Open Badges 3.0.

Algorithm (W3C vc-di-eddsa, "eddsa-rdfc-2022"; 1EdTech OB 3.0 test vector):
canonicalise the proof options (the proof without ``proofValue``, with the document's
``@context``) and the document without ``proof`` to RDFC-1.0 N-Quads (PyLD's URDNA2015),
hash each with SHA-256, sign ``proof_hash || document_hash`` with Ed25519 and write
``proofValue = "z" + base58btc(signature)``.

Canonicalisation uses :func:`document_loader`, which serves only the contexts stored in
``badges/contexts/`` (see ``SOURCES.md`` there) and refuses any other URL: signing and
verifying never touch the network.

Base58btc is written here (a dozen lines) instead of adding a dependency.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "CRYPTOSUITE",
    "MULTIKEY_CONTEXT",
    "ProofCheck",
    "SigningError",
    "b58decode",
    "b58encode",
    "canonicalize",
    "document_loader",
    "generate_private_key",
    "load_private_key",
    "private_key_to_pem",
    "public_key_from_multibase",
    "public_key_multibase",
    "sign_credential",
    "verify_proof",
]

CRYPTOSUITE = "eddsa-rdfc-2022"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
CONTEXTS_DIR = Path(__file__).with_name("contexts")
# Multicodec prefix of an Ed25519 public key (varint 0xed, 0x01).
ED25519_PUB_PREFIX = b"\xed\x01"
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


class SigningError(ValueError):
    """A key, context or proof problem; ``message`` is plain French for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def b58encode(data: bytes) -> str:
    """Encode bytes in base58 (Bitcoin alphabet), keeping leading zero bytes as '1'."""
    zeros = len(data) - len(data.lstrip(b"\x00"))
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Decode base58 (Bitcoin alphabet); SigningError on a character outside it."""
    if len(text) > 200:
        # Keys and signatures are < 100 characters; refuse big inputs (int math is O(n^2)).
        raise SigningError("Valeur base58 trop longue.")
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise SigningError("Valeur base58 invalide.")
        number = number * 58 + _B58_INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + body


# ---------------------------------------------------------------------------------------
# Keys


def generate_private_key() -> Ed25519PrivateKey:
    """Create a new Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    """Serialise a private key as unencrypted PKCS#8 PEM (the app keeps it in instance/)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """Load a PKCS#8 PEM Ed25519 private key; SigningError if it is anything else."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningError("La clé de signature est illisible.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError("La clé de signature n'est pas une clé Ed25519.")
    return key


def public_key_multibase(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Return the Multikey ``publicKeyMultibase`` value, ``z6Mk...``."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + b58encode(ED25519_PUB_PREFIX + raw)


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    """Parse a ``z6Mk...`` Multikey value back to a public key; SigningError if malformed."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise SigningError("La clé publique n'est pas au format attendu.")
    raw = b58decode(value[1:])
    if len(raw) != 34 or not raw.startswith(ED25519_PUB_PREFIX):
        raise SigningError("La clé publique n'est pas une clé Ed25519.")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


# ---------------------------------------------------------------------------------------
# JSON-LD


@cache
def _context_index() -> dict[str, str]:
    """Map of context URL to file name in badges/contexts/ (read once)."""
    with (CONTEXTS_DIR / "index.json").open(encoding="utf-8") as fh:
        index: dict[str, str] = json.load(fh)
    return index


@cache
def _load_context_file(name: str) -> str:
    """Raw text of one stored context (parsed again per use so callers cannot mutate it)."""
    return (CONTEXTS_DIR / name).read_text(encoding="utf-8")


def known_context_urls() -> frozenset[str]:
    """The context URLs that are stored locally."""
    return frozenset(_context_index())


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """PyLD document loader serving only the stored contexts; refuses every other URL."""
    name = _context_index().get(url)
    if name is None:
        raise SigningError(f"Contexte JSON-LD inconnu : {url}")
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(_load_context_file(name)),
    }


def canonicalize(document: Mapping[str, Any]) -> str:
    """Return the RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, offline."""
    # Imported on first use: PyLD pulls in requests and costs about 10 MB and 0.1 s, which the
    # web app and every CLI command would otherwise pay at start-up.
    from pyld import jsonld  # type: ignore[import-untyped]

    try:
        result = jsonld.normalize(
            copy.deepcopy(dict(document)),
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
            },
        )
    except (
        jsonld.JsonLdError,
        # PyLD is not hardened against hostile input: odd shapes (a null @type, a
        # number where a map is expected) surface as plain Python errors.
        AttributeError,
        TypeError,
        KeyError,
        IndexError,
        ValueError,
        RecursionError,
    ) as exc:
        raise SigningError("Le document n'a pas pu être mis en forme canonique.") from exc
    if not isinstance(result, str):
        raise SigningError("Le document n'a pas pu être mis en forme canonique.")
    return result


def _hash_data(document: Mapping[str, Any], proof_options: Mapping[str, Any]) -> bytes:
    """SHA-256(canonical proof options) || SHA-256(canonical document without proof)."""
    doc = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof_options.items() if k != "proofValue"}
    options["@context"] = document.get("@context")
    proof_hash = hashlib.sha256(canonicalize(options).encode("utf-8")).digest()
    doc_hash = hashlib.sha256(canonicalize(doc).encode("utf-8")).digest()
    return proof_hash + doc_hash


def _xsd_datetime(moment: datetime) -> str:
    """UTC timestamp without fractions, as in the test vector: 2010-01-01T19:23:24Z."""
    if moment.tzinfo is None:
        raise SigningError("La date de signature doit avoir un fuseau horaire.")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_credential(
    credential: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """Return a copy of ``credential`` with an ``eddsa-rdfc-2022`` DataIntegrityProof."""
    if "proof" in credential:
        raise SigningError("Le document est déjà signé.")
    proof: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "created": _xsd_datetime(created),
        "verificationMethod": verification_method,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": "assertionMethod",
    }
    signature = private_key.sign(_hash_data(credential, proof))
    proof["proofValue"] = "z" + b58encode(signature)
    signed = copy.deepcopy(dict(credential))
    signed["proof"] = proof
    return signed


@dataclass(frozen=True)
class ProofCheck:
    """Outcome of a proof check: ``ok`` and a plain-French ``reason`` when not ok."""

    ok: bool
    reason: str = ""
    verification_method: str = ""


def verify_proof(credential: Mapping[str, Any], public_key: Ed25519PublicKey | str) -> ProofCheck:
    """Check the credential's eddsa-rdfc-2022 proof against ``public_key`` (key or z6Mk...)."""
    proof = credential.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        return ProofCheck(False, "Le badge n'est pas signé.")
    method = proof.get("verificationMethod")
    vm = method if isinstance(method, str) else ""
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return ProofCheck(False, "Le type de signature n'est pas pris en charge.", vm)
    if proof.get("proofPurpose") != "assertionMethod":
        return ProofCheck(False, "La signature n'a pas le bon usage.", vm)
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return ProofCheck(False, "La signature est absente ou mal formée.", vm)
    try:
        key = public_key_from_multibase(public_key) if isinstance(public_key, str) else public_key
        signature = b58decode(value[1:])
        if len(signature) != 64:
            return ProofCheck(False, "La signature est mal formée.", vm)
        data = _hash_data(credential, proof)
        key.verify(signature, data)
    except SigningError as exc:
        return ProofCheck(False, exc.message, vm)
    except InvalidSignature:
        return ProofCheck(False, "La signature ne correspond pas au contenu du badge.", vm)
    return ProofCheck(True, "", vm)
