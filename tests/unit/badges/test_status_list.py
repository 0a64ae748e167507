"""W3C Bitstring Status List encoding (badges/status_list.py), checked against the spec."""

from __future__ import annotations

import base64
import gzip

import pytest

from badges import status_list
from badges.status_list import StatusListError

URL = "https://mairiebus.example.org/badges/status/0.json"


def _raw(encoded: str) -> bytes:
    """Decode as the spec says, without the module: multibase 'u' + base64url, then GZIP."""
    assert encoded.startswith("u") and "=" not in encoded
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_empty_list_is_16_kb_of_zeros() -> None:
    raw = _raw(status_list.encode_list([]))
    assert len(raw) == 16_384 and not any(raw)


def test_bit_zero_is_the_leftmost_bit() -> None:
    raw = _raw(status_list.encode_list([0, 9, 131_071]))
    assert raw[0] == 0b1000_0000
    assert raw[1] == 0b0100_0000
    assert raw[-1] == 0b0000_0001
    assert sum(bin(b).count("1") for b in raw) == 3


def test_round_trip_and_is_set() -> None:
    positions = {3, 94_567, 131_000}
    bits = status_list.decode_list(status_list.encode_list(positions))
    assert {i for i in range(len(bits) * 8) if status_list.is_set(bits, i)} == positions


def test_encoding_is_stable() -> None:
    assert status_list.encode_list([5, 7]) == status_list.encode_list([7, 5])


@pytest.mark.parametrize("bad", ["", "u", "u!!!", "uAAAA", "not base64 at all"])
def test_unreadable_lists_are_refused(bad: str) -> None:
    with pytest.raises(StatusListError):
        status_list.decode_list(bad)


def test_positions_outside_the_list_are_refused() -> None:
    with pytest.raises(StatusListError):
        status_list.encode_list([131_072])
    with pytest.raises(StatusListError):
        status_list.status_entry(URL, -1)
    with pytest.raises(StatusListError):
        status_list.encode_list([], size=1024)  # below the spec's minimum


def test_entry_and_credential_shapes() -> None:
    entry = status_list.status_entry(URL, 94_567)
    assert entry == {
        "id": f"{URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": URL,
    }
    issuer = "https://mairiebus.example.org/badges/issuer-v3.json"
    credential = status_list.status_list_credential(URL, issuer, "2026-03-04T10:00:00Z", [1])
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["issuer"] == issuer
    subject = credential["credentialSubject"]
    assert subject["id"] == f"{URL}#list" and subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert _raw(subject["encodedList"])[0] == 0b0100_0000
