"""Scoring of the Pass informatique: from answers and observations to a level per domain.

How it works, in plain words
============================

Answers. For each "Je sais…" (can-do) the person answers ``alone`` (Oui, seul(e)), ``with_help``
(Oui, avec de l'aide) or ``not_yet`` (Pas encore).

One level, from the answers given at that level (the self-assessment asks 1 or 2 of them):

- reached **alone** when every answer given at that level is ``alone``;
- reached **with help** when it is not reached alone but at least one answer is ``alone`` or
  ``with_help`` (the person does part of it, or does it with someone beside them);
- **not yet** when every answer is ``not_yet`` (or nothing was asked at that level).

The level of a domain (0 to 4) is the highest level L such that levels 1..L are all reached
alone (0 = "À découvrir"). If the level just above is reached with help, it is reported as
``with_help_level`` ("en cours"): encouraged, but it earns no badge yet. So a level number
always means "I can do this on my own".

Observations. An aidant asks for the practical check of a level and ticks what they saw:
``alone`` (réussi seul(e)), ``with_help`` or ``not_yet``; checks not tried are simply absent.
In one sitting:

- the **validated** level is the highest level whose check was seen done alone, as long as no
  lower check was seen *not* done alone (a harder check done alone covers the easier ones);
- a check seen not done alone at level L is a **ceiling**: after it, neither the declared nor
  the validated level can be above L - 1 (the aidant's observation outweighs a declaration).

Combining dated assessments (oldest first; within one sitting, answers before observations):

- a later self-assessment of a domain **replaces** the earlier declared level, even if lower;
- observations raise the validated level, and a ceiling lowers both levels (skills can fade);
- a self-declaration never lowers a validated level: the current level is
  ``max(declared, validated)``, with status ``validated`` when the validated level is at least
  the declared one (and an aidant has observed this domain), otherwise ``self_declared``.

Badges. There is a badge for each domain and each level 1..current level. Self-declared levels
do earn badges, marked ``self_declared``; levels at or below the validated level earn the
``validated`` badge. A badge records what was reached on its date and is never taken back by a
later, lower assessment (only the Open Badges revocation does that, for mistakes). A level first
declared then validated has both badges, as in open recognition practice.

History keeps, for each assessment and each domain it touched, the standing right after it:
these are the rows of the shared "Pass results" table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from badges.skills import CanDo, Domain, Framework, load_framework

Answer = Literal["alone", "with_help", "not_yet"]
ANSWERS: tuple[Answer, ...] = ("alone", "with_help", "not_yet")
Status = Literal["self_declared", "validated"]
Channel = Literal["self", "assisted"]
CHANNELS: tuple[Channel, ...] = ("self", "assisted")
LevelOutcome = Literal["alone", "with_help", "not_yet"]

MAX_NEXT_CAN_DOS = 3
WITH_HELP_MESSAGE = "Avec un peu d'aide, vous faites déjà des choses du niveau « {name} »."
KNOWS_MORE_MESSAGE = "Vous en savez plus que vous ne le pensiez !"
NEXT_STEP_MESSAGE = "Prochaine étape : « {name} »."


class ScoringError(ValueError):
    """Assessments that cannot be scored; ``message`` is plain French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AssessmentRecord:
    """One dated sitting: the person's answers and, with an aidant, the checks observed."""

    assessed_at: datetime
    channel: Channel = "self"
    answers: Mapping[str, Answer] = field(default_factory=dict)
    observations: Mapping[str, Answer] = field(default_factory=dict)
    assessment_id: int | str | None = None


@dataclass(frozen=True)
class DeclaredLevel:
    """What one set of answers says about one domain."""

    domain: str
    level: int
    with_help_level: int | None


@dataclass(frozen=True)
class ObservedLevel:
    """What one sitting's observations say about one domain."""

    domain: str
    validated: int
    ceiling: int | None
    with_help_level: int | None


@dataclass(frozen=True)
class HistoryEntry:
    """A domain's standing right after one assessment (a row of the Pass results table)."""

    assessment_id: int | str | None
    assessed_at: datetime
    channel: Channel
    domain: str
    level: int
    status: Status


@dataclass(frozen=True)
class EarnedBadge:
    """A badge for a domain and level, self-declared or validated, with the date it was earned."""

    domain: str
    level: int
    status: Status
    earned_at: datetime
    assessment_id: int | str | None


@dataclass(frozen=True)
class DomainStanding:
    """Where a person is now in one domain, and what to learn next."""

    domain: str
    level: int
    status: Status
    level_name: str
    declared_level: int | None
    validated_level: int
    with_help_level: int | None
    assessed_at: datetime | None
    messages: tuple[str, ...]
    next_can_dos: tuple[CanDo, ...]
    next_themes: tuple[str, ...]

    @property
    def assessed(self) -> bool:
        """Whether any assessment has touched this domain yet."""
        return self.assessed_at is not None


@dataclass(frozen=True)
class PassStanding:
    """A Pass's current levels, its badges and its history, from all its assessments."""

    domains: tuple[DomainStanding, ...]
    badges: tuple[EarnedBadge, ...]
    history: tuple[HistoryEntry, ...]

    def domain(self, code: str) -> DomainStanding:
        """Return the standing in one domain; KeyError if unknown."""
        for standing in self.domains:
            if standing.domain == code:
                return standing
        raise KeyError(code)


def level_outcome(answers: Sequence[Answer]) -> LevelOutcome:
    """Outcome of one level from the answers given at that level (see module doc)."""
    if answers and all(answer == "alone" for answer in answers):
        return "alone"
    if any(answer in ("alone", "with_help") for answer in answers):
        return "with_help"
    return "not_yet"


def declared_level(domain: Domain, answers: Mapping[str, Answer]) -> DeclaredLevel | None:
    """Level declared in a domain from can-do answers; None if none of its can-dos was answered."""
    per_level = [
        [answers[can_do.id] for can_do in level.can_dos if can_do.id in answers]
        for level in domain.levels
    ]
    if not any(per_level):
        return None
    reached = 0
    for number, given in enumerate(per_level, start=1):
        if level_outcome(given) != "alone":
            break
        reached = number
    with_help = None
    if reached < domain.top_level and level_outcome(per_level[reached]) == "with_help":
        with_help = reached + 1
    return DeclaredLevel(domain=domain.code, level=reached, with_help_level=with_help)


def observed_level(domain: Domain, observations: Mapping[str, Answer]) -> ObservedLevel | None:
    """Validated level and ceiling in a domain from one sitting's checks; None if none ticked."""
    seen = {
        level.number: observations[level.observation.id]
        for level in domain.levels
        if level.observation.id in observations
    }
    if not seen:
        return None
    failures = sorted(number for number, result in seen.items() if result != "alone")
    first_failure = failures[0] if failures else None
    validated = max(
        (
            number
            for number, result in seen.items()
            if result == "alone" and (first_failure is None or number < first_failure)
        ),
        default=0,
    )
    with_help = None
    if first_failure is not None and seen[first_failure] == "with_help":
        with_help = first_failure
    return ObservedLevel(
        domain=domain.code,
        validated=validated,
        ceiling=None if first_failure is None else first_failure - 1,
        with_help_level=with_help,
    )


@dataclass
class _Running:
    """Mutable standing of one domain while walking the history."""

    declared: int | None = None
    validated: int = 0
    observed: bool = False
    with_help: int | None = None
    knows_more: bool = False
    assessed_at: datetime | None = None
    last_answers: Mapping[str, Answer] = field(default_factory=dict)

    @property
    def level(self) -> int:
        return max(self.declared or 0, self.validated)

    @property
    def status(self) -> Status:
        if self.observed and self.validated >= (self.declared or 0):
            return "validated"
        return "self_declared"


def evaluate(
    records: Sequence[AssessmentRecord], framework: Framework | None = None
) -> PassStanding:
    """Combine a Pass's dated assessments into current levels, badges and history."""
    framework = framework or load_framework()
    for record in records:
        _check_record(framework, record)
    ordered = sorted(enumerate(records), key=lambda item: (_utc(item[1].assessed_at), item[0]))
    running = {domain.code: _Running() for domain in framework.domains}
    history: list[HistoryEntry] = []
    badges: dict[tuple[str, int, Status], EarnedBadge] = {}

    for _, record in ordered:
        when = _utc(record.assessed_at)
        for domain in framework.domains:
            state = running[domain.code]
            declared = declared_level(domain, record.answers)
            observed = observed_level(domain, record.observations)
            if declared is None and observed is None:
                continue
            if declared is not None:
                state.declared = declared.level
                state.with_help = declared.with_help_level
                state.knows_more = False
                state.last_answers = {
                    key: value
                    for key, value in record.answers.items()
                    if framework.can_do(key).domain == domain.code
                }
            if observed is not None:
                _apply_observation(state, observed)
            state.assessed_at = when
            history.append(
                HistoryEntry(
                    assessment_id=record.assessment_id,
                    assessed_at=when,
                    channel=record.channel,
                    domain=domain.code,
                    level=state.level,
                    status=state.status,
                )
            )
            for number in range(1, state.level + 1):
                status: Status = "validated" if number <= state.validated else "self_declared"
                badge_key = (domain.code, number, status)
                if badge_key not in badges:
                    badges[badge_key] = EarnedBadge(
                        domain=domain.code,
                        level=number,
                        status=status,
                        earned_at=when,
                        assessment_id=record.assessment_id,
                    )

    standings = tuple(
        _standing(framework, domain, running[domain.code]) for domain in framework.domains
    )
    order = {code: index for index, code in enumerate(framework.domain_codes)}
    sorted_badges = sorted(
        badges.values(), key=lambda b: (order[b.domain], b.level, b.status != "self_declared")
    )
    return PassStanding(domains=standings, badges=tuple(sorted_badges), history=tuple(history))


def _apply_observation(state: _Running, observed: ObservedLevel) -> None:
    before = state.declared
    if observed.ceiling is not None:
        state.validated = min(state.validated, observed.ceiling)
        if state.declared is not None:
            state.declared = min(state.declared, observed.ceiling)
    state.validated = max(state.validated, observed.validated)
    state.observed = True
    if observed.with_help_level is not None:
        state.with_help = observed.with_help_level
    if before is not None and state.validated > before:
        state.knows_more = True


def _standing(framework: Framework, domain: Domain, state: _Running) -> DomainStanding:
    level = state.level
    with_help = state.with_help if state.with_help == level + 1 else None
    messages = [framework.level_name(level).message]
    if state.knows_more and state.status == "validated":
        messages.append(KNOWS_MORE_MESSAGE)
    if with_help is not None:
        messages.append(WITH_HELP_MESSAGE.format(name=framework.level_name(with_help).name))
    next_can_dos: tuple[CanDo, ...] = ()
    next_themes: tuple[str, ...] = ()
    if level < domain.top_level:
        next_level = domain.level(level + 1)
        if with_help is None:
            messages.append(NEXT_STEP_MESSAGE.format(name=next_level.name))
        # What the person did not already say they do alone, key can-do first.
        next_can_dos = tuple(
            can_do for can_do in next_level.can_dos if state.last_answers.get(can_do.id) != "alone"
        )[:MAX_NEXT_CAN_DOS]
        next_themes = next_level.themes
    return DomainStanding(
        domain=domain.code,
        level=level,
        status=state.status,
        level_name=framework.level_name(level).name,
        declared_level=state.declared,
        validated_level=state.validated,
        with_help_level=with_help,
        assessed_at=state.assessed_at,
        messages=tuple(messages),
        next_can_dos=next_can_dos,
        next_themes=next_themes,
    )


def _utc(moment: datetime) -> datetime:
    # Databases often hand back naive UTC datetimes; treat them as UTC so sorting never crashes.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _check_record(framework: Framework, record: AssessmentRecord) -> None:
    if not isinstance(record.assessed_at, datetime):
        raise ScoringError("Une évaluation n'a pas de date.")
    if record.channel not in CHANNELS:
        raise ScoringError(
            f"Canal inconnu « {record.channel} » (attendu : seul ou avec un aidant)."
        )
    for key, value in record.answers.items():
        try:
            framework.can_do(key)
        except KeyError:
            raise ScoringError(f"Réponse à un « je sais » inconnu : « {key} ».") from None
        if value not in ANSWERS:
            raise ScoringError(f"Réponse inconnue « {value} » pour « {key} ».")
    for key, value in record.observations.items():
        try:
            framework.observation(key)
        except KeyError:
            raise ScoringError(f"Vérification inconnue : « {key} ».") from None
        if value not in ANSWERS:
            raise ScoringError(f"Résultat inconnu « {value} » pour la vérification « {key} ».")


def parse_answer(value: object) -> Answer:
    """Return ``value`` as an Answer, or raise ScoringError with a French message."""
    for known in ANSWERS:
        if value == known:
            return known
    raise ScoringError(
        "Merci de choisir : « Oui, seul(e) », « Oui, avec de l'aide » ou « Pas encore »."
    )
