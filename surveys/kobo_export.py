"""KoboToolbox's export layout, for people whose spreadsheets and scripts expect it.

Differences from the default layout (surveys.exports): headers carry the group path
(`household/hh_size`), a geopoint gets `_<name>_latitude/_longitude/_altitude/_precision`
beside it, uploads are URLs, and Kobo's own columns close each row: `_id`, `_uuid`,
`_submission_time`, `_index` (and, in repeat tables, `_parent_table_name`, `_parent_index`,
`_submission__id`, `_submission__uuid`). Same streaming contract: one response in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from surveys.exports import ExportResponse, _meta_value, _split_rows, instance_path
from surveys.model import MULTI_TYPES, UPLOAD_TYPES, FormDefinition, Question, pick_label

MAIN = "responses"
_GEO_PARTS = ("latitude", "longitude", "altitude", "precision")
# Kobo's closing columns of the main table, filled from our response metadata.
KOBO_META = ("_id", "_uuid", "_submission_time", "_index")
EXTRA_META = ("collection_point", "neighbourhood", "channel", "language", "form_version")


@dataclass(frozen=True, slots=True)
class _Column:
    header: str
    question: Question
    choice: str | None = None  # 0/1 column of one select_multiple choice
    geo_part: int | None = None  # index into lat/long/alt/precision


class _KoboLayout:
    def __init__(
        self,
        form: FormDefinition,
        use_labels: bool,
        language: str | None,
        media_url: Callable[[str], str] | None,
    ) -> None:
        self.form = form
        self.use_labels = use_labels
        self.language = form.resolve_language(language)
        self.media_url = media_url
        self.tables: dict[str, list[_Column]] = {MAIN: []}
        # Each repeat table's parent table: MAIN, or the enclosing repeat of a nested one.
        self.parent_table: dict[str, str] = {}
        self._visit(form.questions, [], MAIN)

    def _visit(self, items: list[Question], path: list[str], table: str) -> None:
        for q in items:
            if q.is_repeat:
                self.tables.setdefault(q.name, [])
                self.parent_table[q.name] = table
                self._visit(q.children, [*path, q.name], q.name)
            elif q.is_group:
                self._visit(q.children, [*path, q.name], table)
            elif q.type != "note":
                self._add(q, "/".join([*path, q.name]), table)

    def _add(self, q: Question, header: str, table: str) -> None:
        columns = self.tables[table]
        shown = header
        if self.use_labels:
            shown = pick_label(q.labels, self.language, q.name)
        columns.append(_Column(shown, q))
        if q.type in MULTI_TYPES and q.list_name in self.form.choice_lists:
            for choice in self.form.choice_lists[q.list_name].choices:
                name = choice.name
                if self.use_labels:
                    name = pick_label(choice.labels, self.language, choice.name)
                columns.append(_Column(f"{shown}/{name}", q, choice=choice.name))
        if q.type == "geopoint":
            for i, part in enumerate(_GEO_PARTS):
                columns.append(_Column(f"_{q.name}_{part}", q, geo_part=i))

    def value(self, column: _Column, raw: str | None) -> str:
        if raw is None or raw == "":
            return ""
        q = column.question
        if column.choice is not None:
            return "1" if column.choice in raw.split() else "0"
        if column.geo_part is not None:
            parts = raw.split()
            return parts[column.geo_part] if column.geo_part < len(parts) else ""
        if q.type in UPLOAD_TYPES and self.media_url is not None:
            return self.media_url(raw)
        if self.use_labels and q.list_name in self.form.choice_lists:
            clist = self.form.choice_lists[q.list_name]
            labels = []
            for code in raw.split():
                choice = clist.get(code)
                labels.append(pick_label(choice.labels, self.language, code) if choice else code)
            return " ".join(labels) if q.type in MULTI_TYPES else ", ".join(labels)
        return raw


def iter_kobo_tables(
    form: FormDefinition,
    responses: Iterable[ExportResponse],
    use_labels: bool = False,
    language: str | None = None,
    media_url: Callable[[str], str] | None = None,
) -> Iterator[tuple[str, list[Any]]]:
    """Yield (table, row) pairs in Kobo's layout: table 'responses' or a repeat name."""
    layout = _KoboLayout(form, use_labels, language, media_url)
    main = layout.tables[MAIN]
    yield MAIN, [*(c.header for c in main), *KOBO_META, *EXTRA_META]
    repeat_tables = {name: cols for name, cols in layout.tables.items() if name != MAIN}
    repeat_meta = ("_index", "_parent_table_name", "_parent_index")
    repeat_meta += ("_submission__id", "_submission__uuid")
    for name, columns in repeat_tables.items():
        yield name, [*(c.header for c in columns), *repeat_meta]
    counters = dict.fromkeys(repeat_tables, 0)
    depths: dict[str, int] = {}
    for name in repeat_tables:  # a parent table is listed before its nested tables
        parent = layout.parent_table[name]
        depths[name] = 1 if parent == MAIN else depths[parent] + 1
    for index, response in enumerate(responses, start=1):
        answers, repeated = _split_rows(response.rows)
        meta = response.meta
        kobo = [
            _meta_value(meta.get("response_id")),
            _meta_value(meta.get("response_uuid")),
            _meta_value(meta.get("submitted_at")),
            index,
        ]
        extra = [_meta_value(meta.get(key)) for key in EXTRA_META]
        cells = [layout.value(c, answers.get(c.question.name)) for c in main]
        yield MAIN, [*cells, *kobo, *extra]
        # An instance exists when it has answers or holds a nested instance that has some.
        exists: set[tuple[str, tuple[int, ...]]] = set()
        paths = {instance_path(key): values for key, values in repeated.items()}
        for path, values in paths.items():
            for name, columns in repeat_tables.items():
                if len(path) != depths[name]:
                    continue
                if not any(c.question.name in values for c in columns):
                    continue
                table, at = name, path
                while table != MAIN:
                    exists.add((table, at))
                    table, at = layout.parent_table[table], at[:-1]
        row_index: dict[tuple[str, tuple[int, ...]], int] = {}
        for name, columns in repeat_tables.items():  # outer tables come before inner ones
            parent_table = layout.parent_table[name]
            for path in sorted(p for t, p in exists if t == name):
                counters[name] += 1
                row_index[(name, path)] = counters[name]
                parent_index = index
                if parent_table != MAIN:
                    parent_index = row_index.get((parent_table, path[:-1]), 0)
                values = paths.get(path, {})
                row = [layout.value(c, values.get(c.question.name)) for c in columns]
                yield name, [*row, counters[name], parent_table, parent_index, kobo[0], kobo[1]]


__all__ = ["KOBO_META", "iter_kobo_tables"]
