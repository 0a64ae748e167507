"""Programme planner: turn measured needs into a month of half-day slots for the one bus.

Pure and deterministic: plain dataclasses in, a sorted list of `Slot` out; no clock, no randomness,
every tie broken by a stable order (place code, then theme order of `THEMES`, then calendar order).

Algorithm (greedy with scores), for one month:

1. **Capacity.** The free half-days are the month's dates whose weekday is worked, that are not
   days off nor French public holidays (`french_public_holidays`, Easter computed), times the
   half-days worked. One bus: each half-day holds at most one slot. `max_slots` may cap the total.
2. **Weighted needs.** For each place and theme, weight = number of requests x season weight of the
   theme for that month (`season_weight`: the largest weight among the seasons covering the month,
   1.0 when none does). A place's demand is the sum of its weights; places with no request at all
   get no slot (nothing to explain).
3. **Visits per place (fairness).** Places are ordered by demand (largest first, then code). First
   the guaranteed visits: round after round, each place gets one visit until it has its
   `min_visits` (default 1). Then each remaining half-day goes to the place with the largest
   Sainte-Laguë quotient demand / (2 x visits + 1): visits follow demand, but a big place cannot
   take everything (Sainte-Laguë favours big places less than plain proportions or D'Hondt do).
   `max_visits` caps a place.
4. **Theme of each visit.** Inside a place, each visit goes to the theme with the largest quotient
   weight / (2 x slots already given to that theme + 1). So the first visit of a place is always its
   most-needed (season-weighted) theme, and later visits spread over the other themes by weight.
5. **Half-day of each visit.** Visits are placed in the order they were awarded (so every place's
   first visit picks before anyone's second). Each takes the free half-day with the best value:
   fit (requested weekday share + requested half-day share, each scaled to 0..1 against the
   place's most requested one) + 1 if a partner service able to handle the theme can come that
   half-day + spread (0.5 x the distance in days to the place's nearest other visit, capped at 14
   days, over 14; 0.5 when it has none yet) - 1 if the place already has the other half of that
   day. Ties go to the earliest half-day.
6. **Service.** Among the services that handle the theme, work that weekday and half-day, are not
   off that date, are not already booked that half-day, and still have monthly slots, the one with
   the fewest slots so far (then input order) comes aboard; otherwise the slot has no service (the
   bus's own aidants take it).
7. **Score and explanation.** score = theme quotient x (1 + fit / 2), rounded to 2 decimals: the
   weighted demand the slot answers, raised when it falls on requested days and times. Each slot
   gets one plain French sentence saying why (share of the place's requests, season, requested
   half-day, service aboard).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from surveys import labels
from surveys.errors import SurveyError
from surveys.localised import localise, orphans

THEMES: Final[tuple[str, ...]] = labels.THEMES

# The shared French labels (see the project's shared codes).
THEME_LABELS: Final[Mapping[str, str]] = labels.THEME_LABELS

# The same in English, for the English explanation of a slot.
THEME_PHRASES_EN: Final[Mapping[str, str]] = {
    "taxes": "taxes",
    "caf": "the CAF",
    "health_insurance": "health insurance",
    "id_papers": "identity papers",
    "pension": "pensions",
    "job_seeking": "job seeking",
    "housing": "housing",
    "school": "school and the canteen",
    "civil_status": "civil status",
    "energy": "energy and heating",
    "leisure": "leisure and culture",
    "digital_skills": "learning digital skills",
    "other": "other procedures",
}
HALF_DAY_LABELS_EN: Final[Mapping[str, str]] = {"morning": "morning", "afternoon": "afternoon"}

# Short labels for titles where space is tight (calendar summaries, flyers).
THEME_SHORT_LABELS: Final[Mapping[str, str]] = {
    **labels.THEME_SHORT_LABELS,
    "other": "Autres démarches",
}

# The theme as it reads inside a sentence ("… des demandes y concernent la CAF").
THEME_PHRASES: Final[Mapping[str, str]] = {
    "taxes": "les impôts",
    "caf": "la CAF",
    "health_insurance": "l'Assurance maladie",
    "id_papers": "les papiers d'identité",
    "pension": "la retraite",
    "job_seeking": "la recherche d'emploi",
    "housing": "le logement",
    "school": "l'école et la cantine",
    "civil_status": "l'état civil",
    "energy": "l'énergie et le chauffage",
    "leisure": "les loisirs et la culture",
    "digital_skills": "l'apprentissage du numérique",
    "other": "d'autres démarches",
}

WEEKDAYS: Final[tuple[str, ...]] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
WEEKDAY_LABELS: Final[Mapping[str, str]] = {
    "monday": "lundi",
    "tuesday": "mardi",
    "wednesday": "mercredi",
    "thursday": "jeudi",
    "friday": "vendredi",
    "saturday": "samedi",
    "sunday": "dimanche",
}
HALF_DAYS: Final[tuple[str, ...]] = ("morning", "afternoon")
HALF_DAY_LABELS: Final[Mapping[str, str]] = {"morning": "matin", "afternoon": "après-midi"}
MONTH_LABELS: Final[tuple[str, ...]] = labels.MONTH_LABELS

WORKING_WEEKDAYS: Final[tuple[str, ...]] = WEEKDAYS[:5]
SEASONS_FILE: Final[Path] = Path(__file__).with_name("seasons.yaml")

# Weights of step 5 (see the module docstring).
_SERVICE_BONUS: Final = 1.0
_SPREAD_WEIGHT: Final = 0.5
_SPREAD_CAP_DAYS: Final = 14
_SAME_DAY_PENALTY: Final = 1.0


class PlanningError(SurveyError):
    """Bad planner input; `messages` lists every problem in plain French."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


# --------------------------------------------------------------------------- public holidays


def easter_sunday(year: int) -> dt.date:
    """Return the date of Easter Sunday (Gregorian calendar) for a year."""
    # Anonymous Gregorian algorithm (Meeus/Jones/Butcher), exact for every Gregorian year.
    if year < 1583:
        raise PlanningError([f"L'année {year} est trop ancienne pour le calendrier grégorien."])
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def french_public_holidays(year: int) -> dict[dt.date, str]:
    """Return the 11 French public holidays (jours fériés, mainland) of a year, by date."""
    # Code du travail L3133-1. Alsace-Moselle's two extra days do not apply to Martigues.
    # Whit Monday stays a public holiday even where it is the "journée de solidarité".
    easter = easter_sunday(year)
    days = {
        dt.date(year, 1, 1): "Jour de l'an",
        easter + dt.timedelta(days=1): "Lundi de Pâques",
        dt.date(year, 5, 1): "Fête du Travail",
        dt.date(year, 5, 8): "Victoire 1945",
        easter + dt.timedelta(days=39): "Ascension",
        easter + dt.timedelta(days=50): "Lundi de Pentecôte",
        dt.date(year, 7, 14): "Fête nationale",
        dt.date(year, 8, 15): "Assomption",
        dt.date(year, 11, 1): "Toussaint",
        dt.date(year, 11, 11): "Armistice 1918",
        dt.date(year, 12, 25): "Noël",
    }
    return dict(sorted(days.items()))


# --------------------------------------------------------------------------- seasons


@dataclass(frozen=True)
class Season:
    """A yearly period when a theme's procedures come up more often."""

    theme: str
    months: tuple[int, ...]
    weight: float
    # A short clause that reads after a comma in a slot explanation.
    reason: str
    # One or two plain French sentences for coordinators.
    explanation: str
    # The clause in English (the French one where the file gives none).
    reason_en: str = ""


def parse_seasons(
    data: object, source: str = "seasons.yaml", language: str = "fr"
) -> tuple[Season, ...]:
    """Validate already-loaded YAML data into seasons, or raise PlanningError listing problems.

    Texts are taken in `language` where given (``reason_en``), in French otherwise.
    """
    stray = orphans(data)
    if stray:
        raise PlanningError(
            [f"{source} : {p} est une traduction sans texte français." for p in stray]
        )
    raw = data
    data = localise(data, language)
    if not isinstance(data, Mapping) or not isinstance(data.get("seasons"), list):
        raise PlanningError([f"{source} : il faut une liste « seasons »."])
    errors: list[str] = []
    seasons: list[Season] = []
    for number, item in enumerate(data["seasons"], start=1):
        where = f"{source}, saison n° {number}"
        if not isinstance(item, Mapping):
            errors.append(f"{where} : chaque saison doit avoir des champs (theme, months…).")
            continue
        unknown = sorted(
            set(map(str, item)) - {"theme", "months", "weight", "reason", "explanation"}
        )
        if unknown:
            errors.append(f"{where} : champ inconnu « {', '.join(unknown)} ».")
        theme = item.get("theme")
        if theme not in THEMES:
            errors.append(f"{where} : le thème « {theme} » n'existe pas.")
        months = item.get("months")
        if (
            not isinstance(months, list)
            or not months
            or any(type(m) is not int or not 1 <= m <= 12 for m in months)
            or len(set(months)) != len(months)
        ):
            errors.append(
                f"{where} : « months » doit être une liste de mois de 1 à 12, sans doublon."
            )
            months = []
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 10:
            errors.append(f"{where} : « weight » doit être un nombre entre 0 (exclu) et 10.")
            weight = 1.0
        texts: dict[str, str] = {}
        for key in ("reason", "explanation"):
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                errors.append(f"{where} : « {key} » doit être un texte en français.")
                value = ""
            texts[key] = " ".join(value.split())
        if theme in THEMES:
            seasons.append(
                Season(
                    theme=str(theme),
                    months=tuple(sorted(months)),
                    weight=float(weight),
                    reason=texts["reason"],
                    explanation=texts["explanation"],
                    reason_en=_english_reason(raw, number),
                )
            )
    if errors:
        raise PlanningError(errors)
    return tuple(seasons)


def _english_reason(english: object, number: int) -> str:
    """The ``reason_en`` of the season at `number` (1-based), empty when the file has none."""
    try:
        value = english["seasons"][number - 1]["reason_en"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return ""
    return " ".join(value.split()) if isinstance(value, str) else ""


def load_seasons(path: str | Path | None = None, language: str = "fr") -> tuple[Season, ...]:
    """Load and validate the seasons file (the shipped `surveys/seasons.yaml` by default).

    Texts are in `language` where the file gives them (``reason_en``), French otherwise.
    """
    file = Path(path) if path is not None else SEASONS_FILE
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError:
        raise PlanningError([f"Le fichier des saisons « {file.name} » est introuvable."]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise PlanningError([f"{file.name} n'est pas un YAML lisible{line}."]) from None
    return parse_seasons(data, file.name, language)


def active_season(seasons: Iterable[Season], theme: str, month: int) -> Season | None:
    """Return the season that sets a theme's weight in a month (largest weight, first on ties)."""
    best: Season | None = None
    for season in seasons:
        if season.theme == theme and month in season.months:
            if best is None or season.weight > best.weight:
                best = season
    return best


def season_weight(seasons: Iterable[Season], theme: str, month: int) -> float:
    """Return a theme's weight multiplier in a month (1.0 outside any season)."""
    season = active_season(seasons, theme, month)
    return season.weight if season is not None else 1.0


# --------------------------------------------------------------------------- planner input


@dataclass(frozen=True)
class PlaceNeeds:
    """What one place (neighbourhood or collection point) asked for."""

    code: str
    name: str
    # theme code -> number of requests (questionnaire needs, Pass weak domains as digital_skills)
    needs: Mapping[str, int]
    # weekday code (monday..sunday) -> how many asked for that day
    days: Mapping[str, int] = field(default_factory=dict)
    # half-day code (morning/afternoon) -> how many asked for it
    times: Mapping[str, int] = field(default_factory=dict)
    # Overrides of Constraints.min_visits / max_visits for this place.
    min_visits: int | None = None
    max_visits: int | None = None
    # theme code -> how many of ``needs`` are visits noted in the aidants' logbook
    logbook: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Service:
    """A municipal service or partner who can come aboard for some themes."""

    code: str
    name: str
    themes: tuple[str, ...]
    weekdays: tuple[str, ...] = WORKING_WEEKDAYS
    half_days: tuple[str, ...] = HALF_DAYS
    max_slots: int = 4
    days_off: frozenset[dt.date] = frozenset()


@dataclass(frozen=True)
class Constraints:
    """When the bus works and how visits are bounded."""

    weekdays: tuple[str, ...] = WORKING_WEEKDAYS
    half_days: tuple[str, ...] = HALF_DAYS
    days_off: frozenset[dt.date] = frozenset()
    skip_public_holidays: bool = True
    min_visits: int = 1
    max_visits: int | None = None
    max_slots: int | None = None


@dataclass(frozen=True)
class Slot:
    """One proposed half-day: where the bus goes, on which theme, with which service."""

    date: dt.date
    half_day: str
    place: str
    theme: str
    service: str | None
    score: float
    explanation: str
    # The same reason in English, for coordinators who read the app in English.
    explanation_en: str = ""


# --------------------------------------------------------------------------- validation


def _count_errors(
    where: str, what: str, counts: Mapping[str, int], allowed: Sequence[str]
) -> list[str]:
    errors = []
    for key, value in counts.items():
        if key not in allowed:
            errors.append(f"{where} : {what} « {key} » n'existe pas.")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(f"{where} : le nombre pour « {key} » doit être un entier positif ou nul.")
    return errors


def _bound_errors(where: str, low: int | None, high: int | None) -> list[str]:
    errors = []
    for label, value in (("minimum", low), ("maximum", high)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            errors.append(f"{where} : le {label} de passages doit être un entier positif ou nul.")
    if not errors and low is not None and high is not None and low > high:
        errors.append(f"{where} : le minimum de passages ({low}) dépasse le maximum ({high}).")
    return errors


def _validate(
    year: int,
    month: int,
    places: Sequence[PlaceNeeds],
    services: Sequence[Service],
    constraints: Constraints,
) -> None:
    errors: list[str] = []
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
        errors.append(f"L'année doit être comprise entre 1900 et 2200 (reçu : {year}).")
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        errors.append(f"Le mois doit être compris entre 1 et 12 (reçu : {month}).")
    for day in constraints.weekdays:
        if day not in WEEKDAYS:
            errors.append(f"Jour de travail inconnu : « {day} ».")
    for half in constraints.half_days:
        if half not in HALF_DAYS:
            errors.append(
                f"Demi-journée inconnue : « {half} » (matin : morning, après-midi : afternoon)."
            )
    errors += _bound_errors("Contraintes", constraints.min_visits, constraints.max_visits)
    if constraints.max_slots is not None and (
        isinstance(constraints.max_slots, bool)
        or not isinstance(constraints.max_slots, int)
        or constraints.max_slots < 0
    ):
        errors.append(
            "Contraintes : le nombre maximum de créneaux doit être un entier positif ou nul."
        )
    seen: set[str] = set()
    for place in places:
        where = f"Lieu « {place.code} »"
        if not place.code or not place.name.strip():
            errors.append(f"{where} : il faut un code et un nom.")
        if place.code in seen:
            errors.append(f"{where} apparaît deux fois.")
        seen.add(place.code)
        errors += _count_errors(where, "le thème", place.needs, THEMES)
        errors += _count_errors(where, "le jour", place.days, WEEKDAYS)
        errors += _count_errors(where, "la demi-journée", place.times, HALF_DAYS)
        errors += _bound_errors(where, place.min_visits, place.max_visits)
    seen = set()
    for service in services:
        where = f"Service « {service.code} »"
        if not service.code or not service.name.strip():
            errors.append(f"{where} : il faut un code et un nom.")
        if service.code in seen:
            errors.append(f"{where} apparaît deux fois.")
        seen.add(service.code)
        for theme in service.themes:
            if theme not in THEMES:
                errors.append(f"{where} : le thème « {theme} » n'existe pas.")
        for day in service.weekdays:
            if day not in WEEKDAYS:
                errors.append(f"{where} : le jour « {day} » n'existe pas.")
        for half in service.half_days:
            if half not in HALF_DAYS:
                errors.append(f"{where} : la demi-journée « {half} » n'existe pas.")
        if isinstance(service.max_slots, bool) or not isinstance(service.max_slots, int):
            errors.append(f"{where} : le nombre maximum de créneaux doit être un entier.")
        elif service.max_slots < 0:
            errors.append(f"{where} : le nombre maximum de créneaux doit être positif ou nul.")
    if errors:
        raise PlanningError(errors)


# --------------------------------------------------------------------------- planner


def available_half_days(
    year: int, month: int, constraints: Constraints
) -> list[tuple[dt.date, str]]:
    """Return the month's free half-days in calendar order (worked days, no day off, no holiday)."""
    _validate(year, month, (), (), constraints)
    holidays = french_public_holidays(year) if constraints.skip_public_holidays else {}
    cells: list[tuple[dt.date, str]] = []
    for number in range(1, calendar.monthrange(year, month)[1] + 1):
        day = dt.date(year, month, number)
        if WEEKDAYS[day.weekday()] not in constraints.weekdays:
            continue
        if day in constraints.days_off or day in holidays:
            continue
        cells.extend((day, half) for half in HALF_DAYS if half in constraints.half_days)
    return cells


@dataclass
class _Place:
    needs: PlaceNeeds
    weights: dict[str, float]
    demand: float
    low: int
    high: int | None
    visits: int = 0
    theme_slots: dict[str, int] = field(default_factory=dict)
    dates: list[dt.date] = field(default_factory=list)

    def next_theme(self) -> tuple[str, float]:
        """Theme of the next visit: largest weight / (2 x slots + 1), ties by THEMES order."""
        best, best_q = "", -1.0
        for theme in THEMES:
            weight = self.weights.get(theme, 0.0)
            if weight <= 0:
                continue
            quotient = weight / (2 * self.theme_slots.get(theme, 0) + 1)
            if quotient > best_q:
                best, best_q = theme, quotient
        return best, best_q


def _preference(counts: Mapping[str, int], key: str) -> float:
    top = max(counts.values(), default=0)
    return counts.get(key, 0) / top if top > 0 else 0.0


def _half_day_value(place: _Place, day: dt.date) -> float:
    if not place.dates:
        return _SPREAD_WEIGHT
    gap = min(abs((day - other).days) for other in place.dates)
    value = _SPREAD_WEIGHT * min(gap, _SPREAD_CAP_DAYS) / _SPREAD_CAP_DAYS
    return value - (_SAME_DAY_PENALTY if gap == 0 else 0.0)


def _award_visits(places: list[_Place], capacity: int) -> list[tuple[_Place, str, float]]:
    """Steps 3 and 4: who gets each visit, in award order, with the visit's theme and quotient."""
    awards: list[tuple[_Place, str, float]] = []

    def award(place: _Place) -> None:
        theme, quotient = place.next_theme()
        place.visits += 1
        place.theme_slots[theme] = place.theme_slots.get(theme, 0) + 1
        awards.append((place, theme, quotient))

    def open_(place: _Place) -> bool:
        return place.high is None or place.visits < place.high

    rounds = max((p.low for p in places), default=0)
    for round_ in range(rounds):
        for place in places:
            if len(awards) < capacity and place.low > round_ and open_(place):
                award(place)
    while len(awards) < capacity:
        candidates = [p for p in places if open_(p)]
        if not candidates:
            break
        # max() keeps the first of equal quotients: places are already in stable order.
        award(max(candidates, key=lambda p: p.demand / (2 * p.visits + 1)))
    return awards


def _top_keys(counts: Mapping[str, int]) -> set[str]:
    top = max(counts.values(), default=0)
    return {key for key, value in counts.items() if value == top} if top > 0 else set()


def _request_clause(place: PlaceNeeds, weekday: str, half: str) -> str | None:
    top_days, top_times = _top_keys(place.days), _top_keys(place.times)
    several = len(top_days) > 1 or len(top_times) > 1
    if weekday in top_days and half in top_times:
        if several:
            return "c'est l'un des créneaux les plus demandés"
        return "c'est le créneau le plus demandé"
    if weekday in top_days:
        if len(top_days) > 1:
            return "c'est l'un des jours les plus demandés"
        return "c'est le jour le plus demandé"
    if half in top_times and not top_days:
        return "c'est le moment de la journée le plus demandé"
    return None


def _request_clause_en(place: PlaceNeeds, weekday: str, half: str) -> str | None:
    top_days, top_times = _top_keys(place.days), _top_keys(place.times)
    several = len(top_days) > 1 or len(top_times) > 1
    if weekday in top_days and half in top_times:
        return (
            "it is one of the most requested slots" if several else "it is the most requested slot"
        )
    if weekday in top_days:
        return (
            "it is one of the most requested days"
            if len(top_days) > 1
            else "it is the most requested day"
        )
    if half in top_times and not top_days:
        return "it is the most requested time of day"
    return None


def _explain_en(
    place: PlaceNeeds,
    day: dt.date,
    half: str,
    theme: str,
    season: Season | None,
    service: Service | None,
) -> str:
    """The slot's reason in English, clause for clause like `_explain`."""
    total = sum(place.needs.values())
    percent = (200 * place.needs.get(theme, 0) + total) // (2 * total)  # rounded half up
    clauses = [f"{percent}% of the requests there are about {THEME_PHRASES_EN[theme]}"]
    if season is not None and season.weight > 1:
        clauses.append(season.reason_en or season.reason)
    request = _request_clause_en(place, WEEKDAYS[day.weekday()], half)
    if request is not None:
        clauses.append(request)
    text = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + ", and " + clauses[-1]
    if service is not None:
        text += f"; {service.name} will be on board"
    weekday = WEEKDAYS[day.weekday()].capitalize()
    return f"{place.name}, {weekday} {HALF_DAY_LABELS_EN[half]}: {text}."


def _explain(
    place: PlaceNeeds,
    day: dt.date,
    half: str,
    theme: str,
    season: Season | None,
    service: Service | None,
) -> str:
    total = sum(place.needs.values())
    percent = (200 * place.needs.get(theme, 0) + total) // (2 * total)  # rounded half up
    clauses = [f"{percent} % des demandes y concernent {THEME_PHRASES[theme]}"]
    noted = place.logbook.get(theme, 0)
    if noted:
        visits = "passage noté" if noted == 1 else "passages notés"
        clauses[0] += f" (questionnaires et {noted} {visits} au journal du bus)"
    if season is not None and season.weight > 1:
        clauses.append(season.reason)
    request = _request_clause(place, WEEKDAYS[day.weekday()], half)
    if request is not None:
        clauses.append(request)
    text = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + ", et " + clauses[-1]
    if service is not None:
        text += f" ; {service.name} sera à bord"
    head = f"{place.name}, {WEEKDAY_LABELS[WEEKDAYS[day.weekday()]]} {HALF_DAY_LABELS[half]}"
    return f"{head} : {text}."


def plan_month(
    year: int,
    month: int,
    places: Sequence[PlaceNeeds],
    *,
    seasons: Sequence[Season] = (),
    services: Sequence[Service] = (),
    constraints: Constraints | None = None,
) -> list[Slot]:
    """Propose the month's slots (sorted by date and half-day) following the module's algorithm."""
    constraints = constraints if constraints is not None else Constraints()
    _validate(year, month, places, services, constraints)
    cells = available_half_days(year, month, constraints)
    capacity = (
        len(cells) if constraints.max_slots is None else min(len(cells), constraints.max_slots)
    )

    pool: list[_Place] = []
    for needs in places:
        weights = {
            theme: count * season_weight(seasons, theme, month)
            for theme, count in needs.needs.items()
            if count > 0
        }
        if not weights:
            continue
        low = needs.min_visits if needs.min_visits is not None else constraints.min_visits
        high = needs.max_visits if needs.max_visits is not None else constraints.max_visits
        pool.append(_Place(needs, weights, sum(weights.values()), low, high))
    pool.sort(key=lambda p: (-p.demand, p.needs.code))

    free = list(cells)
    used: dict[str, int] = {s.code: 0 for s in services}
    booked: set[tuple[str, dt.date, str]] = set()
    slots: list[Slot] = []
    for place, theme, quotient in _award_visits(pool, capacity):
        best: tuple[float, int, float, Service | None] | None = None
        for index, (day, half) in enumerate(free):
            weekday = WEEKDAYS[day.weekday()]
            fit = _preference(place.needs.days, weekday) + _preference(place.needs.times, half)
            able = [
                s
                for s in services
                if theme in s.themes
                and weekday in s.weekdays
                and half in s.half_days
                and day not in s.days_off
                and used[s.code] < s.max_slots
                and (s.code, day, half) not in booked
            ]
            service = min(able, key=lambda s: used[s.code]) if able else None
            value = fit + (_SERVICE_BONUS if service else 0.0) + _half_day_value(place, day)
            if best is None or value > best[0]:
                best = (value, index, fit, service)
        if best is None:
            break
        _, index, fit, service = best
        day, half = free.pop(index)
        place.dates.append(day)
        if service is not None:
            used[service.code] += 1
            booked.add((service.code, day, half))
        slots.append(
            Slot(
                date=day,
                half_day=half,
                place=place.needs.code,
                theme=theme,
                service=service.code if service else None,
                score=round(quotient * (1 + fit / 2), 2),
                explanation=_explain(
                    place.needs, day, half, theme, active_season(seasons, theme, month), service
                ),
                explanation_en=_explain_en(
                    place.needs, day, half, theme, active_season(seasons, theme, month), service
                ),
            )
        )
    slots.sort(key=lambda s: (s.date, HALF_DAYS.index(s.half_day)))
    return slots


# --------------------------------------------------------------------------- from answers


def _codes(value: object) -> list[str]:
    return value.split() if isinstance(value, str) else []


def tally_place_needs(
    responses: Iterable[Mapping[str, Any]],
    names: Mapping[str, str],
    weak_pass: Mapping[str, int] | None = None,
) -> list[PlaceNeeds]:
    """Count requests per theme, weekday and half-day for each place from questionnaire answers."""
    # Each response is a mapping with "place" (code or None) and the Mairie Bus questionnaire's
    # space-separated answers "needs", "wished_services", "preferred_days", "preferred_times".
    # A theme counts once per person even if given in both "needs" and "wished_services";
    # "lunchtime" and "evening" have no half-day of their own, so they are not counted.
    needs: dict[str, dict[str, int]] = {}
    days: dict[str, dict[str, int]] = {}
    times: dict[str, dict[str, int]] = {}
    errors: list[str] = []
    for number, response in enumerate(responses, start=1):
        place = response.get("place")
        if not place:
            continue
        place = str(place)
        themes = dict.fromkeys(
            _codes(response.get("needs")) + _codes(response.get("wished_services"))
        )
        for theme in themes:
            if theme not in THEMES:
                errors.append(f"Réponse n° {number} : le thème « {theme} » n'existe pas.")
                continue
            bucket = needs.setdefault(place, {})
            bucket[theme] = bucket.get(theme, 0) + 1
        for day in dict.fromkeys(_codes(response.get("preferred_days"))):
            if day not in WEEKDAYS:
                errors.append(f"Réponse n° {number} : le jour « {day} » n'existe pas.")
                continue
            bucket = days.setdefault(place, {})
            bucket[day] = bucket.get(day, 0) + 1
        for half in dict.fromkeys(_codes(response.get("preferred_times"))):
            if half in HALF_DAYS:
                bucket = times.setdefault(place, {})
                bucket[half] = bucket.get(half, 0) + 1
        needs.setdefault(place, {})
    for place, count in (weak_pass or {}).items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            errors.append(f"Pass, lieu « {place} » : le nombre doit être un entier positif ou nul.")
        elif count:
            bucket = needs.setdefault(place, {})
            bucket["digital_skills"] = bucket.get("digital_skills", 0) + count
    missing = sorted(code for code in needs if code not in names)
    errors += [f"Lieu « {code} » : il manque son nom en français." for code in missing]
    if errors:
        raise PlanningError(errors)
    return [
        PlaceNeeds(
            code=code,
            name=names[code],
            needs=dict(sorted(needs[code].items(), key=lambda kv: THEMES.index(kv[0]))),
            days=dict(sorted(days.get(code, {}).items(), key=lambda kv: WEEKDAYS.index(kv[0]))),
            times=dict(sorted(times.get(code, {}).items(), key=lambda kv: HALF_DAYS.index(kv[0]))),
        )
        for code in sorted(needs)
    ]


def month_label(year: int, month: int) -> str:
    """Return the French name of a month with its year, e.g. "avril 2025"."""
    return f"{MONTH_LABELS[month - 1]} {year}"
