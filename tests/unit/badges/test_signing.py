"""Ed25519 keys, base58, the offline document loader and the 1EdTech OB 3.0 test vector."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badges import signing

FIXTURES = Path(__file__).parents[2] / "fixtures" / "badges"
VECTOR = json.loads((FIXTURES / "ob3_test_vector.json").read_text(encoding="utf-8"))
VECTOR_DOC_NQUADS = (FIXTURES / "ob3_test_vector_document.nq").read_text(encoding="utf-8")


def _vector_key() -> Ed25519PrivateKey:
    # The vector gives the 64-byte secret (seed || public key); Ed25519 needs the seed.
    secret = bytes.fromhex(VECTOR["private_key_hex"])
    assert secret[32:].hex() == VECTOR["public_key_hex"]
    return Ed25519PrivateKey.from_private_bytes(secret[:32])


def test_vector_document_canonical_form_and_hash() -> None:
    canonical = signing.canonicalize(VECTOR["document"])
    assert canonical == VECTOR_DOC_NQUADS
    assert hashlib.sha256(canonical.encode()).hexdigest() == VECTOR["document_hash_hex"]


def test_vector_proof_options_canonical_form_and_hash() -> None:
    options = dict(VECTOR["proof_options"], **{"@context": VECTOR["document"]["@context"]})
    canonical = signing.canonicalize(options)
    assert canonical == VECTOR["proof_nquads"]
    assert hashlib.sha256(canonical.encode()).hexdigest() == VECTOR["proof_hash_hex"]


def test_vector_public_key_multibase() -> None:
    assert signing.public_key_multibase(_vector_key()) == VECTOR["public_key_multibase"]
    public = signing.public_key_from_multibase(VECTOR["public_key_multibase"])
    assert public.public_bytes_raw().hex() == VECTOR["public_key_hex"]


def test_vector_proof_is_reproduced_exactly() -> None:
    signed = signing.sign_credential(
        VECTOR["document"],
        _vector_key(),
        VECTOR["proof_options"]["verificationMethod"],
        datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC),
    )
    expected = dict(VECTOR["proof_options"], proofValue=VECTOR["proof_value"])
    assert signed["proof"] == expected
    signature = signing.b58decode(VECTOR["proof_value"][1:])
    assert signature.hex() == VECTOR["signature_hex"]
    check = signing.verify_proof(signed, VECTOR["public_key_multibase"])
    assert check.ok and check.verification_method == expected["verificationMethod"]
    assert "proof" not in VECTOR["document"]


def test_vector_signature_fails_with_other_key_or_edit() -> None:
    signed = dict(
        VECTOR["document"], proof=dict(VECTOR["proof_options"], proofValue=VECTOR["proof_value"])
    )
    assert signing.verify_proof(signed, VECTOR["public_key_multibase"]).ok
    other = signing.public_key_multibase(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32))
    assert not signing.verify_proof(signed, other).ok
    edited = json.loads(json.dumps(signed))
    edited["credentialSubject"]["achievement"]["name"] = "Teamwork!"
    check = signing.verify_proof(edited, VECTOR["public_key_multibase"])
    assert check == signing.ProofCheck(
        False,
        "La signature ne correspond pas au contenu du badge.",
        VECTOR["proof_options"]["verificationMethod"],
    )


def test_base58_round_trip_and_leading_zeros() -> None:
    assert signing.b58encode(b"") == ""
    assert signing.b58encode(b"\x00\x00\x01") == "112"
    assert signing.b58encode(b"hello world") == "StV1DL6CwTryKyV"
    assert signing.b58decode("StV1DL6CwTryKyV") == b"hello world"
    assert signing.b58decode("112") == b"\x00\x00\x01"
    with pytest.raises(signing.SigningError, match="base58 invalide"):
        signing.b58decode("0OIl")


def test_key_pem_round_trip() -> None:
    key = signing.generate_private_key()
    loaded = signing.load_private_key(signing.private_key_to_pem(key))
    assert signing.public_key_multibase(loaded) == signing.public_key_multibase(key)
    assert signing.public_key_multibase(key).startswith("z6Mk")
    with pytest.raises(signing.SigningError, match="illisible"):
        signing.load_private_key(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")


@pytest.mark.parametrize("value", ["6Mkabc", "z", "zzzz", "z" + "1" * 40])
def test_bad_multibase_is_refused(value: str) -> None:
    with pytest.raises(signing.SigningError):
        signing.public_key_from_multibase(value)


def test_document_loader_refuses_unknown_urls() -> None:
    loaded = signing.document_loader("https://www.w3.org/ns/credentials/v2")
    assert loaded["document"]["@context"]["@protected"] is True
    with pytest.raises(signing.SigningError, match="Contexte JSON-LD inconnu"):
        signing.document_loader("https://evil.example/context.json")
    doc = {"@context": ["https://evil.example/context.json"], "name": "x"}
    with pytest.raises(signing.SigningError, match="forme canonique"):
        signing.canonicalize(doc)


def test_every_stored_context_is_valid_json_ld() -> None:
    for url in sorted(signing.known_context_urls()):
        assert "@context" in signing.document_loader(url)["document"], url


def test_double_signing_and_naive_dates_are_refused() -> None:
    key = signing.generate_private_key()
    with pytest.raises(signing.SigningError, match="déjà signé"):
        signing.sign_credential({"proof": {}}, key, "https://x/k", datetime.now(UTC))
    with pytest.raises(signing.SigningError, match="fuseau"):
        signing.sign_credential(VECTOR["document"], key, "https://x/k", datetime(2020, 1, 1))


def test_proof_checks_refuse_other_suites() -> None:
    base = dict(VECTOR["document"])
    assert signing.verify_proof(base, VECTOR["public_key_multibase"]).reason == (
        "Le badge n'est pas signé."
    )
    wrong = dict(
        base, proof=dict(VECTOR["proof_options"], cryptosuite="ecdsa-rdfc-2019", proofValue="z1")
    )
    assert not signing.verify_proof(wrong, VECTOR["public_key_multibase"]).ok
    purpose = dict(
        base,
        proof=dict(
            VECTOR["proof_options"], proofPurpose="authentication", proofValue=VECTOR["proof_value"]
        ),
    )
    assert signing.verify_proof(purpose, VECTOR["public_key_multibase"]).reason == (
        "La signature n'a pas le bon usage."
    )
