"""Streaming CSV/XLSX exports of responses, and writing a form back to an XLSForm workbook.

Exports take an iterable of responses and hold one response at a time, so memory stays bounded
whatever the number of responses (XLSX goes through openpyxl's write-only mode).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from surveys.cells import safe_row
from surveys.engine import AnswerRow
from surveys.model import (
    DEFAULT_LANGUAGE_KEY,
    MULTI_TYPES,
    RESPONSE_COLUMNS,
    FormDefinition,
    Question,
    pick_label,
)

DEFAULT_META = RESPONSE_COLUMNS


@dataclass(slots=True)
class ExportResponse:
    """One response to export: response-level metadata and its long answer rows."""

    meta: Mapping[str, Any]
    rows: Iterable[AnswerRow | tuple[str, int, str] | tuple[str, int, str, str]] = field(
        default_factory=list
    )


@dataclass(frozen=True, slots=True)
class _Column:
    header: str
    question: Question
    choice: str | None = None  # set for the 0/1 column of one select_multiple choice


class _Layout:
    """Which columns go where, computed once per export."""

    def __init__(self, form: FormDefinition, use_labels: bool, language: str | None) -> None:
        self.form = form
        self.use_labels = use_labels
        self.language = form.resolve_language(language)
        parents = form.parents()
        self.repeat_of: dict[str, str | None] = {}
        for q in form.walk():
            parent = parents.get(q.name)
            while parent is not None and not parent.is_repeat:
                parent = parents.get(parent.name)
            self.repeat_of[q.name] = parent.name if parent is not None else None
        self.main = self._columns(None)
        self.repeats = {q.name: self._columns(q.name) for q in form.walk() if q.is_repeat}
        # Repeats inside another repeat: their table says which outer instance a row is in.
        self.nested = {
            q.name for q in form.walk() if q.is_repeat and self.repeat_of.get(q.name) is not None
        }

    def _columns(self, repeat: str | None) -> list[_Column]:
        columns: list[_Column] = []
        for q in self.form.walk():
            if q.is_container or q.type == "note" or self.repeat_of.get(q.name) != repeat:
                continue
            columns.append(_Column(self._header(q), q))
            if q.type in MULTI_TYPES and q.list_name in self.form.choice_lists:
                # Kobo's layout: one 0/1 column per choice beside the space-separated codes.
                for choice in self.form.choice_lists[q.list_name].choices:
                    if self.use_labels:
                        label = pick_label(choice.labels, self.language, choice.name)
                        header = f"{self._header(q)}/{label}"
                    else:
                        header = f"{q.name}/{choice.name}"
                    columns.append(_Column(header, q, choice.name))
        return columns

    def _header(self, q: Question) -> str:
        return pick_label(q.labels, self.language, q.name) if self.use_labels else q.name

    def value(self, column: _Column, raw: str | None) -> str:
        if column.choice is not None:
            if raw is None or raw == "":
                return ""
            return "1" if column.choice in raw.split() else "0"
        if raw is None:
            return ""
        q = column.question
        if self.use_labels and q.list_name in self.form.choice_lists:
            clist = self.form.choice_lists[q.list_name]
            labels = []
            for code in raw.split():
                choice = clist.get(code)
                labels.append(pick_label(choice.labels, self.language, code) if choice else code)
            return ", ".join(labels)
        return raw


InstanceKey = tuple[str, int]  # (dotted positions of the enclosing instances, index)


def _split_rows(
    rows: Iterable[AnswerRow | tuple[str, int, str] | tuple[str, int, str, str]],
) -> tuple[dict[str, str], dict[InstanceKey, dict[str, str]]]:
    """Main answers, and repeat answers grouped by instance (parent path, index)."""
    main: dict[str, str] = {}
    repeated: dict[InstanceKey, dict[str, str]] = {}
    for row in rows:
        if isinstance(row, AnswerRow):
            name, index, value, parent = row.question, row.repeat_index, row.value, row.parent
        elif len(row) == 4:
            name, index, value, parent = row  # type: ignore[misc]
        else:
            name, index, value = row  # type: ignore[misc]
            parent = ""
        if index == 0:
            main[name] = value
        else:
            repeated.setdefault((parent or "", index), {})[name] = value
    return main, repeated


def instance_path(key: InstanceKey) -> tuple[int, ...]:
    """The full position of an instance, outermost first: ("2", 3) -> (2, 3)."""
    parent, index = key
    return (*(int(p) for p in parent.split(".") if p.isdigit()), index)


def _meta_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def iter_tables(
    form: FormDefinition,
    responses: Iterable[ExportResponse],
    use_labels: bool = False,
    language: str | None = None,
    meta_columns: Sequence[str] = DEFAULT_META,
) -> Iterator[tuple[str, list[Any]]]:
    """Yield (table, row) pairs: table 'responses' or a repeat name; headers come first."""
    layout = _Layout(form, use_labels, language)
    yield "responses", [*meta_columns, *(c.header for c in layout.main)]
    for repeat, columns in layout.repeats.items():
        position = ["parent_index", "repeat_index"] if repeat in layout.nested else ["repeat_index"]
        yield repeat, ["response_id", *position, *(c.header for c in columns)]
    for response in responses:
        main, repeated = _split_rows(response.rows)
        meta = [_meta_value(response.meta.get(key)) for key in meta_columns]
        yield (
            "responses",
            [*meta, *(layout.value(c, main.get(c.question.name)) for c in layout.main)],
        )
        response_id = _meta_value(response.meta.get("response_id"))
        for key in sorted(repeated, key=instance_path):
            values = repeated[key]
            for repeat, columns in layout.repeats.items():
                if not any(c.question.name in values for c in columns):
                    continue
                cells = [layout.value(c, values.get(c.question.name)) for c in columns]
                position: list[Any] = [key[0], key[1]] if repeat in layout.nested else [key[1]]
                yield repeat, [response_id, *position, *cells]


def iter_csv(
    form: FormDefinition,
    responses: Iterable[ExportResponse],
    table: str = "responses",
    use_labels: bool = False,
    language: str | None = None,
    meta_columns: Sequence[str] = DEFAULT_META,
) -> Iterator[str]:
    """Yield CSV lines (UTF-8 text) of one table: 'responses' or a repeat's name."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for name, row in iter_tables(form, responses, use_labels, language, meta_columns):
        if name != table:
            continue
        writer.writerow(safe_row(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def write_xlsx(
    form: FormDefinition,
    responses: Iterable[ExportResponse],
    output: IO[bytes],
    use_labels: bool = False,
    language: str | None = None,
    meta_columns: Sequence[str] = DEFAULT_META,
) -> None:
    """Write an XLSX workbook (sheet 'responses' plus one sheet per repeat) to `output`."""
    # Imported here: openpyxl (and the numpy it pulls in) is heavy, and CSV exports never need it.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheets: dict[str, Any] = {}
    for name, row in iter_tables(form, responses, use_labels, language, meta_columns):
        if name not in sheets:
            # Excel sheet titles: at most 31 characters.
            sheets[name] = workbook.create_sheet(title=name[:31])
        sheets[name].append(safe_row(row))
    workbook.save(output)


# --------------------------------------------------------------------------- form -> XLSForm


def _type_cell(form: FormDefinition, q: Question) -> str:
    if q.type in ("select_one", "select_multiple", "rank"):
        cell = f"{q.type} {q.list_name}"
        return cell + " or_other" if q.or_other else cell
    if q.type.endswith("_from_file"):
        filename = next(
            (f for f in form.attachments if f.rsplit(".", 1)[0] == q.list_name),
            f"{q.list_name}.csv",
        )
        return f"{q.type} {filename}"
    return q.type


def _lang_header(column: str, lang: str) -> str:
    return column if lang == DEFAULT_LANGUAGE_KEY else f"{column}::{lang}"


def form_to_xlsform(form: FormDefinition) -> bytes:
    """Write a FormDefinition back as an XLSForm .xlsx that pyxform (Kobo, ODK) accepts."""
    languages = form.languages or [DEFAULT_LANGUAGE_KEY]
    generated = {f"{q.name}_other" for q in form.walk() if q.or_other}
    text_columns = ("label", "hint", "required_message", "constraint_message")
    headers = ["type", "name"]
    headers += [_lang_header(col, lang) for col in text_columns for lang in languages]
    plain = ["required", "constraint", "relevant", "calculation", "default", "choice_filter"]
    plain += ["read_only", "appearance", "parameters", "repeat_count"]
    headers += plain
    survey_rows: list[list[str]] = []

    def texts(values: dict[str, str]) -> list[str]:
        return [values.get(lang, "") for lang in languages]

    def emit(q: Question) -> None:
        if q.name in generated:
            return  # pyxform recreates the `_other` text question from `or_other`.
        kind = {"group": "begin_group", "repeat": "begin_repeat"}.get(q.type, _type_cell(form, q))
        required = q.required_expr or ("yes" if q.required else "")
        params = " ".join(f"{k}={v}" for k, v in q.parameters.items())
        row = [kind, q.name]
        for values in (q.labels, q.hints, q.required_message, q.constraint_message):
            row += texts(values)
        row += [
            required,
            q.constraint or "",
            q.relevant or "",
            q.calculation or "",
            q.default or "",
            q.choice_filter or "",
            "yes" if q.read_only else "",
            q.appearance or "",
            params,
            q.repeat_count or "",
        ]
        survey_rows.append(row)
        for child in q.children:
            emit(child)
        if q.is_container:
            survey_rows.append([f"end_{q.type}"] + [""] * (len(headers) - 1))

    for q in form.questions:
        emit(q)

    file_lists = {q.list_name for q in form.walk() if q.type.endswith("_from_file")}
    or_other_lists = {q.list_name for q in form.walk() if q.or_other}
    extra_columns: list[str] = []
    for name, clist in form.choice_lists.items():
        if name in file_lists:
            continue
        for choice in clist.choices:
            for key in choice.extra:
                if key not in extra_columns and key != "list_name":
                    extra_columns.append(key)
    choice_headers = ["list_name", "name"]
    choice_headers += [_lang_header("label", lang) for lang in languages] + extra_columns
    choice_rows: list[list[str]] = []
    for name, clist in form.choice_lists.items():
        if name in file_lists:
            continue
        for choice in clist.choices:
            if name in or_other_lists and choice.name == "other":
                continue  # added back by pyxform's or_other
            row = [name, choice.name, *texts(choice.labels)]
            row += [choice.extra.get(col, "") for col in extra_columns]
            choice_rows.append(row)

    settings = dict(form.settings)
    settings.update({"form_id": form.form_id, "form_title": form.title})
    if form.version:
        settings["version"] = form.version
    if form.default_language != DEFAULT_LANGUAGE_KEY:
        settings["default_language"] = form.default_language

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)

    def append(sheet: Any, row: Sequence[Any]) -> None:
        # Text stays as written (expressions must round-trip through pyxform) but is stored as
        # text: openpyxl would otherwise turn a label starting with "=" into a live formula.
        cells = []
        for value in row:
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet)
                cell.set_explicit_value(value, data_type="s")
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)

    sheet = workbook.create_sheet("survey")
    append(sheet, headers)
    for row in survey_rows:
        append(sheet, row)
    sheet = workbook.create_sheet("choices")
    append(sheet, choice_headers)
    for row in choice_rows:
        append(sheet, row)
    sheet = workbook.create_sheet("settings")
    append(sheet, list(settings))
    append(sheet, list(settings.values()))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
