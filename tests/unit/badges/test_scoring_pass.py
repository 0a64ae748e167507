"""Scoring of the Pass: level rules, aidant observations, history, badges, next steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from badges import scoring
from badges.scoring import (
    AssessmentRecord,
    DeclaredLevel,
    EarnedBadge,
    HistoryEntry,
    ObservedLevel,
    ScoringError,
)
from badges.skills import load_framework

FRAMEWORK = load_framework()
DEVICES = FRAMEWORK.domain("devices")
T1, T2, T3, T4 = (datetime(2026, month, 10, 9, 30, tzinfo=UTC) for month in (1, 2, 3, 4))


@pytest.mark.parametrize(
    ("answers", "outcome"),
    [
        ([], "not_yet"),
        (["alone"], "alone"),
        (["alone", "alone"], "alone"),
        (["with_help", "alone"], "with_help"),
        (["not_yet", "alone"], "with_help"),
        (["alone", "not_yet"], "with_help"),
        (["not_yet", "with_help"], "with_help"),
        (["not_yet", "not_yet"], "not_yet"),
    ],
)
def test_level_outcome(answers: list[scoring.Answer], outcome: str) -> None:
    assert scoring.level_outcome(answers) == outcome


def test_declared_level() -> None:
    assert scoring.declared_level(DEVICES, {}) is None
    assert scoring.declared_level(DEVICES, {"safety-1-1": "alone"}) is None
    assert scoring.declared_level(
        DEVICES,
        {
            "devices-1-1": "alone",
            "devices-2-1": "alone",
            "devices-3-1": "with_help",
            "devices-3-2": "not_yet",
        },
    ) == DeclaredLevel("devices", 2, 3)
    assert scoring.declared_level(
        DEVICES, {"devices-1-1": "not_yet", "devices-1-2": "not_yet"}
    ) == DeclaredLevel("devices", 0, None)
    # A level counts only when every level below is reached alone too.
    assert scoring.declared_level(
        DEVICES, {"devices-1-1": "not_yet", "devices-1-2": "alone", "devices-2-1": "alone"}
    ) == DeclaredLevel("devices", 0, 1)
    keys = {f"devices-{n}-1": "alone" for n in (1, 2, 3, 4)}
    assert scoring.declared_level(DEVICES, keys) == DeclaredLevel("devices", 4, None)  # type: ignore[arg-type]


def test_observed_level() -> None:
    assert scoring.observed_level(DEVICES, {}) is None
    # A harder check seen done alone covers the easier ones.
    assert scoring.observed_level(DEVICES, {"devices-3-check": "alone"}) == ObservedLevel(
        "devices", 3, None, None
    )
    # A lower check not done alone caps what is above it.
    assert scoring.observed_level(
        DEVICES,
        {"devices-1-check": "alone", "devices-2-check": "not_yet", "devices-3-check": "alone"},
    ) == ObservedLevel("devices", 1, 1, None)
    assert scoring.observed_level(DEVICES, {"devices-2-check": "with_help"}) == ObservedLevel(
        "devices", 0, 1, 2
    )


def _devices_history() -> list[AssessmentRecord]:
    return [
        # Alone at 1 and 2, not yet at 3: declared 2.
        AssessmentRecord(
            T1,
            "self",
            {
                "devices-1-1": "alone",
                "devices-2-1": "alone",
                "devices-3-1": "not_yet",
                "devices-3-2": "not_yet",
            },
            assessment_id=1,
        ),
        # With an aidant: declares 1 (with help at 2) but is seen doing the level-2 check alone.
        AssessmentRecord(
            T2,
            "assisted",
            {"devices-1-1": "alone", "devices-2-1": "with_help", "devices-2-2": "alone"},
            {"devices-2-check": "alone"},
            assessment_id=2,
        ),
        # Alone, later: declares 4.
        AssessmentRecord(
            T3,
            "self",
            {f"devices-{n}-1": "alone" for n in (1, 2, 3, 4)},
            assessment_id=3,
        ),
        # The aidant sees the level-3 check not done yet: caps both levels at 2.
        AssessmentRecord(T4, "assisted", {}, {"devices-3-check": "not_yet"}, assessment_id=4),
    ]


def test_history_and_badges_hand_worked() -> None:
    standing = scoring.evaluate(_devices_history(), FRAMEWORK)
    assert standing.history == (
        HistoryEntry(1, T1, "self", "devices", 2, "self_declared"),
        HistoryEntry(2, T2, "assisted", "devices", 2, "validated"),
        HistoryEntry(3, T3, "self", "devices", 4, "self_declared"),
        HistoryEntry(4, T4, "assisted", "devices", 2, "validated"),
    )
    # Never taken back: the self-declared 3 and 4 of March stay earned.
    assert standing.badges == (
        EarnedBadge("devices", 1, "self_declared", T1, 1),
        EarnedBadge("devices", 1, "validated", T2, 2),
        EarnedBadge("devices", 2, "self_declared", T1, 1),
        EarnedBadge("devices", 2, "validated", T2, 2),
        EarnedBadge("devices", 3, "self_declared", T3, 3),
        EarnedBadge("devices", 4, "self_declared", T3, 3),
    )
    devices = standing.domain("devices")
    assert (devices.level, devices.status) == (2, "validated")
    assert (devices.declared_level, devices.validated_level) == (2, 2)
    assert devices.level_name == "Pas à pas"
    assert devices.assessed_at == T4
    assert devices.messages == (
        "Vous avancez bien, pas à pas.",
        "Prochaine étape : « Je me débrouille ».",
    )
    # devices-3-1 was declared alone in March: the other level-3 can-dos are next.
    assert [c.id for c in devices.next_can_dos] == ["devices-3-2", "devices-3-3", "devices-3-4"]
    assert devices.next_themes == ("digital_skills",)


def test_state_after_each_step_of_the_history() -> None:
    history = _devices_history()
    after_t2 = scoring.evaluate(history[:2], FRAMEWORK).domain("devices")
    assert (after_t2.level, after_t2.status, after_t2.with_help_level) == (2, "validated", None)
    assert after_t2.messages == (
        "Vous avancez bien, pas à pas.",
        "Vous en savez plus que vous ne le pensiez !",
        "Prochaine étape : « Je me débrouille ».",
    )
    after_t3 = scoring.evaluate(history[:3], FRAMEWORK).domain("devices")
    assert (after_t3.level, after_t3.status) == (4, "self_declared")
    assert (after_t3.declared_level, after_t3.validated_level) == (4, 2)
    assert after_t3.messages == ("Vous êtes autonome. Vous pouvez même aider un proche !",)
    assert after_t3.next_can_dos == ()


def test_self_declaration_never_lowers_a_validated_level() -> None:
    records = [
        AssessmentRecord(T1, "assisted", {}, {"devices-3-check": "alone"}),
        AssessmentRecord(
            T2, "self", {"devices-1-1": "alone", "devices-2-1": "not_yet", "devices-2-2": "not_yet"}
        ),
    ]
    devices = scoring.evaluate(records, FRAMEWORK).domain("devices")
    assert (devices.level, devices.status, devices.declared_level, devices.validated_level) == (
        3,
        "validated",
        1,
        3,
    )
    assert [(b.level, b.status) for b in scoring.evaluate(records, FRAMEWORK).badges] == [
        (1, "validated"),
        (2, "validated"),
        (3, "validated"),
    ]


def test_later_self_assessment_supersedes_earlier_one() -> None:
    records = [
        AssessmentRecord(
            T1,
            "self",
            {
                "devices-1-1": "alone",
                "devices-2-1": "alone",
                "devices-3-1": "not_yet",
                "devices-3-2": "not_yet",
            },
        ),
        AssessmentRecord(T2, "self", {"devices-1-1": "with_help", "devices-1-2": "alone"}),
    ]
    devices = scoring.evaluate(records, FRAMEWORK).domain("devices")
    assert (devices.level, devices.with_help_level) == (0, 1)
    assert devices.messages == (
        "Pas de souci ! On va découvrir ça ensemble, pas à pas.",
        "Avec un peu d'aide, vous faites déjà des choses du niveau « Premiers pas ».",
    )
    # devices-1-2 was said alone in February: the others of level 1 come first.
    assert [c.id for c in devices.next_can_dos] == ["devices-1-1", "devices-1-3", "devices-1-4"]


def test_records_are_sorted_by_date_and_naive_dates_are_utc() -> None:
    early = AssessmentRecord(
        datetime(2026, 1, 1, 8), "self", {"devices-1-1": "not_yet", "devices-1-2": "not_yet"}
    )
    late = AssessmentRecord(
        datetime(2026, 1, 1, 10, tzinfo=timezone(timedelta(hours=1))),  # 09:00 UTC
        "self",
        {"devices-1-1": "alone", "devices-2-1": "not_yet", "devices-2-2": "not_yet"},
    )
    standing = scoring.evaluate([late, early], FRAMEWORK)
    assert standing.domain("devices").level == 1
    assert [entry.assessed_at.hour for entry in standing.history] == [8, 9]
    assert all(entry.assessed_at.tzinfo is UTC for entry in standing.history)


def test_untouched_domains_and_empty_pass() -> None:
    standing = scoring.evaluate([], FRAMEWORK)
    assert [d.domain for d in standing.domains] == list(FRAMEWORK.domain_codes)
    browsing = standing.domain("browsing")
    assert not browsing.assessed
    assert (browsing.level, browsing.status, browsing.declared_level) == (0, "self_declared", None)
    assert [c.id for c in browsing.next_can_dos] == ["browsing-1-1", "browsing-1-2", "browsing-1-3"]
    assert standing.badges == () and standing.history == ()
    with pytest.raises(KeyError):
        standing.domain("cooking")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (AssessmentRecord(T1, "self", {"devices-9-9": "alone"}), "« je sais » inconnu"),
        (AssessmentRecord(T1, "self", {"devices-1-1": "yes"}), "Réponse inconnue « yes »"),  # type: ignore[dict-item]
        (
            AssessmentRecord(T1, "assisted", {}, {"devices-9-check": "alone"}),
            "Vérification inconnue",
        ),
        (AssessmentRecord(T1, "bus"), "Canal inconnu"),  # type: ignore[arg-type]
    ],
)
def test_bad_records_give_french_errors(record: AssessmentRecord, message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        scoring.evaluate([record], FRAMEWORK)


def test_parse_answer() -> None:
    assert scoring.parse_answer("with_help") == "with_help"
    with pytest.raises(ScoringError, match="Pas encore"):
        scoring.parse_answer("maybe")
