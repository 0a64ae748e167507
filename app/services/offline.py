"""The aidant's questionnaire without a connection: one page to fill, then a replay on the server.

Offline, the tablet cannot ask the server which page comes next, so the offline page shows every
question of the form at once (questions that only concern some people say so). The answers are
kept on the tablet with an idempotency key and sent when the connection returns; the server then
replays them page by page through the same engine as the online questionnaire (same checks,
same skip logic: answers to questions that did not concern the person are dropped) and submits
the response once, whatever the number of retries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.models import Channel, CollectionPoint, FormVersion, Neighbourhood, Response
from app.services import responses as drafts
from app.services.forms import load_definition
from surveys import engine as E

# A form has a few dozen pages; more steps than this means the replay is going round in circles.
MAX_REPLAY_STEPS = 500


class OfflineRejected(Exception):
    """The answers cannot be accepted as they are; ``str()`` is French, for the aidant."""


@dataclass(frozen=True)
class OfflineSection:
    """One page of the online questionnaire, as a section of the offline page."""

    key: str
    title: str
    fields: tuple[E.FieldView, ...]
    conditional: frozenset[str]


def _conditional(question: E.Question, parents: Sequence[E.Question]) -> bool:
    return bool(question.relevant or any(p.relevant for p in parents))


def _parents(form: E.FormDefinition) -> dict[str, list[E.Question]]:
    """For each field name, the groups that contain it (outermost first)."""
    found: dict[str, list[E.Question]] = {}

    def walk(items: Sequence[E.Question], chain: list[E.Question]) -> None:
        for item in items:
            if item.is_container:
                walk(item.children, [*chain, item])
            else:
                found[item.name] = chain

    walk(form.questions, [])
    return found


def sections(version: FormVersion, language: str = "fr") -> list[OfflineSection]:
    """Every page of the form with all its questions, relevant now or not (repeats left out)."""
    form = load_definition(version)
    answers = E.new_answers(form)
    lang = form.resolve_language(language)
    parents = _parents(form)
    result = []
    for page in E.pages(form, answers):
        if page.repeat:
            continue  # a repeat's instances are added one by one: online only
        fields = []
        conditional = set()
        for question, section in zip(page.fields, page.sections, strict=False):
            if question.type in ("image", "file", "calculate") or question.is_container:
                continue
            if _conditional(question, parents.get(question.name, [])):
                conditional.add(question.name)
            label = E.pick_label(question.labels, lang, question.name)
            hint = E.pick_label(question.hints, lang, "")
            fields.append(
                E.FieldView(
                    name=question.name,
                    type=question.type,
                    label=E.render_text(form, answers, label, 0, lang, question),
                    hint=E.render_text(form, answers, hint, 0, lang, question),
                    required=question.required and question.name not in conditional,
                    value=E._value_in(form, answers, page, question.name),
                    choices=tuple(E.choices_for(form, answers, question, 0, lang)),
                    appearance=tuple(question.appearances()),
                    parameters=dict(question.parameters),
                    read_only=question.read_only,
                    section=section,
                    error=None,
                )
            )
        if fields:
            title = E.pick_label(page.group.labels, lang, "") if page.group else ""
            result.append(
                OfflineSection(
                    page.key,
                    E.render_text(form, answers, title, 0, lang),
                    tuple(fields),
                    frozenset(conditional),
                )
            )
    return result


def _raw_for(page: E.Page, values: Mapping[str, Sequence[str]]) -> dict[str, object]:
    raw: dict[str, object] = {}
    for question in page.fields:
        if question.name not in values:
            continue
        given = list(values[question.name])
        if question.type in ("select_multiple", "select_multiple_from_file", "rank"):
            raw[question.name] = given
        else:
            raw[question.name] = given[0] if given else ""
    return raw


def submit_offline(
    session: Session,
    version: FormVersion,
    values: Mapping[str, Sequence[str]],
    idempotency_key: str,
    *,
    point: CollectionPoint | None,
    neighbourhood: Neighbourhood | None,
    aidant_id: int | None,
    language: str = "fr",
) -> Response:
    """Store answers filled offline as one assisted response, exactly once per key."""
    if not drafts.valid_idempotency_key(idempotency_key):
        raise OfflineRejected(_("Le formulaire n'est pas valide. Rechargez la page."))
    already = drafts.find_submitted(session, idempotency_key)
    if already is not None:
        return already
    draft, _token = drafts.start_draft(
        session,
        version,
        point=point,
        neighbourhood=neighbourhood,
        channel=Channel.ASSISTED,
        aidant_id=aidant_id,
        language=language,
    )
    form = drafts.definition_of(draft)
    for _step in range(MAX_REPLAY_STEPS):
        key = drafts.current_page(draft)
        if key == drafts.CHECK_PAGE:
            break
        page = E.get_page(form, drafts.answers_of(draft), key)
        shown = frozenset(q.name for q in page.fields)
        step = drafts.save_page(
            session,
            draft,
            key,
            _raw_for(page, values),
            action="next",
            shown=shown,
            language=language,
        )
        if not step.ok:
            view = E.view_page(form, drafts.answers_of(draft), key, language, step.errors)
            problems = [f"{f.label} : {f.error}" for f in view.fields if f.error]
            drafts.abandon(session, draft)
            raise OfflineRejected(
                _("Réponse à compléter : %(problems)s", problems=" ; ".join(problems) or key)
            )
        if step.target == key:
            drafts.abandon(session, draft)
            raise OfflineRejected(
                _("Cette réponse n'a pas pu être relue. Saisissez-la de nouveau.")
            )
    try:
        stored = drafts.submit(session, draft, idempotency_key, language=language)
    except drafts.DraftError as error:
        drafts.abandon(session, draft)
        raise OfflineRejected(str(error)) from error
    assert stored is not None  # no honeypot here
    return stored
