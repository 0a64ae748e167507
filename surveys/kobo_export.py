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

from surveys.exports import ExportResponse, _meta_value, _split_rows
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
        self._visit(form.questions, [], MAIN)

    def _visit(self, items: list[Question], path: list[str], table: str) -> None:
        for q in items:
            if q.is_repeat:
                self.tables.setdefault(q.name, [])
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
        for instance in sorted(repeated):
            values = repeated[instance]
            for name, columns in repeat_tables.items():
                if not any(c.question.name in values for c in columns):
                    continue
                counters[name] += 1
                row = [layout.value(c, values.get(c.question.name)) for c in columns]
                yield name, [*row, counters[name], MAIN, index, kobo[0], kobo[1]]


__all__ = ["KOBO_META", "iter_kobo_tables"]
