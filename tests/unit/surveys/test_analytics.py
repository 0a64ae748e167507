"""Dashboard aggregates on the 20 hand-made people of tests/fixtures/analytics/.

The people (see the CSV files):
- 1-8: Auchan, Canto Perdrix, self, 30-44 women with young children, needs CAF + school,
  came passing by, want the bus weekly, Wednesday morning; answered Monday 3 March 2025.
- 9-11 (men) and 12-14 (women): Parc de Figuerolles, L'Île, assisted, 60-74 living alone,
  needs pension + health insurance, sent by a centre and heard of it (9-11 by word of mouth,
  12-14 by a flyer and a social worker), monthly, Tuesday and Thursday afternoon; 12 March.
- 15-17: Auchan, L'Île, self, 18-29 couples, no gender, job seeking, heard of it on social
  networks, Saturday; Sunday 23 March 23:30 local time (22:30 UTC).
- 18-20: no collection point (the bus), Carro, 45-59 women, couple with older children, taxes +
  CAF, social networks; Tuesday 1 April 00:30 local time (31 March 22:30 UTC).
- 21 is a demo response and 22 another form: both left out by BASE.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveys import analytics as a

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "analytics"
BASE = a.Filters(form_id="mairiebus", demo=False)
NA = None


@pytest.fixture(scope="module")
def answers() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "answers.csv", dtype={"value": str})


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "responses.csv", dtype={"collection_point": str})


@pytest.fixture(scope="module")
def wide(answers: pd.DataFrame, responses: pd.DataFrame) -> pd.DataFrame:
    return a.wide_responses(answers, responses, BASE)


def counts(frame: pd.DataFrame, column: str = "count") -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in frame[column]]


def as_dict(frame: pd.DataFrame, key: str = "code", value: str = "count") -> dict[str, object]:
    return {k: (None if pd.isna(v) else v) for k, v in zip(frame[key], frame[value], strict=True)}


# ----------------------------------------------------------------------------- filters


def test_filters_select_responses(responses: pd.DataFrame) -> None:
    ids = lambda f: sorted(a.filter_responses(responses, f)["response_id"])  # noqa: E731
    assert len(ids(a.Filters())) == 22
    assert ids(a.Filters(demo=True)) == [21]
    assert ids(BASE) == list(range(1, 21))
    assert ids(a.Filters(form_id="mairiebus", demo=False, collection_points=("auchan",))) == [
        *range(1, 9),
        15,
        16,
        17,
    ]
    assert ids(a.Filters(form_id="mairiebus", neighbourhoods=("ile",))) == list(range(9, 18))
    assert ids(a.Filters(form_id="mairiebus", channel="assisted")) == list(range(9, 15))


def test_period_uses_local_dates(responses: pd.DataFrame) -> None:
    # 15-17 answered 22:30 UTC on 23 March = 23:30 in Martigues, still 23 March;
    # 18-20 answered 22:30 UTC on 31 March = 00:30 on 1 April in Martigues (summer time).
    march_end = a.Filters(form_id="mairiebus", start=date(2025, 3, 17), end=date(2025, 3, 31))
    assert sorted(a.filter_responses(responses, march_end)["response_id"]) == [15, 16, 17]
    april = a.Filters(form_id="mairiebus", start=date(2025, 4, 1))
    assert sorted(a.filter_responses(responses, april)["response_id"]) == [18, 19, 20]


def test_bad_filters_and_frames_give_french_errors(responses: pd.DataFrame) -> None:
    with pytest.raises(a.AnalyticsError, match="date de début"):
        a.Filters(start=date(2025, 4, 1), end=date(2025, 3, 1))
    with pytest.raises(a.AnalyticsError, match="mode de réponse"):
        a.Filters(channel="phone")
    with pytest.raises(a.AnalyticsError, match="colonnes : is_demo"):
        a.filter_responses(responses.drop(columns=["is_demo"]))
    broken = responses.copy()
    broken.loc[0, "submitted_at"] = "pas une date"
    with pytest.raises(a.AnalyticsError, match="date de réponse"):
        a.filter_responses(broken)


# ----------------------------------------------------------------------------- tidy frames


def test_wide_has_one_row_per_person_and_one_hot_choices(wide: pd.DataFrame) -> None:
    assert list(wide["response_id"]) == list(range(1, 21))
    first = wide.iloc[0]
    assert first["needs"] == "caf school"
    assert bool(first["needs/caf"]) and bool(first["needs/school"])
    # Person 1's answer inside a repeat (energy) is not a need of theirs.
    assert not bool(first["needs/energy"])
    assert int(wide["needs/caf"].sum()) == 11
    assert wide.loc[wide["response_id"] == 18, "collection_point"].isna().all()
    assert str(wide.loc[0, "submitted_local"].tz) == "Europe/Paris"


def test_text_columns_are_stored_by_pyarrow_with_missing_answers_as_na(wide: pd.DataFrame) -> None:
    # Importing `surveys` makes pandas keep "string" columns in Arrow (issue 17: the dashboard's
    # grouping and counting run in C++); the missing-value rules stay those of pd.NA.
    points = wide["collection_point"]
    assert isinstance(points.dtype, pd.StringDtype) and points.dtype.storage == "pyarrow"
    assert points.loc[wide["response_id"] == 18].isna().all()
    assert points.isna().sum() == 3
    assert points.value_counts().to_dict() == {"auchan": 11, "parc_figuerolles": 6}


def test_explode_choices(answers: pd.DataFrame) -> None:
    long = a.explode_choices(answers)
    nine = long.loc[(long["response_id"] == 9) & (long["question"] == "reason"), "value"]
    assert list(nine) == ["heard_of_it", "sent_by_centre"]
    one_needs = long.loc[(long["response_id"] == 1) & (long["question"] == "needs"), "value"]
    assert list(one_needs) == ["caf", "school"]


# ----------------------------------------------------------------------------- aggregates


def test_requests_by_theme(wide: pd.DataFrame) -> None:
    frame = a.requests_by_theme(wide)
    # caf 8 + 3 = 11 of 20 = 55 %; school 8 = 40 %; pension and health insurance 6 = 30 %;
    # taxes 3 and job seeking 3 are hidden. Ties and hidden rows keep the theme order.
    assert list(frame["code"][:6]) == ["caf", "school", "health_insurance", "pension", "taxes"] + [
        "id_papers"
    ]
    assert counts(frame)[:4] == [11, 8, 6, 6]
    assert counts(frame)[4:] == [None] * 9
    assert [float(p) for p in frame["percent"][:4]] == [55.0, 40.0, 30.0, 30.0]
    assert frame["percent"][4:].isna().all()
    assert set(frame["base"]) == {20}
    assert frame.loc[0, "label"] == "CAF (allocations familiales)"


def test_how_heard(wide: pd.DataFrame) -> None:
    frame = a.how_heard(wide)
    reason = frame[frame["question"] == "reason"]
    assert as_dict(reason) == {
        "passing_by": 8,
        "curiosity": None,
        "sent_by_centre": 6,
        "sent_by_service": None,
        "town_hall": None,
        "heard_of_it": 12,
    }
    assert as_dict(reason, value="percent")["heard_of_it"] == 60.0
    heard = frame[frame["question"] == "heard_how"]
    # Only the 12 who heard of it answered; flyer, word of mouth, social worker: 3 each.
    assert as_dict(heard) == {
        "flyer": None,
        "town_magazine": None,
        "word_of_mouth": None,
        "social_networks": 6,
        "social_worker": None,
        "other": None,
    }
    assert set(heard["base"]) == {12}
    assert as_dict(heard, value="percent")["social_networks"] == 50.0


def test_expectations(wide: pd.DataFrame) -> None:
    frame = a.expectations(wide)
    by_q = {q: frame[frame["question"] == q] for q in a.EXPECTATION_QUESTIONS}
    assert as_dict(by_q["frequency"]) == {
        "weekly": 8,
        "fortnightly": None,
        "monthly": 6,
        "occasionally": None,
    }
    assert as_dict(by_q["frequency"], value="percent") == {
        "weekly": 57.1,
        "fortnightly": None,
        "monthly": 42.9,
        "occasionally": None,
    }
    days = by_q["preferred_days"]
    assert set(days["base"]) == {17}
    assert as_dict(days) == {
        "monday": None,
        "tuesday": 6,
        "wednesday": 8,
        "thursday": 6,
        "friday": None,
        "saturday": None,
    }
    assert as_dict(days, value="percent")["wednesday"] == 47.1
    assert as_dict(days, value="percent")["tuesday"] == 35.3
    assert as_dict(by_q["preferred_times"]) == {
        "morning": 8,
        "lunchtime": None,
        "afternoon": 6,
        "evening": None,
    }
    # Nobody answered preferred_place: even the base is hidden.
    assert by_q["preferred_place"]["base"].isna().all()
    assert by_q["preferred_place"]["count"].isna().all()


def test_age_by_neighbourhood_with_second_suppression(wide: pd.DataFrame) -> None:
    frame = a.age_by_neighbourhood(wide)
    cells = {(r.age_band, r.neighbourhood): r.count for r in frame.itertuples()}
    shown = {key: int(v) for key, v in cells.items() if not pd.isna(v)}
    # Grid (canto, ile, carro | total): 18-29 (0,3,0|3), 30-44 (8,0,0|8), 45-59 (0,0,3|3),
    # 60-74 (0,6,0|6), totals (8,9,3|20). Carro's total (3) alone in the total row would be
    # found from 20 - 8 - 9, so Canto's total (8) is hidden too; in L'Île's column the hidden
    # 3 would be found from 9 - 6, so the 6 is hidden too.
    assert shown == {
        ("30_44", "canto_perdrix"): 8,
        ("30_44", "total"): 8,
        ("60_74", "total"): 6,
        ("total", "ile"): 9,
        ("total", "total"): 20,
    }
    assert len(cells) == 7 * 4
    labels = frame.set_index(["age_band", "neighbourhood"])
    assert labels.loc[("30_44", "ile"), "neighbourhood_label"] == "L'Île"
    assert labels.loc[("total", "carro"), "age_label"] == "Total"


def test_answers_over_time(wide: pd.DataFrame) -> None:
    weeks = a.answers_over_time(wide, "week")
    assert [str(d) for d in weeks["period_start"]] == [
        "2025-03-03",
        "2025-03-10",
        "2025-03-17",
        "2025-03-24",
        "2025-03-31",
    ]
    # 8, 6, 3, 0, 3: the hidden weeks add up to 6, which gives nobody away.
    assert counts(weeks) == [8, 6, None, None, None]
    assert weeks.loc[0, "label"] == "semaine du 03/03/2025"
    months = a.answers_over_time(wide, "month")
    assert list(months["label"]) == ["mars 2025", "avril 2025"]
    # 17 and 3 of 20: April's 3 would be 20 - 17, so March is hidden too.
    assert counts(months) == [None, None]
    with pytest.raises(a.AnalyticsError):
        a.answers_over_time(wide, "day")  # type: ignore[arg-type]


def test_most_frequent_profile(wide: pd.DataFrame) -> None:
    overall = a.most_frequent_profile(wide)
    row = overall.iloc[0]
    assert (row["age_band"], row["gender"], row["household"]) == (
        "30_44",
        "woman",
        "young_children",
    )
    assert (int(row["count"]), float(row["percent"]), int(row["people"])) == (8, 40.0, 20)
    assert row["profile_label"] == "30 à 44 ans · Femme · Parent de jeunes enfants"

    points = a.most_frequent_profile(wide, "collection_point", point_names={"auchan": "Auchan"})
    assert list(points["group"]) == ["auchan", "parc_figuerolles", "unknown"]
    assert list(points["group_label"]) == ["Auchan", "parc_figuerolles", "Non renseigné"]
    # Auchan: 8 of 11. The park's top profiles tie at 3: hidden. The bus has 3 people, and then
    # the park's 6 would be 20 - 11 - 3: hidden too.
    assert counts(points, "people") == [11, None, None]
    assert counts(points) == [8, None, None]
    assert float(points.loc[0, "percent"]) == 72.7
    assert list(points["profile_label"][1:]) == ["moins de 5", "moins de 5"]

    hoods = a.most_frequent_profile(wide, "neighbourhood")
    assert list(hoods["group"]) == ["canto_perdrix", "ile", "carro"]
    # Sizes 8, 9, 3: Carro's 3 would be 20 - 8 - 9, so Canto's size is hidden; its profile
    # (8 people) is shown but not as a percentage, which would give the size back.
    assert counts(hoods, "people") == [None, 9, None]
    assert counts(hoods) == [8, None, None]
    assert hoods["percent"].isna().all()
    assert hoods.loc[0, "household"] == "young_children"


def test_profile_keeps_unanswered_questions(wide: pd.DataFrame) -> None:
    # 15-17 gave no gender; their profile among the 18-29 is still found.
    young = wide[wide["age_band"] == "18_29"]
    frame = a.most_frequent_profile(young, k=3)
    assert frame.loc[0, "age_band"] == "18_29"
    assert pd.isna(frame.loc[0, "gender"])
    assert frame.loc[0, "profile_label"] == "18 à 29 ans · En couple"


def test_profile_ties_go_to_the_first_profile_in_code_order() -> None:
    # Three profiles of 3 people each, in a group of 9 (k=3): the one with no gender comes
    # first (no answer sorts before any code), then "18_29" before "30_44", then "man"
    # before "woman". The rows are shuffled so that the order of arrival decides nothing.
    people = (
        [("30_44", "woman", "couple")] * 3
        + [("30_44", None, "couple")] * 3
        + [("30_44", "man", "couple")] * 3
    )
    frame = pd.DataFrame(people, columns=["age_band", "gender", "household"])
    frame = frame.sample(frac=1, random_state=3).reset_index(drop=True)
    frame["collection_point"] = ["auchan", "parc_figuerolles", "auchan"] * 3
    overall = a.most_frequent_profile(frame, k=3)
    assert overall.loc[0, "age_band"] == "30_44" and pd.isna(overall.loc[0, "gender"])
    assert int(overall.loc[0, "count"]) == 3

    answered = frame.loc[frame["gender"].notna()].reset_index(drop=True)
    answered.loc[answered["gender"] == "woman", "age_band"] = "18_29"
    first = a.most_frequent_profile(answered, k=3)
    assert (first.loc[0, "age_band"], first.loc[0, "gender"]) == ("18_29", "woman")

    same_age = frame.loc[frame["gender"].notna()].reset_index(drop=True)
    by_code = a.most_frequent_profile(same_age, k=3)
    assert by_code.loc[0, "gender"] == "man"


def pass_results() -> pd.DataFrame:
    rows = [
        # pass 1 climbs from 1 to 3: only the later level counts.
        (1, 1, "devices", 1, "self_declared", "2025-01-10T10:00:00Z", "canto_perdrix", "self"),
        (2, 1, "devices", 3, "validated", "2025-02-10T10:00:00Z", "canto_perdrix", "assisted"),
    ]
    rows += [
        (10 + p, p, "devices", 2, "self_declared", "2025-02-01T10:00:00Z", "canto_perdrix", "self")
        for p in range(2, 7)
    ]
    rows += [
        (20 + p, p, "devices", 4, "validated", "2025-02-01T10:00:00Z", "ile", "self")
        for p in (7, 8)
    ]
    rows.append((30, 9, "devices", 0, "self_declared", "2025-02-01T10:00:00Z", None, "self"))
    rows.append((31, 1, "safety", 2, "validated", "2025-02-10T10:00:00Z", "canto_perdrix", "self"))
    return pd.DataFrame(rows, columns=list(a.PASS_COLUMNS))


def test_pass_levels_latest_level_and_suppression() -> None:
    frame = a.pass_levels(pass_results())
    devices = frame[frame["domain"] == "devices"].set_index("neighbourhood")
    assert list(devices.index) == ["canto_perdrix", "ile", "unknown", "total"]
    # Canto: levels 3,2,2,2,2,2 -> 6 passes, mean 13/6 = 2.2. The total: 21/9 = 2.3.
    assert float(devices.loc["canto_perdrix", "mean_level"]) == 2.2
    assert float(devices.loc["total", "mean_level"]) == 2.3
    assert pd.isna(devices.loc["ile", "mean_level"])
    # Canto's lone level-3 pass would be 6 - 5: the 5 is hidden; then the level-2 total 5,
    # then Canto's 6 (the 2 + 1 others of the passes column) are hidden in turn.
    levels = devices[[f"level_{n}" for n in range(5)] + ["passes"]]
    assert levels.isna().sum().sum() == 4 * 6 - 1
    assert int(devices.loc["total", "passes"]) == 9
    safety = frame[frame["domain"] == "safety"]
    assert safety["passes"].isna().all() and safety["mean_level"].isna().all()


def test_pass_filters_and_errors() -> None:
    canto = a.pass_levels(pass_results(), a.Filters(neighbourhoods=("canto_perdrix",)))
    assert set(canto["neighbourhood"]) == {"canto_perdrix", "total"}
    early = a.filter_pass_results(pass_results(), a.Filters(end=date(2025, 1, 31)))
    assert list(early["assessment_id"]) == [1]
    bad = pass_results()
    bad.loc[0, "level"] = 7
    with pytest.raises(a.AnalyticsError, match="entre 0 et 4"):
        a.pass_levels(bad)


# ----------------------------------------------------------------------------- privacy


def test_suppress_small_hides_counts_and_linked_figures() -> None:
    frame = pd.DataFrame({"count": [0, 4, 5, 12], "percent": [0.0, 19.0, 23.8, 57.1]})
    out = a.suppress_small(frame)
    assert counts(out) == [None, None, 5, 12]
    assert [None if pd.isna(v) else float(v) for v in out["percent"]] == [None, None, 23.8, 57.1]
    assert counts(a.suppress_small(frame, k=1)) == [None, 4, 5, 12]


def test_protect_lines_single_hidden_cell() -> None:
    # 3, 9, 8 | 20: the 3 alone would be 20 - 9 - 8, so the 8 goes too.
    grid = np.array([[3, 9, 8, 20]])
    mask = a.protect_lines(grid, grid < 5)
    assert mask.tolist() == [[True, False, True, False]]
    # 0, 9, 11 | 20: a lone hidden zero tells nothing about anyone.
    grid = np.array([[0, 9, 11, 20]])
    assert a.protect_lines(grid, grid < 5).tolist() == [[True, False, False, False]]
    # 2, 1, 9, 8 | 20: hidden cells add up to 3, so the 8 goes too.
    grid = np.array([[2, 1, 9, 8, 20]])
    assert a.protect_lines(grid, grid < 5).tolist() == [[True, True, False, True, False]]


def test_display_helpers(wide: pd.DataFrame) -> None:
    shown = a.for_display(a.requests_by_theme(wide))
    assert shown.loc[0, "count"] == "11"
    assert shown.loc[0, "percent"] == "55 %"
    assert shown.loc[5, "count"] == "moins de 5"
    assert a.format_figure(57.14, percent=True) == "57,1 %"
    assert a.format_figure(12345) == "12\u202f345"
    assert a.format_figure(pd.NA) == "moins de 5"


def test_key_figures(wide: pd.DataFrame) -> None:
    figures = a.key_figures(wide)
    assert figures == {
        "responses": 20,
        "assisted": 6,
        "assisted_percent": 30.0,
        "collection_points": 2,
        "neighbourhoods": 3,
    }
    # 3 assisted out of 8: both parts are hidden, the self part would give the other away.
    few = wide[wide["response_id"].isin([*range(9, 12), *range(1, 6)])]
    assert a.key_figures(few)["assisted"] is None
