"""Data files in several languages: an English text sits next to its French one.

A text key of the YAML data files (``name``, ``text``, ``description``…) may have a sibling
with a language suffix (``name_en``). :func:`localise` returns the data as the loaders expect it,
in one language: each text in that language where it is given, the French one otherwise (per
string), and without the suffixed keys. French is the reference: a suffixed key without its
French key is reported by :func:`orphans`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

#: Languages the data files may carry besides French.
LANGUAGES: tuple[str, ...] = ("en",)
REFERENCE = "fr"


def base_language(locale: object) -> str:
    """'en' for 'en', 'en_GB' or 'en-GB'; French for anything unknown."""
    code = str(locale or REFERENCE).replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else REFERENCE


def _suffix(key: object) -> str | None:
    if isinstance(key, str) and "_" in key:
        language = key.rsplit("_", 1)[1]
        if language in LANGUAGES:
            return language
    return None


def localise(data: Any, language: str = REFERENCE) -> Any:
    """A copy of `data` in `language`, French where a text has no translation."""
    language = base_language(language)
    if isinstance(data, Mapping):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            if _suffix(key) is not None:
                continue
            translated = data.get(f"{key}_{language}") if language != REFERENCE else None
            if isinstance(translated, str) and translated.strip() and isinstance(value, str):
                out[key] = translated
            elif _same_shape_lines(value, translated):
                out[key] = list(translated)  # a list of lines translated line by line
            else:
                out[key] = localise(value, language)
        return out
    if isinstance(data, list):
        return [localise(item, language) for item in data]
    return data


def _same_shape_lines(french: Any, translated: Any) -> bool:
    """True when both are lists of non-empty texts of the same length."""
    return (
        isinstance(french, list)
        and isinstance(translated, list)
        and len(french) == len(translated) > 0
        and all(isinstance(line, str) for line in french)
        and all(isinstance(line, str) and line.strip() for line in translated)
    )


def orphans(data: Any, where: str = "") -> list[str]:
    """Paths of translated keys whose French key is missing (a typo in the base key)."""
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            language = _suffix(key)
            if language is not None and str(key)[: -len(language) - 1] not in data:
                found.append(f"{where}.{key}".lstrip("."))
            found += orphans(value, f"{where}.{key}")
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found += orphans(item, f"{where}[{index}]")
    return found


def pairs(
    data: Any, keys: frozenset[str], language: str = "en"
) -> Iterator[tuple[str, str | None]]:
    """(French text, its translation or None) for every text under one of `keys`."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key in keys and isinstance(value, str) and value.strip():
                translated = data.get(f"{key}_{language}")
                yield value, translated if isinstance(translated, str) else None
            else:
                yield from pairs(value, keys, language)
    elif isinstance(data, list):
        for item in data:
            yield from pairs(item, keys, language)
