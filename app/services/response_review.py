"""Coordinators read individual responses and delete one with a reason (kept in a log).

Listing pages through submitted responses newest first, with the dashboard's filters (period,
questionnaire, collection point, neighbourhood, channel, demo answers). A deletion removes the
response, its answers and its uploaded files in one commit and appends a row to the
``response_deletions`` log, which refuses edits.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.models import (
    Answer,
    Channel,
    CollectionPoint,
    Form,
    FormVersion,
    Neighbourhood,
    Response,
    ResponseStatus,
)
from app.models.response_audit import ResponseDeletion
from app.services.forms import load_definition
from surveys.model import FormDefinition, pick_label

PARIS = ZoneInfo("Europe/Paris")
REASON_MAX = 300


class ReviewError(Exception):
    """A deletion that cannot be done, with a message for the coordinator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ResponseFilters:
    """What the list is narrowed to (None: no restriction)."""

    start: date | None = None
    end: date | None = None
    form_id: str | None = None
    point: str | None = None
    neighbourhood: str | None = None
    channel: str | None = None
    demo: str = "all"  # "real", "demo" or "all"


@dataclass(frozen=True)
class AnswerLine:
    """One answered question of a response, in words."""

    label: str
    value: str
    repeat: int | None = None  # 1-based occurrence inside a repeat group


def _paris_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS).astimezone(UTC)


def _filtered(query: Any, filters: ResponseFilters) -> Any:
    query = query.where(Response.status == ResponseStatus.SUBMITTED)
    if filters.start:
        query = query.where(Response.submitted_at >= _paris_midnight_utc(filters.start))
    if filters.end:
        query = query.where(
            Response.submitted_at < _paris_midnight_utc(filters.end + timedelta(days=1))
        )
    if filters.form_id:
        query = query.where(
            Response.form_version_id.in_(
                select(FormVersion.id).join(Form).where(Form.form_id == filters.form_id)
            )
        )
    if filters.point:
        query = query.where(
            Response.collection_point_id.in_(
                select(CollectionPoint.id).where(CollectionPoint.code == filters.point)
            )
        )
    if filters.neighbourhood:
        query = query.where(
            Response.neighbourhood_id.in_(
                select(Neighbourhood.id).where(Neighbourhood.code == filters.neighbourhood)
            )
        )
    if filters.channel:
        query = query.where(Response.channel == Channel(filters.channel))
    if filters.demo == "real":
        query = query.where(Response.is_demo.is_(False))
    elif filters.demo == "demo":
        query = query.where(Response.is_demo.is_(True))
    return query


def list_responses(
    session: Session, filters: ResponseFilters, *, limit: int, offset: int = 0
) -> list[Response]:
    """Submitted responses matching `filters`, newest first, one page."""
    query = _filtered(select(Response), filters).options(
        joinedload(Response.form_version).joinedload(FormVersion.form),
        joinedload(Response.collection_point),
        joinedload(Response.neighbourhood),
    )
    query = query.order_by(Response.submitted_at.desc(), Response.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)).unique())


def count_responses(session: Session, filters: ResponseFilters) -> int:
    """How many submitted responses match `filters`."""
    return int(session.scalar(_filtered(select(func.count(Response.id)), filters)) or 0)


def find_submitted(session: Session, response_uuid: str) -> Response | None:
    """The submitted response with this public id, or None."""
    return session.scalar(
        select(Response).where(
            Response.uuid == str(response_uuid), Response.status == ResponseStatus.SUBMITTED
        )
    )


def _choice_text(definition: FormDefinition, list_name: str | None, code: str, lang: str) -> str:
    choices = definition.choice_lists.get(list_name or "")
    choice = choices.get(code) if choices else None
    return pick_label(choice.labels, lang, code) if choice else code


def answer_lines(session: Session, response: Response, language: str) -> list[AnswerLine]:
    """Every stored answer of a response in questionnaire order, with labels in words."""
    definition = load_definition(response.form_version)
    lang = definition.resolve_language(language)
    rows = session.execute(
        select(Answer.question, Answer.repeat_index, Answer.value)
        .where(Answer.response_id == response.id)
        .order_by(Answer.repeat_index, Answer.id)
    ).all()
    by_question: dict[str, list[tuple[int, str]]] = {}
    for question, repeat_index, value in rows:
        by_question.setdefault(question, []).append((repeat_index, value))
    parents = definition.parents()
    lines: list[AnswerLine] = []
    seen: set[str] = set()
    for item in definition.walk():
        if item.name not in by_question or item.is_container:
            continue
        seen.add(item.name)
        in_repeat = any(p is not None and p.is_repeat for p in _ancestors(parents, item.name))
        for repeat_index, value in by_question[item.name]:
            if item.list_name:
                codes = value.split() if item.is_multiple else [value]
                text = ", ".join(_choice_text(definition, item.list_name, c, lang) for c in codes)
            else:
                text = value
            lines.append(
                AnswerLine(
                    pick_label(item.labels, lang, item.name),
                    text,
                    repeat_index + 1 if in_repeat else None,
                )
            )
    # Answers to questions a later version dropped are still shown, by their name.
    for name, values in by_question.items():
        if name not in seen:
            lines.extend(AnswerLine(name, value) for _index, value in values)
    return lines


def _ancestors(parents: dict[str, Any], name: str) -> list[Any]:
    found = []
    parent = parents.get(name)
    while parent is not None:
        found.append(parent)
        parent = parents.get(parent.name)
    return found


def delete_response(
    session: Session, response: Response, reason: str, *, by: Any, upload_root: Any = None
) -> ResponseDeletion:
    """Delete a submitted response and its answers; log who, when and why (one commit)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReviewError(_("Indiquez la raison de la suppression."))
    if len(reason) > REASON_MAX:
        raise ReviewError(_("300 caractères au maximum."))
    if response.status is not ResponseStatus.SUBMITTED:
        raise ReviewError(_("Cette réponse n'existe pas."))
    answer_count = int(
        session.scalar(select(func.count(Answer.id)).where(Answer.response_id == response.id)) or 0
    )
    entry = ResponseDeletion(
        response_uuid=response.uuid,
        form_id=response.form_version.form.form_id,
        form_version=response.form_version.version,
        submitted_at=response.submitted_at,
        collection_point=response.collection_point.name if response.collection_point else "",
        channel=response.channel.value,
        was_demo=response.is_demo,
        answer_count=answer_count,
        actor_id=getattr(by, "id", None),
        actor_label=getattr(by, "email", None) or "system",
        reason=reason,
    )
    session.add(entry)
    # Answers go with the response (ON DELETE CASCADE, and the ORM cascade).
    session.delete(response)
    session.commit()
    if upload_root is not None:
        # Files uploaded with the answers; after the commit, so a failed delete keeps them.
        shutil.rmtree(upload_root / entry.response_uuid, ignore_errors=True)
    return entry


def deletions(session: Session, *, limit: int = 200) -> list[ResponseDeletion]:
    """The latest deletions, newest first."""
    return list(
        session.scalars(
            select(ResponseDeletion)
            .order_by(ResponseDeletion.deleted_at.desc(), ResponseDeletion.id.desc())
            .limit(limit)
        )
    )


def filter_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Questionnaires, collection points and neighbourhoods for the filter lists."""
    forms = session.execute(select(Form.form_id, Form.title).order_by(Form.title)).all()
    points = session.execute(
        select(CollectionPoint.code, CollectionPoint.name).order_by(CollectionPoint.name)
    ).all()
    hoods = session.execute(
        select(Neighbourhood.code, Neighbourhood.name).order_by(Neighbourhood.name)
    ).all()
    return {
        "forms": [(str(a), str(b)) for a, b in forms],
        "points": [(str(a), str(b)) for a, b in points],
        "neighbourhoods": [(str(a), str(b)) for a, b in hoods],
    }
