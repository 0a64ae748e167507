"""Procedures residents come to the bus for, with the documents to bring (``procedures.yaml``).

Pure: no Flask, no database. The file is validated at load and mistakes are reported in French.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from surveys.labels import THEMES
from surveys.localised import REFERENCE, localise

PROCEDURES_FILE = Path(__file__).with_name("procedures.yaml")
_CODE = re.compile(r"^[a-z0-9_]+$")


class ProceduresError(ValueError):
    """The procedures file is wrong; ``messages`` lists every problem in French."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Procedure:
    """One procedure: its code, theme, name and the documents to bring."""

    code: str
    theme: str
    name: str
    documents: tuple[str, ...]


def parse_procedures(data: object, source: str = "procedures.yaml") -> tuple[Procedure, ...]:
    """Validate the loaded YAML and return the procedures, in file order."""
    items = data.get("procedures") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ProceduresError([f"{source} doit contenir une liste « procedures »."])
    errors: list[str] = []
    found: list[Procedure] = []
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        where = f"{source}, démarche n° {number}"
        if not isinstance(item, dict):
            errors.append(f"{where} : ce n'est pas une liste de champs.")
            continue
        code = str(item.get("code") or "")
        theme = str(item.get("theme") or "")
        name = str(item.get("name") or "").strip()
        documents = item.get("documents") or []
        if not _CODE.match(code):
            errors.append(f"{where} : le code « {code} » doit être en minuscules, chiffres et _.")
        elif code in seen:
            errors.append(f"{where} : le code « {code} » est déjà utilisé.")
        if theme not in THEMES:
            errors.append(f"{where} : le thème « {theme} » n'existe pas.")
        if not name:
            errors.append(f"{where} : il manque le nom (name).")
        if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
            errors.append(f"{where} : « documents » doit être une liste de lignes.")
            documents = []
        seen.add(code)
        found.append(Procedure(code, theme, name, tuple(d.strip() for d in documents)))
    if errors:
        raise ProceduresError(errors)
    return tuple(found)


@cache
def load_procedures(path: str | None = None, language: str = REFERENCE) -> tuple[Procedure, ...]:
    """Load the procedures file (the shipped one by default) in a language, once per process."""
    file = Path(path) if path is not None else PROCEDURES_FILE
    return parse_procedures(localise(_read(file), language), file.name)


@cache
def _read(file: Path) -> object:
    """The file's YAML, read once per process whatever the languages asked."""
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError:
        raise ProceduresError([f"Le fichier « {file.name} » est introuvable."]) from None
    except yaml.YAMLError:
        raise ProceduresError([f"{file.name} n'est pas un YAML lisible."]) from None


def by_code(code: str | None, language: str = REFERENCE) -> Procedure | None:
    """The shipped procedure with this code (names and documents in `language`), or None."""
    return next((p for p in load_procedures(language=language) if p.code == code), None)
