"""The adaptive self-assessment of the Pass informatique: one question per page, no account.

Pure and serialisable: the state is a small plain dict (JSON-safe, fits a cookie or a draft
row), and every function returns a new state without touching the old one.

The rule, per domain, in the framework's order (the first question is one everybody can do):

1. Start at level 1 and ask the level's key can-do (its first one).
2. ``alone``  -> the level is reached; climb to the next level and go to 1 (at the top: stop).
3. otherwise  -> ask ONE more can-do of that level, then stop climbing this domain: the person
   has reached what they cannot yet do alone. (The scoring module turns these answers into
   the level: all answers alone = reached, some alone/with help = "with help", else "not yet".)
4. Then one optional mini-challenge of the domain, at the level reached (level 1 for a
   beginner): a choice or "skip"; it never changes the level. After an answer (not a skip)
   a short page shows the right answer and a friendly explanation.

So a domain takes 2 statements at least and 5 at most (3 key can-dos alone, then 2 at level 4):
with 6 domains a beginner answers 12 statements (+6 optional challenges), a person who does
everything alone 24 (+6), and nobody more than 30 statements + 6 challenges = 36 questions.

Fast path ("Je me débrouille bien"): the state's optional ``"start"`` level (2 or more) makes
each domain begin with the key can-do of that level. Answered ``alone``, the levels below count
as done alone (their key can-dos are implied, see :func:`result`) and the climb goes on from
there; otherwise the domain falls back to the normal rule from level 1, and that answer stands
for the start level's key can-do (it is not asked twice). An advanced person then answers 2
statements per domain instead of 5.

State shape (version 1)::

    {"v": 1,
     "framework": "pass-informatique-martigues@1.0",   # Framework.key
     "domains": ["devices", "browsing", ...],           # order asked (a subset is allowed)
     "start": 3,                                        # optional: the fast path's first level
     "events": [["statement", "devices-1-1", "alone"],  # [kind, id, value], oldest first
                ["challenge", "devices-4-challenge", "b"],   # value: choice id or "skip"
                ["feedback", "devices-4-challenge", "continue"]]}

Only the answers are stored; the current step is found by replaying them, so a stale or
tampered state is detected (AssessmentError with reason "state") instead of giving nonsense.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from badges import scoring
from badges.scoring import Answer, AssessmentRecord, Channel, DeclaredLevel
from badges.skills import CanDo, Challenge, Choice, Domain, Framework, Level, load_framework

STATE_VERSION = 1
SKIP = "skip"
CONTINUE = "continue"
StepKind = Literal["statement", "challenge", "feedback"]
ErrorReason = Literal["state", "answer", "finished", "stale"]

QUESTION = "Est-ce que vous savez faire ça ?"
ANSWER_LABELS: dict[Answer, str] = {
    "alone": "Oui, seul(e)",
    "with_help": "Oui, avec de l'aide",
    "not_yet": "Pas encore",
}
CHALLENGE_INTRO = (
    "Un petit défi pour s'amuser : il ne compte pas pour vos badges. Vous pouvez le passer."
)
# Where the fast path ("Je me débrouille bien") begins each domain.
FAST_START_LEVEL = 3
SKIP_LABEL = "Passer ce défi"
CONTINUE_LABEL = "Continuer"
RIGHT_TITLE = "Bravo, c'est la bonne réponse !"
OTHER_TITLE = "Presque ! La bonne réponse est : « {answer} »."

# Rough number of questions in a domain not started yet, for the "about n" shown to the person.
_ESTIMATE_PER_DOMAIN = 3

_MESSAGES: dict[ErrorReason, str] = {
    "state": "Votre questionnaire n'a pas pu être repris. Recommençons depuis le début.",
    "answer": "Merci de choisir une des réponses proposées.",
    "finished": "Le questionnaire est déjà terminé. Bravo !",
    "stale": "Cette page n'était plus à jour. Voici la question où vous en êtes.",
}


class AssessmentError(ValueError):
    """A bad answer or state; ``message`` is plain French, ``reason`` tells the web layer why.

    reason: "state" (unreadable state: start again), "answer" (not one of the choices),
    "finished" (nothing left to answer), "stale" (an old page was submitted: show the current).
    """

    def __init__(self, reason: ErrorReason, detail: str = "") -> None:
        self.reason: ErrorReason = reason
        self.message = _MESSAGES[reason]
        self.detail = detail
        super().__init__(f"{self.message} ({detail})" if detail else self.message)


@dataclass(frozen=True)
class Progress:
    """Where the person is: questions answered, an estimate of the total, and the domain."""

    done: int
    total: int
    domain_number: int
    domain_count: int

    @property
    def percent(self) -> int:
        """Rounded share of the estimated total already answered (for a progress bar)."""
        return round(100 * self.done / self.total) if self.total else 100


@dataclass(frozen=True)
class AnswerOption:
    """A button of a step: the value to send back and its French label."""

    value: str
    label: str


@dataclass(frozen=True)
class StatementStep:
    """Ask one can-do: "Je sais…" with three answers."""

    key: str
    domain: Domain
    level: Level
    can_do: CanDo
    progress: Progress
    question: str = QUESTION
    options: tuple[AnswerOption, ...] = tuple(
        AnswerOption(value, label) for value, label in ANSWER_LABELS.items()
    )
    kind: Literal["statement"] = "statement"


@dataclass(frozen=True)
class ChallengeStep:
    """A mini-challenge: a picture, a question, 2-4 choices, and a way to skip it."""

    key: str
    domain: Domain
    level: Level
    challenge: Challenge
    progress: Progress
    options: tuple[AnswerOption, ...]
    intro: str = CHALLENGE_INTRO
    skip: AnswerOption = AnswerOption(SKIP, SKIP_LABEL)
    kind: Literal["challenge"] = "challenge"


@dataclass(frozen=True)
class FeedbackStep:
    """After a challenge: was it right, the right answer, and the friendly explanation."""

    key: str
    domain: Domain
    challenge: Challenge
    chosen: Choice
    correct: bool
    title: str
    explanation: str
    progress: Progress
    options: tuple[AnswerOption, ...] = (AnswerOption(CONTINUE, CONTINUE_LABEL),)
    kind: Literal["feedback"] = "feedback"


Step = StatementStep | ChallengeStep | FeedbackStep


@dataclass(frozen=True)
class AssessmentResult:
    """What a (finished or partial) self-assessment says, ready to be stored and scored."""

    framework_key: str
    finished: bool
    answers: Mapping[str, Answer]
    challenges: Mapping[str, str]
    domains: tuple[DeclaredLevel, ...]
    challenges_right: int
    challenges_answered: int

    def domain(self, code: str) -> DeclaredLevel:
        """Return the declared level of one domain; KeyError if it was not assessed."""
        for declared in self.domains:
            if declared.domain == code:
                return declared
        raise KeyError(code)

    def to_record(
        self,
        assessed_at: datetime,
        channel: Channel = "self",
        observations: Mapping[str, Answer] | None = None,
        assessment_id: int | str | None = None,
    ) -> AssessmentRecord:
        """Build the scoring record of this sitting (add an aidant's observations if any)."""
        return AssessmentRecord(
            assessed_at=assessed_at,
            channel=channel,
            answers=dict(self.answers),
            observations=dict(observations or {}),
            assessment_id=assessment_id,
        )


# --------------------------------------------------------------------------------------------
# Public functions


def start(
    framework: Framework | None = None,
    domains: Sequence[str] | None = None,
    start_level: int = 1,
) -> dict[str, Any]:
    """Return a new state; ``domains`` picks and orders domains (all, in order, by default).

    ``start_level`` above 1 is the fast path: each domain begins at that level (see above).
    """
    framework = framework or load_framework()
    codes = list(framework.domain_codes if domains is None else domains)
    if not codes or len(set(codes)) != len(codes):
        raise AssessmentError("state", "domains must be a non-empty list without repeats")
    for code in codes:
        if code not in framework.domain_codes:
            raise AssessmentError("state", f"unknown domain {code!r}")
    if not 1 <= start_level <= 4:
        raise AssessmentError("state", f"start level {start_level!r} is not 1 to 4")
    state: dict[str, Any] = {
        "v": STATE_VERSION,
        "framework": framework.key,
        "domains": codes,
        "events": [],
    }
    if start_level > 1:
        state["start"] = start_level
    return state


def start_level(state: Mapping[str, Any]) -> int:
    """The level each domain begins at: 1, or more on the fast path."""
    value = state.get("start", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def current_step(state: Mapping[str, Any], framework: Framework | None = None) -> Step | None:
    """Return the step to show now, or None when the assessment is finished."""
    return _replay(state, framework).step


def answer(
    state: Mapping[str, Any],
    value: str,
    *,
    step_key: str | None = None,
    framework: Framework | None = None,
) -> dict[str, Any]:
    """Record the answer to the current step and return the new state.

    ``value``: "alone" / "with_help" / "not_yet" for a statement, a choice id or "skip" for a
    challenge, "continue" for a feedback page. ``step_key`` (the key of the page the person
    saw) guards against an old page submitted again: a mismatch raises reason "stale".
    """
    replay = _replay(state, framework)
    step = replay.step
    if step is None:
        raise AssessmentError("finished")
    if step_key is not None and step_key != step.key:
        raise AssessmentError("stale", f"expected {step.key}, got {step_key}")
    allowed = {option.value for option in step.options}
    if isinstance(step, ChallengeStep):
        allowed.add(SKIP)
    if value not in allowed:
        raise AssessmentError("answer", f"{value!r} not in {sorted(allowed)}")
    item_id = step.can_do.id if isinstance(step, StatementStep) else step.challenge.id
    return _with_events(state, [*replay.events, [step.kind, item_id, value]])


def back(state: Mapping[str, Any], framework: Framework | None = None) -> dict[str, Any]:
    """Undo the last answer (a challenge and its explanation page count as one)."""
    events = list(_replay(state, framework).events)
    if events and events[-1][0] == "feedback":
        events.pop()
    if events:
        events.pop()
    return _with_events(state, events)


def is_finished(state: Mapping[str, Any], framework: Framework | None = None) -> bool:
    """Tell whether every chosen domain has been assessed."""
    return _replay(state, framework).step is None


def result(state: Mapping[str, Any], framework: Framework | None = None) -> AssessmentResult:
    """Return the declared levels (and raw answers) of the state, finished or not."""
    replay = _replay(state, framework)
    fw = replay.framework
    answers: dict[str, Answer] = {}
    challenges: dict[str, str] = {}
    for kind, item_id, value in replay.events:
        if kind == "statement":
            answers[item_id] = scoring.parse_answer(value)
        elif kind == "challenge":
            challenges[item_id] = value
    answers = _with_implied(fw, replay.domains, start_level(state), answers)
    declared = [
        level
        for code in replay.domains
        if (level := scoring.declared_level(fw.domain(code), answers)) is not None
    ]
    answered = {cid: value for cid, value in challenges.items() if value != SKIP}
    right = sum(fw.challenge(cid).right_choice.id == value for cid, value in answered.items())
    return AssessmentResult(
        framework_key=fw.key,
        finished=replay.step is None,
        answers=answers,
        challenges=challenges,
        domains=tuple(declared),
        challenges_right=right,
        challenges_answered=len(answered),
    )


# --------------------------------------------------------------------------------------------
# Replay


@dataclass(frozen=True)
class _Ask:
    """What the plan expects next (before progress is known)."""

    kind: StepKind
    domain: Domain
    level: Level
    can_do: CanDo | None = None
    challenge: Challenge | None = None
    chosen: str | None = None

    @property
    def item_id(self) -> str:
        if self.can_do is not None:
            return self.can_do.id
        assert self.challenge is not None
        return self.challenge.id


@dataclass(frozen=True)
class _Replay:
    framework: Framework
    domains: tuple[str, ...]
    events: tuple[list[str], ...]
    step: Step | None


def _with_implied(
    framework: Framework, domains: Sequence[str], begin: int, answers: dict[str, Answer]
) -> dict[str, Answer]:
    """On the fast path, a start level done alone implies the key can-dos below it, alone."""
    if begin <= 1:
        return answers
    implied = dict(answers)
    for code in domains:
        domain = framework.domain(code)
        top = min(begin, domain.top_level)
        if answers.get(domain.level(top).key_can_do.id) != "alone":
            continue
        for number in range(1, top):
            implied.setdefault(domain.level(number).key_can_do.id, "alone")
    return implied


def _plan(
    framework: Framework, domains: Sequence[str], begin: int = 1
) -> Generator[_Ask, str, None]:
    """The adaptive rule as a coroutine: yields what to ask, receives the answer."""
    for code in domains:
        domain = framework.domain(code)
        number = 1
        known: dict[int, str] = {}
        fast = min(begin, domain.top_level)
        if fast > 1:
            level = domain.level(fast)
            first = yield _Ask("statement", domain, level, can_do=level.key_can_do)
            if first == "alone":
                number = fast
            else:
                known[fast] = first  # fall back to level 1; this answer stands for level `fast`
        while True:
            level = domain.level(number)
            if number in known:
                first = known[number]
            elif number == fast and fast > 1 and not known:
                first = "alone"  # the fast start, already answered alone above
            else:
                first = yield _Ask("statement", domain, level, can_do=level.key_can_do)
            if first == "alone":
                if number == domain.top_level:
                    break
                number += 1
                continue
            yield _Ask("statement", domain, level, can_do=level.can_dos[1])
            break
        reached = number if first == "alone" else number - 1
        level = domain.level(max(1, reached))
        chosen = yield _Ask("challenge", domain, level, challenge=level.challenge)
        if chosen != SKIP:
            yield _Ask("feedback", domain, level, challenge=level.challenge, chosen=chosen)


def _replay(state: Mapping[str, Any], framework: Framework | None) -> _Replay:
    framework = framework or load_framework()
    domains, events = _read_state(state, framework)
    plan = _plan(framework, domains, start_level(state))
    ask: _Ask | None = next(plan)
    done = 0
    domain_index = 0
    for kind, item_id, value in events:
        if ask is None or kind != ask.kind or item_id != ask.item_id:
            raise AssessmentError("state", f"unexpected event {kind} {item_id}")
        if not _value_allowed(ask, value):
            raise AssessmentError("state", f"bad value {value!r} for {item_id}")
        if kind != "feedback":
            done += 1
        previous_domain = ask.domain.code
        try:
            ask = plan.send(value)
        except StopIteration:
            ask = None
        if ask is not None and ask.domain.code != previous_domain:
            domain_index += 1
    step = None
    if ask is not None:
        progress = Progress(
            done=done,
            total=done + _remaining(ask, len(domains) - domain_index - 1),
            domain_number=domain_index + 1,
            domain_count=len(domains),
        )
        step = _to_step(ask, progress)
    return _Replay(framework, tuple(domains), tuple(events), step)


def _value_allowed(ask: _Ask, value: str) -> bool:
    if ask.kind == "statement":
        return value in scoring.ANSWERS
    if ask.kind == "feedback":
        return value == CONTINUE
    assert ask.challenge is not None
    return value == SKIP or ask.challenge.choice(value) is not None


def _remaining(ask: _Ask, untouched_domains: int) -> int:
    """Questions still to come, counting this one: exact lower bound for the current domain."""
    if ask.kind == "feedback":
        here = 0
    elif ask.kind == "challenge":
        here = 1
    else:
        assert ask.can_do is not None
        # A key can-do is followed by at least one more statement (or a climb), then the challenge.
        here = (2 if ask.can_do == ask.level.key_can_do else 1) + 1
    return here + untouched_domains * _ESTIMATE_PER_DOMAIN


def _to_step(ask: _Ask, progress: Progress) -> Step:
    if ask.kind == "statement":
        assert ask.can_do is not None
        return StatementStep(
            key=f"statement:{ask.can_do.id}",
            domain=ask.domain,
            level=ask.level,
            can_do=ask.can_do,
            progress=progress,
        )
    assert ask.challenge is not None
    challenge = ask.challenge
    if ask.kind == "challenge":
        return ChallengeStep(
            key=f"challenge:{challenge.id}",
            domain=ask.domain,
            level=ask.level,
            challenge=challenge,
            progress=progress,
            options=tuple(AnswerOption(choice.id, choice.text) for choice in challenge.choices),
        )
    chosen = challenge.choice(ask.chosen or "")
    assert chosen is not None
    return FeedbackStep(
        key=f"feedback:{challenge.id}",
        domain=ask.domain,
        challenge=challenge,
        chosen=chosen,
        correct=chosen.correct,
        title=RIGHT_TITLE
        if chosen.correct
        else OTHER_TITLE.format(answer=challenge.right_choice.text),
        explanation=challenge.explanation,
        progress=progress,
    )


def _read_state(
    state: Mapping[str, Any], framework: Framework
) -> tuple[list[str], list[list[str]]]:
    if not isinstance(state, Mapping):
        raise AssessmentError("state", "state is not a mapping")
    if state.get("v") != STATE_VERSION:
        raise AssessmentError("state", f"unknown version {state.get('v')!r}")
    if state.get("framework") != framework.key:
        # Answers refer to can-do ids of one framework version: never mix versions.
        raise AssessmentError("state", f"framework {state.get('framework')!r} != {framework.key}")
    domains = state.get("domains")
    if (
        not isinstance(domains, list)
        or not domains
        or len(set(map(str, domains))) != len(domains)
        or any(code not in framework.domain_codes for code in domains)
    ):
        raise AssessmentError("state", "bad domains")
    events = state.get("events")
    if not isinstance(events, list) or not all(
        isinstance(event, list | tuple)
        and len(event) == 3
        and all(isinstance(part, str) for part in event)
        for event in events
    ):
        raise AssessmentError("state", "bad events")
    begin = state.get("start", 1)
    if not isinstance(begin, int) or isinstance(begin, bool) or not 1 <= begin <= 4:
        raise AssessmentError("state", "bad start level")
    return [str(code) for code in domains], [list(event) for event in events]


def _with_events(state: Mapping[str, Any], events: Sequence[Sequence[str]]) -> dict[str, Any]:
    new = {
        "v": STATE_VERSION,
        "framework": state["framework"],
        "domains": list(state["domains"]),
        "events": [list(event) for event in events],
    }
    if start_level(state) > 1:
        new["start"] = start_level(state)
    return new
