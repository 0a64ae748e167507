"""PNG baking: iTXt layout, replace-not-duplicate, reference-bakery parity, hostile files."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from badges import baking

PAYLOAD = '{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","name":"Épreuve"}'


def _png(colour: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def _reference_unbake(png: bytes) -> str | None:
    """concentricsky/openbadges-bakery png_bakery.unbake (b985422 L13-27), re-implemented:
    first iTXt whose data starts with b'openbadges\\x00', payload = re.sub of the keyword and
    the NULs after it; falls back to tEXt. (It reads chunks with pypng; we walk them.)"""
    pos, itxt, text = 8, None, None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        ctype, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if ctype == b"iTXt" and data.startswith(b"openbadges\x00") and itxt is None:
            itxt = re.sub(b"openbadges[\x00]+", b"", data).decode("utf-8")
        if ctype == b"tEXt" and data.startswith(b"openbadges\x00") and text is None:
            text = re.sub(b"openbadges[\x00]+", b"", data).decode("utf-8")
    return itxt if itxt is not None else text


def test_baked_chunk_has_the_spec_layout_right_after_ihdr() -> None:
    baked = baking.bake(_png(), PAYLOAD)
    chunks = baking.parse_chunks(baked)
    assert [c.type for c in chunks[:2]] == [b"IHDR", b"iTXt"]
    assert chunks[1].data == b"openbadges\x00\x00\x00\x00\x00" + PAYLOAD.encode("utf-8")
    assert baking.unbake(baked) == {"openbadges": PAYLOAD}
    # The image itself is untouched and still decodes.
    assert Image.open(io.BytesIO(baked)).getpixel((3, 3)) == (10, 120, 200)


def test_same_bytes_as_pillow_add_itxt_and_reference_unbaker() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("openbadges", PAYLOAD)
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, format="PNG", pnginfo=info)
    pillow_chunk = [c for c in baking.parse_chunks(out.getvalue()) if c.type == b"iTXt"][0]
    ours = [c for c in baking.parse_chunks(baking.bake(_png(), PAYLOAD)) if c.type == b"iTXt"][0]
    assert ours == pillow_chunk
    assert baking.unbake_one(out.getvalue()) == _reference_unbake(out.getvalue()) == PAYLOAD


@given(st.text(min_size=1, max_size=300).filter(lambda s: "\x00" not in s))
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
def test_unbakes_identically_to_the_reference(text: str) -> None:
    baked = baking.bake(_png(), text)
    assert baking.unbake_one(baked) == _reference_unbake(baked) == text


def test_rebaking_replaces_and_keeps_the_other_version() -> None:
    once = baking.bake(_png(), "first")
    both = baking.bake(once, '{"v":3}', baking.KEYWORD_OB3)
    again = baking.bake(both, "second")
    types = [c.type for c in baking.parse_chunks(again)]
    assert types.count(b"iTXt") == 2
    assert baking.unbake(again) == {"openbadges": "second", "openbadgecredential": '{"v":3}'}
    assert baking.strip_badges(again) == _png()


def test_fingerprint_ignores_metadata_but_not_pixels() -> None:
    plain = _png()
    assert baking.image_fingerprint(baking.bake(plain, "x")) == baking.image_fingerprint(plain)
    assert baking.image_fingerprint(_png((0, 0, 0))) != baking.image_fingerprint(plain)


def test_legacy_text_and_compressed_chunks_are_read() -> None:
    chunks = baking.parse_chunks(_png())
    legacy = chunks[:1] + [baking.Chunk(b"tEXt", b"openbadges\x00https://x.fr/a.json")] + chunks[1:]
    assert baking.unbake(baking.serialize_chunks(legacy)) == {"openbadges": "https://x.fr/a.json"}
    compressed = baking.Chunk(
        b"iTXt", b"openbadges\x00\x01\x00\x00\x00" + zlib.compress(b'{"a":1}')
    )
    png = baking.serialize_chunks(chunks[:1] + [compressed] + chunks[1:])
    assert baking.unbake(png) == {"openbadges": '{"a":1}'}


def test_zip_bomb_is_refused() -> None:
    chunks = baking.parse_chunks(_png())
    bomb = zlib.compress(b"a" * (baking.MAX_PAYLOAD_BYTES * 4))
    chunk = baking.Chunk(b"iTXt", b"openbadges\x00\x01\x00\x00\x00" + bomb)
    with pytest.raises(baking.BakingError, match="trop long"):
        baking.unbake(baking.serialize_chunks(chunks[:1] + [chunk] + chunks[1:]))


def test_no_badge_inside() -> None:
    with pytest.raises(baking.NoBadgeError) as err:
        baking.unbake(_png())
    assert err.value.message == "Cette image ne contient pas de badge."
    with pytest.raises(baking.NoBadgeError):
        baking.unbake_one(baking.bake(_png(), "x"), baking.KEYWORD_OB3)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b"GIF89a" + b[6:], "n'est pas une image PNG"),
        (lambda b: b[:-5], "incomplète"),
        (lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:], "somme de contrôle"),
        (lambda b: b + b"trailing", "après la fin"),
        (lambda b: b[:8] + b[8 + 25 :], "en-tête manquant"),
    ],
)
def test_malformed_pngs_are_refused(mutate: object, message: str) -> None:
    with pytest.raises(baking.BakingError, match=message):
        baking.unbake(mutate(baking.bake(_png(), "x")))  # type: ignore[operator]


def test_limits() -> None:
    with pytest.raises(baking.BakingError, match="trop grande"):
        baking.parse_chunks(baking.PNG_SIGNATURE + b"\x00" * baking.MAX_PNG_BYTES)
    ihdr, *_ = baking.parse_chunks(_png())
    many = [ihdr] + [baking.Chunk(b"tIME", b"\x07\xe9\x01\x01\x00\x00\x00")] * baking.MAX_CHUNKS
    with pytest.raises(baking.BakingError, match="trop de blocs"):
        baking.parse_chunks(baking.serialize_chunks(many + [baking.Chunk(b"IEND", b"")]))
    huge = baking.PNG_SIGNATURE + struct.pack(">I", 2**31 - 1) + b"IHDR"
    with pytest.raises(baking.BakingError, match="bloc trop grand"):
        baking.parse_chunks(huge)
    with pytest.raises(baking.BakingError, match="trop long"):
        baking.bake(_png(), "x" * (baking.MAX_PAYLOAD_BYTES + 1))
    with pytest.raises(baking.BakingError, match="Type de badge inconnu"):
        baking.bake(_png(), "x", "openbadge")


BAKED = baking.bake(baking.bake(_png(), PAYLOAD), '{"v":3}', baking.KEYWORD_OB3)


def _only_baking_errors(data: bytes) -> None:
    try:
        baking.unbake(data)
        baking.strip_badges(data)
        baking.image_fingerprint(data)
    except baking.BakingError as exc:
        assert exc.message


@given(st.binary(max_size=2048))
@settings(max_examples=200)
def test_fuzz_random_bytes(data: bytes) -> None:
    _only_baking_errors(data)
    _only_baking_errors(baking.PNG_SIGNATURE + data)


@given(st.integers(min_value=0, max_value=len(BAKED)))
@settings(max_examples=200)
def test_fuzz_truncations(cut: int) -> None:
    _only_baking_errors(BAKED[:cut])


@given(st.integers(min_value=0, max_value=len(BAKED) * 8 - 1), st.booleans())
@settings(max_examples=300)
def test_fuzz_bit_flips(bit: int, fix_crc: bool) -> None:
    data = bytearray(BAKED)
    data[bit // 8] ^= 1 << (bit % 8)
    if fix_crc:
        # Also flip inside chunks whose CRC is then made right, to reach the text parser.
        pos = 8
        while pos + 12 <= len(data):
            (length,) = struct.unpack(">I", data[pos : pos + 4])
            if pos + 12 + length > len(data):
                break
            body = bytes(data[pos + 4 : pos + 8 + length])
            data[pos + 8 + length : pos + 12 + length] = struct.pack(">I", zlib.crc32(body))
            pos += 12 + length
    _only_baking_errors(bytes(data))
