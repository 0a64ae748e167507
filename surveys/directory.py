"""'Who to ask' (à qui s'adresser): the directory of services and partners, searchable by need.

The data lives in `surveys/directory.yaml` (editable, validated at load). Search is by theme code
and by free text; text matching ignores case, accents and punctuation, so "impot" finds "Impôts"
and "securite sociale" would find "Sécurité sociale".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from surveys.errors import SurveyError
from surveys.localised import localise, orphans
from surveys.planning import THEME_LABELS, THEMES

DIRECTORY_FILE: Final[Path] = Path(__file__).with_name("directory.yaml")
SCOPES: Final[tuple[str, ...]] = ("local", "national")

_CODE = re.compile(r"^[a-z0-9_]+$")
# Digits and single spaces only (e.g. "3230", "0 809 401 401", "+33 1 23 45 67 89").
_PHONE = re.compile(r"^\+?[0-9]+(?: [0-9]+)*$")
_FIELDS: Final = (
    "code",
    "name",
    "description",
    "themes",
    "scope",
    "where",
    "when",
    "phone",
    "phone_note",
    "website",
    "checked",
)


class DirectoryError(SurveyError):
    """The directory file is unusable; `messages` lists every problem in plain French."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class DirectoryEntry:
    """One service or partner: who they are, what they do, how to reach them."""

    code: str
    name: str
    description: str
    themes: tuple[str, ...]
    scope: str
    where: str = ""
    when: str = ""
    phone: str = ""
    phone_note: str = ""
    website: str = ""
    checked: bool = False

    @property
    def phone_uri(self) -> str:
        """Return a tel: link for the phone number, or "" when there is none."""
        return f"tel:{self.phone.replace(' ', '')}" if self.phone else ""


@dataclass(frozen=True)
class Directory:
    """All entries, in file order, with the notice to show alongside them."""

    entries: tuple[DirectoryEntry, ...]
    is_demo: bool
    notice: str


def normalize(text: str) -> str:
    """Fold text for matching: lower case, no accents, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare.replace("œ", "oe").replace("æ", "ae")).split())


def _text(item: Mapping[object, object], key: str, where: str, errors: list[str]) -> str:
    value = item.get(key, "")
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and key == "phone":
        errors.append(f"{where} : écrivez le numéro de téléphone entre guillemets.")
        return ""
    if not isinstance(value, str):
        errors.append(f"{where} : « {key} » doit être un texte.")
        return ""
    return " ".join(value.split())


def _entry(item: object, where: str, errors: list[str]) -> DirectoryEntry | None:
    if not isinstance(item, Mapping):
        errors.append(f"{where} : chaque entrée doit avoir des champs (code, name…).")
        return None
    count = len(errors)
    unknown = sorted(set(map(str, item)) - set(_FIELDS))
    if unknown:
        errors.append(f"{where} : champ inconnu « {', '.join(unknown)} ».")
    texts = {
        key: _text(item, key, where, errors) for key in _FIELDS if key not in ("themes", "checked")
    }
    if not _CODE.match(texts["code"]):
        errors.append(f"{where} : « code » doit être en minuscules, chiffres et _.")
    for key in ("name", "description"):
        if not texts[key]:
            errors.append(f"{where} : « {key} » est obligatoire.")
    if texts["scope"] not in SCOPES:
        errors.append(f"{where} : « scope » doit être local ou national.")
    if texts["phone"] and not _PHONE.match(texts["phone"]):
        errors.append(f"{where} : numéro de téléphone illisible « {texts['phone']} ».")
    if texts["website"] and not texts["website"].startswith("https://"):
        errors.append(f"{where} : le site doit commencer par https://.")
    themes = item.get("themes")
    if not isinstance(themes, list) or not themes:
        errors.append(f"{where} : « themes » doit être une liste de thèmes.")
        themes = []
    for theme in themes:
        if theme not in THEMES:
            errors.append(f"{where} : le thème « {theme} » n'existe pas.")
    checked = item.get("checked", False)
    if not isinstance(checked, bool):
        errors.append(f"{where} : « checked » doit valoir true ou false.")
    if len(errors) > count:
        return None
    return DirectoryEntry(
        code=texts["code"],
        name=texts["name"],
        description=texts["description"],
        themes=tuple(str(t) for t in themes),
        scope=texts["scope"],
        where=texts["where"],
        when=texts["when"],
        phone=texts["phone"],
        phone_note=texts["phone_note"],
        website=texts["website"],
        checked=bool(checked),
    )


def parse_directory(
    data: object, source: str = "directory.yaml", language: str = "fr"
) -> Directory:
    """Validate already-loaded YAML data into a Directory, or raise DirectoryError.

    Texts are taken in `language` where given (``description_en``), in French otherwise.
    """
    stray = orphans(data)
    if stray:
        raise DirectoryError(
            [f"{source} : {p} est une traduction sans texte français." for p in stray]
        )
    data = localise(data, language)
    if not isinstance(data, Mapping) or not isinstance(data.get("entries"), list):
        raise DirectoryError([f"{source} : il faut une liste « entries »."])
    errors: list[str] = []
    entries: list[DirectoryEntry] = []
    seen: set[str] = set()
    for number, item in enumerate(data["entries"], start=1):
        entry = _entry(item, f"{source}, entrée n° {number}", errors)
        if entry is None:
            continue
        if entry.code in seen:
            errors.append(f"{source}, entrée n° {number} : le code « {entry.code} » est en double.")
        seen.add(entry.code)
        entries.append(entry)
    is_demo = data.get("is_demo", True)
    if not isinstance(is_demo, bool):
        errors.append(f"{source} : « is_demo » doit valoir true ou false.")
    notice = data.get("notice", "")
    if not isinstance(notice, str):
        errors.append(f"{source} : « notice » doit être un texte.")
        notice = ""
    if errors:
        raise DirectoryError(errors)
    return Directory(tuple(entries), bool(is_demo), " ".join(notice.split()))


def load_directory(path: str | Path | None = None, language: str = "fr") -> Directory:
    """Load and validate the directory file (the shipped `surveys/directory.yaml` by default).

    Texts are in `language` where the file gives them (``description_en``), French otherwise.
    """
    file = Path(path) if path is not None else DIRECTORY_FILE
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError:
        raise DirectoryError([f"L'annuaire « {file.name} » est introuvable."]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise DirectoryError([f"{file.name} n'est pas un YAML lisible{line}."]) from None
    return parse_directory(data, file.name, language)


def _haystack(entry: DirectoryEntry) -> str:
    labels = " ".join(THEME_LABELS[t] for t in entry.themes)
    return normalize(" ".join((entry.name, entry.description, entry.where, labels, entry.website)))


def search(
    directory: Directory, theme: str | None = None, text: str | None = None
) -> list[DirectoryEntry]:
    """Entries for a theme and/or matching every word of a text (name matches, then local first)."""
    if theme is not None and theme not in THEMES:
        raise DirectoryError([f"Le thème « {theme} » n'existe pas."])
    words = normalize(text or "").split()
    found: list[tuple[bool, DirectoryEntry]] = []
    for entry in directory.entries:
        if theme is not None and theme not in entry.themes:
            continue
        # Word prefixes, so "impot" finds "impots" and "ident" finds "identité".
        if _has_words(_haystack(entry), words):
            found.append((_has_words(normalize(entry.name), words), entry))
    # A stable sort keeps file order inside each group: the file is curated by hand.
    found.sort(key=lambda ne: (not (ne[0] and words), SCOPES.index(ne[1].scope)))
    return [entry for _, entry in found]


def _has_words(haystack: str, words: Sequence[str]) -> bool:
    padded = f" {haystack}"
    return all(f" {word}" in padded for word in words)


def for_needs(directory: Directory, themes: Iterable[str]) -> list[DirectoryEntry]:
    """Entries covering any of a person's needs: most needs covered first, then local, file order."""
    wanted = list(dict.fromkeys(themes))
    unknown = [t for t in wanted if t not in THEMES]
    if unknown:
        raise DirectoryError([f"Le thème « {t} » n'existe pas." for t in unknown])
    scored = [(sum(t in e.themes for t in wanted), e) for e in directory.entries]
    matched = [(score, e) for score, e in scored if score > 0]
    return [e for _, e in sorted(matched, key=lambda se: (-se[0], SCOPES.index(se[1].scope)))]
