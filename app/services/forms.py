"""Questionnaires in the database: import XLSForms as versions, load their definitions.

Versions: importing a file whose ``form_id`` exists adds a new version; the previous one stays
readable and its responses keep pointing at it. Re-importing the very same file is harmless.
A version that has responses is never changed in place: importing different content under the
same ``version`` string is refused with a message asking to change ``version`` in settings.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import Form, FormAttachment, FormVersion, Response, ResponseStatus, User
from surveys.errors import FormError, FormImportError
from surveys.model import FormDefinition, FormIssueNote
from surveys.xlsform import load_form


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the version, whether it is new, and the engine's warnings."""

    version: FormVersion
    created: bool
    warnings: list[str]


def _version_label(definition: FormDefinition) -> str:
    return definition.version or utcnow().strftime("%Y%m%d%H%M%S")


def import_form(
    session: Session,
    data: bytes,
    filename: str,
    attachments: Mapping[str, bytes] | None = None,
    imported_by_id: int | None = None,
) -> ImportResult:
    """Validate an XLSForm and store it as a new version of its form (one commit).

    Raises ``FormImportError`` with plain-French errors when the file cannot be used.
    """
    attachments = dict(attachments or {})
    definition = load_form(data, filename=filename, attachments=attachments)
    digest = _digest(data, attachments)
    form = session.scalar(select(Form).where(Form.form_id == definition.form_id))
    if form is None:
        form = Form(form_id=definition.form_id, title=definition.title or definition.form_id)
        session.add(form)
    label = _version_label(definition)
    existing = (
        session.scalar(
            select(FormVersion).where(FormVersion.form == form, FormVersion.version == label)
        )
        if form.id is not None
        else None
    )
    warnings = [note_text(w) for w in definition.warnings]
    if existing is not None:
        if existing.source_sha256 == digest:
            return ImportResult(existing, False, warnings)
        if count_responses(session, existing.id):
            raise FormImportError(
                [
                    FormError(
                        message=_(
                            "La version « %(version)s » de ce questionnaire a déjà des "
                            "réponses : elle ne peut pas être modifiée. Changez la colonne "
                            "« version » de la feuille settings, puis importez à nouveau.",
                            version=label,
                        ),
                        sheet="settings",
                        column="version",
                    )
                ]
            )
        session.delete(existing)
        session.flush()
    version = FormVersion(
        form=form,
        version=label,
        title=definition.title or definition.form_id,
        default_language=definition.default_language or "",
        source_filename=filename,
        source=data,
        source_sha256=digest,
        imported_by_id=imported_by_id,
        attachments=[FormAttachment(filename=n, content=c) for n, c in sorted(attachments.items())],
    )
    form.title = version.title
    form.archived = False
    session.add(version)
    session.commit()
    return ImportResult(version, True, warnings)


def _digest(data: bytes, attachments: Mapping[str, bytes]) -> str:
    sha = hashlib.sha256(data)
    for name in sorted(attachments):
        sha.update(b"\0" + name.encode() + b"\0" + attachments[name])
    return sha.hexdigest()


def count_responses(session: Session, version_id: int, submitted_only: bool = False) -> int:
    """How many responses point at this version."""
    query = select(func.count()).select_from(Response).where(Response.form_version_id == version_id)
    if submitted_only:
        query = query.where(Response.status == ResponseStatus.SUBMITTED)
    return int(session.scalar(query) or 0)


class _DefinitionCache:
    """Parsed definitions by version id and content hash (parsing a workbook takes time)."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[tuple[int, str], FormDefinition] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, version: FormVersion) -> FormDefinition:
        key = (version.id, version.source_sha256)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        attachments = {a.filename: a.content for a in version.attachments}
        definition = load_form(
            version.source, filename=version.source_filename, attachments=attachments
        )
        with self._lock:
            self._items[key] = definition
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return definition


_cache = _DefinitionCache()


def load_definition(version: FormVersion) -> FormDefinition:
    """The engine's definition of a stored version (cached per process)."""
    return _cache.get(version)


def current_version(session: Session, form_id: str) -> FormVersion | None:
    """The newest version of the form with this XLSForm ``form_id``."""
    return session.scalar(
        select(FormVersion)
        .join(Form)
        .where(Form.form_id == form_id)
        .order_by(FormVersion.id.desc())
        .limit(1)
    )


def note_text(note: FormIssueNote) -> str:
    """A warning of the engine as one plain-French line naming its sheet, row and question."""
    return str(FormError(note.message, note.sheet, note.row, note.column, note.name))


def get_form(session: Session, form_id: str) -> Form | None:
    """The form with this XLSForm ``form_id``, or None."""
    return session.scalar(select(Form).where(Form.form_id == form_id))


@dataclass(frozen=True)
class FormSummary:
    """One line of the forms list."""

    form_id: str
    title: str
    archived: bool
    versions: int
    submitted: int
    drafts: int
    last_imported_at: datetime | None


Counts = tuple[int, int]  # (submitted, drafts)


def _counts_by_version(session: Session, version_ids: list[int] | None = None) -> dict[int, Counts]:
    query = select(Response.form_version_id, Response.status, func.count()).group_by(
        Response.form_version_id, Response.status
    )
    if version_ids is not None:
        query = query.where(Response.form_version_id.in_(version_ids))
    counts: dict[int, Counts] = {}
    for version_id, status, number in session.execute(query):
        submitted, drafts = counts.get(version_id, (0, 0))
        if status is ResponseStatus.SUBMITTED:
            submitted += number
        else:
            drafts += number
        counts[version_id] = (submitted, drafts)
    return counts


def list_forms(session: Session) -> list[FormSummary]:
    """Every form with its numbers of versions and responses: active first, then by title."""
    counts = _counts_by_version(session)
    versions = session.execute(
        select(FormVersion.form_pk, FormVersion.id, FormVersion.imported_at)
    ).all()
    by_form: dict[int, list[tuple[int, datetime]]] = {}
    for form_pk, version_id, imported_at in versions:
        by_form.setdefault(form_pk, []).append((version_id, imported_at))
    summaries = []
    for form in session.scalars(select(Form)):
        own = by_form.get(form.id, [])
        summaries.append(
            FormSummary(
                form_id=form.form_id,
                title=form.title,
                archived=form.archived,
                versions=len(own),
                submitted=sum(counts.get(v, (0, 0))[0] for v, _at in own),
                drafts=sum(counts.get(v, (0, 0))[1] for v, _at in own),
                last_imported_at=max((at for _v, at in own), default=None),
            )
        )
    # Sorted here, not in SQL: collations differ between SQLite and PostgreSQL.
    summaries.sort(key=lambda s: (s.archived, s.title.casefold(), s.form_id))
    return summaries


@dataclass(frozen=True)
class VersionSummary:
    """One line of a form's versions table."""

    version: FormVersion
    imported_by: str | None
    submitted: int
    drafts: int
    # select_*_from_file lists still to attach: the version can be previewed, not offered.
    missing_files: tuple[str, ...] = ()


def version_summaries(session: Session, form: Form) -> list[VersionSummary]:
    """The versions of ``form``, newest first, with who imported them and their responses."""
    versions = list(reversed(form.versions))
    counts = _counts_by_version(session, [v.id for v in versions])
    user_ids = {v.imported_by_id for v in versions if v.imported_by_id is not None}
    names = {
        user.id: user.display_name or user.email
        for user in session.scalars(select(User).where(User.id.in_(user_ids)))
    }
    return [
        VersionSummary(
            version=v,
            imported_by=names.get(v.imported_by_id) if v.imported_by_id is not None else None,
            submitted=counts.get(v.id, (0, 0))[0],
            drafts=counts.get(v.id, (0, 0))[1],
            missing_files=tuple(load_definition(v).missing_files),
        )
        for v in versions
    ]


def set_archived(session: Session, form: Form, archived: bool) -> None:
    """Archive a form (no new responses offered; data kept) or bring it back (one commit)."""
    form.archived = archived
    session.commit()
