"""The answering API: pages, navigation, validation, skip logic and calculations, all pure.

Answers are a plain JSON-serialisable dict so the web layer can keep drafts in the database:

    {"age_band": "30_44", "needs": "caf taxes",          # one string per question
     "children": [{"child_age": "4"}, {"child_age": "9"}]}  # a list of dicts per repeat

Values are XForm strings: select_multiple codes space-separated, dates `YYYY-MM-DD`, times
`HH:MM`, geopoints `lat lon alt accuracy`. Functions never change the dict they are given.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveys import expressions as ex
from surveys.errors import AnswerError, ExpressionError
from surveys.model import (
    GEO_SHAPE_TYPES,
    META_TYPES,
    MULTI_TYPES,
    FormDefinition,
    Question,
    language_code,
    pick_label,
)

Answers = dict[str, Any]
RawValue = str | Sequence[str] | None

MAX_REPEAT_INSTANCES = 50
# Answers-dict keys that remember a trigger's last value (never exported: not question names).
TRIGGER_PREFIX = "__trigger__:"
_PASSES = 5

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"fr": "Merci de répondre à cette question.", "en": "Please answer this question."},
    "constraint": {"fr": "Cette réponse ne convient pas.", "en": "This answer is not valid."},
    "integer": {
        "fr": "Écrivez un nombre entier, par exemple 12.",
        "en": "Please write a whole number, for example 12.",
    },
    "decimal": {
        "fr": "Écrivez un nombre, par exemple 3,5.",
        "en": "Please write a number, for example 3.5.",
    },
    "date": {
        "fr": "Écrivez une date, par exemple 25/12/2024.",
        "en": "Please write a date, for example 2024-12-25.",
    },
    "time": {
        "fr": "Écrivez une heure, par exemple 14:30.",
        "en": "Please write a time, for example 14:30.",
    },
    "choice": {"fr": "Choisissez une réponse dans la liste.", "en": "Please pick from the list."},
    "rank": {
        "fr": "Classez toutes les réponses proposées.",
        "en": "Please put every choice in order.",
    },
    "range": {
        "fr": "Choisissez une valeur entre {start} et {end}.",
        "en": "Please pick a value between {start} and {end}.",
    },
    "geopoint": {
        "fr": "Écrivez la latitude puis la longitude, par exemple 43.40 5.05.",
        "en": "Please write latitude then longitude, for example 43.40 5.05.",
    },
    "too_long": {"fr": "Cette réponse est trop longue.", "en": "This answer is too long."},
    "datetime": {
        "fr": "Écrivez une date et une heure, par exemple 25/12/2024 14:30.",
        "en": "Please write a date and a time, for example 2024-12-25 14:30.",
    },
    "geotrace": {
        "fr": "Écrivez au moins 2 points « latitude longitude » séparés par « ; ».",
        "en": "Please write at least 2 points 'latitude longitude' separated by ';'.",
    },
    "geoshape": {
        "fr": "Écrivez au moins 3 points « latitude longitude » séparés par « ; ».",
        "en": "Please write at least 3 points 'latitude longitude' separated by ';'.",
    },
}
MAX_TEXT_LENGTH = 5000


def message(key: str, lang_code: str, **params: object) -> str:
    """Return a built-in message in French (default) or English."""
    texts = MESSAGES[key]
    return texts.get(lang_code, texts["fr"]).format(**params)


def message_language(form: FormDefinition, language: str | None) -> str:
    """The code of the built-in messages (MESSAGES) a page in ``language`` shows."""
    return _message_code(form.resolve_language(language))


def _message_code(resolved: str) -> str:
    return language_code(resolved) if resolved != "default" else "fr"


# --------------------------------------------------------------------------- structure


@dataclass(frozen=True, slots=True)
class Page:
    """One screen: a top-level group, a loose question, or one instance of a repeat."""

    key: str
    fields: tuple[Question, ...]
    group: Question | None = None
    repeat: str | None = None
    instance: int = 0  # 1-based inside a repeat; 0 elsewhere (or empty open-ended repeat)
    # Nested group name for each field, so the web layer can show section headings.
    sections: tuple[str | None, ...] = ()
    # Position of the instance in every enclosing repeat, outermost first: (2,) is the second
    # household; (2, 3) the third member of the second household. Empty outside repeats.
    path: tuple[int, ...] = ()

    @property
    def parent(self) -> tuple[int, ...]:
        """Positions of the enclosing repeats' instances (empty for a top-level repeat)."""
        return self.path[:-1]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where the respondent is: page `index` of `total` relevant pages (1-based)."""

    index: int
    total: int

    @property
    def percent(self) -> int:
        """Share of pages reached, 0 to 100."""
        return 0 if self.total == 0 else round(100 * self.index / self.total)


@dataclass(frozen=True, slots=True)
class ChoiceView:
    """A choice ready to display."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class FieldView:
    """A question ready to display in one language, with its current value."""

    name: str
    type: str
    label: str
    hint: str
    required: bool
    value: str
    choices: tuple[ChoiceView, ...]
    appearance: tuple[str, ...]
    parameters: dict[str, str]
    read_only: bool
    section: str | None
    error: str | None = None
    # Other fields of the page depend on this one (shown, filtered, labelled): with
    # JavaScript, the page is refreshed as soon as it changes.
    reveals: bool = False


@dataclass(frozen=True, slots=True)
class PageView:
    """A relevant page ready to display."""

    key: str
    title: str
    fields: tuple[FieldView, ...]
    progress: Progress
    repeat: str | None
    instance: int
    can_add: bool
    can_remove: bool


@dataclass(slots=True)
class PageResult:
    """Outcome of submitting a page: new answers, and per-field errors (empty when valid)."""

    answers: Answers
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, RawValue] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every field of the page was accepted."""
        return not self.errors


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One row of the long answer table.

    `repeat_index` is the position in the innermost repeat; `parent` the positions in the
    enclosing repeats of a nested one, dotted ("2" = second household), "" otherwise.
    """

    question: str
    repeat_index: int
    value: str
    parent: str = ""


# A position in repeats: 0 outside, an int in a top-level repeat, or a path for nested ones.
Pos = int | tuple[int, ...]


def as_path(pos: Pos) -> tuple[int, ...]:
    """The position as a path of 1-based indices, outermost repeat first."""
    if isinstance(pos, tuple):
        return pos
    return (pos,) if pos else ()


def page_key(repeat: str, path: tuple[int, ...]) -> str:
    """The page key of a repeat instance: `visit#2`, or `member#2.3` when nested."""
    return f"{repeat}#{'.'.join(str(i) for i in path)}"


class _Structure:
    """Precomputed facts about a form: parents, repeat membership, document order."""

    def __init__(self, form: FormDefinition) -> None:
        self.form = form
        self.index = form.index()
        self.parents = form.parents()
        self.repeat_of: dict[str, str | None] = {}
        # Enclosing repeats, outermost first (a repeat is not in its own chain).
        self.chain: dict[str, tuple[str, ...]] = {}
        for name in self.index:
            self.repeat_of[name] = self._enclosing_repeat(name)
            self.chain[name] = tuple(a.name for a in self.ancestors(name) if a.is_repeat)

    def _enclosing_repeat(self, name: str) -> str | None:
        parent = self.parents.get(name)
        while parent is not None:
            if parent.is_repeat:
                return parent.name
            parent = self.parents.get(parent.name)
        return None

    def ancestors(self, name: str) -> list[Question]:
        chain: list[Question] = []
        parent = self.parents.get(name)
        while parent is not None:
            chain.append(parent)
            parent = self.parents.get(parent.name)
        return list(reversed(chain))


_STRUCTURES: dict[int, tuple[FormDefinition, _Structure]] = {}


def _structure(form: FormDefinition) -> _Structure:
    cached = _STRUCTURES.get(id(form))
    if cached is not None and cached[0] is form:
        return cached[1]
    built = _Structure(form)
    if len(_STRUCTURES) > 64:
        _STRUCTURES.clear()
    _STRUCTURES[id(form)] = (form, built)
    return built


# --------------------------------------------------------------------------- evaluation context


class AnswerContext(ex.Context):
    """Expressions see the answers; inside a repeat, siblings of the same instance."""

    def __init__(
        self,
        form: FormDefinition,
        answers: Answers,
        question: Question | None = None,
        repeat_index: Pos = 0,
        current: ex.Value = "",
        language: str | None = None,
        now: dt.datetime | None = None,
        row: dict[str, str] | None = None,
    ) -> None:
        self.form = form
        self.structure = _structure(form)
        self.answers = answers
        self.question = question
        own = self.structure.chain.get(question.name, ()) if question is not None else ()
        # The context question's own position, cut to the repeats that enclose it.
        self.path = as_path(repeat_index)[: len(own)]
        self.own_chain = own[: len(self.path)]
        self.repeat_index = self.path[-1] if self.path else 0
        self._current = current
        self.language = form.resolve_language(language)
        self._now = now
        self.row = row

    def ref(self, name: str) -> ex.NodeSet:
        if name not in self.structure.index:
            raise ExpressionError(f"Question inconnue : ${{{name}}}.")
        target = self.structure.index[name]
        if target.is_repeat:
            # ${repeat} is its instances (count(${repeat}) counts them, as in ODK).
            return ex.NodeSet(tuple("" for _ in _instances(self.answers, name)))
        chain = self.structure.chain[name]
        if not chain:
            return ex.NodeSet((_str(self.answers.get(name)),))
        # Shared enclosing instances are taken at the current position (ODK's relative
        # references); deeper repeats give every instance.
        stores: list[Mapping[str, Any]] = [self.answers]
        for depth, repeat in enumerate(chain):
            if depth < len(self.own_chain) and self.own_chain[depth] == repeat:
                index = self.path[depth]
                next_stores = []
                for store in stores:
                    items = _instances(store, repeat)
                    next_stores.append(items[index - 1] if 1 <= index <= len(items) else {})
                stores = next_stores
            else:
                stores = [item for store in stores for item in _instances(store, repeat)]
        return ex.NodeSet(tuple(_str(store.get(name)) for store in stores))

    def current(self) -> ex.Value:
        return self._current

    def indexed(self, name: str, index: int) -> str:
        if name not in self.structure.index:
            raise ExpressionError(f"Question inconnue : ${{{name}}}.")
        chain = self.structure.chain[name]
        if not chain:
            return _str(self.answers.get(name)) if index == 1 else ""
        # Outer repeats at the current position; the innermost one at `index`.
        store: Mapping[str, Any] = self.answers
        for depth, repeat in enumerate(chain[:-1]):
            shared = depth < len(self.own_chain) and self.own_chain[depth] == repeat
            items = _instances(store, repeat)
            at = self.path[depth] if shared else 1
            store = items[at - 1] if 1 <= at <= len(items) else {}
        instances = _instances(store, chain[-1])
        return _str(instances[index - 1].get(name)) if 1 <= index <= len(instances) else ""

    def pulldata(self, source: str, column: str, key_column: str, key: str) -> str:
        for row in lookup_rows(self.form, source):
            if row.get(key_column) == key:
                return row.get(column, "")
        return ""

    def column(self, name: str) -> ex.Value:
        if self.row is None:
            return super().column(name)
        return self.row.get(name, "")

    def position(self) -> int:
        if not self.repeat_index:
            return super().position()
        return self.repeat_index

    def instance(self, list_name: str) -> tuple[dict[str, str], ...]:
        clist = self.form.choice_lists.get(list_name)
        if clist is None:
            return super().instance(list_name)
        return tuple(
            {**c.extra, "name": c.name, "label": pick_label(c.labels, self.language, c.name)}
            for c in clist.choices
        )

    def choice_label(self, question: str, code: str) -> str:
        target = self.structure.index.get(question)
        if target is None or not target.list_name:
            return code
        clist = self.form.choice_lists.get(target.list_name)
        choice = clist.get(code) if clist else None
        return pick_label(choice.labels, self.language, code) if choice else code

    def now(self) -> dt.datetime:
        return self._now or super().now()


_LOOKUPS: dict[tuple[int, str], tuple[FormDefinition, list[dict[str, str]]]] = {}


def lookup_rows(form: FormDefinition, source: str) -> list[dict[str, str]]:
    """Rows of the CSV attached as `source`.csv (for pulldata), read once per form."""
    cached = _LOOKUPS.get((id(form), source))
    if cached is not None and cached[0] is form:
        return cached[1]
    filename = source if source.lower().endswith(".csv") else f"{source}.csv"
    data = form.attachments.get(filename)
    if data is None:
        raise ExpressionError(f"pulldata() : le fichier « {filename} » n'est pas joint.")
    text = data.decode("utf-8-sig", errors="replace")
    delimiter = ";" if text[:2048].count(";") > text[:2048].count(",") else ","
    rows = [
        {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)
    ]
    if len(_LOOKUPS) > 64:
        _LOOKUPS.clear()
    _LOOKUPS[(id(form), source)] = (form, rows)
    return rows


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _instances(answers: Mapping[str, Any], repeat: str) -> list[dict[str, Any]]:
    value = answers.get(repeat)
    return value if isinstance(value, list) else []


def _parent_store(
    form: FormDefinition, answers: Answers, repeat: str, parent: tuple[int, ...]
) -> dict[str, Any] | None:
    """The dict holding `repeat`'s instances: the answers, or the enclosing instance."""
    store: dict[str, Any] = answers
    for outer, index in zip(_structure(form).chain[repeat], parent, strict=False):
        items = _instances(store, outer)
        if not 1 <= index <= len(items):
            return None
        store = items[index - 1]
    return store


def _items_at(
    form: FormDefinition, answers: Answers, repeat: str, parent: tuple[int, ...]
) -> list[dict[str, Any]]:
    """Instances of `repeat` inside the enclosing instance at `parent`."""
    store = _parent_store(form, answers, repeat, parent)
    return _instances(store, repeat) if store is not None else []


def _all_instances(
    form: FormDefinition, answers: Answers, repeat: str
) -> Iterator[tuple[tuple[int, ...], dict[str, Any]]]:
    """(path, instance) for every instance of `repeat`, in every enclosing instance."""
    chain = _structure(form).chain[repeat]
    parents: list[tuple[tuple[int, ...], dict[str, Any]]] = [((), answers)]
    for outer in chain:
        parents = [
            ((*path, i), item)
            for path, store in parents
            for i, item in enumerate(_instances(store, outer), start=1)
        ]
    for path, store in parents:
        for i, item in enumerate(_instances(store, repeat), start=1):
            yield (*path, i), item


def _truthy(
    form: FormDefinition,
    answers: Answers,
    question: Question,
    column: str,
    repeat_index: Pos,
    now: dt.datetime | None,
    current: ex.Value = "",
    default: bool = True,
) -> bool:
    expr = question.compiled.get(column)
    if expr is None:
        return default
    ctx = AnswerContext(form, answers, question, repeat_index, current=current, now=now)
    try:
        return ex.to_bool(ex.evaluate(expr, ctx))
    except ExpressionError:
        # A broken expression must not block a respondent: treat it as "no condition".
        return default


def is_relevant(
    form: FormDefinition,
    answers: Answers,
    name: str,
    repeat_index: Pos = 0,
    now: dt.datetime | None = None,
) -> bool:
    """True when a question and all its enclosing groups are relevant."""
    structure = _structure(form)
    question = structure.index[name]
    for item in [*structure.ancestors(name), question]:
        # A repeat's own relevant is read outside its instances; its children inside one
        # (the context cuts the position to the repeats enclosing each item).
        if not _truthy(form, answers, item, "relevant", repeat_index, now):
            return False
    return True


# --------------------------------------------------------------------------- pages


# Pages of forms without repeats, which never depend on the answers: computed once per
# definition (a page request asked for them up to five times). Keyed by id() with the form kept
# beside them, so an id reused by another object never matches; a few recent forms only.
_STATIC_PAGES: dict[int, tuple[FormDefinition, tuple[Page, ...]]] = {}
_STATIC_PAGES_MAX = 32


def _has_repeat(form: FormDefinition) -> bool:
    return any(q.is_repeat for q in form.walk())


def pages(form: FormDefinition, answers: Answers | None = None) -> list[Page]:
    """All pages of the form in order (repeat instances expanded), relevant or not."""
    known = _STATIC_PAGES.get(id(form))
    if known is not None and known[0] is form:
        return list(known[1])
    result = _pages(form, answers or {})
    if not _has_repeat(form):
        if len(_STATIC_PAGES) >= _STATIC_PAGES_MAX:
            _STATIC_PAGES.pop(next(iter(_STATIC_PAGES)))
        _STATIC_PAGES[id(form)] = (form, tuple(result))
    return result


def _pages(form: FormDefinition, answers: Answers) -> list[Page]:
    result: list[Page] = []
    loose_count = 0
    for item in form.questions:
        if item.is_group:
            result.extend(_group_pages(form, item, answers))
        elif item.is_repeat:
            result.extend(_repeat_pages(form, item, answers, None, ()))
        elif item.is_field:
            loose_count += 1
            result.append(Page(key=item.name, fields=(item,), sections=(None,)))
    return result


def _fields(
    container: Question, section: str | None
) -> Iterator[tuple[Question | None, Question, str | None]]:
    """Yield (repeat-or-None, field, section) walking nested groups in order."""
    for child in container.children:
        if child.is_group:
            yield from _fields(child, child.name)
        elif child.is_repeat:
            yield child, child, section
        elif child.is_field:
            yield None, child, section


def _group_pages(form: FormDefinition, group: Question, answers: Answers) -> list[Page]:
    result: list[Page] = []
    chunk: list[Question] = []
    sections: list[str | None] = []
    part = 1

    def flush() -> None:
        nonlocal part, chunk, sections
        if chunk:
            key = group.name if part == 1 else f"{group.name}~{part}"
            result.append(Page(key, tuple(chunk), group, sections=tuple(sections)))
            part += 1
        chunk, sections = [], []

    for repeat, item, section in _fields(group, None):
        if repeat is not None:
            # A repeat splits its group: what comes before, each instance, what comes after.
            flush()
            result.extend(_repeat_pages(form, repeat, answers, group, ()))
        else:
            chunk.append(item)
            sections.append(section)
    flush()
    return result


def _repeat_pages(
    form: FormDefinition,
    repeat: Question,
    answers: Answers,
    group: Question | None,
    parent: tuple[int, ...],
) -> list[Page]:
    """Pages of a repeat's instances inside the enclosing instance at `parent`.

    A nested repeat follows its enclosing instance's page: each of its instances gets its own
    page (household 2's page, then its members 2.1, 2.2, then household 3).
    """
    fields: list[Question] = []
    sections: list[str | None] = []
    inner: list[Question] = []
    for nested, item, section in _fields(repeat, None):
        if nested is not None:
            inner.append(nested)
            continue
        fields.append(item)
        sections.append(section)
    count = len(_items_at(form, answers, repeat.name, parent))
    if count == 0:
        if repeat.repeat_count:
            return []
        path = (*parent, 0)
        return [Page(page_key(repeat.name, path), (), repeat, repeat.name, 0, (), path)]
    result: list[Page] = []
    for i in range(1, count + 1):
        path = (*parent, i)
        result.append(
            Page(
                page_key(repeat.name, path),
                tuple(fields),
                repeat,
                repeat.name,
                i,
                tuple(sections),
                path,
            )
        )
        for nested in inner:
            result.extend(_repeat_pages(form, nested, answers, repeat, path))
    return result


def _page_relevant(
    form: FormDefinition, answers: Answers, page: Page, now: dt.datetime | None
) -> bool:
    if page.repeat and (page.instance == 0 or not page.fields):
        # An empty list, or an instance holding only a nested repeat: shown while the repeat
        # is relevant, so instances can still be added or removed there.
        return is_relevant(form, answers, page.repeat, page.parent, now)
    return any(is_relevant(form, answers, f.name, page.path, now) for f in page.fields)


def relevant_pages(
    form: FormDefinition, answers: Answers, now: dt.datetime | None = None
) -> list[Page]:
    """The pages the respondent will see given the current answers."""
    return [p for p in pages(form, answers) if _page_relevant(form, answers, p, now)]


def get_page(form: FormDefinition, answers: Answers, key: str) -> Page:
    """Return the page with this key, or raise AnswerError."""
    for page in pages(form, answers):
        if page.key == key:
            return page
    raise AnswerError(f"Page inconnue : {key}.")


def first_page(form: FormDefinition, answers: Answers) -> Page | None:
    """The first relevant page, or None for an empty form."""
    visible = relevant_pages(form, answers)
    return visible[0] if visible else None


def next_page(form: FormDefinition, answers: Answers, current: str | None) -> Page | None:
    """The relevant page after `current` (the first one if None); None at the end."""
    return _step(form, answers, current, +1)


def previous_page(form: FormDefinition, answers: Answers, current: str) -> Page | None:
    """The relevant page before `current`; None on the first page."""
    return _step(form, answers, current, -1)


def _step(
    form: FormDefinition, answers: Answers, current: str | None, direction: int
) -> Page | None:
    every = pages(form, answers)
    if current is None:
        return first_page(form, answers)
    keys = [p.key for p in every]
    if current not in keys:
        raise AnswerError(f"Page inconnue : {current}.")
    position = keys.index(current) + direction
    while 0 <= position < len(every):
        if _page_relevant(form, answers, every[position], None):
            return every[position]
        position += direction
    return None


def progress(form: FormDefinition, answers: Answers, current: str) -> Progress:
    """Page i of n among relevant pages (n counts pages the answers make visible)."""
    visible = [p.key for p in relevant_pages(form, answers)]
    index = visible.index(current) + 1 if current in visible else 0
    return Progress(index, len(visible))


# --------------------------------------------------------------------------- answers lifecycle


def new_answers(form: FormDefinition, now: dt.datetime | None = None) -> Answers:
    """Start a response: meta fields (start, today), defaults, count repeats and calculates."""
    moment = now or dt.datetime.now(dt.UTC)
    answers: Answers = {}
    structure = _structure(form)
    for question in form.walk():
        if structure.repeat_of.get(question.name) or question.is_container:
            continue
        if question.type == "start":
            answers[question.name] = moment.isoformat(timespec="seconds")
        elif question.type == "today":
            answers[question.name] = moment.date().isoformat()
        elif question.default is not None and "default" not in question.compiled:
            answers[question.name] = question.default
    for question in form.walk():
        if "default" in question.compiled and not structure.repeat_of.get(question.name):
            answers[question.name] = _compute(form, answers, question, "default", 0, moment)
    return recompute(form, answers, moment)


def _compute(
    form: FormDefinition,
    answers: Answers,
    question: Question,
    column: str,
    repeat_index: Pos,
    now: dt.datetime | None,
    current: ex.Value = "",
) -> str:
    ctx = AnswerContext(form, answers, question, repeat_index, current=current, now=now)
    try:
        return _format(question, ex.evaluate(question.compiled[column], ctx))
    except ExpressionError:
        return ""


def _format(question: Question, value: ex.Value) -> str:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if question.type == "integer":
            return str(int(value))
    return ex.to_string(value)


def _new_instance(
    form: FormDefinition, answers: Answers, repeat: Question, index: int, now: dt.datetime | None
) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for question in repeat.walk():
        if question is repeat or question.is_container:
            continue
        if question.default is not None and "default" not in question.compiled:
            item[question.name] = question.default
    return item


def recompute(form: FormDefinition, answers: Answers, now: dt.datetime | None = None) -> Answers:
    """Return new answers with calculates computed, count repeats sized, irrelevant ones cleared."""
    result: Answers = copy.deepcopy(dict(answers))
    structure = _structure(form)
    for _ in range(_PASSES):
        before = copy.deepcopy(result)
        for question in form.walk():
            if question.is_repeat:
                _size_repeat(form, result, question, now)
            if structure.repeat_of.get(question.name) or question.is_container:
                continue
            _settle(form, result, question, result, 0, now)
        for repeat in (q for q in form.walk() if q.is_repeat):
            own = [
                q
                for q in repeat.walk()
                if not q.is_container and structure.repeat_of.get(q.name) == repeat.name
            ]
            for path, item in list(_all_instances(form, result, repeat.name)):
                for question in own:
                    _settle(form, result, question, item, path, now)
        if result == before:
            break
    return result


def _settle(
    form: FormDefinition,
    answers: Answers,
    question: Question,
    store: dict[str, Any],
    index: Pos,
    now: dt.datetime | None,
) -> None:
    if question.type in META_TYPES:
        return
    if not is_relevant(form, answers, question.name, index, now):
        # XLSForm: a non-relevant question has no value (ODK leaves it out of the submission).
        store.pop(question.name, None)
        return
    if question.trigger and "calculation" in question.compiled:
        # Like Enketo: a triggered calculation runs when its trigger's value changes, and
        # the respondent may change the result afterwards.
        ctx = AnswerContext(form, answers, question, index, now=now)
        seen = "|".join(ex.to_string(ctx.ref(name)) for name in question.trigger)
        key = TRIGGER_PREFIX + question.name
        if store.get(key, "") == seen:
            store[key] = seen
            return
        store[key] = seen
        value = _compute(form, answers, question, "calculation", index, now)
        if value == "":
            store.pop(question.name, None)
        else:
            store[question.name] = value
        return
    if "calculation" in question.compiled:
        stored = _str(store.get(question.name))
        value = _compute(form, answers, question, "calculation", index, now, current=stored)
        if value == "":
            store.pop(question.name, None)
        else:
            store[question.name] = value


def _size_repeat(
    form: FormDefinition, answers: Answers, repeat: Question, now: dt.datetime | None
) -> None:
    if "repeat_count" not in repeat.compiled:
        return
    chain = _structure(form).chain[repeat.name]
    if chain:
        parents = list(_all_instances(form, answers, chain[-1]))
    else:
        parents = [((), answers)]
    for parent, store in parents:
        if not is_relevant(form, answers, repeat.name, parent, now):
            store.pop(repeat.name, None)
            continue
        ctx = AnswerContext(form, answers, repeat, parent, now=now)
        try:
            number = ex.to_number(ex.evaluate(repeat.compiled["repeat_count"], ctx))
        except ExpressionError:
            number = 0.0
        count = 0 if math.isnan(number) else max(0, min(MAX_REPEAT_INSTANCES, int(number)))
        items = list(_instances(store, repeat.name))
        while len(items) < count:
            items.append(_new_instance(form, answers, repeat, len(items) + 1, now))
        del items[count:]
        store[repeat.name] = items


def add_instance(
    form: FormDefinition, answers: Answers, repeat_name: str, parent: tuple[int, ...] = ()
) -> Answers:
    """Add one instance at the end of an open-ended repeat; return new answers.

    `parent` is the enclosing instance of a nested repeat (see Page.parent).
    """
    repeat = _open_repeat(form, repeat_name)
    result = copy.deepcopy(answers)
    store = _enclosing(form, result, repeat_name, parent)
    items = list(_instances(store, repeat_name))
    if len(items) >= MAX_REPEAT_INSTANCES:
        raise AnswerError("Vous ne pouvez pas en ajouter davantage.")
    items.append(_new_instance(form, result, repeat, len(items) + 1, None))
    store[repeat_name] = items
    return recompute(form, result)


def remove_instance(
    form: FormDefinition,
    answers: Answers,
    repeat_name: str,
    index: int,
    parent: tuple[int, ...] = (),
) -> Answers:
    """Remove instance `index` (1-based) of an open-ended repeat; return new answers."""
    _open_repeat(form, repeat_name)
    result = copy.deepcopy(answers)
    store = _enclosing(form, result, repeat_name, parent)
    items = list(_instances(store, repeat_name))
    if not 1 <= index <= len(items):
        raise AnswerError("Cet élément n'existe pas.")
    del items[index - 1]
    store[repeat_name] = items
    return recompute(form, result)


def _enclosing(
    form: FormDefinition, answers: Answers, repeat_name: str, parent: tuple[int, ...]
) -> dict[str, Any]:
    if len(parent) != len(_structure(form).chain[repeat_name]):
        raise AnswerError("Cet élément n'existe pas.")
    store = _parent_store(form, answers, repeat_name, parent)
    if store is None:
        raise AnswerError("Cet élément n'existe pas.")
    return store


def _open_repeat(form: FormDefinition, repeat_name: str) -> Question:
    question = _structure(form).index.get(repeat_name)
    if question is None or not question.is_repeat:
        raise AnswerError(f"Répétition inconnue : {repeat_name}.")
    if question.repeat_count:
        raise AnswerError("Le nombre de ces éléments est calculé : il ne se change pas à la main.")
    return question


# --------------------------------------------------------------------------- display


def choices_for(
    form: FormDefinition,
    answers: Answers,
    question: Question,
    repeat_index: Pos = 0,
    language: str | None = None,
) -> list[ChoiceView]:
    """The choices to show for a select, after choice_filter, in the wanted language."""
    if not question.list_name or question.list_name not in form.choice_lists:
        return []
    lang = form.resolve_language(language)
    result = []
    for choice in form.choice_lists[question.list_name].choices:
        expr = question.compiled.get("choice_filter")
        if expr is not None:
            row = {**choice.extra, "name": choice.name}
            ctx = AnswerContext(form, answers, question, repeat_index, language=lang, row=row)
            try:
                keep = ex.to_bool(ex.evaluate(expr, ctx))
            except ExpressionError:
                keep = True
            if not keep:
                continue
        result.append(ChoiceView(choice.name, pick_label(choice.labels, lang, choice.name)))
    return result


_REF_IN_TEXT = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}")


def render_text(
    form: FormDefinition,
    answers: Answers,
    text: str,
    repeat_index: Pos = 0,
    language: str | None = None,
    question: Question | None = None,
) -> str:
    """Replace ${name} in a label by the answer (choice labels for selects)."""
    lang = form.resolve_language(language)
    index = _structure(form).index

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        target = index.get(name)
        if target is None:
            return match.group(0)
        ctx = AnswerContext(form, answers, question, repeat_index, language=lang)
        value = ex.to_string(ctx.ref(name))
        if target.list_name and value:
            return ", ".join(ctx.choice_label(name, code) for code in value.split())
        return value

    return _REF_IN_TEXT.sub(replace, text)


def _value_in(form: FormDefinition, answers: Answers, page: Page, name: str) -> str:
    if page.repeat:
        items = _items_at(form, answers, page.repeat, page.parent)
        if 1 <= page.instance <= len(items):
            return _str(items[page.instance - 1].get(name))
        return ""
    return _str(answers.get(name))


def page_drivers(form: FormDefinition, page: Page) -> frozenset[str]:
    """Names of this page's fields that other fields of the page depend on.

    A follow-up question's `relevant`, a cascade's `choice_filter`, a `required` condition or
    a `${}` in a label may read an answer given on the same page, directly or through calculates.
    """
    index = _structure(form).index
    on_page = {q.name for q in page.fields}
    found: set[str] = set()
    for question in page.fields:
        refs: set[str] = set()
        for column in ("relevant", "choice_filter", "required"):
            expr = question.compiled.get(column)
            if expr is not None:
                refs |= ex.references(expr)
        refs |= set(question.trigger)  # a triggered value shows as soon as its trigger changes
        for text in (*question.labels.values(), *question.hints.values()):
            refs |= set(_REF_IN_TEXT.findall(text))
        for ancestor in _structure(form).ancestors(question.name):
            expr = ancestor.compiled.get("relevant")
            if expr is not None:
                refs |= ex.references(expr)
        seen: set[str] = set()
        while refs:
            name = refs.pop()
            if name in seen:
                continue
            seen.add(name)
            target = index.get(name)
            if target is not None and "calculation" in target.compiled:
                refs |= ex.references(target.compiled["calculation"])
        found |= (seen & on_page) - {question.name}
    return frozenset(found)


def view_page(
    form: FormDefinition,
    answers: Answers,
    key: str,
    language: str | None = None,
    errors: Mapping[str, str] | None = None,
    raw: Mapping[str, RawValue] | None = None,
) -> PageView:
    """A page ready to render: relevant fields with labels, choices, values and errors."""
    lang = form.resolve_language(language)
    page = get_page(form, answers, key)
    errors = errors or {}
    raw = raw or {}
    drivers = page_drivers(form, page)
    fields = []
    for question, section in zip(page.fields, page.sections, strict=False):
        if not is_relevant(form, answers, question.name, page.path):
            continue
        value = _value_in(form, answers, page, question.name)
        if question.name in raw:
            value = _str(raw[question.name])
        label = pick_label(question.labels, lang, question.name)
        hint = pick_label(question.hints, lang, "")
        fields.append(
            FieldView(
                name=question.name,
                type=question.type,
                label=render_text(form, answers, label, page.path, lang, question),
                hint=render_text(form, answers, hint, page.path, lang, question),
                required=question.required
                or _truthy(form, answers, question, "required", page.path, None, default=False),
                value=value,
                choices=tuple(choices_for(form, answers, question, page.path, lang)),
                appearance=tuple(question.appearances()),
                parameters=dict(question.parameters),
                read_only=question.read_only,
                section=section,
                error=errors.get(question.name),
                reveals=question.name in drivers,
            )
        )
    title = pick_label(page.group.labels, lang, "") if page.group else ""
    repeat = _structure(form).index.get(page.repeat) if page.repeat else None
    open_ended = repeat is not None and not repeat.repeat_count
    return PageView(
        key=page.key,
        # Read at the page's position: a nested instance's title may name its parent's answers.
        title=render_text(form, answers, title, page.path, lang, page.group),
        fields=tuple(fields),
        progress=progress(form, answers, page.key),
        repeat=page.repeat,
        instance=page.instance,
        can_add=open_ended,
        can_remove=open_ended and page.instance > 0,
    )


# --------------------------------------------------------------------------- validation


def submit_page(
    form: FormDefinition,
    answers: Answers,
    key: str,
    raw: Mapping[str, RawValue],
    language: str | None = None,
    now: dt.datetime | None = None,
    shown: Collection[str] | None = None,
) -> PageResult:
    """Check a page's raw strings (type, required, constraint) and merge the valid values.

    `shown` names the fields the respondent had on screen: one revealed by an answer on this
    very page is not "missing" yet (the page comes back with it, without an error).
    """
    lang = form.resolve_language(language)
    code = _message_code(lang)
    page = get_page(form, answers, key)
    result: Answers = copy.deepcopy(answers)
    store = _store_for(form, result, page)
    errors: dict[str, str] = {}
    for question in page.fields:
        if question.type == "note" or question.read_only:
            continue
        if "choice_filter" in question.compiled:
            # A cascade is checked against the parent's value sent on this same page.
            result = recompute(form, result, now)
            store = _store_for(form, result, page)
        if question.name not in raw:
            # Not sent (e.g. an unticked box list): an empty answer.
            store.pop(question.name, None)
            continue
        value, error = convert_value(form, result, question, raw[question.name], page.path, code)
        if error:
            errors[question.name] = error
        elif value == "":
            store.pop(question.name, None)
        else:
            # Merged at once: same-page skip logic and cascades depend on it.
            store[question.name] = value
    _keep_corrections(form, answers, result, page, raw)
    result = recompute(form, result, now)
    for question in page.fields:
        if question.name in errors or question.type == "note" or question.read_only:
            continue
        if not is_relevant(form, result, question.name, page.path, now):
            continue
        value = _value_in(form, result, page, question.name)
        if value == "":
            if shown is not None and question.name not in shown:
                continue  # just revealed: asked now, not an error
            if _unanswerable(form, question):
                continue
            needed = question.required or _truthy(
                form, result, question, "required", page.path, now, default=False
            )
            if needed:
                text = pick_label(question.required_message, lang, message("required", code))
                errors[question.name] = render_text(form, result, text, page.path, lang, question)
            continue
        current: ex.Value = value
        if not _truthy(form, result, question, "constraint", page.path, now, current):
            text = pick_label(question.constraint_message, lang, message("constraint", code))
            errors[question.name] = render_text(form, result, text, page.path, lang, question)
    if errors:
        # Invalid values are not kept; the caller redisplays `raw` with the messages.
        for name in errors:
            _store_for(form, result, page).pop(name, None)
        result = recompute(form, result, now)
    return PageResult(result, errors, {k: raw[k] for k in raw})


def _unanswerable(form: FormDefinition, question: Question) -> bool:
    """A choice question whose list file is not attached yet (a preview of a draft form)."""
    return bool(question.list_name) and question.list_name in form.missing_file_lists()


def _keep_corrections(
    form: FormDefinition, before: Answers, after: Answers, page: Page, raw: Mapping[str, RawValue]
) -> None:
    """A triggered value the respondent changed by hand on this page is theirs to keep.

    (Without JavaScript the trigger and its target arrive together; marking the trigger as
    already seen stops recompute() from overwriting the correction.)
    """
    old_store = (
        _store_for(form, before, page) if not page.repeat else _safe_store(form, before, page)
    )
    new_store = _store_for(form, after, page)
    for question in page.fields:
        if not question.trigger or question.name not in raw:
            continue
        if _str(new_store.get(question.name)) == _str(old_store.get(question.name)):
            continue
        ctx = AnswerContext(form, after, question, page.path)
        seen = "|".join(ex.to_string(ctx.ref(name)) for name in question.trigger)
        new_store[TRIGGER_PREFIX + question.name] = seen


def page_store(form: FormDefinition, answers: Answers, page: Page) -> dict[str, Any]:
    """The dict holding a page's answers (the answers, or its repeat instance; {} if gone)."""
    return _safe_store(form, answers, page) if page.repeat else answers


def _safe_store(form: FormDefinition, answers: Answers, page: Page) -> dict[str, Any]:
    items = _items_at(form, answers, page.repeat or "", page.parent) if page.repeat else []
    return items[page.instance - 1] if 1 <= page.instance <= len(items) else {}


def _store_for(form: FormDefinition, answers: Answers, page: Page) -> dict[str, Any]:
    if not page.repeat:
        return answers
    items = _items_at(form, answers, page.repeat, page.parent)
    if not 1 <= page.instance <= len(items):
        raise AnswerError("Cet élément n'existe pas.")
    return items[page.instance - 1]


_GEO = re.compile(
    r"^\s*(-?\d+(?:[.,]\d+)?)[\s;,]+(-?\d+(?:[.,]\d+)?)(?:\s+(-?\d+(?:\.\d+)?))?(?:\s+(\d+(?:\.\d+)?))?\s*$"
)
_FR_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_TIME = re.compile(r"^(\d{1,2})[:hH](\d{2})?(?::(\d{2}))?$")
_ACK = {"ok", "1", "on", "true", "yes", "oui"}


def convert_value(
    form: FormDefinition,
    answers: Answers,
    question: Question,
    raw: RawValue,
    repeat_index: Pos = 0,
    lang_code: str = "fr",
) -> tuple[str, str | None]:
    """Turn a submitted raw value into the stored XForm string, or return a message."""
    if raw is None:
        return "", None
    if isinstance(raw, str):
        text = raw.strip()
        items = text.split()
    else:
        items = [str(v).strip() for v in raw if str(v).strip()]
        text = " ".join(items)
    if text == "":
        return "", None
    qtype = question.type
    if len(text) > MAX_TEXT_LENGTH:
        return "", message("too_long", lang_code)
    if qtype == "integer":
        if re.fullmatch(r"[+-]?\d{1,15}", text.replace(" ", "")):
            return str(int(text.replace(" ", ""))), None
        return "", message("integer", lang_code)
    if qtype in ("decimal", "range"):
        number = _parse_decimal(text)
        if number is None:
            return "", message("decimal", lang_code)
        if qtype == "range":
            return _check_range(question, number, lang_code)
        return ex.to_string(number), None
    if qtype == "date":
        return _parse_date(text, lang_code)
    if qtype == "time":
        match = _TIME.match(text)
        if match:
            hours, minutes = int(match.group(1)), int(match.group(2) or 0)
            if hours < 24 and minutes < 60:
                return f"{hours:02d}:{minutes:02d}", None
        return "", message("time", lang_code)
    if qtype == "acknowledge":
        return ("OK", None) if text.lower() in _ACK else ("", None)
    if qtype == "geopoint":
        return _parse_geopoint(text, lang_code)
    if qtype == "datetime":
        return _parse_datetime(text, lang_code)
    if qtype in GEO_SHAPE_TYPES:
        return _parse_shape(qtype, raw if isinstance(raw, str) else text, lang_code)
    if question.list_name is not None:
        allowed = [c.code for c in choices_for(form, answers, question, repeat_index)]
        codes = items if (qtype in MULTI_TYPES or qtype == "rank") else [text]
        if any(code not in allowed for code in codes):
            return "", message("choice", lang_code)
        if qtype in MULTI_TYPES:
            chosen = set(codes)
            return " ".join(c for c in allowed if c in chosen), None
        if qtype == "rank":
            if sorted(set(codes)) != sorted(allowed) or len(codes) != len(allowed):
                return "", message("rank", lang_code)
            return " ".join(codes), None
        return text, None
    return (raw.strip() if isinstance(raw, str) else text), None


def _parse_decimal(text: str) -> float | None:
    cleaned = text.replace(" ", "").replace("\u202f", "").replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) else None


def _check_range(question: Question, number: float, lang_code: str) -> tuple[str, str | None]:
    params = question.parameters
    start = _parse_decimal(params.get("start", "1")) or 0.0
    end = _parse_decimal(params.get("end", "10"))
    end = 10.0 if end is None else end
    step = _parse_decimal(params.get("step", "1")) or 1.0
    low, high = min(start, end), max(start, end)
    aligned = abs((number - start) / step - round((number - start) / step)) < 1e-9
    if not low <= number <= high or not aligned:
        text = message("range", lang_code, start=ex.to_string(low), end=ex.to_string(high))
        return "", text
    return ex.to_string(number), None


def _parse_date(text: str, lang_code: str) -> tuple[str, str | None]:
    try:
        match = _FR_DATE.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day).isoformat(), None
        return dt.date.fromisoformat(text[:10]).isoformat(), None
    except ValueError:
        return "", message("date", lang_code)


_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4})[T\s]+(\d{1,2})[:hH](\d{2})(?::(\d{2}))?$"
)


def _parse_datetime(text: str, lang_code: str) -> tuple[str, str | None]:
    match = _DATETIME.match(text.strip())
    if not match:
        return "", message("datetime", lang_code)
    day, error = _parse_date(match.group(1), lang_code)
    hours, minutes = int(match.group(2)), int(match.group(3))
    seconds = int(match.group(4) or 0)
    if error or hours > 23 or minutes > 59 or seconds > 59:
        return "", message("datetime", lang_code)
    return f"{day}T{hours:02d}:{minutes:02d}:{seconds:02d}", None


def _parse_shape(qtype: str, text: str, lang_code: str) -> tuple[str, str | None]:
    """A geotrace/geoshape typed as points: 'lat lon[ alt acc]' separated by ';' or lines."""
    parts = [p.strip() for p in re.split(r"[;\n]+", text) if p.strip()]
    points: list[str] = []
    for part in parts:
        value, error = _parse_geopoint(part, lang_code)
        if error:
            return "", message(qtype, lang_code)
        points.append(value)
    if qtype == "geoshape" and points and points[0] != points[-1]:
        points.append(points[0])  # ODK closes a shape by repeating its first point
    needed = 2 if qtype == "geotrace" else 4
    if len(points) < needed:
        return "", message(qtype, lang_code)
    return ";".join(points), None


def _parse_geopoint(text: str, lang_code: str) -> tuple[str, str | None]:
    match = _GEO.match(text)
    if not match:
        return "", message("geopoint", lang_code)
    lat = float(match.group(1).replace(",", "."))
    lon = float(match.group(2).replace(",", "."))
    alt = float(match.group(3)) if match.group(3) else 0.0
    acc = float(match.group(4)) if match.group(4) else 0.0
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "", message("geopoint", lang_code)
    parts = [ex.to_string(v) for v in (lat, lon, alt, acc)]
    return " ".join(parts), None


# --------------------------------------------------------------------------- finishing


def missing_required(
    form: FormDefinition, answers: Answers, now: dt.datetime | None = None
) -> list[tuple[str, str]]:
    """(page key, question name) of relevant required questions still unanswered."""
    missing = []
    for page in relevant_pages(form, answers, now):
        for question in page.fields:
            if question.type == "note" or not is_relevant(
                form, answers, question.name, page.path, now
            ):
                continue
            needed = question.required or _truthy(
                form, answers, question, "required", page.path, now, default=False
            )
            if _unanswerable(form, question):
                continue
            if needed and _value_in(form, answers, page, question.name) == "":
                missing.append((page.key, question.name))
    return missing


def finish(form: FormDefinition, answers: Answers, now: dt.datetime | None = None) -> Answers:
    """Stamp `end` meta fields and recompute; raise AnswerError if required answers miss."""
    moment = now or dt.datetime.now(dt.UTC)
    result = recompute(form, answers, moment)
    missing = missing_required(form, result, moment)
    if missing:
        names = ", ".join(name for _page, name in missing)
        raise AnswerError(f"Il manque des réponses obligatoires : {names}.")
    for question in form.walk():
        if question.type == "end":
            result[question.name] = moment.isoformat(timespec="seconds")
    return result


def to_rows(form: FormDefinition, answers: Answers) -> list[AnswerRow]:
    """The long rows to store: (question, repeat_index, value), empty answers left out."""
    structure = _structure(form)
    rows: list[AnswerRow] = []
    for question in form.walk():
        if question.is_container or question.type == "note":
            continue
        repeat = structure.repeat_of.get(question.name)
        if repeat is None:
            value = _str(answers.get(question.name))
            if value != "":
                rows.append(AnswerRow(question.name, 0, value))
            continue
        for path, item in _all_instances(form, answers, repeat):
            value = _str(item.get(question.name))
            if value != "":
                parent = ".".join(str(i) for i in path[:-1])
                rows.append(AnswerRow(question.name, path[-1], value, parent))
    return rows


def from_rows(
    form: FormDefinition,
    rows: Sequence[AnswerRow | tuple[str, int, str] | tuple[str, int, str, str]],
) -> Answers:
    """Rebuild an answers dict from long rows (the inverse of to_rows)."""
    structure = _structure(form)
    answers: Answers = {}
    for row in rows:
        if isinstance(row, AnswerRow):
            name, index, value, parent = row.question, row.repeat_index, row.value, row.parent
        elif len(row) == 4:
            name, index, value, parent = row  # type: ignore[misc]
        else:
            name, index, value = row  # type: ignore[misc]
            parent = ""
        repeat = structure.repeat_of.get(name)
        if repeat is None or index == 0:
            answers[name] = value
            continue
        path = [int(p) for p in (parent or "").split(".") if p.isdigit()]
        store: dict[str, Any] = answers
        for outer, at in zip(structure.chain[repeat], path, strict=False):
            outer_items = store.setdefault(outer, [])
            while len(outer_items) < at:
                outer_items.append({})
            store = outer_items[at - 1]
        items = store.setdefault(repeat, [])
        while len(items) < index:
            items.append({})
        items[index - 1][name] = value
    return answers


__all__ = [
    "AnswerContext",
    "AnswerRow",
    "ChoiceView",
    "FieldView",
    "Page",
    "PageResult",
    "PageView",
    "Pos",
    "Progress",
    "add_instance",
    "as_path",
    "choices_for",
    "convert_value",
    "finish",
    "first_page",
    "from_rows",
    "get_page",
    "is_relevant",
    "missing_required",
    "new_answers",
    "next_page",
    "page_key",
    "page_store",
    "pages",
    "previous_page",
    "progress",
    "recompute",
    "relevant_pages",
    "remove_instance",
    "render_text",
    "submit_page",
    "to_rows",
    "view_page",
]
