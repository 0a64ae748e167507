"""Dashboard figures from the collected answers, with pandas (no Flask, no database).

Inputs are the three frames described in the shared codes: the long answer table
(response_id, question, repeat_index, value), the response-level table (response_id, form_id,
form_version, collection_point, neighbourhood, channel, language, submitted_at, is_demo) and the
Pass results table (assessment_id, pass_id, domain, level, status, assessed_at, neighbourhood,
channel).

Privacy: every aggregate returned here goes through `suppress_small`, so any figure computed from
fewer than `MIN_PEOPLE` people is NA (shown "moins de 5"). Where published figures add up to a
published total (a select_one question, a crosstab with its margins), a second cell is hidden too
so that a hidden one cannot be found by subtraction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveys import labels, model
from surveys.errors import SurveyError
from surveys.labels import (
    AGE_BAND_LABELS,
    AGE_BANDS,
    SUPPRESSED_TEXT,
    UNKNOWN_TEXT,
    choice_codes,
    choice_label,
    neighbourhood_label,
    point_label,
)

#: Smallest number of people a published figure may be computed from.
MIN_PEOPLE = 5
#: Local time zone: weeks and days are those of Martigues, not UTC.
LOCAL_TZ = "Europe/Paris"

#: select_multiple questions of the `mairiebus` questionnaire (space-separated codes).
MULTIPLE_QUESTIONS: frozenset[str] = frozenset(
    {
        "reason",
        "heard_how",
        "household",
        "needs",
        "equipment",
        "helped_by",
        "preferred_days",
        "preferred_times",
        "preferred_place",
        "wished_services",
    }
)

ANSWER_COLUMNS = ("response_id", "question", "repeat_index", "value")
RESPONSE_COLUMNS = model.RESPONSE_COLUMNS
PASS_COLUMNS = (
    "assessment_id",
    "pass_id",
    "domain",
    "level",
    "status",
    "assessed_at",
    "neighbourhood",
    "channel",
)
CHANNELS = ("self", "assisted")
TOTAL = "total"
TOTAL_LABEL = "Total"


class AnalyticsError(SurveyError):
    """The data or the filters given to the dashboard cannot be used (message in French)."""


@dataclass(frozen=True)
class Filters:
    """Which responses the dashboard looks at; empty fields mean 'all'.

    `start`/`end` are inclusive local (Europe/Paris) dates. `form_id` keeps every version of the
    form: questions are matched by name across versions.
    """

    start: date | None = None
    end: date | None = None
    form_id: str | None = None
    collection_points: tuple[str, ...] = ()
    neighbourhoods: tuple[str, ...] = ()
    channel: str | None = None
    #: None: demo and real answers; False: real answers only; True: demo answers only.
    demo: bool | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise AnalyticsError("La date de début doit être avant la date de fin.")
        if self.channel is not None and self.channel not in CHANNELS:
            raise AnalyticsError("Le mode de réponse doit être « seul » ou « avec un aidant ».")


# --------------------------------------------------------------------------- input checks


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise AnalyticsError(f"Le tableau des {what} est manquant.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalyticsError(f"Le tableau des {what} n'a pas les colonnes : {', '.join(missing)}.")


def _utc(series: pd.Series) -> pd.Series:
    # Already datetimes (read from the database, or cleaned before): no parsing needed.
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return series.dt.tz_localize("UTC")
    try:
        return pd.to_datetime(series, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise AnalyticsError("Une date de réponse ne peut pas être lue.") from exc


def _local_dates(series: pd.Series) -> pd.Series:
    return _utc(series).dt.tz_convert(LOCAL_TZ).dt.date


def _clean_answers(answers: pd.DataFrame) -> pd.DataFrame:
    _require_columns(answers, ANSWER_COLUMNS, "réponses aux questions")
    out = answers.loc[:, list(ANSWER_COLUMNS)].copy()
    try:
        out["response_id"] = out["response_id"].astype("int64")
        out["repeat_index"] = out["repeat_index"].fillna(0).astype("int64")
    except (ValueError, TypeError) as exc:
        raise AnalyticsError("Un numéro de réponse n'est pas un nombre entier.") from exc
    out["question"] = out["question"].astype(str)
    out["value"] = _strip_values(out["value"])
    return out


def _strip_values(values: pd.Series) -> pd.Series:
    # Answers repeat a lot (the same few codes for 100,000 people): strip each distinct value
    # once and map back, rather than once per row.
    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    cleaned = pd.array([str(u).strip() for u in uniques] + [pd.NA], dtype="string")
    return pd.Series(cleaned[positions], index=values.index, dtype="string")


def _clean_responses(responses: pd.DataFrame) -> pd.DataFrame:
    _require_columns(responses, RESPONSE_COLUMNS, "questionnaires reçus")
    out = responses.loc[:, list(RESPONSE_COLUMNS)].copy()
    try:
        out["response_id"] = out["response_id"].astype("int64")
    except (ValueError, TypeError) as exc:
        raise AnalyticsError("Un numéro de réponse n'est pas un nombre entier.") from exc
    if out["response_id"].duplicated().any():
        raise AnalyticsError("Le même numéro de réponse apparaît deux fois.")
    out["submitted_at"] = _utc(out["submitted_at"])
    for column in ("collection_point", "neighbourhood"):
        out[column] = out[column].astype("string").replace("", pd.NA)
    out["is_demo"] = out["is_demo"].fillna(False).astype(bool)
    return out


# --------------------------------------------------------------------------- filters


def _already_clean(responses: pd.DataFrame) -> bool:
    """True when the response columns have the types `_clean_responses` gives (a wide table)."""
    try:
        moments = responses["submitted_at"].dtype
        return (
            responses["response_id"].dtype == np.int64
            and isinstance(moments, pd.DatetimeTZDtype)
            and str(moments.tz) == "UTC"
            and all(responses[c].dtype == "string" for c in ("collection_point", "neighbourhood"))
            and responses["is_demo"].dtype == bool
        )
    except KeyError:
        return False


def filter_responses(
    responses: pd.DataFrame, filters: Filters | None = None, *, cleaned: bool = False
) -> pd.DataFrame:
    """Rows of the response-level table kept by the filters (columns unchanged, dates in UTC).

    `cleaned=True` says the rows come from a wide table (already checked and typed): they are
    filtered as they are when their types show it, which saves a copy of every column for
    each new set of dashboard filters.
    """
    if cleaned and _already_clean(responses):
        frame = responses.loc[:, list(RESPONSE_COLUMNS)]
    else:
        frame = _clean_responses(responses)
    f = filters or Filters()
    keep = pd.Series(True, index=frame.index)
    if f.start or f.end:
        local = _local_dates(frame["submitted_at"])
        if f.start:
            keep &= local >= f.start
        if f.end:
            keep &= local <= f.end
    if f.form_id:
        keep &= frame["form_id"] == f.form_id
    if f.collection_points:
        keep &= frame["collection_point"].isin(list(f.collection_points)).fillna(False)
    if f.neighbourhoods:
        keep &= frame["neighbourhood"].isin(list(f.neighbourhoods)).fillna(False)
    if f.channel:
        keep &= frame["channel"] == f.channel
    if f.demo is not None:
        keep &= frame["is_demo"] == f.demo
    return frame.loc[keep.astype(bool)].reset_index(drop=True)


def filter_pass_results(results: pd.DataFrame, filters: Filters | None = None) -> pd.DataFrame:
    """Pass results kept by the period, neighbourhood and channel filters (others do not apply)."""
    _require_columns(results, PASS_COLUMNS, "résultats du Pass")
    frame = results.loc[:, list(PASS_COLUMNS)].copy()
    frame["assessed_at"] = _utc(frame["assessed_at"])
    try:
        frame["level"] = frame["level"].astype("int64")
    except (ValueError, TypeError) as exc:
        raise AnalyticsError("Un niveau du Pass n'est pas un nombre entier.") from exc
    if ((frame["level"] < 0) | (frame["level"] > 4)).any():
        raise AnalyticsError("Un niveau du Pass doit être compris entre 0 et 4.")
    frame["neighbourhood"] = frame["neighbourhood"].astype("string").replace("", pd.NA)
    f = filters or Filters()
    keep = pd.Series(True, index=frame.index)
    if f.start or f.end:
        local = _local_dates(frame["assessed_at"])
        if f.start:
            keep &= local >= f.start
        if f.end:
            keep &= local <= f.end
    if f.neighbourhoods:
        keep &= frame["neighbourhood"].isin(list(f.neighbourhoods)).fillna(False)
    if f.channel:
        keep &= frame["channel"] == f.channel
    return frame.loc[keep.astype(bool)].reset_index(drop=True)


# --------------------------------------------------------------------------- tidy frames


def explode_choices(
    answers: pd.DataFrame, multiple: Iterable[str] = MULTIPLE_QUESTIONS
) -> pd.DataFrame:
    """Long table with one row per selected choice: response_id, question, value.

    select_multiple values ("caf school") become one row per code; other questions keep one row.
    Only answers outside repeats (repeat_index 0) are used: the dashboard questions are not
    repeated, and a repeated answer must not count a person twice.
    """
    frame = _clean_answers(answers)
    frame = frame.loc[
        (frame["repeat_index"] == 0) & frame["value"].notna() & (frame["value"] != "")
    ]
    frame = frame.drop_duplicates(["response_id", "question"], keep="last")
    is_multi = frame["question"].isin(list(multiple))
    single = frame.loc[~is_multi, ["response_id", "question", "value"]]
    multi = frame.loc[is_multi, ["response_id", "question", "value"]].copy()
    multi["value"] = multi["value"].str.split()
    multi = multi.explode("value")
    multi = multi.loc[multi["value"].notna()].drop_duplicates()
    out = pd.concat([single, multi], ignore_index=True)
    out["value"] = out["value"].astype("string")
    return out.sort_values(["response_id", "question", "value"], kind="stable").reset_index(
        drop=True
    )


def wide_responses(
    answers: pd.DataFrame,
    responses: pd.DataFrame,
    filters: Filters | None = None,
    multiple: Iterable[str] = MULTIPLE_QUESTIONS,
) -> pd.DataFrame:
    """One row per kept response: the response columns, one column per question, one-hot choices.

    Columns: the response-level columns (submitted_at in UTC), `submitted_local` (Europe/Paris),
    then one string column per question (the raw value; select_multiple keep their
    space-separated codes) and, for every select_multiple question, one boolean column
    `question/code` per code selected by someone or known for that question.
    Where a question has the name of a response-level column (e.g. `neighbourhood`), the
    response-level column wins: it already holds the answer, or the collection point's
    neighbourhood when the person did not answer.
    """
    multiple = frozenset(multiple)
    kept = filter_responses(responses, filters)
    long = _clean_answers(answers)
    long = long.loc[(long["repeat_index"] == 0) & long["response_id"].isin(kept["response_id"])]
    long = long.loc[long["value"].notna() & (long["value"] != "")]
    long = long.drop_duplicates(["response_id", "question"], keep="last")
    long = long.loc[~long["question"].isin(list(RESPONSE_COLUMNS))]
    values = long.pivot(index="response_id", columns="question", values="value")
    values.columns.name = None
    wide = kept.merge(values, how="left", left_on="response_id", right_index=True)
    wide["submitted_local"] = wide["submitted_at"].dt.tz_convert(LOCAL_TZ)
    extra: dict[str, pd.Series] = {}
    for question in sorted(multiple):
        raw = (
            wide[question].astype("string")
            if question in wide
            else pd.Series(pd.NA, index=wide.index, dtype="string")
        )
        extra.update(_one_hot(question, raw))
        if question not in wide:
            extra[question] = raw
    if extra:
        wide = pd.concat([wide, pd.DataFrame(extra, index=wide.index)], axis=1)
    return wide.reset_index(drop=True)


def _one_hot(question: str, raw: pd.Series) -> dict[str, pd.Series]:
    """Boolean column `question/code` per known or seen code of a select_multiple column."""
    # Split each distinct answer once ("caf school" is shared by thousands of people), then
    # spread the small distinct-answers x codes matrix back to the rows.
    positions, uniques = pd.factorize(raw, use_na_sentinel=True)
    split = [str(u).split() for u in uniques]
    codes = list(choice_codes(question))
    seen = {code for words in split for code in words}
    codes += sorted(c for c in seen if c not in codes)
    index = {code: j for j, code in enumerate(codes)}
    matrix = np.zeros((len(uniques) + 1, len(codes)), dtype=bool)  # last row: no answer
    for i, words in enumerate(split):
        for code in words:
            matrix[i, index[code]] = True
    rows = matrix[positions]  # the sentinel -1 picks the last, all-False row
    return {
        f"{question}/{code}": pd.Series(rows[:, j], index=raw.index, dtype=bool)
        for j, code in enumerate(codes)
    }


def selected(wide: pd.DataFrame, question: str) -> pd.DataFrame:
    """The one-hot block of a select_multiple question, columns renamed to bare codes."""
    prefix = f"{question}/"
    columns = [c for c in wide.columns if isinstance(c, str) and c.startswith(prefix)]
    block = wide.loc[:, columns]
    block.columns = [c[len(prefix) :] for c in columns]
    return block


def _answered(wide: pd.DataFrame, question: str) -> pd.Series:
    if question not in wide:
        return pd.Series(False, index=wide.index)
    return wide[question].notna() & (wide[question].astype("string") != "")


# --------------------------------------------------------------------------- privacy


def _unsafe(values: np.ndarray, hidden: np.ndarray, k: int) -> bool:
    # The last entry is the line's total. A line gives hidden people away when a single hidden
    # entry is not zero (found by subtraction), or when the total is shown and the hidden cells
    # add up to 1..k-1 people.
    count = int(hidden.sum())
    if count == 0:
        return False
    if count == 1:
        return int(values[hidden].sum()) > 0
    if hidden[-1]:
        return False
    hidden_sum = int(values[:-1][hidden[:-1]].sum())
    return 0 < hidden_sum < k


def protect_lines(grid: np.ndarray, hidden: np.ndarray, k: int = MIN_PEOPLE) -> np.ndarray:
    """Extend `hidden` so that no row or column of `grid` lets a hidden figure be worked out.

    `grid` includes its margins: its last column holds the row totals, its last row the column
    totals, so each line sums to its last entry. A line is unsafe when it hides one non-zero
    entry, or hidden entries summing to 1..k-1: then its smallest visible entry (cells before the
    total) is hidden too, until every line is safe. This is the usual line-by-line heuristic of
    statistical offices, not a full linear-programming audit.
    """
    mask = hidden.copy()
    rows, cols = grid.shape
    positions = np.arange(grid.size).reshape(grid.shape)
    lines = [(i, slice(None)) for i in range(rows)] + [(slice(None), j) for j in range(cols)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            values, line_mask = grid[line], mask[line]
            if not _unsafe(values, line_mask, k):
                continue
            order = sorted(range(len(values) - 1), key=lambda i: (values[i], i))
            order.append(len(values) - 1)
            for position in order:
                if not line_mask[position]:
                    mask.flat[positions[line][position]] = True
                    changed = True
                    break
    return mask


def suppress_small(
    frame: pd.DataFrame,
    k: int = MIN_PEOPLE,
    *,
    counts: Sequence[str] = ("count",),
    linked: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Copy of `frame` where counts below `k` (0 included) are NA, and so are figures built on them.

    `counts` are integer columns of numbers of people (made nullable Int64); `linked` maps a
    derived column (a percentage, a mean) to the count column it is computed from: it is set to
    NA wherever that count is NA. A `percent` column is linked to `count` by default, and to
    `base` as well when there is one.
    """
    out = frame.copy()
    links = dict(linked or {})
    if "percent" in out and "count" in counts and "percent" not in links:
        links["percent"] = "count"
    for column in counts:
        if column not in out:
            continue
        values = pd.to_numeric(out[column], errors="coerce").astype("Int64")
        out[column] = values.mask(values < k)
    for derived, source in links.items():
        if derived in out and source in out:
            out[derived] = out[derived].astype("Float64").mask(out[source].isna())
    if "percent" in out and "base" in out:
        out["percent"] = out["percent"].astype("Float64").mask(out["base"].isna())
    return out


def is_suppressed(value: Any) -> bool:
    """True when a figure was hidden by the small-count rule."""
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def format_figure(value: Any, *, percent: bool = False) -> str:
    """French display of a figure: "moins de 5" when hidden, "12,5 %" for a percentage."""
    if is_suppressed(value):
        return SUPPRESSED_TEXT
    if percent:
        text = f"{float(value):.1f}".replace(".", ",")
        if text.endswith(",0"):
            text = text[:-2]
        return f"{text} %"
    if isinstance(value, float | np.floating) and not float(value).is_integer():
        return f"{float(value):.1f}".replace(".", ",")
    return f"{int(value):,}".replace(",", "\u202f")


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy with figures as French text ("moins de 5" when hidden), ready for CSV/XLSX export."""
    out = frame.copy()
    for column in out.columns:
        if column in ("count", "base", "people", "passes") or str(column).startswith("level_"):
            out[column] = [format_figure(v) for v in out[column]]
        elif column in ("percent",):
            out[column] = [format_figure(v, percent=True) for v in out[column]]
        elif column in ("mean_level",):
            out[column] = [
                SUPPRESSED_TEXT if is_suppressed(v) else f"{float(v):.1f}".replace(".", ",")
                for v in out[column]
            ]
    return out


# --------------------------------------------------------------------------- aggregates


def _percent(count: pd.Series, base: int) -> pd.Series:
    if base <= 0:
        return pd.Series(np.nan, index=count.index, dtype="Float64")
    return (count.astype("float64") * 100.0 / base).round(1).astype("Float64")


def distribution(
    wide: pd.DataFrame,
    question: str,
    *,
    k: int = MIN_PEOPLE,
    multiple: Iterable[str] = MULTIPLE_QUESTIONS,
) -> pd.DataFrame:
    """How many people gave each answer to one question.

    Columns: question, code, label (French), count (people, Int64), percent (of `base`, Float64),
    base (people who answered the question). Rows follow the question's natural order, known
    codes first (unanswered ones included), then codes only seen in the data.
    A select_one question's counts add up to its base, so a second count is hidden where needed.
    """
    is_multi = question in frozenset(multiple)
    answered = _answered(wide, question)
    base = int(answered.sum())
    if is_multi:
        block = selected(wide, question)
        codes = list(block.columns)
        counts = [int(block[c].sum()) for c in codes]
    else:
        values = (
            wide.loc[answered, question].astype("string") if base else pd.Series([], dtype="string")
        )
        codes = list(choice_codes(question))
        codes += sorted(c for c in values.unique().tolist() if c not in codes)
        tally = values.value_counts()
        counts = [int(tally.get(c, 0)) for c in codes]
    frame = pd.DataFrame(
        {
            "question": question,
            "code": codes,
            "label": [choice_label(question, c) for c in codes],
            "count": pd.array(counts, dtype="Int64"),
        }
    )
    frame["percent"] = _percent(frame["count"], base)
    frame["base"] = pd.array([base] * len(frame), dtype="Int64")
    out = suppress_small(frame, k, counts=("count", "base"))
    if not is_multi and len(frame) and base >= k:
        grid = np.array([counts + [base]], dtype=np.int64)
        hidden = np.array([[c < k for c in counts] + [False]])
        mask = protect_lines(grid, hidden, k)[0, :-1]
        out["count"] = out["count"].mask(mask)
        out["percent"] = out["percent"].mask(mask)
    return out.reset_index(drop=True)


def _sort_by_count(frame: pd.DataFrame) -> pd.DataFrame:
    # Sort on the published figure only: ordering hidden rows by their true count would leak it.
    key = frame["count"].astype("Float64").fillna(-1)
    order = sorted(range(len(frame)), key=lambda i: (-float(key.iloc[i]), i))
    return frame.iloc[order].reset_index(drop=True)


def requests_by_theme(wide: pd.DataFrame, *, k: int = MIN_PEOPLE) -> pd.DataFrame:
    """People citing each theme in `needs`, most cited first (columns as `distribution`)."""
    return _sort_by_count(distribution(wide, "needs", k=k))


def how_heard(wide: pd.DataFrame, *, k: int = MIN_PEOPLE) -> pd.DataFrame:
    """Why people came (`reason`) and how they heard of the bus (`heard_how`), stacked."""
    parts = [distribution(wide, q, k=k) for q in ("reason", "heard_how")]
    return pd.concat(parts, ignore_index=True)


EXPECTATION_QUESTIONS = ("frequency", "preferred_days", "preferred_times", "preferred_place")


def expectations(wide: pd.DataFrame, *, k: int = MIN_PEOPLE) -> pd.DataFrame:
    """How often, which days, which times and where people want the bus, stacked by question."""
    parts = [distribution(wide, q, k=k) for q in EXPECTATION_QUESTIONS]
    return pd.concat(parts, ignore_index=True)


def _protected_grid(grid: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Hidden mask of a grid of cells with its margins appended, after both suppression steps."""
    full = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1), dtype=np.int64)
    full[:-1, :-1] = grid
    full[:-1, -1] = grid.sum(axis=1)
    full[-1, :-1] = grid.sum(axis=0)
    full[-1, -1] = grid.sum()
    return full, protect_lines(full, full < k, k)


def _crosstab(rows: pd.Series, columns: pd.Series) -> pd.DataFrame:
    """Counts of each (row, column) pair, like pd.crosstab but with a fast groupby."""
    pairs = pd.DataFrame({"row": rows.to_numpy(), "column": columns.to_numpy()})
    return pairs.groupby(["row", "column"]).size().unstack(fill_value=0)


def age_by_neighbourhood(wide: pd.DataFrame, *, k: int = MIN_PEOPLE) -> pd.DataFrame:
    """Crosstab of age band by neighbourhood, as a long frame with its margins.

    Columns: age_band, age_label, neighbourhood, neighbourhood_label, count (Int64).
    Margins are rows whose age_band or neighbourhood is "total". Neighbourhoods are those of the
    kept responses (response-level `neighbourhood`; unknown ones as "unknown"), in the shared
    order. Only people who gave their age band are counted.
    """
    if "age_band" in wide:
        ages = wide["age_band"].astype("string")
    else:
        ages = pd.Series(pd.NA, index=wide.index, dtype="string")
    hoods = wide["neighbourhood"].astype("string").fillna("unknown")
    keep = ages.notna()
    # Distinct values once (iterating 100,000 pandas strings in Python is slow).
    present_ages = set(ages[keep].unique().tolist())
    present_hoods = set(hoods[keep].unique().tolist())
    age_codes = list(AGE_BANDS) + sorted(present_ages - set(AGE_BANDS))
    known = [c for c in choice_codes("neighbourhood") if c in present_hoods]
    hood_codes = known + sorted(present_hoods - set(known))
    table = _crosstab(ages[keep], hoods[keep]).reindex(
        index=age_codes, columns=hood_codes, fill_value=0
    )
    grid = table.to_numpy(dtype=np.int64)
    full, mask = _protected_grid(grid, k)
    rows = []
    row_codes = age_codes + [TOTAL]
    col_codes = hood_codes + [TOTAL]
    for i, age in enumerate(row_codes):
        for j, hood in enumerate(col_codes):
            rows.append(
                {
                    "age_band": age,
                    "age_label": TOTAL_LABEL if age == TOTAL else AGE_BAND_LABELS.get(age, age),
                    "neighbourhood": hood,
                    "neighbourhood_label": _hood_label(hood),
                    "count": pd.NA if mask[i, j] else int(full[i, j]),
                }
            )
    out = pd.DataFrame(rows)
    out["count"] = out["count"].astype("Int64")
    return out


def _hood_label(code: str | None) -> str:
    if code == TOTAL:
        return TOTAL_LABEL
    if code is None or code == "unknown":
        return UNKNOWN_TEXT
    return neighbourhood_label(code)


def latest_pass_levels(results: pd.DataFrame) -> pd.DataFrame:
    """Latest assessment of each pass in each domain (later supersedes earlier, as in scoring)."""
    ordered = results.sort_values(["assessed_at", "assessment_id"], kind="stable")
    return ordered.drop_duplicates(["pass_id", "domain"], keep="last").reset_index(drop=True)


def pass_levels(
    results: pd.DataFrame,
    filters: Filters | None = None,
    *,
    k: int = MIN_PEOPLE,
    kept: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pass levels by domain and neighbourhood, from the latest level of each pass per domain.

    Columns: domain, neighbourhood, neighbourhood_label, passes (Int64), mean_level (Float64,
    1 decimal), level_0 .. level_4 (Int64 counts of passes at that level). One row per domain and
    neighbourhood seen, plus a "total" row per domain. Within a domain the level counts and
    passes add up, so hidden cells are protected across levels and neighbourhoods.
    `kept` is `filter_pass_results(results, filters)` when the caller already has it.
    """
    if kept is None:
        kept = filter_pass_results(results, filters)
    latest = latest_pass_levels(kept)
    latest["neighbourhood"] = latest["neighbourhood"].fillna("unknown")
    frames = []
    # One grouping by domain (sorted), not one comparison of every row per domain.
    for domain, part in latest.groupby(latest["domain"].astype(str), sort=True):
        present = set(part["neighbourhood"].unique().tolist())
        known = [c for c in choice_codes("neighbourhood") if c in present]
        hoods = known + sorted(present - set(known))
        table = _crosstab(part["neighbourhood"], part["level"]).reindex(
            index=hoods, columns=range(5), fill_value=0
        )
        full, mask = _protected_grid(table.to_numpy(dtype=np.int64), k)
        sums = part.groupby("neighbourhood")["level"].sum()
        for i, hood in enumerate(hoods + [TOTAL]):
            passes = int(full[i, -1])
            level_sum = int(part["level"].sum()) if hood == TOTAL else int(sums.get(hood, 0))
            row: dict[str, Any] = {
                "domain": domain,
                "neighbourhood": hood,
                "neighbourhood_label": _hood_label(hood),
                "passes": pd.NA if mask[i, -1] else passes,
                # A mean needs k people behind it, even when the count itself is hidden.
                "mean_level": round(level_sum / passes, 1) if passes >= k else pd.NA,
            }
            for level in range(5):
                row[f"level_{level}"] = pd.NA if mask[i, level] else int(full[i, level])
            frames.append(row)
    columns = ["domain", "neighbourhood", "neighbourhood_label", "passes", "mean_level"]
    columns += [f"level_{n}" for n in range(5)]
    out = pd.DataFrame(frames, columns=columns)
    for column in ["passes"] + [f"level_{n}" for n in range(5)]:
        out[column] = out[column].astype("Int64")
    out["mean_level"] = out["mean_level"].astype("Float64")
    return out


FRENCH_MONTHS = labels.MONTH_LABELS


def answers_over_time(
    wide: pd.DataFrame, freq: Literal["week", "month"] = "week", *, k: int = MIN_PEOPLE
) -> pd.DataFrame:
    """Number of responses per local week (starting Monday) or month, gaps filled with 0.

    Columns: period_start (datetime.date), label (French: "semaine du 03/03/2025", "mars 2025"),
    count (Int64). Counts add up to the number of responses, hence the second hidden cell.
    """
    if freq not in ("week", "month"):
        raise AnalyticsError("La période doit être la semaine ou le mois.")
    columns = ["period_start", "label", "count"]
    if wide.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}).astype(
            {"count": "Int64"}
        )
    local = wide["submitted_local"].dt.tz_localize(None).dt.normalize()
    if freq == "week":
        starts = local - pd.to_timedelta(local.dt.weekday, unit="D")
        periods = pd.date_range(starts.min(), starts.max(), freq="7D")
    else:
        starts = local - pd.to_timedelta(local.dt.day - 1, unit="D")
        periods = pd.date_range(starts.min(), starts.max(), freq="MS")
    tally = starts.value_counts()
    counts = [int(tally.get(p, 0)) for p in periods]
    grid = np.array([counts + [sum(counts)]], dtype=np.int64)
    mask = protect_lines(grid, grid < k, k)[0, :-1]
    if freq == "week":
        labels = [f"semaine du {p:%d/%m/%Y}" for p in periods]
    else:
        labels = [f"{FRENCH_MONTHS[p.month - 1]} {p.year}" for p in periods]
    out = pd.DataFrame(
        {
            "period_start": [p.date() for p in periods],
            "label": labels,
            "count": pd.array(
                [pd.NA if m else c for c, m in zip(counts, mask, strict=True)], dtype="Int64"
            ),
        }
    )
    return out


PROFILE_QUESTIONS = ("age_band", "gender", "household")


def _profile_values(wide: pd.DataFrame, questions: Sequence[str]) -> pd.DataFrame:
    values = {}
    for question in questions:
        if question in wide:
            column = wide[question].astype("string")
            if question in MULTIPLE_QUESTIONS:
                # The same set of codes in any order is the same household.
                positions, uniques = pd.factorize(column, use_na_sentinel=True)
                joined = [" ".join(sorted(str(u).split())) for u in uniques] + [pd.NA]
                column = pd.Series(
                    pd.array(joined, dtype="string")[positions], index=wide.index, dtype="string"
                )
            values[question] = column
        else:
            values[question] = pd.Series(pd.NA, index=wide.index, dtype="string")
    return pd.DataFrame(values, index=wide.index)


def _profile_label(question: str, value: Any) -> str:
    if is_suppressed(value):
        return UNKNOWN_TEXT
    return " et ".join(choice_label(question, code) for code in str(value).split())


def most_frequent_profile(
    wide: pd.DataFrame,
    by: Literal["collection_point", "neighbourhood"] | None = None,
    *,
    questions: Sequence[str] = PROFILE_QUESTIONS,
    point_names: dict[str, str] | None = None,
    k: int = MIN_PEOPLE,
) -> pd.DataFrame:
    """The most frequent combination of profile answers, overall or per group.

    Columns: group (code; "all" overall), group_label, people (Int64, people in the group),
    one column per profile question (codes; select_multiple sorted and space-joined; NA when
    not answered or hidden), profile_label (French, " · " between answers), count (Int64, people
    with that exact profile), percent (of the group). Unanswered questions are part of the
    profile (a person who skipped gender is not dropped). Ties go to the first profile in code
    order. A group under `k` people, or whose top profile has under `k` people, shows no profile.
    """
    if by not in (None, "collection_point", "neighbourhood"):
        raise AnalyticsError("Le regroupement doit être par point de recueil ou par quartier.")
    profiles = _profile_values(wide, questions)
    if by is None:
        groups = pd.Series("all", index=wide.index, dtype="string")
    else:
        groups = wide[by].astype("string").fillna("unknown")
    rows = []
    order = ["all"] if by is None else _group_order(by, groups)
    tops = _top_profiles(profiles, groups, questions)
    sizes = groups.value_counts()
    for group in order:
        people = int(sizes.get(group, 0))
        row: dict[str, Any] = {"group": group, "group_label": _group_label(by, group, point_names)}
        row["people"] = people
        top: tuple[Any, ...] | None = None
        top_count = 0
        if people:
            top, top_count = tops[group]
        visible = people >= k and top is not None and top_count >= k
        for question, value in zip(questions, top or (pd.NA,) * len(questions), strict=True):
            row[question] = value if visible and value != "\x00" else pd.NA
        if visible:
            row["profile_label"] = " · ".join(
                _profile_label(q, row[q]) for q in questions if not is_suppressed(row[q])
            )
        else:
            row["profile_label"] = SUPPRESSED_TEXT
        row["count"] = top_count if visible else pd.NA
        row["percent"] = round(top_count * 100.0 / people, 1) if visible else pd.NA
        rows.append(row)
    columns = ["group", "group_label", "people", *questions, "profile_label", "count", "percent"]
    out = pd.DataFrame(rows, columns=columns)
    out = suppress_small(out, k, counts=("people", "count"), linked={"percent": "count"})
    if by is not None and len(out):
        # Group sizes add up to the number of people: protect them like a distribution.
        sizes = [int(n) for n in (r["people"] for r in rows)]
        grid = np.array([sizes + [sum(sizes)]], dtype=np.int64)
        hidden = np.array([[n < k for n in sizes] + [sum(sizes) < k]])
        out["people"] = out["people"].mask(protect_lines(grid, hidden, k)[0, :-1])
        # count / percent would give a hidden group size back.
        out["percent"] = out["percent"].mask(out["people"].isna())
    for question in questions:
        out[question] = out[question].astype("string")
    return out


def sorted_codes(frame: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray]]:
    """Integer codes per row and column, and each column's answers in sorted order.

    Code i of a column is its i-th answer, so the smallest code is the first answer
    alphabetically; a missing answer is -1, which sorts before any code.
    """
    codes, answers = [], []
    for column in frame.columns:
        positions, values = pd.factorize(frame[column], sort=True, use_na_sentinel=True)
        codes.append(positions)
        answers.append(np.asarray(values, dtype=object))
    if not codes:
        return np.empty((len(frame), 0), dtype=np.int64), answers
    return np.column_stack(codes).astype(np.int64), answers


def _top_profiles(
    profiles: pd.DataFrame, groups: pd.Series, questions: Sequence[str]
) -> dict[str, tuple[tuple[str, ...], int]]:
    """Per group, its most frequent profile (ties: first in code order) and how many have it."""
    # One groupby over everybody instead of one tally per group, on integer codes: each
    # answer's code follows the answers' sorted order and "no answer" is -1, so ties still go
    # to the first profile in code order, as when profiles were compared as Python tuples
    # with "\x00" (sorting before any code) for "no answer".
    columns = [f"q{i}" for i in range(len(questions))]
    codes, answers = sorted_codes(profiles)
    group_positions, group_values = pd.factorize(groups.astype(object), sort=True)
    frame = pd.DataFrame(codes, columns=columns)
    frame.insert(0, "group", group_positions)
    tally = frame.groupby(["group", *columns], sort=False).size().reset_index(name="n")
    tally = tally.sort_values(
        ["group", "n", *columns], ascending=[True, False, *([True] * len(columns))], kind="stable"
    ).drop_duplicates("group", keep="first")
    return {
        str(group_values[r[0]]): (
            tuple("\x00" if code < 0 else str(answers[i][code]) for i, code in enumerate(r[1:-1])),
            int(r[-1]),
        )
        for r in tally.itertuples(index=False, name=None)
    }


def _group_order(by: str, groups: pd.Series) -> list[str]:
    present = set(groups.dropna().unique().tolist())
    if by == "neighbourhood":
        known = [c for c in choice_codes("neighbourhood") if c in present]
        return known + sorted(present - set(known))
    return sorted(present)


def _group_label(by: str | None, group: str, point_names: dict[str, str] | None) -> str:
    if by is None:
        return "Ensemble"
    if group == "unknown":
        return UNKNOWN_TEXT
    if by == "neighbourhood":
        return neighbourhood_label(group)
    return point_label(group, point_names)


def key_figures(wide: pd.DataFrame, *, k: int = MIN_PEOPLE) -> dict[str, Any]:
    """Headline numbers: responses, assisted share, collection points and neighbourhoods seen.

    Values are int/float, or None when computed from fewer than `k` people.
    """
    total = len(wide)
    assisted = int((wide["channel"] == "assisted").sum()) if total else 0
    both = assisted >= k and total - assisted >= k

    def hide(n: int) -> int | None:
        return n if n >= k else None

    return {
        "responses": hide(total),
        # Self and assisted add up to the total: both must reach k or neither is shown.
        "assisted": assisted if both else None,
        "assisted_percent": round(assisted * 100.0 / total, 1) if both else None,
        "collection_points": int(wide["collection_point"].dropna().nunique()),
        "neighbourhoods": int(wide["neighbourhood"].dropna().nunique()),
    }
