"""Personas on synthetic data with three planted groups and a little deterministic noise."""

from __future__ import annotations

import pandas as pd
import pytest

from surveys import analytics as a
from surveys import personas as p

PLANTED = {
    # name: (size, answers)
    "mothers": (
        40,
        dict(
            age_band="30_44",
            gender="woman",
            household="young_children couple",
            needs="caf school",
            point="auchan",
            preferred_days="wednesday",
            preferred_times="morning",
            frequency="weekly",
        ),
    ),
    "seniors": (
        30,
        dict(
            age_band="75_plus",
            gender="man",
            household="alone",
            needs="pension health_insurance",
            point="parc_figuerolles",
            preferred_days="tuesday",
            preferred_times="afternoon",
            frequency="monthly",
        ),
    ),
    "young": (
        20,
        dict(
            age_band="18_29",
            gender="woman",
            household="couple",
            needs="job_seeking",
            point=None,
            preferred_days="saturday",
            preferred_times="evening",
            frequency="occasionally",
        ),
    ),
}


NOISE = {
    "preferred_days": ["monday", "thursday", "friday"],
    "preferred_times": ["lunchtime", "evening", "morning"],
    "gender": ["no_answer", "other", "no_answer"],
    "frequency": ["fortnightly", "occasionally", "fortnightly"],
}


def synthetic() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long answer and response tables of the planted groups.

    In each group, person n (0-based) with n % 4 == 3 has one answer changed: which one cycles
    with n // 4 over NOISE (days, times, gender, frequency), its new value with n // 16. In the
    40 mothers that is n = 3, 19, 35 (day), 7, 23, 39 (time), 11, 27 (gender), 15, 31
    (frequency).
    """
    answers, responses = [], []
    rid = 0
    for size, plan in PLANTED.values():
        for n in range(size):
            rid += 1
            values = dict(plan)
            point = values.pop("point")
            if n % 4 == 3:
                question = list(NOISE)[(n // 4) % 4]
                values[question] = NOISE[question][(n // 16) % 3]
                if values[question] == plan[question]:
                    values[question] = NOISE[question][((n // 16) + 1) % 3]
            for question, value in values.items():
                answers.append((rid, question, 0, value))
            responses.append(
                (rid, "mairiebus", "1", point, "ile", "self", "fr", "2025-03-03T10:00:00Z", False)
            )
    return (
        pd.DataFrame(answers, columns=list(a.ANSWER_COLUMNS)),
        pd.DataFrame(responses, columns=list(a.RESPONSE_COLUMNS)),
    )


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    answers, responses = synthetic()
    return a.wide_responses(answers, responses)


@pytest.fixture(scope="module")
def result(wide: pd.DataFrame) -> p.PersonaResult:
    return p.find_personas(wide, seed=0, places={"auchan": "à Auchan"})


def test_planted_groups_are_found(result: p.PersonaResult) -> None:
    assert result.k == 3
    assert set(result.silhouettes) == {2, 3, 4, 5, 6}
    assert max(result.silhouettes, key=lambda k: result.silhouettes[k]) == 3
    assert [x.count for x in result.personas] == [40, 30, 20]
    assert [x.percent for x in result.personas] == [44.4, 33.3, 22.2]
    assert [x.number for x in result.personas] == [1, 2, 3]
    assert result.people == 90 and result.hidden_people == 0
    # Plain words for coordinators: the number of groups, no statistics jargon.
    assert result.criterion.startswith("Les personnes sont réparties en 3 groupes")
    assert not any(w in result.criterion.lower() for w in ("silhouette", "distance", "score"))


def test_sentences(result: p.PersonaResult) -> None:
    assert [x.sentence for x in result.personas] == [
        "Une mère de famille de 30 à 44 ans, rencontrée à Auchan, qui vient pour la CAF et "
        "préfère le mercredi matin.",
        "Un senior de 75 ans ou plus vivant seul, rencontré à parc_figuerolles, qui vient pour "
        "l'Assurance maladie et préfère le mardi après-midi.",
        "Une femme de 18 à 29 ans en couple, rencontrée dans le bus, qui vient pour chercher un "
        "emploi et préfère le samedi soir.",
    ]


def test_defining_answers_needs_expectations_and_confidence(result: p.PersonaResult) -> None:
    mothers = result.personas[0]
    defining = {(t.question, t.code): (t.count, t.percent) for t in mothers.defining}
    # 40 mothers: 2 with another gender, 3 with another day (see `synthetic`).
    assert defining[("age_band", "30_44")] == (40, 100.0)
    assert defining[("gender", "woman")] == (38, 95.0)
    assert defining[("household", "young_children")] == (40, 100.0)
    assert defining[("preferred_day", "wednesday")] == (37, 92.5)
    assert [(t.code, t.count) for t in mothers.needs] == [("caf", 40), ("school", 40)]
    assert [(t.question, t.code, t.count) for t in mothers.expectations] == [
        ("frequency", "weekly", 38),
        ("preferred_days", "wednesday", 37),
        ("preferred_times", "morning", 37),
    ]
    assert mothers.confidence.startswith("Profil tiré de 40 personnes sur 90 (44,4 %).")
    assert "« Femme » pour 38" in mothers.confidence
    assert "« Mercredi » pour 37" in mothers.confidence


def test_stable_with_seed(wide: pd.DataFrame, result: p.PersonaResult) -> None:
    again = p.find_personas(wide, seed=0, places={"auchan": "à Auchan"})
    assert again == result
    assert p.personas_as_dicts(again)[0]["count"] == 40


def test_small_groups_are_hidden(wide: pd.DataFrame) -> None:
    # 3 people unlike anyone else: their group cannot be shown.
    odd = wide.iloc[:3].copy()
    odd["response_id"] = [901, 902, 903]
    odd["age_band"] = "under_18"
    odd["collection_point"] = "lavera_stop"
    for column in [c for c in wide.columns if c.startswith(("needs/", "preferred_"))]:
        odd[column] = False
    odd["needs/leisure"] = True
    odd["gender"] = "other"
    odd["household"] = "other"
    result = p.find_personas(pd.concat([wide, odd], ignore_index=True), seed=0)
    assert sum(x.count for x in result.personas) + result.hidden_people == 93
    assert all(x.count >= 5 for x in result.personas)
    assert not any("moins de 18" in x.sentence for x in result.personas)


def test_too_few_people(wide: pd.DataFrame) -> None:
    result = p.find_personas(wide.iloc[:7])
    assert result.personas == () and result.k is None
    assert "Trop peu" in result.criterion
    with pytest.raises(a.AnalyticsError):
        p.find_personas(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize(
    ("kwargs", "sentence"),
    [
        (
            dict(age_band="60_74", gender="woman", household="alone", need="pension"),
            "Une senior de 60 à 74 ans vivant seule, qui vient pour sa retraite.",
        ),
        (
            dict(gender="man", household="older_children", time="lunchtime"),
            "Un père de famille, qui préfère le midi.",
        ),
        (
            dict(age_band="45_59", collection_point="auchan", day="friday"),
            "Une personne de 45 à 59 ans, rencontrée à Auchan, qui préfère le vendredi.",
        ),
        (dict(household="single_parent"), "Un parent."),
    ],
)
def test_describe(kwargs: dict[str, str], sentence: str) -> None:
    assert p.describe(**kwargs, point_names={"auchan": "Auchan"}) == sentence


def test_silhouette_matches_scikit_learn() -> None:
    # Our numpy silhouette replaces scikit-learn's at run time; it must give the same figure,
    # with and without the seeded sample scikit-learn draws above SILHOUETTE_SAMPLE people.
    metrics = pytest.importorskip("sklearn.metrics")
    import numpy as np

    rng = np.random.default_rng(1)
    for n in (40, p.SILHOUETTE_SAMPLE + 300):
        x = rng.integers(0, 4, (n, 7))
        labels = rng.integers(0, 3, n)
        labels[0] = 5  # a group of one person scores 0
        sample = p.SILHOUETTE_SAMPLE if n > p.SILHOUETTE_SAMPLE else None
        expected = metrics.silhouette_score(
            x, labels, metric="hamming", sample_size=sample, random_state=3
        )
        assert p._silhouette(x, labels, 3) == pytest.approx(expected, abs=1e-12)


def test_kmodes_finds_obvious_groups_and_is_seeded() -> None:
    import numpy as np

    # Two groups of 6 people far apart, one answer of noise each in the second group.
    x = np.array([[0, 0, 0, 0]] * 6 + [[1, 1, 1, 1]] * 5 + [[1, 1, 1, 2]], dtype=np.int64)
    centroids, cost = p.kmodes_fit(x, 2, seed=0)
    assert sorted(map(tuple, centroids.tolist())) == [(0, 0, 0, 0), (1, 1, 1, 1)]
    assert cost == 1.0
    assert np.array_equal(p.kmodes_fit(x, 2, seed=0)[0], centroids)
