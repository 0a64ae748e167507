"""The adaptive self-assessment: question counts on simulated profiles, back, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badges import assessment, scoring
from badges.assessment import (
    AssessmentError,
    ChallengeStep,
    FeedbackStep,
    StatementStep,
    Step,
)
from badges.skills import load_framework

FRAMEWORK = load_framework()
DOMAINS = FRAMEWORK.domain_codes

Profile = Callable[[Step], str]


def run(profile: Profile, state: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Answer until the end; return the final state and the keys of the pages shown."""
    state = state or assessment.start()
    shown: list[str] = []
    while (step := assessment.current_step(state)) is not None:
        shown.append(step.key)
        state = assessment.answer(state, profile(step), step_key=step.key)
        assert len(shown) < 200, "the assessment never ends"
    return state, shown


def fixed(statement_value: str, challenge_value: str = "skip") -> Profile:
    def profile(step: Step) -> str:
        if isinstance(step, StatementStep):
            return statement_value
        if isinstance(step, ChallengeStep):
            return challenge_value
        return "continue"

    return profile


def right_answers(step: Step) -> str:
    if isinstance(step, ChallengeStep):
        return step.challenge.right_choice.id
    return fixed("alone")(step)


def by_level(levels: Mapping[str, int], at_frontier: str = "not_yet") -> Profile:
    """A person who does levels 1..levels[domain] alone and answers `at_frontier` above."""

    def profile(step: Step) -> str:
        if isinstance(step, StatementStep):
            if step.level.number <= levels[step.domain.code]:
                return "alone"
            return at_frontier
        return fixed("alone")(step)

    return profile


def count(shown: list[str], kind: str) -> int:
    return sum(key.startswith(kind + ":") for key in shown)


def test_beginner_answers_12_statements_and_6_optional_challenges() -> None:
    state, shown = run(fixed("not_yet"))
    assert count(shown, "statement") == 12  # 2 per domain: the key can-do and one more
    assert count(shown, "challenge") == 6
    assert count(shown, "feedback") == 0  # challenges skipped: no explanation page
    res = assessment.result(state)
    assert res.finished
    assert [(d.domain, d.level, d.with_help_level) for d in res.domains] == [
        (code, 0, None) for code in DOMAINS
    ]
    # The first question is the easiest one of the first domain.
    assert shown[0] == "statement:devices-1-1"
    assert shown[1] == "statement:devices-1-2"
    # A beginner's challenge is the level-1 one: a discovery, never blocking.
    assert shown[2] == "challenge:devices-1-challenge"


def test_advanced_person_answers_24_statements_and_reaches_level_4() -> None:
    state, shown = run(right_answers)
    assert count(shown, "statement") == 24  # the 4 key can-dos of each domain
    assert count(shown, "challenge") == 6
    assert count(shown, "feedback") == 6
    res = assessment.result(state)
    assert {d.domain: d.level for d in res.domains} == dict.fromkeys(DOMAINS, 4)
    assert res.challenges_right == 6 and res.challenges_answered == 6
    assert "challenge:safety-4-challenge" in shown


def test_mixed_profile_hand_worked() -> None:
    # devices: 1-2 alone, level 3 with help -> 2 with help at 3; asks 3 key + 1 more = 4.
    # browsing: level 1 key alone, level 2 key with help then "not_yet" -> 1, with help at 2.
    # communicating: all alone up to 4 -> 4; 4 statements.
    # procedures: level 1 key not_yet, second alone -> 0 with help at 1; 2 statements.
    # safety: 1 alone, 2 alone, 3 key not_yet, second not_yet -> 2; 4 statements.
    # daily_life: everything not_yet -> 0; 2 statements.
    script = {
        "devices-1-1": "alone",
        "devices-2-1": "alone",
        "devices-3-1": "with_help",
        "devices-3-2": "with_help",
        "browsing-1-1": "alone",
        "browsing-2-1": "with_help",
        "browsing-2-2": "not_yet",
        "communicating-1-1": "alone",
        "communicating-2-1": "alone",
        "communicating-3-1": "alone",
        "communicating-4-1": "alone",
        "procedures-1-1": "not_yet",
        "procedures-1-2": "alone",
        "safety-1-1": "alone",
        "safety-2-1": "alone",
        "safety-3-1": "not_yet",
        "safety-3-2": "not_yet",
        "daily_life-1-1": "not_yet",
        "daily_life-1-2": "not_yet",
    }
    challenges = {"devices-2-challenge": "a", "communicating-4-challenge": "b"}

    def profile(step: Step) -> str:
        if isinstance(step, StatementStep):
            return script[step.can_do.id]
        if isinstance(step, ChallengeStep):
            return challenges.get(step.challenge.id, "skip")
        return "continue"

    state, shown = run(profile)
    assert [key for key in shown if key.startswith("statement:")] == [
        f"statement:{key}" for key in script
    ]
    assert count(shown, "challenge") == 6
    assert [key for key in shown if key.startswith("feedback:")] == [
        "feedback:devices-2-challenge",
        "feedback:communicating-4-challenge",
    ]
    res = assessment.result(state)
    assert [(d.domain, d.level, d.with_help_level) for d in res.domains] == [
        ("devices", 2, 3),
        ("browsing", 1, 2),
        ("communicating", 4, None),
        ("procedures", 0, 1),
        ("safety", 2, None),
        ("daily_life", 0, None),
    ]
    # Challenges at the level reached (level 1 when nothing is reached yet).
    assert "challenge:browsing-1-challenge" in shown
    assert "challenge:procedures-1-challenge" in shown
    assert "challenge:safety-2-challenge" in shown
    assert res.challenges_answered == 2
    assert res.challenges_right == 1  # devices-2: "a" is the arrow, the home button is "b"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(scoring.ANSWERS), min_size=40, max_size=40))
def test_nobody_answers_more_than_36_questions(answers: list[str]) -> None:
    stream = iter(answers)

    def profile(step: Step) -> str:
        if isinstance(step, StatementStep):
            return next(stream)
        return fixed("alone", "a")(step)

    state, shown = run(profile)
    questions = count(shown, "statement") + count(shown, "challenge")
    assert 12 <= count(shown, "statement") <= 30
    assert questions <= 36
    # The engine and the scoring module agree on the levels.
    res = assessment.result(state)
    assert res.domains == tuple(
        lvl
        for code in DOMAINS
        if (lvl := scoring.declared_level(FRAMEWORK.domain(code), res.answers)) is not None
    )


def test_worst_case_is_five_statements_per_domain() -> None:
    # Key can-dos alone up to level 3, then with help at level 4: 3 + 2 statements per domain.
    state, shown = run(by_level(dict.fromkeys(DOMAINS, 3), at_frontier="with_help"))
    assert count(shown, "statement") == 30
    assert count(shown, "statement") + count(shown, "challenge") == 36
    res = assessment.result(state)
    assert {(d.level, d.with_help_level) for d in res.domains} == {(3, 4)}


def test_progress_counts_questions_and_domains() -> None:
    state = assessment.start()
    step = assessment.current_step(state)
    assert step is not None
    # 2 statements + 1 challenge here, 3 per domain after: the beginner's exact path.
    assert step.progress == assessment.Progress(done=0, total=18, domain_number=1, domain_count=6)
    state, _ = _answer_n(state, 3, fixed("not_yet"))  # two statements and a skipped challenge
    step = assessment.current_step(state)
    assert step is not None
    assert step.key == "statement:browsing-1-1"
    assert step.progress == assessment.Progress(done=3, total=18, domain_number=2, domain_count=6)
    assert step.progress.percent == 17


def _answer_n(state: dict[str, Any], n: int, profile: Profile) -> tuple[dict[str, Any], Step]:
    step = assessment.current_step(state)
    for _ in range(n):
        assert step is not None
        state = assessment.answer(state, profile(step))
        step = assessment.current_step(state)
    assert step is not None
    return state, step


def test_statement_step_has_the_three_answers_in_french() -> None:
    step = assessment.current_step(assessment.start())
    assert isinstance(step, StatementStep)
    assert step.question == "Est-ce que vous savez faire ça ?"
    assert [(o.value, o.label) for o in step.options] == [
        ("alone", "Oui, seul(e)"),
        ("with_help", "Oui, avec de l'aide"),
        ("not_yet", "Pas encore"),
    ]
    assert step.can_do.text == "Je sais allumer mon téléphone et le déverrouiller."
    assert step.level.name == "Premiers pas"


def test_challenge_then_friendly_feedback() -> None:
    state, step = _answer_n(assessment.start(), 2, fixed("not_yet"))
    assert isinstance(step, ChallengeStep)
    assert step.challenge.id == "devices-1-challenge"
    assert [o.value for o in step.options] == ["a", "b"]
    assert step.skip.value == "skip"
    state = assessment.answer(state, "a")
    feedback = assessment.current_step(state)
    assert isinstance(feedback, FeedbackStep)
    assert not feedback.correct
    assert feedback.title == "Presque ! La bonne réponse est : « Le bouton vert (B) »."
    assert feedback.explanation.startswith("Le bouton vert sert à répondre.")
    assert all(word not in feedback.title.lower() for word in ("échec", "faux", "erreur"))
    state = assessment.back(state)
    state = assessment.answer(state, "b")
    feedback = assessment.current_step(state)
    assert isinstance(feedback, FeedbackStep) and feedback.correct
    assert feedback.title == "Bravo, c'est la bonne réponse !"
    state = assessment.answer(state, "continue")
    assert assessment.current_step(state).key == "statement:browsing-1-1"  # type: ignore[union-attr]


def test_back_undoes_one_answer_and_skips_feedback_pages() -> None:
    state = assessment.start()
    assert assessment.back(state) == state  # nothing to undo
    s1 = assessment.answer(state, "alone")
    assert assessment.current_step(s1).key == "statement:devices-2-1"  # type: ignore[union-attr]
    assert assessment.back(s1) == state
    # After a challenge and its explanation, back returns to the challenge itself.
    s2, step = _answer_n(state, 2, fixed("not_yet"))
    s3 = assessment.answer(assessment.answer(s2, "b"), "continue")
    assert assessment.current_step(assessment.back(s3)).key == step.key  # type: ignore[union-attr]


def test_state_is_plain_json_and_never_mutated() -> None:
    state = assessment.start()
    before = json.dumps(state)
    new = assessment.answer(state, "with_help")
    assert json.dumps(state) == before
    assert json.loads(json.dumps(new)) == new
    assert new == {
        "v": 1,
        "framework": "pass-informatique-martigues@1.0",
        "domains": list(DOMAINS),
        "events": [["statement", "devices-1-1", "with_help"]],
    }


def test_bad_answer_gives_french_error() -> None:
    with pytest.raises(AssessmentError) as error:
        assessment.answer(assessment.start(), "oui")
    assert error.value.reason == "answer"
    assert error.value.message == "Merci de choisir une des réponses proposées."


def test_stale_page_is_refused() -> None:
    state = assessment.answer(assessment.start(), "alone")
    with pytest.raises(AssessmentError) as error:
        assessment.answer(state, "alone", step_key="statement:devices-1-1")
    assert error.value.reason == "stale"


def test_answer_after_the_end_is_refused() -> None:
    state, _ = run(fixed("not_yet"))
    assert assessment.is_finished(state)
    with pytest.raises(AssessmentError) as error:
        assessment.answer(state, "alone")
    assert error.value.reason == "finished"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: {**s, "v": 2},
        lambda s: {**s, "framework": "other@9"},
        lambda s: {**s, "domains": ["martians"]},
        lambda s: {**s, "domains": []},
        lambda s: {**s, "events": "nope"},
        lambda s: {**s, "events": [["statement", "devices-2-1", "alone"]]},  # skips the first
        lambda s: {**s, "events": [["statement", "devices-1-1", "perhaps"]]},
        lambda s: {**s, "events": [["statement", "devices-1-1"]]},
        lambda s: "not a dict",
    ],
)
def test_tampered_state_is_detected(tamper: Callable[[dict[str, Any]], Any]) -> None:
    with pytest.raises(AssessmentError) as error:
        assessment.current_step(tamper(assessment.start()))
    assert error.value.reason == "state"
    assert error.value.message.startswith("Votre questionnaire n'a pas pu être repris")


def test_chosen_domains_only_in_chosen_order() -> None:
    state = assessment.start(domains=["safety", "devices"])
    state, shown = run(fixed("not_yet"), state)
    assert [key for key in shown if key.startswith("challenge:")] == [
        "challenge:safety-1-challenge",
        "challenge:devices-1-challenge",
    ]
    assert [d.domain for d in assessment.result(state).domains] == ["safety", "devices"]
    with pytest.raises(AssessmentError):
        assessment.start(domains=["devices", "devices"])


def test_partial_result_and_record_for_scoring() -> None:
    state = assessment.answer(assessment.answer(assessment.start(), "alone"), "with_help")
    res = assessment.result(state)
    assert not res.finished
    assert res.domain("devices") == scoring.DeclaredLevel("devices", 1, 2)
    with pytest.raises(KeyError):
        res.domain("safety")
    # devices-2-1 with help: we are at level 2's second can-do, not finished with devices yet.
    record = res.to_record(datetime(2026, 3, 2, 10, tzinfo=UTC), channel="assisted")
    assert record.answers == {"devices-1-1": "alone", "devices-2-1": "with_help"}
    assert record.channel == "assisted" and record.observations == {}
    standing = scoring.evaluate([record], FRAMEWORK)
    assert standing.domain("devices").level == 1
    assert standing.domain("devices").with_help_level == 2


# --------------------------------------------------------------------------- fast path (issue 13)


def test_fast_path_takes_an_advanced_person_two_statements_per_domain() -> None:
    """ "Je me débrouille bien": start at level 3; all alone -> level 4 in 2 statements a domain."""
    state, shown = run(fixed("alone"), assessment.start(start_level=assessment.FAST_START_LEVEL))
    assert count(shown, "statement") == 12  # levels 3 and 4 of each domain (24 without it)
    assert count(shown, "challenge") == 6
    assert shown[0] == "statement:devices-3-1"
    res = assessment.result(state)
    assert {d.domain: d.level for d in res.domains} == {code: 4 for code in DOMAINS}
    # The levels below the start count as done alone: their key can-dos are implied.
    assert res.answers["devices-1-1"] == "alone" and res.answers["devices-2-1"] == "alone"
    # And the same levels as someone who climbed from level 1 answering alone everywhere.
    slow, _shown = run(fixed("alone"))
    assert res.domains == assessment.result(slow).domains


def test_fast_path_falls_back_to_level_1_without_asking_twice() -> None:
    """Level 3 not done alone: back to level 1, climb, and level 3's answer is reused."""
    profile = by_level({code: 2 for code in DOMAINS})
    state, shown = run(profile, assessment.start(start_level=3))
    devices = [key for key in shown if "devices" in key]
    assert devices == [
        "statement:devices-3-1",  # the fast start: "not yet"
        "statement:devices-1-1",  # fall back to level 1, alone
        "statement:devices-2-1",  # alone
        "statement:devices-3-2",  # level 3's key was answered: its second can-do now
        "challenge:devices-2-challenge",  # skipped by this profile
    ]
    res = assessment.result(state)
    assert {d.domain: d.level for d in res.domains} == {code: 2 for code in DOMAINS}
    # Nothing implied on a fallback: level 1 and 2 were really answered.
    assert res.answers["devices-3-1"] == "not_yet"


def test_fast_path_beginner_falls_back_and_gets_the_same_result_as_the_normal_path() -> None:
    fast, fast_shown = run(fixed("not_yet"), assessment.start(start_level=3))
    slow, slow_shown = run(fixed("not_yet"))
    assert [d.level for d in assessment.result(fast).domains] == [0] * len(DOMAINS)
    assert assessment.result(fast).domains == assessment.result(slow).domains
    # One question more per domain than the normal path: the fast start itself.
    assert count(fast_shown, "statement") == count(slow_shown, "statement") + len(DOMAINS)


def test_fast_path_survives_back_and_rejects_a_bad_start_level() -> None:
    state = assessment.start(start_level=3)
    step = assessment.current_step(state)
    assert step is not None
    state = assessment.answer(state, "alone", step_key=step.key)
    assert assessment.back(state)["start"] == 3
    assert assessment.current_step(assessment.back(state)).key == "statement:devices-3-1"  # type: ignore[union-attr]
    with pytest.raises(AssessmentError):
        assessment.start(start_level=7)
    with pytest.raises(AssessmentError) as error:
        assessment.current_step({**state, "start": "3"})
    assert error.value.reason == "state"
