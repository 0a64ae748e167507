"""The engine's own typed model of an XLSForm, independent of pyxform's internals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from surveys.expressions import Expr

# Label key used when a column has no language suffix (same as pyxform).
DEFAULT_LANGUAGE_KEY = "default"

SELECT_TYPES = frozenset(
    {"select_one", "select_multiple", "select_one_from_file", "select_multiple_from_file", "rank"}
)
MULTI_TYPES = frozenset({"select_multiple", "select_multiple_from_file"})
NUMERIC_TYPES = frozenset({"integer", "decimal", "range"})
META_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "username",
        "phonenumber",
        "simserial",
        "subscriberid",
        "email",
        "start-geopoint",
        "audit",
        "background-audio",
        "background-geopoint",
    }
)
# Meta fields a browser cannot fill: kept in the form, always empty.
EMPTY_META_TYPES = META_TYPES - {"start", "end", "today"}
UPLOAD_TYPES = frozenset({"image", "file", "audio", "video"})
GEO_SHAPE_TYPES = frozenset({"geotrace", "geoshape"})
# Types that show nothing to answer: they never appear as a field on a page.
SILENT_TYPES = frozenset({"calculate", "hidden"}) | META_TYPES
QUESTION_TYPES = frozenset(
    {
        "text",
        "integer",
        "decimal",
        "date",
        "time",
        "note",
        "range",
        "acknowledge",
        "geopoint",
        "image",
        "file",
        "audio",
        "video",
        "datetime",
        "barcode",
        "geotrace",
        "geoshape",
        "calculate",
        "hidden",
    }
    | SELECT_TYPES
    | META_TYPES
)
CONTAINER_TYPES = frozenset({"group", "repeat"})

#: Columns of the response-level table that goes with the long answer table (exports and
#: analytics read the same shape; see surveys/README.md).
RESPONSE_COLUMNS: tuple[str, ...] = (
    "response_id",
    "form_id",
    "form_version",
    "collection_point",
    "neighbourhood",
    "channel",
    "language",
    "submitted_at",
    "is_demo",
)

_LANG_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$")


def language_code(language: str) -> str:
    """Return the short code of an XLSForm language name: 'Français (fr)' -> 'fr'."""
    match = _LANG_CODE.search(language)
    if match:
        return match.group(1).lower()
    lowered = language.strip().lower()
    if lowered.startswith(("fr", "français", "francais")):
        return "fr"
    if lowered.startswith(("en", "anglais")):
        return "en"
    return lowered


@dataclass(frozen=True, slots=True)
class Choice:
    """One proposed answer of a choice list, with labels per language and extra columns."""

    name: str
    labels: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChoiceList:
    """A named list of choices (a `list_name` of the choices sheet or an attached file)."""

    name: str
    choices: tuple[Choice, ...]

    def get(self, code: str) -> Choice | None:
        """Return the choice with this code, or None."""
        for choice in self.choices:
            if choice.name == code:
                return choice
        return None

    def codes(self) -> list[str]:
        """Return the choice codes in sheet order."""
        return [c.name for c in self.choices]


@dataclass(slots=True)
class Question:
    """A survey row: a question, a note, a calculate, or a group/repeat with children."""

    name: str
    type: str
    labels: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    required: bool = False
    required_expr: str | None = None
    required_message: dict[str, str] = field(default_factory=dict)
    constraint: str | None = None
    constraint_message: dict[str, str] = field(default_factory=dict)
    relevant: str | None = None
    calculation: str | None = None
    default: str | None = None
    choice_filter: str | None = None
    read_only: bool = False
    appearance: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    list_name: str | None = None
    or_other: bool = False
    children: list[Question] = field(default_factory=list)
    repeat_count: str | None = None
    row: int | None = None
    # `trigger` column: the calculation runs only when one of these questions changes.
    trigger: tuple[str, ...] = ()
    # Parsed expressions, keyed by column name ('relevant', 'constraint', ...).
    compiled: dict[str, Expr] = field(default_factory=dict, repr=False)

    @property
    def is_group(self) -> bool:
        """True for a group (page) container."""
        return self.type == "group"

    @property
    def is_repeat(self) -> bool:
        """True for a repeat container."""
        return self.type == "repeat"

    @property
    def is_container(self) -> bool:
        """True for groups and repeats."""
        return self.type in CONTAINER_TYPES

    @property
    def is_multiple(self) -> bool:
        """True for questions whose answer is several space-separated codes."""
        return self.type in MULTI_TYPES or self.type == "rank"

    @property
    def is_field(self) -> bool:
        """True when the respondent sees this row on a page (questions and notes)."""
        return not self.is_container and self.type not in SILENT_TYPES

    def appearances(self) -> list[str]:
        """Return the appearance words, e.g. ['minimal'] or ['likert']."""
        return (self.appearance or "").split()

    def walk(self) -> Iterator[Question]:
        """Yield this row then all descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(slots=True)
class FormIssueNote:
    """A non-blocking remark found at import (something ignored on purpose)."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    name: str | None = None


@dataclass(slots=True)
class FormDefinition:
    """A whole imported form: settings, the question tree and the choice lists."""

    form_id: str
    version: str
    title: str
    default_language: str
    languages: list[str]
    questions: list[Question]
    choice_lists: dict[str, ChoiceList]
    settings: dict[str, str] = field(default_factory=dict)
    warnings: list[FormIssueNote] = field(default_factory=list)
    attachments: dict[str, bytes] = field(default_factory=dict, repr=False)
    # select_*_from_file lists not attached yet: the form can be previewed, not offered.
    missing_files: list[str] = field(default_factory=list)

    def walk(self) -> Iterator[Question]:
        """Yield every row of the survey, depth first."""
        for question in self.questions:
            yield from question.walk()

    def question(self, name: str) -> Question:
        """Return the row with this name (KeyError if unknown)."""
        for question in self.walk():
            if question.name == name:
                return question
        raise KeyError(name)

    def index(self) -> dict[str, Question]:
        """Return a name -> row mapping for the whole form."""
        return {q.name: q for q in self.walk()}

    def parents(self) -> dict[str, Question | None]:
        """Return name -> enclosing container (None at top level)."""
        result: dict[str, Question | None] = {}

        def visit(items: list[Question], parent: Question | None) -> None:
            for item in items:
                result[item.name] = parent
                visit(item.children, item)

        visit(self.questions, None)
        return result

    def missing_file_lists(self) -> frozenset[str]:
        """Choice-list names of the select_*_from_file files still missing."""
        return frozenset(name.rsplit(".", 1)[0] for name in self.missing_files)

    def resolve_language(self, wanted: str | None) -> str:
        """Map 'fr', 'en' or a full language name to one of the form's language keys."""
        if not self.languages:
            return DEFAULT_LANGUAGE_KEY
        if wanted:
            if wanted in self.languages:
                return wanted
            code = language_code(wanted)
            for lang in self.languages:
                if language_code(lang) == code:
                    return lang
        return self.default_language


def pick_label(labels: dict[str, str], language: str, fallback: str) -> str:
    """Return the label in `language`, else the default/first available, else `fallback`."""
    if language in labels and labels[language]:
        return labels[language]
    if labels.get(DEFAULT_LANGUAGE_KEY):
        return labels[DEFAULT_LANGUAGE_KEY]
    for value in labels.values():
        if value:
            return value
    return fallback
