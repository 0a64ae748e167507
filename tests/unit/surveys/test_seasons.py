"""Seasons of procedures: the shipped data file and its validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys.planning import (
    THEMES,
    PlanningError,
    Season,
    active_season,
    load_seasons,
    parse_seasons,
    season_weight,
)

VALID = {
    "theme": "taxes",
    "months": [5, 4],
    "weight": 2,
    "reason": "c'est la période de la déclaration",
    "explanation": "La déclaration\n  se fait au printemps.",
}


def test_shipped_file_loads_and_matches_known_french_seasons() -> None:
    seasons = load_seasons()
    assert {s.theme for s in seasons} <= set(THEMES)
    assert all(s.reason and s.explanation.endswith(".") for s in seasons)
    # Income tax declaration: April-May at the top, then a smaller June peak.
    assert season_weight(seasons, "taxes", 4) == 2.0
    assert season_weight(seasons, "taxes", 5) == 2.0
    assert 1 < season_weight(seasons, "taxes", 6) < 2
    assert all(season_weight(seasons, theme, 4) <= 2.0 for theme in THEMES)
    assert season_weight(seasons, "taxes", 1) == 1.0
    # Property and housing tax notices in the autumn.
    assert all(season_weight(seasons, "taxes", m) > 1 for m in (9, 10, 11))
    # School and canteen enrolment from March to August, none in the autumn.
    assert all(season_weight(seasons, "school", m) > 1 for m in range(3, 9))
    assert season_weight(seasons, "school", 10) == 1.0
    # Heating in the autumn and winter, the chèque énergie in spring.
    assert all(season_weight(seasons, "energy", m) > 1 for m in (4, 10, 11, 12))
    assert season_weight(seasons, "energy", 7) == 1.0
    # ID papers before the summer holidays.
    assert all(season_weight(seasons, "id_papers", m) > 1 for m in (3, 4, 5, 6))
    assert season_weight(seasons, "id_papers", 9) == 1.0
    # Job seeking at the September restart, leisure enrolment in May-June and September.
    assert season_weight(seasons, "job_seeking", 9) > 1
    assert all(season_weight(seasons, "leisure", m) > 1 for m in (5, 6, 9))
    assert season_weight(seasons, "digital_skills", 4) == 1.0


def test_parse_normalises_months_and_text() -> None:
    (season,) = parse_seasons({"seasons": [VALID]})
    assert season == Season(
        theme="taxes",
        months=(4, 5),
        weight=2.0,
        reason="c'est la période de la déclaration",
        explanation="La déclaration se fait au printemps.",
    )


def test_active_season_takes_largest_weight_then_first() -> None:
    low = Season("energy", (4, 10), 1.2, "a", "A.")
    high = Season("energy", (10,), 1.5, "b", "B.")
    same = Season("energy", (10,), 1.5, "c", "C.")
    seasons = [low, high, same]
    assert active_season(seasons, "energy", 10) is high
    assert active_season(seasons, "energy", 4) is low
    assert active_season(seasons, "energy", 7) is None
    assert active_season(seasons, "caf", 10) is None
    assert season_weight(seasons, "energy", 10) == 1.5


def test_parse_lists_every_problem() -> None:
    data = {
        "seasons": [
            {**VALID, "theme": "impots"},
            {**VALID, "months": [4, 4]},
            {**VALID, "months": [13]},
            {**VALID, "months": []},
            {**VALID, "weight": 0},
            {**VALID, "weight": True},
            {**VALID, "weight": "2"},
            {**VALID, "reason": "  "},
            {**VALID, "colour": "red"},
            "taxes in april",
        ]
    }
    with pytest.raises(PlanningError) as error:
        parse_seasons(data, "test.yaml")
    months = "« months » doit être une liste de mois de 1 à 12, sans doublon."
    weight = "« weight » doit être un nombre entre 0 (exclu) et 10."
    assert error.value.messages == [
        "test.yaml, saison n° 1 : le thème « impots » n'existe pas.",
        f"test.yaml, saison n° 2 : {months}",
        f"test.yaml, saison n° 3 : {months}",
        f"test.yaml, saison n° 4 : {months}",
        f"test.yaml, saison n° 5 : {weight}",
        f"test.yaml, saison n° 6 : {weight}",
        f"test.yaml, saison n° 7 : {weight}",
        "test.yaml, saison n° 8 : « reason » doit être un texte en français.",
        "test.yaml, saison n° 9 : champ inconnu « colour ».",
        "test.yaml, saison n° 10 : chaque saison doit avoir des champs (theme, months…).",
    ]


@pytest.mark.parametrize("data", [None, [], {"seasons": "taxes"}, {"saisons": []}])
def test_parse_refuses_wrong_shape(data: object) -> None:
    with pytest.raises(PlanningError) as error:
        parse_seasons(data)
    assert error.value.messages == ["seasons.yaml : il faut une liste « seasons »."]


def test_load_reports_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(PlanningError) as error:
        load_seasons(tmp_path / "nope.yaml")
    assert error.value.messages == ["Le fichier des saisons « nope.yaml » est introuvable."]
    broken = tmp_path / "broken.yaml"
    broken.write_text("seasons:\n  - theme: taxes\n    months: [4\n", encoding="utf-8")
    with pytest.raises(PlanningError, match=r"broken.yaml n'est pas un YAML lisible \(ligne \d+\)"):
        load_seasons(broken)
    good = tmp_path / "good.yaml"
    good.write_text(
        "seasons:\n  - theme: leisure\n    months: [9]\n    weight: 1.5\n"
        "    reason: c'est la rentrée\n    explanation: Les clubs reprennent.\n",
        encoding="utf-8",
    )
    assert load_seasons(good) == (
        Season("leisure", (9,), 1.5, "c'est la rentrée", "Les clubs reprennent."),
    )
