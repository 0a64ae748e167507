"""Personas ("profils types"): groups of similar respondents found by k-modes clustering.

Each person is described by a few categorical answers (PERSONA_FEATURES). k-modes (Huang's
algorithm, as the PyPI `kmodes` package, vectorised with numpy) groups people who share the most
answers. The number of groups
is chosen over k = 2..6 by the mean silhouette under the simple matching (Hamming) distance:
the k whose people sit closest to their own group and farthest from the next one wins, ties going
to the smaller k. A fixed seed makes the result the same at every run. Groups of fewer than
MIN_PEOPLE people are not shown (counted in `hidden_people`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveys.analytics import MIN_PEOPLE, AnalyticsError, selected, sorted_codes
from surveys.labels import (
    AGE_BAND_PHRASES,
    THEME_PURPOSES,
    choice_label,
    point_label,
)

#: Answers the clustering looks at (one category per person each).
PERSONA_FEATURES = (
    "age_band",
    "gender",
    "household",
    "main_need",
    "collection_point",
    "preferred_day",
    "preferred_time",
)
FEATURE_SOURCES = {
    "main_need": "needs",
    "preferred_day": "preferred_days",
    "preferred_time": "preferred_times",
}
#: The family situation that most shapes needs wins when a household has several codes.
HOUSEHOLD_PRIORITY = ("single_parent", "young_children", "older_children", "alone", "couple")
UNKNOWN = "unknown"
K_RANGE = range(2, 7)
#: Fit on at most this many people (a seeded sample), then give everybody their nearest group:
#: k-modes is quadratic-ish in practice and the dashboard must stay fast at 100,000 responses.
MAX_FIT_ROWS = 3000
SILHOUETTE_SAMPLE = 2000

DAY_PHRASES = {
    "monday": "lundi",
    "tuesday": "mardi",
    "wednesday": "mercredi",
    "thursday": "jeudi",
    "friday": "vendredi",
    "saturday": "samedi",
}
TIME_AFTER_DAY = {
    "morning": "matin",
    "lunchtime": "midi",
    "afternoon": "après-midi",
    "evening": "soir",
}
TIME_ALONE = {
    "morning": "le matin",
    "lunchtime": "le midi",
    "afternoon": "l'après-midi",
    "evening": "le soir",
}
FEATURE_LABELS = {
    "main_need": "Demande principale",
    "preferred_day": "Jour souhaité",
    "preferred_time": "Moment souhaité",
}


@dataclass(frozen=True)
class Trait:
    """One answer shared by members of a persona, with how many of them gave it."""

    question: str
    code: str
    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class Persona:
    """A group of similar respondents, described in one plain French sentence."""

    number: int
    count: int
    percent: float
    total: int
    defining: tuple[Trait, ...]
    needs: tuple[Trait, ...]
    expectations: tuple[Trait, ...]
    sentence: str
    confidence: str


@dataclass(frozen=True)
class PersonaResult:
    """The personas shown, and how their number was chosen."""

    personas: tuple[Persona, ...]
    k: int | None
    people: int
    hidden_people: int
    criterion: str
    silhouettes: dict[int, float] = field(default_factory=dict)
    costs: dict[int, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- features


def _distinctive(block: pd.DataFrame) -> pd.Series:
    """Per person, the selected code cited by the fewest people overall (ties: list order)."""
    if block.empty or block.shape[1] == 0:
        return pd.Series(UNKNOWN, index=block.index, dtype="string")
    totals = block.sum(axis=0)
    order = sorted(range(len(block.columns)), key=lambda i: (int(totals.iloc[i]), i))
    # Position in [unknown, *codes] per person, assigned from the most cited code to the
    # least, so the rarest code wins; then one lookup of the codes themselves.
    chosen = np.zeros(len(block), dtype=np.intp)
    for position in reversed(order):
        chosen[block.iloc[:, position].to_numpy(dtype=bool)] = position + 1
    codes = pd.array([UNKNOWN, *map(str, block.columns)], dtype="string")
    return pd.Series(codes.take(chosen), index=block.index, dtype="string")


def _household(values: pd.Series) -> pd.Series:
    def pick(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            return UNKNOWN
        codes = value.split()
        for code in HOUSEHOLD_PRIORITY:
            if code in codes:
                return code
        return codes[0]

    # Pick once per distinct answer, not once per person.
    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    picked = pd.array([pick(u) for u in uniques] + [UNKNOWN], dtype="string")
    return pd.Series(picked[positions], index=values.index, dtype="string")


def persona_features(wide: pd.DataFrame) -> pd.DataFrame:
    """One categorical column per PERSONA_FEATURES entry, "unknown" where not answered.

    A person's main need (and preferred day and time) is the most distinctive of the codes they
    selected, i.e. the one cited by the fewest people: a need everyone shares (often taxes)
    would otherwise hide what sets a group apart. Household keeps one code by
    HOUSEHOLD_PRIORITY.
    """
    out = pd.DataFrame(index=wide.index)
    for feature in PERSONA_FEATURES:
        if feature in FEATURE_SOURCES:
            out[feature] = _distinctive(selected(wide, FEATURE_SOURCES[feature]))
        elif feature == "household":
            column = wide["household"] if "household" in wide else pd.Series(pd.NA, wide.index)
            out[feature] = _household(column)
        else:
            column = wide[feature] if feature in wide else pd.Series(pd.NA, index=wide.index)
            out[feature] = column.astype("string").fillna(UNKNOWN).replace("", UNKNOWN)
    return out


# --------------------------------------------------------------------------- clustering


def _encode(features: pd.DataFrame) -> np.ndarray:
    return sorted_codes(features)[0]


def _mismatches(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Number of differing answers between each person and each centroid (n x k)."""
    return (x[:, None, :] != centroids[None, :, :]).sum(axis=2)


def _huang_init(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Huang's initialisation, as in the `kmodes` package: answers drawn by frequency, then
    each centroid replaced by the nearest person not already used."""
    centroids = np.empty((k, x.shape[1]), dtype=np.int64)
    for j in range(x.shape[1]):
        centroids[:, j] = rng.choice(np.sort(x[:, j]), k)
    for i in range(k):
        order = np.argsort((x != centroids[i]).sum(axis=1), kind="stable")
        position = 0
        while position < len(order) - 1 and (x[order[position]] == centroids).all(axis=1).any():
            position += 1
        centroids[i] = x[order[position]]
    return centroids


def _modes(x: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Most frequent answer per cluster and feature (ties: the smallest code, as `kmodes`)."""
    out = centroids.copy()
    for i in range(len(centroids)):
        members = x[labels == i]
        if len(members):
            out[i] = [np.bincount(members[:, j]).argmax() for j in range(x.shape[1])]
    return out


def kmodes_fit(
    x: np.ndarray, k: int, *, seed: int = 0, n_init: int = 5, max_iter: int = 100
) -> tuple[np.ndarray, float]:
    """Centroids and cost of the best of `n_init` k-modes runs on integer-coded answers.

    Huang's initialisation and batch iterations (assign everybody, then update the modes) in
    numpy; the `kmodes` package moves one person at a time in Python, far too slow for the
    dashboard. A cluster left empty restarts from the person farthest from their centroid.
    """
    rng = np.random.default_rng(seed)
    best: tuple[np.ndarray, float] | None = None
    for _ in range(n_init):
        centroids = _huang_init(x, k, rng)
        for _iteration in range(max_iter):
            distances = _mismatches(x, centroids)
            labels = distances.argmin(axis=1)
            nearest = distances.min(axis=1)
            for empty in sorted(set(range(k)) - set(labels.tolist())):
                far = int(nearest.argmax())
                centroids[empty] = x[far]
                labels[far] = empty
                nearest[far] = 0
            updated = _modes(x, labels, centroids)
            if (updated == centroids).all():
                break
            centroids = updated
        cost = float(_mismatches(x, centroids).min(axis=1).sum())
        if best is None or cost < best[1]:
            best = (centroids, cost)
    assert best is not None
    return best


def _hamming_sample(x: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows the silhouette looks at and their pairwise Hamming distances."""
    rows = np.arange(len(x))
    if len(x) > SILHOUETTE_SAMPLE:
        # scikit-learn's silhouette_score(sample_size=..., random_state=seed) draws this sample.
        rows = np.random.RandomState(seed).permutation(len(x))[:SILHOUETTE_SAMPLE]
    sample = x[rows]
    # Counted in small integers (exact), then one division: same values as summing floats.
    mismatches = np.zeros((len(sample), len(sample)), dtype=np.int16)
    for j in range(x.shape[1]):
        mismatches += sample[:, j, None] != sample[None, :, j]
    return rows, mismatches / max(x.shape[1], 1)


def _silhouette(
    x: np.ndarray,
    labels: np.ndarray,
    seed: int,
    sample: tuple[np.ndarray, np.ndarray] | None = None,
) -> float:
    """Mean silhouette under the Hamming distance (equal to scikit-learn's, same sample)."""
    if len(set(labels.tolist())) < 2 or len(set(labels.tolist())) >= len(labels):
        return -1.0
    rows, distance = sample if sample is not None else _hamming_sample(x, seed)
    labels = labels[rows]
    clusters = np.unique(labels)
    if len(clusters) < 2:
        return -1.0
    member = labels[:, None] == clusters[None, :]  # people x clusters
    sums = distance @ member  # total distance of each person to each cluster
    sizes = member.sum(axis=0)
    own = member.argmax(axis=1)
    own_size = sizes[own]
    with np.errstate(divide="ignore", invalid="ignore"):
        intra = sums[np.arange(len(labels)), own] / np.maximum(own_size - 1, 1)
        means = sums / sizes[None, :]
        means[member] = np.inf
        inter = means.min(axis=1)
        scores = (inter - intra) / np.maximum(intra, inter)
    # A person alone in their group scores 0, as in scikit-learn.
    scores = np.nan_to_num(np.where(own_size > 1, scores, 0.0))
    return float(scores.mean())


def cluster(
    features: pd.DataFrame,
    *,
    seed: int = 0,
    k_range: Sequence[int] = K_RANGE,
    encoded: np.ndarray | None = None,
) -> tuple[np.ndarray, int, dict[int, float], dict[int, float]]:
    """Cluster label per person, the chosen k, and silhouette and cost per k tried.

    `encoded` is `_encode(features)` when the caller already has it.
    """
    x = _encode(features) if encoded is None else encoded
    rng = np.random.default_rng(seed)
    fit_rows = (
        np.sort(rng.choice(len(x), MAX_FIT_ROWS, replace=False))
        if len(x) > MAX_FIT_ROWS
        else np.arange(len(x))
    )
    x_fit = x[fit_rows]
    distinct = len(np.unique(x_fit, axis=0))
    silhouettes: dict[int, float] = {}
    costs: dict[int, float] = {}
    models: dict[int, np.ndarray] = {}
    sample = _hamming_sample(x_fit, seed)
    for k in k_range:
        if k < 2 or k > distinct:
            continue
        centroids, cost = kmodes_fit(x_fit, k, seed=seed)
        labels = _mismatches(x_fit, centroids).argmin(axis=1)
        models[k] = centroids
        costs[k] = cost
        silhouettes[k] = round(_silhouette(x_fit, labels, seed, sample), 4)
    if not models:
        return np.zeros(len(x), dtype=np.int64), 1, silhouettes, costs
    best = min(silhouettes, key=lambda k: (-silhouettes[k], k))
    # Everybody joins the nearest group (ties: the first), in chunks to bound memory.
    labels_all = np.concatenate(
        [
            _mismatches(x[i : i + 50_000], models[best]).argmin(axis=1)
            for i in range(0, len(x), 50_000)
        ]
    ).astype(np.int64)
    return labels_all, best, silhouettes, costs


# --------------------------------------------------------------------------- description


def _feminine(gender: str, household: str, age_band: str) -> tuple[str, bool]:
    """Subject of the sentence and whether it is grammatically feminine."""
    children = household in ("young_children", "older_children", "single_parent")
    senior = age_band in ("60_74", "75_plus")
    if children:
        if gender == "woman":
            return "Une mère de famille", True
        if gender == "man":
            return "Un père de famille", False
        return "Un parent", False
    if senior:
        if gender == "man":
            return "Un senior", False
        if gender == "woman":
            return "Une senior", True
        return "Une personne âgée", True
    if gender == "woman":
        return "Une femme", True
    if gender == "man":
        return "Un homme", False
    return "Une personne", True


def _place_phrase(
    point: str, places: Mapping[str, str] | None, names: Mapping[str, str] | None
) -> str:
    if point == UNKNOWN:
        return "dans le bus"
    if places and point in places:
        return places[point]
    return f"à {point_label(point, names)}"


def describe(
    *,
    age_band: str = UNKNOWN,
    gender: str = UNKNOWN,
    household: str = UNKNOWN,
    collection_point: str | None = None,
    need: str | None = None,
    day: str | None = None,
    time: str | None = None,
    places: Mapping[str, str] | None = None,
    point_names: Mapping[str, str] | None = None,
) -> str:
    """One plain French sentence for a profile; missing parts are left out.

    `places` gives, per collection point code, the words after "rencontrée" ("à Auchan",
    "au parc de Figuerolles"); otherwise "à <name>" with `point_names`, or "dans le bus" for
    answers collected aboard (no collection point, code "unknown").
    """
    subject, feminine = _feminine(gender, household, age_band)
    e = "e" if feminine else ""
    words = subject
    if age_band in AGE_BAND_PHRASES:
        words += " " + AGE_BAND_PHRASES[age_band]
    if household == "alone":
        words += f" vivant seul{e}"
    elif household == "couple":
        words += " en couple"
    parts = [words]
    if collection_point:
        parts.append(f"rencontré{e} {_place_phrase(collection_point, places, point_names)}")
    wishes = []
    if need in THEME_PURPOSES:
        wishes.append(f"vient pour {THEME_PURPOSES[need]}")
    when = ""
    if day in DAY_PHRASES:
        when = f"le {DAY_PHRASES[day]}"
        if time in TIME_AFTER_DAY:
            when += f" {TIME_AFTER_DAY[time]}"
    elif time in TIME_ALONE:
        when = TIME_ALONE[time]
    if when:
        wishes.append(f"préfère {when}")
    if wishes:
        parts.append("qui " + " et ".join(wishes))
    return ", ".join(parts) + "."


def _top(members: pd.DataFrame, question: str, *, k: int, limit: int) -> list[Trait]:
    block = selected(members, question)
    if block.shape[1] == 0:
        if question not in members:
            return []
        tally = members[question].dropna().astype(str).value_counts()
    else:
        tally = block.sum(axis=0)
    size = len(members)
    order = sorted(tally.index, key=lambda c: (-int(tally[c]), list(tally.index).index(c)))
    traits = []
    for code in order[:limit]:
        count = int(tally[code])
        if count < k:
            break
        traits.append(
            Trait(
                question,
                str(code),
                choice_label(question, str(code)),
                count,
                round(count * 100 / size, 1),
            )
        )
    return traits


def _feature_trait(
    question: str, code: str, count: int, size: int, point_names: Mapping[str, str] | None
) -> Trait:
    if question == "collection_point":
        label = "Dans le bus" if code == UNKNOWN else point_label(code, point_names)
    else:
        label = choice_label(FEATURE_SOURCES.get(question, question), code)
    return Trait(question, code, label, count, round(count * 100 / size, 1))


#: Questions whose most cited answers describe a group (see `_top`).
TOP_QUESTIONS = ("needs", "frequency", "preferred_days", "preferred_times", "preferred_place")


def _columns_of(wide: pd.DataFrame, questions: Sequence[str]) -> list[Any]:
    """The wide table's columns of these questions: the answer itself and its one-hot block."""
    return [
        c
        for c in wide.columns
        if isinstance(c, str) and (c in questions or c.split("/", 1)[0] in questions)
    ]


def find_personas(
    wide: pd.DataFrame,
    *,
    seed: int = 0,
    k: int = MIN_PEOPLE,
    k_range: Sequence[int] = K_RANGE,
    places: Mapping[str, str] | None = None,
    point_names: Mapping[str, str] | None = None,
) -> PersonaResult:
    """Personas among the people of a wide frame (see analytics.wide_responses).

    Each persona's defining answers are the answers shared by at least half of its members
    (and by at least `k` people); its sentence uses the most shared age band, gender, household
    and collection point, the need most cited by its members and their most cited day and time.
    """
    if not isinstance(wide, pd.DataFrame) or "response_id" not in wide:
        raise AnalyticsError("Le tableau des réponses ne convient pas pour chercher des profils.")
    people = len(wide)
    if people < 2 * k:
        return PersonaResult(
            (), None, people, people, f"Trop peu de réponses ({people}) pour dégager des profils."
        )
    features = persona_features(wide).reset_index(drop=True)
    # Only the answers the groups' needs and expectations are read from (copying every column
    # of the wide table for each group cost more than the clustering).
    members_all = wide.loc[:, _columns_of(wide, TOP_QUESTIONS)].reset_index(drop=True)
    x, answers = sorted_codes(features)
    labels, best, silhouettes, costs = cluster(features, seed=seed, k_range=k_range, encoded=x)
    criterion = (
        f"Les personnes sont réparties en {best} groupes : dans chaque groupe, elles ont "
        "répondu de façon proche, et les groupes se distinguent le plus possible les uns des "
        "autres (on a essayé de 2 à 6 groupes et gardé le partage le plus net)."
    )
    shown: list[tuple[int, Persona]] = []
    hidden = 0
    for cluster_id in sorted(set(labels.tolist())):
        index = np.flatnonzero(labels == cluster_id)
        size = len(index)
        if size < k:
            hidden += size
            continue
        members = members_all.iloc[index]
        # Answers counted on the integer codes: the most frequent answer, ties going to the
        # first alphabetically (the smallest code).
        group = x[index]  # no code is -1 (missing): persona_features fills in "unknown"
        modes: dict[str, tuple[str, int]] = {}
        for j, feature in enumerate(features.columns):  # PERSONA_FEATURES, in order
            counts = np.bincount(group[:, j], minlength=len(answers[j]))
            modes[feature] = (str(answers[j][int(counts.argmax())]), int(counts.max()))

        defining = []
        for feature in PERSONA_FEATURES:
            code, count = modes[feature]
            if code != UNKNOWN and count >= k and count * 2 >= size:
                defining.append(_feature_trait(feature, code, count, size, point_names))
        defining.sort(key=lambda t: -t.count)
        needs = _top(members, "needs", k=k, limit=3)
        expectations = []
        for question in TOP_QUESTIONS[1:]:
            expectations += _top(members, question, k=k, limit=1)
        sentence_parts: dict[str, Any] = {}
        facts: list[str] = []
        for feature in ("age_band", "gender", "household", "collection_point"):
            code, count = modes[feature]
            if count >= k and (code != UNKNOWN or feature == "collection_point"):
                sentence_parts[feature] = code
                trait = _feature_trait(feature, code, count, size, point_names)
                facts.append(f"« {trait.label} » pour {count}")
        top_day = _top(members, "preferred_days", k=k, limit=1)
        top_time = _top(members, "preferred_times", k=k, limit=1)
        if needs:
            facts.append(f"« {needs[0].label} » pour {needs[0].count}")
        for trait in top_day + top_time:
            facts.append(f"« {trait.label} » pour {trait.count}")
        sentence = describe(
            age_band=sentence_parts.get("age_band", UNKNOWN),
            gender=sentence_parts.get("gender", UNKNOWN),
            household=sentence_parts.get("household", UNKNOWN),
            collection_point=sentence_parts.get("collection_point"),
            need=needs[0].code if needs else None,
            day=top_day[0].code if top_day else None,
            time=top_time[0].code if top_time else None,
            places=places,
            point_names=point_names,
        )
        percent = round(size * 100 / people, 1)
        confidence = (
            f"Profil tiré de {size} personnes sur {people} ({_fr(percent)} %). "
            f"Parmi elles : {', '.join(facts)}."
            if facts
            else f"Profil tiré de {size} personnes sur {people} ({_fr(percent)} %)."
        )
        persona = Persona(
            number=0,
            count=size,
            percent=percent,
            total=people,
            defining=tuple(defining),
            needs=tuple(needs),
            expectations=tuple(expectations),
            sentence=sentence,
            confidence=confidence,
        )
        shown.append((size, persona))
    shown.sort(key=lambda item: -item[0])
    personas = tuple(
        Persona(**{**p.__dict__, "number": n}) for n, (_, p) in enumerate(shown, start=1)
    )
    return PersonaResult(personas, best, people, hidden, criterion, silhouettes, costs)


def _fr(value: float) -> str:
    text = f"{value:.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


def personas_as_dicts(result: PersonaResult) -> list[dict[str, Any]]:
    """Plain dicts (JSON-ready) of the personas, for the CLI and exports."""
    out = []
    for p in result.personas:
        out.append(
            {
                "number": p.number,
                "count": p.count,
                "percent": p.percent,
                "total": p.total,
                "sentence": p.sentence,
                "confidence": p.confidence,
                "defining": [t.__dict__ for t in p.defining],
                "needs": [t.__dict__ for t in p.needs],
                "expectations": [t.__dict__ for t in p.expectations],
            }
        )
    return out
