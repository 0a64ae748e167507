"""Drafts and submissions: load the draft -> call the survey engine -> save (one commit each).

A draft lives in the database (``Response.draft_state``: the engine's answers dict and the page
the respondent is on), found again through a random token kept in an HttpOnly cookie; only the
token's SHA-256 is stored. So a reload, a lost connection or a phone going to sleep lose nothing,
and any app server behind a load balancer can serve the next page.

Submission is atomic: the status flips from draft to submitted by a conditional UPDATE (only one
of two racing requests can win it) and the answer rows are inserted in the same transaction.
A submitted response is never changed again. The idempotency key sent with the final form makes
a double submission answer with the same response.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.db import utcnow
from app.models import (
    Answer,
    Channel,
    CollectionPoint,
    FormVersion,
    Neighbourhood,
    Response,
    ResponseStatus,
)
from app.services.forms import load_definition
from surveys import engine as E
from surveys.errors import AnswerError, SurveyError, UploadError
from surveys.media import check_upload
from surveys.model import UPLOAD_TYPES, FormDefinition

COOKIE_NAME = "mairiebus_draft"
# Phones and tablets are shared (a family's phone, the bus's tablet): an unfinished draft is
# offered back only within DRAFT_IDLE of its last saved answer, then it is as if it never was.
COOKIE_MAX_AGE = 24 * 3600
DRAFT_IDLE = dt.timedelta(hours=3)
CHECK_PAGE = "__check__"
UPLOAD_DIR = "uploads"
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class DraftError(Exception):
    """The draft cannot go on as asked; the message is plain French."""


class IncompleteError(DraftError):
    """Required answers are missing: ``page`` is where the first one is asked."""

    def __init__(self, message: str, page: str, errors: dict[str, str]) -> None:
        super().__init__(message)
        self.page = page
        self.errors = errors


@dataclass
class Step:
    """Outcome of a page POST: where to go next, or the errors to show on the same page."""

    target: str
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the page was accepted."""
        return not self.errors


@dataclass(frozen=True)
class UploadedFile:
    """A file sent for an image/file question."""

    filename: str
    data: bytes


def hash_token(token: str) -> str:
    """The SHA-256 (hex) of a draft token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_idempotency_key() -> str:
    """A random key for the final form's hidden field."""
    return secrets.token_urlsafe(24)


def valid_idempotency_key(key: str | None) -> bool:
    """True when ``key`` looks like a key we hand out (bounded length, URL-safe)."""
    return bool(key and _KEY_RE.match(key))


# --------------------------------------------------------------------------- drafts


def start_draft(
    session: Session,
    version: FormVersion,
    *,
    point: CollectionPoint | None = None,
    neighbourhood: Neighbourhood | None = None,
    channel: Channel = Channel.SELF,
    aidant_id: int | None = None,
    language: str = "fr",
    honeypot: bool = False,
    preview: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Response, str]:
    """Create a draft response; return it with the cookie token (shown once, stored hashed).

    A ``preview`` draft (a coordinator trying a version) is answered like any other and
    thrown away at the end: it never becomes a response.
    """
    moment = now or utcnow()
    definition = load_definition(version)
    answers = E.new_answers(definition, moment)
    first = E.first_page(definition, answers)
    token = secrets.token_urlsafe(32)
    response = Response(
        form_version=version,
        collection_point=point,
        neighbourhood=neighbourhood or (point.neighbourhood if point else None),
        channel=channel,
        aidant_id=aidant_id,
        language=language,
        status=ResponseStatus.DRAFT,
        started_at=moment,
        updated_at=moment,
        draft_token_hash=hash_token(token),
        draft_state=_state(answers, first.key if first else CHECK_PAGE, honeypot, preview),
    )
    session.add(response)
    session.commit()
    return response, token


def _state(
    answers: E.Answers, page: str, honeypot: bool = False, preview: bool = False
) -> dict[str, Any]:
    state: dict[str, Any] = {"answers": answers, "page": page}
    if honeypot:
        state["honeypot"] = True
    if preview:
        state["preview"] = True
    return state


def is_preview(response: Response) -> bool:
    """True for a coordinator's preview draft (never stored as a response)."""
    return bool((response.draft_state or {}).get("preview"))


@functools.cache
def _draft_by_token_query():  # type: ignore[no-untyped-def]
    # The version comes in the same query: every questionnaire request needs it.
    return (
        select(Response)
        .options(joinedload(Response.form_version))
        .where(
            Response.draft_token_hash == bindparam("token_hash"),
            Response.status == ResponseStatus.DRAFT,
            Response.updated_at >= bindparam("since"),
        )
    )


def load_draft(
    session: Session, token: str | None, now: dt.datetime | None = None
) -> Response | None:
    """The draft behind a cookie token, or None (unknown, idle too long or already submitted).

    The statement is built once per process (building it cost a quarter of the lookup).
    """
    if not token or len(token) > 200:
        return None
    since = (now or utcnow()) - draft_idle()
    return session.scalar(
        _draft_by_token_query(), {"token_hash": hash_token(token), "since": since}
    )


def draft_idle() -> dt.timedelta:
    """How long a draft waits for its next answer (``COLLECT_DRAFT_IDLE_MINUTES``)."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("COLLECT_DRAFT_IDLE_MINUTES"):
        return dt.timedelta(minutes=int(current_app.config["COLLECT_DRAFT_IDLE_MINUTES"]))
    return DRAFT_IDLE


def definition_of(response: Response) -> FormDefinition:
    """The engine's definition of the response's form version."""
    return load_definition(response.form_version)


def answers_of(response: Response) -> E.Answers:
    """The draft's answers dict (empty for a submitted response)."""
    state = response.draft_state or {}
    answers = state.get("answers")
    return dict(answers) if isinstance(answers, dict) else {}


def current_page(response: Response) -> str:
    """The page key the respondent was on (``CHECK_PAGE`` at the end)."""
    state = response.draft_state or {}
    page = state.get("page")
    return page if isinstance(page, str) else CHECK_PAGE


def relevant_keys(response: Response) -> tuple[str, ...]:
    """The keys of the pages the respondent will see, in order.

    Remembered on the loaded draft until its state changes (every save assigns a new state),
    so the several questions one request asks (does this page exist, where to resume, which
    page is last) evaluate the skip logic once.
    """
    state = response.draft_state
    definition = definition_of(response)
    memo = response.__dict__.get("_relevant_keys")
    if memo is not None and memo[0] is state and memo[1] is definition:
        return memo[2]
    keys = tuple(p.key for p in E.relevant_pages(definition, answers_of(response)))
    response.__dict__["_relevant_keys"] = (state, definition, keys)
    return keys


_FIRST_VISIT: dict[int, tuple[FormDefinition, tuple[str, ...]]] = {}


def first_visit_pages(definition: FormDefinition) -> tuple[str, ...]:
    """The pages a new respondent is shown (for "about N pages"), computed once per definition."""
    cached = _FIRST_VISIT.get(id(definition))
    if cached is not None and cached[0] is definition:
        return cached[1]
    keys = tuple(p.key for p in E.relevant_pages(definition, E.new_answers(definition)))
    if len(_FIRST_VISIT) > 64:
        _FIRST_VISIT.clear()
    _FIRST_VISIT[id(definition)] = (definition, keys)
    return keys


def resume_key(response: Response) -> str:
    """Where to send the respondent back: their page if still shown, else the first one."""
    page = current_page(response)
    if page == CHECK_PAGE or page_exists(response, page):
        return page
    visible = relevant_keys(response)
    return visible[0] if visible else CHECK_PAGE


def is_honeypot(response: Response) -> bool:
    """True when a robot filled the hidden field: the draft will be dropped, not stored."""
    return bool((response.draft_state or {}).get("honeypot"))


def mark_honeypot(session: Session, response: Response) -> None:
    """Remember that this draft comes from a robot (it will be silently dropped)."""
    _require_draft(response)
    state = dict(response.draft_state or {})
    state["honeypot"] = True
    response.draft_state = state
    session.commit()


def _require_draft(response: Response) -> None:
    if response.status is not ResponseStatus.DRAFT:
        raise DraftError(_("Ces réponses sont déjà envoyées : elles ne peuvent plus changer."))


def _save(
    session: Session, response: Response, answers: E.Answers, page: str, language: str
) -> None:
    response.draft_state = _state(answers, page, is_honeypot(response), is_preview(response))
    response.language = language
    response.updated_at = utcnow()
    session.commit()


def page_exists(response: Response, key: str) -> bool:
    """True when ``key`` is a relevant page of the draft."""
    return key in relevant_keys(response)


def view(
    response: Response,
    key: str,
    language: str,
    errors: dict[str, str] | None = None,
    raw: dict[str, Any] | None = None,
) -> E.PageView:
    """The page ready to render (raises DraftError for a page that is not shown)."""
    if not page_exists(response, key):
        raise DraftError(_("Cette page n'existe pas dans ce questionnaire."))
    return E.view_page(definition_of(response), answers_of(response), key, language, errors, raw)


def previous_key(response: Response, key: str) -> str | None:
    """The relevant page before ``key`` (the last one for the check page)."""
    visible = relevant_keys(response)
    if key == CHECK_PAGE:
        return visible[-1] if visible else None
    if key in visible:  # the usual case: the page before it among the same relevant pages
        position = visible.index(key)
        return visible[position - 1] if position else None
    return previous_key_for(definition_of(response), answers_of(response), key)


def save_page(
    session: Session,
    response: Response,
    key: str,
    raw: dict[str, Any],
    *,
    action: str = "next",
    shown: frozenset[str] = frozenset(),
    language: str = "fr",
    uploads: dict[str, UploadedFile] | None = None,
    now: dt.datetime | None = None,
) -> Step:
    """Check and keep a page's answers, then say where to go (``action``: next/back/add/remove,
    or refresh: keep what is valid and stay).

    Valid answers are always kept, even when another field of the page has an error or the
    respondent goes back. A question that became relevant on this very page (e.g. "how did you
    hear of it" after ticking "someone told me") keeps the respondent on the page so it can be
    answered, which is how skip logic works without JavaScript.
    """
    _require_draft(response)
    definition = definition_of(response)
    answers = answers_of(response)
    try:
        page = E.get_page(definition, answers, key)
    except AnswerError as error:
        raise DraftError(str(error)) from error
    raw = dict(raw)
    upload_errors = _take_uploads(response, definition, answers, page, raw, uploads or {}, language)
    if page.repeat and page.instance == 0:
        # The placeholder page of an empty open-ended repeat has nothing to check.
        result = E.PageResult(answers)
    else:
        try:
            result = E.submit_page(
                definition, answers, key, raw, language=language, now=now, shown=shown or None
            )
        except SurveyError as error:
            raise DraftError(str(error)) from error
    errors = {**result.errors, **upload_errors}
    answers = result.answers

    if action == "back":
        target = previous_key_for(definition, answers, key) or key
        _save(session, response, answers, target, language)
        return Step(target)
    if action == "refresh":
        # JavaScript asks for the page again after an answer that reveals or filters others:
        # valid answers are kept, nothing is reported as missing yet.
        _save(session, response, answers, key, language)
        return Step(key)
    if errors:
        _save(session, response, answers, key, language)
        return Step(key, errors, result.raw)
    if action == "add" and page.repeat:
        try:
            answers = E.add_instance(definition, answers, page.repeat, page.parent)
        except AnswerError as error:
            _save(session, response, answers, key, language)
            return Step(key, {"__page__": str(error)}, result.raw)
        target = _last_instance_key(definition, answers, page)
        _save(session, response, answers, target, language)
        return Step(target)
    if action == "remove" and page.repeat and page.instance > 0:
        try:
            answers = E.remove_instance(
                definition, answers, page.repeat, page.instance, page.parent
            )
        except AnswerError as error:
            _save(session, response, answers, key, language)
            return Step(key, {"__page__": str(error)}, result.raw)
        target = _after_removal(definition, answers, page)
        _save(session, response, answers, target, language)
        return Step(target)
    if _new_fields_appeared(definition, answers, page, shown, now):
        _save(session, response, answers, key, language)
        return Step(key)
    following = _next_key(definition, answers, key)
    _save(session, response, answers, following, language)
    return Step(following)


def previous_key_for(definition: FormDefinition, answers: E.Answers, key: str) -> str | None:
    """The relevant page before ``key`` under these answers."""
    try:
        page = E.previous_page(definition, answers, key)
    except AnswerError:
        return None
    return page.key if page else None


def _next_key(definition: FormDefinition, answers: E.Answers, key: str) -> str:
    try:
        page = E.next_page(definition, answers, key)
    except AnswerError:
        page = None
    return page.key if page else CHECK_PAGE


def _last_instance_key(definition: FormDefinition, answers: E.Answers, page: E.Page) -> str:
    """The page of the instance just added at the end of ``page``'s repeat (same parent)."""
    last = page.key
    for candidate in E.pages(definition, answers):
        if candidate.repeat == page.repeat and candidate.parent == page.parent:
            last = candidate.key
    return last


def _after_removal(definition: FormDefinition, answers: E.Answers, page: E.Page) -> str:
    keys = [p.key for p in E.relevant_pages(definition, answers)]
    repeat, parent, index = page.repeat or "", page.parent, page.instance
    for at in (index, index - 1, 0):
        candidate = E.page_key(repeat, (*parent, at))
        if candidate in keys:
            return candidate
    return keys[0] if keys else CHECK_PAGE


def _new_fields_appeared(
    definition: FormDefinition,
    answers: E.Answers,
    page: E.Page,
    shown: frozenset[str],
    now: dt.datetime | None,
) -> bool:
    for question in page.fields:
        if question.name in shown or question.type == "note" or question.read_only:
            continue
        if E.is_relevant(definition, answers, question.name, page.path, now):
            return True
    return False


def _take_uploads(
    response: Response,
    definition: FormDefinition,
    answers: E.Answers,
    page: E.Page,
    raw: dict[str, Any],
    uploads: dict[str, UploadedFile],
    language: str = "fr",
) -> dict[str, str]:
    """Store accepted uploads and put their stored names in ``raw``; return upload errors
    (in the respondent's ``language``)."""
    errors: dict[str, str] = {}
    store = E.page_store(definition, answers, page)
    for question in page.fields:
        if question.type not in UPLOAD_TYPES:
            continue
        sent = uploads.get(question.name)
        if sent is None or not sent.data:
            # No new file: keep the one already given (a file input cannot be pre-filled).
            existing = store.get(question.name)
            if existing:
                raw[question.name] = existing
            else:
                raw.pop(question.name, None)
            continue
        try:
            accepted = check_upload(
                question, sent.filename, sent.data, E.message_language(definition, language)
            )
        except UploadError as error:
            errors[question.name] = str(error)
            raw.pop(question.name, None)
            continue
        raw[question.name] = _write_upload(
            response, question.name, accepted.extension, accepted.data
        )
    return errors


def upload_root() -> Path:
    """The folder of uploaded files (``<instance>/uploads``)."""
    return Path(current_app.instance_path) / UPLOAD_DIR


def _write_upload(response: Response, name: str, extension: str, data: bytes) -> str:
    folder = upload_root() / response.uuid
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{re.sub(r'[^A-Za-z0-9_-]', '_', name)}-{secrets.token_hex(6)}.{extension}"
    (folder / filename).write_bytes(data)
    return f"{response.uuid}/{filename}"


def go_to(session: Session, response: Response, key: str) -> None:
    """Remember the page the respondent chose to revisit (from the check page)."""
    _require_draft(response)
    if key != CHECK_PAGE and not page_exists(response, key):
        raise DraftError(_("Cette page n'existe pas dans ce questionnaire."))
    state = dict(response.draft_state or {})
    state["page"] = key
    response.draft_state = state
    session.commit()


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class SummaryItem:
    """One answered (or skipped) question for the check page."""

    page: str
    label: str
    value: str


def summary(response: Response, language: str) -> list[SummaryItem]:
    """Every relevant question with its answer in words, in page order."""
    definition = definition_of(response)
    answers = answers_of(response)
    items: list[SummaryItem] = []
    for page in E.relevant_pages(definition, answers):
        page_view = E.view_page(definition, answers, page.key, language)
        for item in page_view.fields:
            if item.type == "note":
                continue
            items.append(SummaryItem(page.key, item.label, display_value(item, language)))
    return items


def display_value(item: E.FieldView, language: str = "fr") -> str:
    """An answer in words: choice labels for selects, the file name for uploads."""
    if not item.value:
        return ""
    if item.type == "date" and language == "fr" and re.fullmatch(r"\d{4}-\d\d-\d\d", item.value):
        year, month, day = item.value.split("-")
        return f"{day}/{month}/{year}"
    if item.choices:
        labels = {c.code: c.label for c in item.choices}
        return ", ".join(labels.get(code, code) for code in item.value.split())
    if item.type in UPLOAD_TYPES:
        return item.value.rsplit("/", 1)[-1]
    if item.type == "acknowledge":
        return "OK"
    return item.value


# --------------------------------------------------------------------------- submission


def find_submitted(session: Session, idempotency_key: str | None) -> Response | None:
    """The submitted response sent with this idempotency key, or None."""
    if not valid_idempotency_key(idempotency_key):
        return None
    return session.scalar(
        select(Response).where(
            Response.idempotency_key == idempotency_key,
            Response.status == ResponseStatus.SUBMITTED,
        )
    )


def submit(
    session: Session,
    response: Response,
    idempotency_key: str,
    *,
    language: str | None = None,
    now: dt.datetime | None = None,
) -> Response | None:
    """Submit a draft atomically; return the stored response (None for a dropped robot draft).

    Raises ``IncompleteError`` when required answers are missing, ``DraftError`` when the key
    is malformed. A second call with the same key, or for an already submitted draft, returns
    the response stored the first time.
    """
    if not valid_idempotency_key(idempotency_key):
        raise DraftError(_("Le formulaire n'est pas valide. Rechargez la page."))
    already = find_submitted(session, idempotency_key)
    if already is not None:
        return already
    if response.status is ResponseStatus.SUBMITTED:
        return response
    moment = now or utcnow()
    definition = definition_of(response)
    answers = answers_of(response)
    if is_honeypot(response) or is_preview(response):
        # Silently accepted, never stored: the robot sees the usual thank-you page; a
        # coordinator's preview ends there too.
        session.delete(response)
        session.commit()
        return None
    lang = language or response.language
    missing = E.missing_required(definition, E.recompute(definition, answers, moment), moment)
    if missing:
        page, name = missing[0]
        message = E.message("required", "en" if lang.startswith("en") else "fr")
        raise IncompleteError(message, page, {name: message})
    try:
        final = E.finish(definition, answers, moment)
    except SurveyError as error:
        raise DraftError(str(error)) from error
    rows = E.to_rows(definition, final)
    neighbourhood_id = _neighbourhood_for(session, final, response)
    response_id = response.id
    try:
        flipped = session.execute(
            update(Response)
            .where(Response.id == response_id, Response.status == ResponseStatus.DRAFT)
            .values(
                status=ResponseStatus.SUBMITTED,
                submitted_at=moment,
                updated_at=moment,
                draft_state=null(),
                draft_token_hash=None,
                idempotency_key=idempotency_key,
                neighbourhood_id=neighbourhood_id,
                language=lang[:10],
            )
            .execution_options(synchronize_session=False)
        )
        if flipped.rowcount != 1:
            # Another request submitted this draft first: keep its result, add nothing.
            session.rollback()
            session.refresh(response)
            return response
        if rows:
            session.execute(
                insert(Answer),
                [
                    {
                        "response_id": response_id,
                        "question": row.question,
                        "repeat_index": row.repeat_index,
                        "repeat_parent": row.parent,
                        "value": row.value,
                    }
                    for row in rows
                ],
            )
        session.commit()
    except IntegrityError:
        # The same idempotency key was used for another draft at the same moment.
        session.rollback()
        return find_submitted(session, idempotency_key) or response
    session.refresh(response)
    return response


def _neighbourhood_for(session: Session, answers: E.Answers, response: Response) -> int | None:
    """The person's own answer when given (None for 'other'), else where they were met."""
    code = answers.get("neighbourhood")
    if isinstance(code, str) and code:
        return session.scalar(select(Neighbourhood.id).where(Neighbourhood.code == code))
    return response.neighbourhood_id


def abandon(session: Session, response: Response) -> None:
    """Delete a draft the respondent chose to start again (submitted responses are kept)."""
    if response.status is ResponseStatus.DRAFT:
        session.delete(response)
        session.commit()


def needs_of(session: Session, response_uuid: str) -> list[str]:
    """The theme codes a submitted response asked help for (for the thank-you page)."""
    value = session.scalar(
        select(Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.uuid == response_uuid, Answer.question == "needs")
    )
    return value.split() if value else []
