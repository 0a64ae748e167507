"""Exports of a form's submitted responses, read from the database in bounded memory.

Used by the ``flask surveys export`` command and the coordinators' download buttons. Responses
are read in chunks ordered by id (keyset pagination: ``id > last id``), with the answers of one
chunk fetched in one query, and handed one at a time to the engine's exporters
(``surveys.exports``). Rows are plain tuples, never ORM objects, so nothing piles up in the
session however many responses there are.

Versions: every version's submitted responses go into one table. Its columns are the newest
version's questions, in its order, then the questions only older versions had (newest version
first), so an old response never loses an answer. Choice lists are merged the same way: a code
an older version offered keeps its 0/1 column and its label.
"""

from __future__ import annotations

import copy
import csv
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.models import (
    Answer,
    CollectionPoint,
    Form,
    FormVersion,
    Neighbourhood,
    Response,
    ResponseStatus,
)
from app.services.forms import load_definition
from surveys.cells import safe_row
from surveys.exports import ExportResponse, form_to_xlsform, iter_tables
from surveys.model import ChoiceList, FormDefinition, Question, language_code

CHUNK_SIZE = 1000
MAIN_TABLE = "responses"
EXPORT_META = (
    "response_id",
    "response_uuid",
    "form_id",
    "form_version",
    "collection_point",
    "collection_point_name",
    "neighbourhood",
    "channel",
    "language",
    "submitted_at",
    "is_demo",
)
# A UTF-8 byte order mark, so Excel opens the CSV with its accents right (pandas skips it).
CSV_BOM = "\ufeff"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters XML 1.0 (hence XLSX) cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Progress = Callable[[int], None]


class ExportError(Exception):
    """An export cannot be made as asked; the message is plain French."""


# --------------------------------------------------------------------------- definitions


def merge_definitions(definitions: Sequence[FormDefinition]) -> FormDefinition:
    """One definition covering several versions (newest first): newest questions, then extras."""
    newest, *older = definitions
    if not older:
        return newest
    merged = copy.deepcopy(newest)
    index = merged.index()
    for old in older:
        parents = old.parents()
        for question in old.walk():
            if question.is_group or question.name in index:
                continue  # groups do not change the table's layout; known names keep theirs
            extra = replace(question, children=[], compiled={})
            container = _enclosing_repeat(question, parents)
            target = index.get(container.name) if container is not None else None
            if target is not None and target.is_repeat:
                target.children.append(extra)
            else:
                merged.questions.append(extra)
            index[extra.name] = extra
        for name, old_list in old.choice_lists.items():
            current = merged.choice_lists.get(name)
            if current is None:
                merged.choice_lists[name] = old_list
                continue
            known = set(current.codes())
            added = tuple(c for c in old_list.choices if c.name not in known)
            if added:
                merged.choice_lists[name] = ChoiceList(name, current.choices + added)
    return merged


def _enclosing_repeat(question: Question, parents: dict[str, Question | None]) -> Question | None:
    parent = parents.get(question.name)
    while parent is not None and not parent.is_repeat:
        parent = parents.get(parent.name)
    return parent


def export_definition(form: Form) -> FormDefinition:
    """The definition whose columns an export of ``form`` uses (all versions merged)."""
    versions = list(reversed(form.versions))
    if not versions:
        raise ExportError(_("Le questionnaire « %(form)s » n'a aucune version.", form=form.form_id))
    return merge_definitions([load_definition(v) for v in versions])


def repeat_tables(definition: FormDefinition) -> list[str]:
    """Names of the repeat tables (each one a second sheet or a second CSV file)."""
    return [q.name for q in definition.walk() if q.is_repeat]


def resolve_language(definition: FormDefinition, wanted: str | None) -> str | None:
    """The form's language key for ``wanted`` ('fr', 'Français (fr)'…); None means codes.

    Raises ExportError naming the form's languages when ``wanted`` is not one of them.
    """
    if not wanted:
        return None
    if not definition.languages:
        return definition.resolve_language(None)  # labels without a language: the only ones
    for language in definition.languages:
        if wanted == language or language_code(language) == language_code(wanted):
            return language
    available = ", ".join(definition.languages)
    raise ExportError(
        _(
            "Langue inconnue « %(language)s ». Langues du questionnaire : %(available)s.",
            language=wanted,
            available=available,
        )
    )


# --------------------------------------------------------------------------- reading responses


def _submitted(form: Form) -> Any:
    version_ids = [v.id for v in form.versions]
    return Response.form_version_id.in_(version_ids), Response.status == ResponseStatus.SUBMITTED


def count_submitted(session: Session, form: Form) -> int:
    """How many submitted responses an export of ``form`` holds (all versions)."""
    query = select(func.count()).select_from(Response).where(*_submitted(form))
    return int(session.scalar(query) or 0)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    # SQLite gives naive datetimes back; everything we store is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iter_responses(
    session: Session,
    form: Form,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
) -> Iterator[ExportResponse]:
    """Yield the submitted responses of every version of ``form``, oldest first, in chunks."""
    version_labels = {v.id: v.version for v in form.versions}
    point = aliased(CollectionPoint)
    own_area = aliased(Neighbourhood)
    point_area = aliased(Neighbourhood)
    base = (
        select(
            Response.id,
            Response.uuid,
            Response.form_version_id,
            point.code,
            point.name,
            own_area.code,
            point_area.code,
            Response.channel,
            Response.language,
            Response.submitted_at,
            Response.is_demo,
        )
        .outerjoin(point, Response.collection_point_id == point.id)
        .outerjoin(own_area, Response.neighbourhood_id == own_area.id)
        .outerjoin(point_area, point.neighbourhood_id == point_area.id)
        .where(*_submitted(form))
        .order_by(Response.id)
        .limit(chunk_size)
    )
    last_id = 0
    while True:
        chunk = session.execute(base.where(Response.id > last_id)).all()
        if not chunk:
            return
        ids = [row[0] for row in chunk]
        # (question, repeat_index, value), plus the enclosing instance for nested repeats.
        answers: dict[int, list[tuple[str, int, str] | tuple[str, int, str, str]]] = {
            i: [] for i in ids
        }
        answer_query = (
            select(
                Answer.response_id,
                Answer.question,
                Answer.repeat_index,
                Answer.value,
                Answer.repeat_parent,
            )
            .where(Answer.response_id.in_(ids))
            .order_by(Answer.response_id, Answer.repeat_index, Answer.id)
        )
        for response_id, question, repeat_index, value, parent in session.execute(answer_query):
            if parent:
                answers[response_id].append((question, repeat_index, value, parent))
            else:
                answers[response_id].append((question, repeat_index, value))
        for row in chunk:
            (rid, uuid, version_id, p_code, p_name, own, p_area, channel, lang, at, demo) = row
            meta = {
                "response_id": rid,
                "response_uuid": uuid,
                "form_id": form.form_id,
                "form_version": version_labels.get(version_id, ""),
                "collection_point": p_code,
                "collection_point_name": p_name,
                "neighbourhood": own or p_area,
                "channel": channel.value if channel is not None else None,
                "language": lang,
                "submitted_at": _utc(at),
                "is_demo": bool(demo),
            }
            yield ExportResponse(meta, answers.pop(rid))
        last_id = ids[-1]
        if progress is not None:
            progress(len(chunk))
        del chunk, answers


# --------------------------------------------------------------------------- writing


LAYOUTS = ("default", "kobo")
MEDIA_PATH = "/admin/questionnaires/medias/"


@dataclass(frozen=True)
class ExportOptions:
    """What the coordinator chose: codes (language None) or labels in a language, and the
    layout: ours (default) or KoboToolbox's (group paths, split geopoints, _id/_uuid…)."""

    language: str | None = None
    layout: str = "default"

    @property
    def use_labels(self) -> bool:
        return self.language is not None


def meta_columns(definition: FormDefinition) -> dict[str, str]:
    """Meta key -> column header; a key that is also a question name gets a leading ``_``.

    (The Mairie Bus form asks ``neighbourhood``: its answer keeps the plain name and the
    response-level neighbourhood becomes ``_neighbourhood``.)
    """
    taken = set(definition.index())
    headers: dict[str, str] = {}
    for key in EXPORT_META:
        header = key
        while header in taken:
            header = "_" + header
        headers[key] = header
        taken.add(header)
    return headers


def _tables(
    session: Session,
    form: Form,
    definition: FormDefinition,
    options: ExportOptions,
    progress: Progress | None,
) -> Iterator[tuple[str, list[Any]]]:
    responses: Iterable[ExportResponse] = iter_responses(session, form, progress=progress)
    if options.layout == "kobo":
        from flask import current_app

        from surveys.kobo_export import iter_kobo_tables

        base = str(current_app.config["MAIRIEBUS_BASE_URL"]).rstrip("/") + MEDIA_PATH
        return iter_kobo_tables(
            definition,
            responses,
            use_labels=options.use_labels,
            language=options.language,
            media_url=lambda stored: base + stored,
        )
    headers = meta_columns(definition)
    renamed = {k: h for k, h in headers.items() if k != h}
    if renamed:
        responses = (_rename(r, renamed) for r in responses)
    return iter_tables(
        definition,
        responses,
        use_labels=options.use_labels,
        language=options.language,
        meta_columns=tuple(headers.values()),
    )


def _rename(response: ExportResponse, renamed: dict[str, str]) -> ExportResponse:
    meta = dict(response.meta)  # "response_id" stays too: repeat tables read it by that name
    for key, header in renamed.items():
        meta[header] = response.meta[key]
    return ExportResponse(meta, response.rows)


def iter_csv_export(
    session: Session,
    form: Form,
    table: str = MAIN_TABLE,
    options: ExportOptions | None = None,
    definition: FormDefinition | None = None,
) -> Iterator[str]:
    """Yield one table as CSV text (BOM first), for a streamed download."""
    definition = definition or export_definition(form)
    if table != MAIN_TABLE and table not in repeat_tables(definition):
        raise ExportError(_("Ce questionnaire n'a pas de tableau « %(table)s ».", table=table))
    options = options or ExportOptions()
    return _iter_csv(session, form, table, options, definition)


def _iter_csv(
    session: Session, form: Form, table: str, options: ExportOptions, definition: FormDefinition
) -> Iterator[str]:
    buffer = _LineBuffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield CSV_BOM
    pending: list[str] = []
    for name, row in _tables(session, form, definition, options, None):
        if name != table:
            continue
        writer.writerow(safe_row(row))
        pending.append(buffer.take())
        if len(pending) >= 200:  # fewer, larger chunks for the WSGI server
            yield "".join(pending)
            pending.clear()
    if pending:
        yield "".join(pending)


class _LineBuffer:
    """A write-only text sink for csv.writer that hands back what was written."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text


def csv_paths(path: Path, definition: FormDefinition) -> dict[str, Path]:
    """Where each table goes: ``path`` for responses, ``<stem>-<repeat>.csv`` beside it."""
    paths = {MAIN_TABLE: path}
    for repeat in repeat_tables(definition):
        paths[repeat] = path.with_name(f"{path.stem}-{repeat}.csv")
    return paths


def write_csv_files(
    session: Session,
    form: Form,
    path: Path,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the responses CSV to ``path`` and each repeat table beside it, in one pass."""
    definition = export_definition(form)
    paths = csv_paths(path, definition)
    handles: dict[str, IO[str]] = {}
    try:
        writers = {}
        for table, table_path in paths.items():
            handles[table] = table_path.open("w", encoding="utf-8-sig", newline="")
            writers[table] = csv.writer(handles[table], lineterminator="\r\n")
        for name, row in _tables(session, form, definition, options or ExportOptions(), progress):
            writers[name].writerow(safe_row(row))
    finally:
        for handle in handles.values():
            handle.close()
    return list(paths.values())


def write_xlsx_export(
    session: Session,
    form: Form,
    output: IO[bytes],
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> None:
    """Write an XLSX workbook: sheet 'responses' plus one sheet per repeat."""
    definition = export_definition(form)
    with XlsxWriter(output) as workbook:
        for name, row in _tables(session, form, definition, options or ExportOptions(), progress):
            workbook.append(name, row)


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_MAX_CELL_TEXT = 32767  # Excel refuses longer cells
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_WHOLE_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")
_BODIES: dict[str, str] = {}


def _cell_body(value: Any) -> str:
    """The end of a ``<c>`` element for ``value``: a number, or an inline string."""
    if isinstance(value, bool):
        return f"><v>{int(value)}</v></c>"
    if isinstance(value, int | float):
        return f"><v>{value!r}</v></c>"
    text = str(value)
    if _WHOLE_NUMBER.fullmatch(text):
        # 0/1 choice columns, integers, counts: numbers Excel can add up. Leading zeros
        # ("0612…") do not match, so they stay text.
        return f"><v>{text}</v></c>"
    # Inline strings: never a formula (a resident's "=)" stays text), and no shared string
    # table to keep in memory.
    text = _escape(_ILLEGAL_XML.sub("", text)[:_MAX_CELL_TEXT])
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


class _Sheet:
    """One worksheet's XML, spooled to a temporary file while rows arrive."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows = 0
        self.columns: list[str] = []
        self.file = tempfile.TemporaryFile()
        self.file.write(f'{_XML_HEAD}<worksheet xmlns="{_NS}"><sheetData>'.encode())

    def append(self, values: Sequence[Any]) -> None:
        self.rows += 1
        while len(self.columns) < len(values):
            self.columns.append(_column_letters(len(self.columns)))
        row = self.rows
        cells = [f'<row r="{row}">']
        bodies = _BODIES
        for letter, value in zip(self.columns, values, strict=False):
            if value is None or value == "":
                continue
            body = bodies.get(value) if isinstance(value, str) else None
            if body is None:
                body = _cell_body(value)
                if isinstance(value, str) and len(value) <= 16 and len(bodies) < 20_000:
                    bodies[value] = body  # codes and 0/1 repeat endlessly (not uuids, dates)
            cells.append(f'<c r="{letter}{row}"{body}')
        cells.append("</row>")
        self.file.write("".join(cells).encode())

    def finish(self) -> IO[bytes]:
        self.file.write(b"</sheetData></worksheet>")
        self.file.seek(0)
        return self.file  # type: ignore[return-value]


class XlsxWriter:
    """A minimal streaming XLSX writer: rows go to per-sheet temporary files, zipped at the end.

    openpyxl's write-only mode also keeps memory bounded but costs about 3 ms per Mairie Bus
    response (130 cells); this writes it about ten times faster, which keeps a web download of
    a few thousand responses within a worker's timeout. Whole numbers become numbers.
    """

    def __init__(self, output: IO[bytes]) -> None:
        self.output = output
        self.sheets: dict[str, _Sheet] = {}

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, exc_type: object, *_rest: object) -> None:
        try:
            if exc_type is None:
                self._save()
        finally:
            for sheet in self.sheets.values():
                sheet.file.close()

    def append(self, table: str, values: Sequence[Any]) -> None:
        """Add a row to the sheet named ``table`` (created on first use)."""
        sheet = self.sheets.get(table)
        if sheet is None:
            sheet = self.sheets[table] = _Sheet(self._title(table))
        sheet.append(safe_row(values))

    def _title(self, table: str) -> str:
        # Excel sheet titles: at most 31 characters, unique, none of []:*?/\ .
        base = re.sub(r"[\[\]:*?/\\]", "_", table)[:31] or "sheet"
        titles = {s.title.casefold() for s in self.sheets.values()}
        title, n = base, 1
        while title.casefold() in titles:
            n += 1
            title = f"{base[: 31 - len(str(n)) - 1]}~{n}"
        return title

    def _save(self) -> None:
        sheets = list(self.sheets.values())
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        content_types = (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            f'sheet.main+xml"/>{overrides}</Types>'
        )
        root_rels = (
            f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        )
        entries = "".join(
            f'<sheet name="{_escape(s.title)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(sheets, start=1)
        )
        workbook = (
            f'{_XML_HEAD}<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><sheets>{entries}'
            "</sheets></workbook>"
        )
        links = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        workbook_rels = f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">{links}</Relationships>'
        with zipfile.ZipFile(self.output, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", content_types)
            archive.writestr("_rels/.rels", root_rels)
            archive.writestr("xl/workbook.xml", workbook)
            archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
            for i, sheet in enumerate(sheets, start=1):
                with archive.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as dest:
                    shutil.copyfileobj(sheet.finish(), dest, 1024 * 1024)


def xlsform_bytes(version: FormVersion) -> bytes:
    """A version written back as an XLSForm .xlsx (what Kobo and ODK import)."""
    return form_to_xlsform(load_definition(version))


def export_filename(form: Form, suffix: str, table: str = MAIN_TABLE) -> str:
    """A download name such as ``mairiebus-reponses-2024-05-06.csv``."""
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    safe_id = re.sub(r"[^A-Za-z0-9_.-]+", "_", form.form_id)
    part = "reponses" if table == MAIN_TABLE else re.sub(r"[^A-Za-z0-9_.-]+", "_", table)
    return f"{safe_id}-{part}-{day}.{suffix}"


def attachments_of(version: FormVersion) -> Iterable[tuple[str, bytes]]:
    """The list files stored with a version, as (filename, content)."""
    return [(a.filename, a.content) for a in version.attachments]
