"""Upload checks for `image` and `file` questions, and image downscaling per `max-pixels`."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, UnidentifiedImageError

from surveys.errors import UploadError
from surveys.model import Question

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}
AUDIO_TYPES = frozenset({"mp3", "m4a", "aac", "ogg", "oga", "opus", "wav", "webm", "amr", "3gp"})
VIDEO_TYPES = frozenset({"mp4", "webm", "mov", "3gp", "mkv", "ogv"})
FILE_TYPES = frozenset({"pdf", "jpg", "jpeg", "png", "txt", "csv", "odt", "docx", "xlsx", "ods"})
# Refuse decompression bombs before Pillow allocates them.
MAX_SOURCE_PIXELS = 60_000_000

#: What a person reads when a file is refused, in French (default) or English, as the
#: engine's own messages (surveys.engine.MESSAGES).
MESSAGES: dict[str, dict[str, str]] = {
    "not_a_file": {
        "fr": "Cette question n'attend pas de fichier.",
        "en": "This question does not take a file.",
    },
    "type": {
        "fr": "Ce type de fichier n'est pas accepté. Types possibles : {kinds}.",
        "en": "This type of file is not accepted. Possible types: {kinds}.",
    },
    "too_big": {
        "fr": "Le fichier est trop gros ({megabytes} Mo au plus).",
        "en": "The file is too big ({megabytes} MB at most).",
    },
    "empty": {"fr": "Le fichier est vide.", "en": "The file is empty."},
    "huge_image": {"fr": "L'image est beaucoup trop grande.", "en": "The picture is far too big."},
    "unreadable_image": {
        "fr": "Cette image est illisible.",
        "en": "This picture cannot be read.",
    },
}


def _refused(key: str, lang_code: str, **params: object) -> UploadError:
    texts = MESSAGES[key]
    return UploadError(texts.get(lang_code, texts["fr"]).format(**params))


@dataclass(frozen=True, slots=True)
class Upload:
    """An accepted upload: a safe file extension and the (possibly downscaled) bytes."""

    extension: str
    data: bytes


def allowed_extensions(question: Question) -> frozenset[str]:
    """Extensions accepted by a question (`parameters: types=pdf,png` narrows the defaults)."""
    default = {
        "image": frozenset(IMAGE_TYPES),
        "audio": AUDIO_TYPES,
        "video": VIDEO_TYPES,
    }.get(question.type, FILE_TYPES)
    wanted = question.parameters.get("types")
    if not wanted:
        return default
    chosen = {part.strip().lower().lstrip(".") for part in wanted.replace(";", ",").split(",")}
    return frozenset(chosen & (default | FILE_TYPES))


def max_bytes(question: Question) -> int:
    """Size limit in bytes (`parameters: max-size=2` in megabytes, default 10)."""
    raw = question.parameters.get("max-size")
    try:
        megabytes = float(raw) if raw else DEFAULT_MAX_BYTES / 1024 / 1024
    except ValueError:
        megabytes = DEFAULT_MAX_BYTES / 1024 / 1024
    return int(max(0.01, min(megabytes, 50)) * 1024 * 1024)


def check_upload(question: Question, filename: str, data: bytes, lang_code: str = "fr") -> Upload:
    """Accept or refuse an upload for an image/file question; downscale images.

    UploadError carries a message in ``lang_code`` ("fr" or "en"; French otherwise).
    """
    if question.type not in ("image", "file", "audio", "video"):
        raise _refused("not_a_file", lang_code)
    extension = PurePath(filename or "").suffix.lower().lstrip(".")
    if extension not in allowed_extensions(question):
        kinds = ", ".join(sorted(allowed_extensions(question)))
        raise _refused("type", lang_code, kinds=kinds)
    limit = max_bytes(question)
    if len(data) > limit:
        raise _refused("too_big", lang_code, megabytes=limit // (1024 * 1024) or 1)
    if not data:
        raise _refused("empty", lang_code)
    if question.type == "image" or extension in IMAGE_TYPES:
        pixels = question.parameters.get("max-pixels")
        try:
            max_pixels = int(pixels) if pixels else 0
        except ValueError:
            max_pixels = 0
        data = (
            downscale_image(data, max_pixels, lang_code)
            if max_pixels > 0
            else _check_image(data, lang_code)
        )
    return Upload(extension, data)


def _open(data: bytes, lang_code: str = "fr") -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_SOURCE_PIXELS:
                raise _refused("huge_image", lang_code)
            image.load()
    except UploadError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _refused("unreadable_image", lang_code) from exc
    except Image.DecompressionBombWarning as exc:
        raise _refused("huge_image", lang_code) from exc
    return image


def _check_image(data: bytes, lang_code: str = "fr") -> bytes:
    _open(data, lang_code)
    return data


def downscale_image(data: bytes, max_pixels: int, lang_code: str = "fr") -> bytes:
    """Shrink an image so its longest side is at most `max_pixels` (ODK's max-pixels)."""
    image = _open(data, lang_code)
    if max_pixels <= 0 or max(image.size) <= max_pixels:
        return data
    fmt = image.format or "JPEG"
    ratio = max_pixels / max(image.size)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    resized = image.resize(size, Image.Resampling.LANCZOS)
    if fmt == "JPEG" and resized.mode not in ("RGB", "L"):
        resized = resized.convert("RGB")
    out = io.BytesIO()
    resized.save(out, format=fmt)
    return out.getvalue()
