"""Bake Open Badges payloads into PNG images and read them back, without a bakery library.

Open Badges 2.0 (baking spec, "PNG"): one ``iTXt`` chunk with keyword ``openbadges``,
compression flag 0 and method 0, empty language tag and translated keyword, text = the
Assertion JSON (or a compact JWS). Open Badges 3.0 uses the same layout with the keyword
``openbadgecredential`` (text = the credential JSON or a VC-JWT). The chunk must appear at
most once: re-baking replaces it. We write it right after ``IHDR``, like the reference
bakery (concentricsky/openbadges-bakery ``png_bakery.bake``).

Everything here works on bytes at the chunk level, so baking never re-encodes the image:
removing our chunk gives back the exact bytes that were baked. Untrusted files are parsed
with hard limits (file size, chunk count, chunk size, CRC) and every failure is a
:class:`BakingError` carrying a plain-French message.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "KEYWORD_OB2",
    "KEYWORD_OB3",
    "MAX_CHUNKS",
    "MAX_PAYLOAD_BYTES",
    "MAX_PNG_BYTES",
    "BakingError",
    "Chunk",
    "NoBadgeError",
    "bake",
    "image_fingerprint",
    "parse_chunks",
    "serialize_chunks",
    "strip_badges",
    "unbake",
    "unbake_one",
]

KEYWORD_OB2 = "openbadges"
KEYWORD_OB3 = "openbadgecredential"
BADGE_KEYWORDS = (KEYWORD_OB2, KEYWORD_OB3)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Limits for files coming from the public "vérifier un badge" form. Our own badges are
# under 100 KB; other issuers' images are rarely above a few MB.
MAX_PNG_BYTES = 8 * 1024 * 1024
MAX_CHUNKS = 10_000
MAX_CHUNK_BYTES = MAX_PNG_BYTES
# An assertion or credential is a few KB; 1 MiB leaves room for embedded data: URIs.
MAX_PAYLOAD_BYTES = 1024 * 1024

_TEXT_CHUNKS = (b"iTXt", b"tEXt", b"zTXt")


class BakingError(ValueError):
    """A PNG could not be baked or read; ``message`` is plain French for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoBadgeError(BakingError):
    """The PNG is valid but holds no Open Badges data."""

    def __init__(self, message: str = "Cette image ne contient pas de badge.") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Chunk:
    """One PNG chunk: 4-byte type and its data (length and CRC are recomputed on write)."""

    type: bytes
    data: bytes


def parse_chunks(png: bytes) -> list[Chunk]:
    """Split PNG bytes into chunks, checking signature, limits, CRCs and IHDR/IEND order."""
    if not isinstance(png, bytes | bytearray | memoryview):
        raise BakingError("Le fichier n'est pas une image PNG.")
    data = bytes(png)
    if len(data) > MAX_PNG_BYTES:
        raise BakingError("L'image est trop grande (8 Mo au maximum).")
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("Le fichier n'est pas une image PNG.")
    chunks: list[Chunk] = []
    pos = len(PNG_SIGNATURE)
    end = len(data)
    while True:
        if len(chunks) >= MAX_CHUNKS:
            raise BakingError("L'image PNG contient trop de blocs.")
        if pos + 8 > end:
            raise BakingError("L'image PNG est incomplète ou abîmée.")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        if length > MAX_CHUNK_BYTES or length >= 2**31:
            raise BakingError("L'image PNG contient un bloc trop grand.")
        if not all(65 <= c <= 90 or 97 <= c <= 122 for c in ctype):
            raise BakingError("L'image PNG est abîmée (bloc inconnu).")
        body_end = pos + 8 + length
        if body_end + 4 > end:
            raise BakingError("L'image PNG est incomplète ou abîmée.")
        body = data[pos + 8 : body_end]
        (crc,) = struct.unpack(">I", data[body_end : body_end + 4])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise BakingError("L'image PNG est abîmée (somme de contrôle fausse).")
        if not chunks and ctype != b"IHDR":
            raise BakingError("L'image PNG est abîmée (en-tête manquant).")
        chunks.append(Chunk(ctype, body))
        pos = body_end + 4
        if ctype == b"IEND":
            break
    if pos != end:
        # Data after IEND is a classic place to smuggle content; refuse it.
        raise BakingError("L'image PNG contient des données inattendues après la fin.")
    return chunks


def serialize_chunks(chunks: Iterable[Chunk]) -> bytes:
    """Write chunks back to PNG bytes (signature, length, type, data, CRC)."""
    out = bytearray(PNG_SIGNATURE)
    for chunk in chunks:
        out += struct.pack(">I", len(chunk.data))
        out += chunk.type + chunk.data
        out += struct.pack(">I", zlib.crc32(chunk.type + chunk.data) & 0xFFFFFFFF)
    return bytes(out)


def _keyword_of(chunk: Chunk) -> str | None:
    """Return the keyword of a text chunk, or None for other chunks or a missing NUL."""
    if chunk.type not in _TEXT_CHUNKS:
        return None
    nul = chunk.data.find(b"\x00", 0, 80)
    if nul < 1:
        return None
    return chunk.data[:nul].decode("latin-1")


def _itxt_chunk(keyword: str, text: str) -> Chunk:
    """Build the iTXt chunk the specs require: no compression, empty language and tkey."""
    payload = text.encode("utf-8")
    # keyword NUL, compression flag 0, method 0, empty lang NUL, empty translated kw NUL
    return Chunk(b"iTXt", keyword.encode("latin-1") + b"\x00\x00\x00\x00\x00" + payload)


def bake(png: bytes, payload: str, keyword: str = KEYWORD_OB2) -> bytes:
    """Return a copy of ``png`` holding ``payload`` under ``keyword``, replacing any old one."""
    if keyword not in BADGE_KEYWORDS:
        raise BakingError("Type de badge inconnu.")
    if not isinstance(payload, str) or not payload:
        raise BakingError("Le contenu du badge est vide.")
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise BakingError("Le contenu du badge est trop long.")
    chunks = [c for c in parse_chunks(png) if _keyword_of(c) != keyword]
    chunks.insert(1, _itxt_chunk(keyword, payload))
    return serialize_chunks(chunks)


def _decode_text_chunk(chunk: Chunk) -> str:
    """Decode the text of an iTXt/tEXt/zTXt chunk, bounded and UTF-8 (Latin-1 for tEXt)."""
    data = chunk.data
    nul = data.index(b"\x00")
    rest = data[nul + 1 :]
    if chunk.type == b"tEXt":
        raw = rest
        encoding = "latin-1"
    elif chunk.type == b"zTXt":
        if len(rest) < 1 or rest[0] != 0:
            raise BakingError("Le badge utilise une compression inconnue.")
        raw = _inflate(rest[1:])
        encoding = "latin-1"
    else:
        if len(rest) < 2:
            raise BakingError("Le bloc du badge est abîmé.")
        flag, method = rest[0], rest[1]
        lang_end = rest.find(b"\x00", 2)
        if lang_end < 0:
            raise BakingError("Le bloc du badge est abîmé.")
        tkey_end = rest.find(b"\x00", lang_end + 1)
        if tkey_end < 0:
            raise BakingError("Le bloc du badge est abîmé.")
        raw = rest[tkey_end + 1 :]
        if flag == 1:
            # The specs forbid compression, but other issuers' tools may use it.
            if method != 0:
                raise BakingError("Le badge utilise une compression inconnue.")
            raw = _inflate(raw)
        elif flag != 0:
            raise BakingError("Le bloc du badge est abîmé.")
        encoding = "utf-8"
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise BakingError("Le contenu du badge est trop long.")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BakingError("Le contenu du badge est illisible.") from exc


def _inflate(data: bytes) -> bytes:
    """Decompress zlib data with an output cap, so a zip bomb cannot exhaust memory."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_PAYLOAD_BYTES + 1)
    except zlib.error as exc:
        raise BakingError("Le contenu du badge est illisible.") from exc
    if len(out) > MAX_PAYLOAD_BYTES or inflater.unconsumed_tail:
        raise BakingError("Le contenu du badge est trop long.")
    return out


def unbake(png: bytes) -> dict[str, str]:
    """Return ``{keyword: payload}`` for the badge chunks in ``png``; NoBadgeError if none.

    A keyword may appear in one text chunk only (``iTXt``, or legacy ``tEXt``/``zTXt``): an
    image with two is refused with a BakingError.
    """
    found: dict[str, str] = {}
    fallback: dict[str, Chunk] = {}
    seen: set[str] = set()
    for chunk in parse_chunks(png):
        keyword = _keyword_of(chunk)
        if keyword not in BADGE_KEYWORDS:
            continue
        if keyword in seen:
            # Tools disagree on which copy wins (the bakery reads the first, Pillow-based viewers
            # show the last): a forged second chunk could ride on a genuine first one.
            raise BakingError(
                "Cette image contient deux badges du même type : elle a pu être modifiée, "
                "elle n'est pas acceptée."
            )
        seen.add(keyword)
        if chunk.type == b"iTXt":
            found[keyword] = _decode_text_chunk(chunk)
        else:
            fallback.setdefault(keyword, chunk)
    for keyword, chunk in fallback.items():
        if keyword not in found:
            found[keyword] = _decode_text_chunk(chunk)
    if not found:
        raise NoBadgeError()
    return found


def unbake_one(png: bytes, keyword: str = KEYWORD_OB2) -> str:
    """Return the payload baked under ``keyword``; NoBadgeError if there is none."""
    payloads = unbake(png)
    if keyword not in payloads:
        raise NoBadgeError()
    return payloads[keyword]


def strip_badges(png: bytes) -> bytes:
    """Return ``png`` without any Open Badges chunk (the image as it was before baking)."""
    return serialize_chunks(c for c in parse_chunks(png) if _keyword_of(c) not in BADGE_KEYWORDS)


def image_fingerprint(png: bytes) -> str:
    """SHA-256 over the chunks that define the picture (IHDR, PLTE, tRNS, IDAT), hex.

    Metadata chunks (text, time, our badge chunks) are left out, so the fingerprint of the
    image the app rendered equals the fingerprint of the baked file, and a different
    picture gives a different fingerprint.
    """
    digest = hashlib.sha256()
    for chunk in parse_chunks(png):
        if chunk.type in (b"IHDR", b"PLTE", b"tRNS", b"IDAT"):
            digest.update(struct.pack(">I", len(chunk.data)) + chunk.type + chunk.data)
    return digest.hexdigest()
