"""The aidants' logbook (journal du bus): common procedures, outcomes, and its figures.

Pure: plain values in and out, no Flask and no database. The procedures are the online
services residents come with most often; each belongs to one shared theme (``labels.THEMES``),
so the logbook feeds the same needs as the questionnaire. Figures about people follow the
dashboard's rule: a count computed from fewer than ``MIN_GROUP`` visits is not shown.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from surveys import labels

#: Smallest number of visits behind any figure shown about people (the dashboard's k).
MIN_GROUP: Final[int] = 5


@dataclass(frozen=True)
class Procedure:
    """A common online procedure (démarche) and the theme it belongs to."""

    code: str
    label: str
    theme: str
    keywords: str = ""


#: The searchable list, most frequent first within each theme (the working group's notes).
PROCEDURES: Final[tuple[Procedure, ...]] = (
    Procedure(
        "caf_declaration",
        "CAF : déclaration trimestrielle, RSA, prime d'activité",
        "caf",
        "rsa prime activite allocations",
    ),
    Procedure(
        "caf_account",
        "CAF : compte, attestation, changement de situation",
        "caf",
        "attestation quotient familial",
    ),
    Procedure("caf_housing_aid", "CAF : aide au logement (APL)", "housing", "apl loyer"),
    Procedure(
        "taxes_return", "impots.gouv : déclaration de revenus", "taxes", "impot revenu declaration"
    ),
    Procedure(
        "taxes_account",
        "impots.gouv : espace particulier, avis, paiement",
        "taxes",
        "avis taxe fonciere prelevement",
    ),
    Procedure(
        "ants_id_card",
        "ANTS : carte d'identité, passeport (pré-demande)",
        "id_papers",
        "cni passeport rendez-vous",
    ),
    Procedure(
        "ants_driving",
        "ANTS : permis de conduire, carte grise",
        "id_papers",
        "permis immatriculation vehicule",
    ),
    Procedure(
        "ameli_account",
        "Ameli : compte, attestation de droits",
        "health_insurance",
        "securite sociale cpam",
    ),
    Procedure(
        "ameli_vitale",
        "Ameli : carte Vitale, complémentaire santé solidaire",
        "health_insurance",
        "css mutuelle vitale",
    ),
    Procedure(
        "france_travail_update",
        "France Travail : actualisation, inscription",
        "job_seeking",
        "pole emploi chomage",
    ),
    Procedure(
        "france_travail_cv",
        "France Travail : CV, candidatures en ligne",
        "job_seeking",
        "emploi cv lettre",
    ),
    Procedure(
        "pension_request",
        "Retraite : demande en ligne (info-retraite)",
        "pension",
        "carsat retraite",
    ),
    Procedure(
        "pension_account",
        "Retraite : relevé de carrière, attestation de paiement",
        "pension",
        "carriere paiement",
    ),
    Procedure("social_housing", "Demande de logement social", "housing", "hlm logement"),
    Procedure(
        "school_canteen",
        "École : inscription, cantine, portail famille",
        "school",
        "periscolaire famille",
    ),
    Procedure(
        "civil_certificate",
        "État civil : acte de naissance, mariage",
        "civil_status",
        "acte naissance",
    ),
    Procedure(
        "energy_cheque", "Chèque énergie, compte fournisseur", "energy", "electricite gaz facture"
    ),
    Procedure(
        "email_account",
        "Boîte mail, mot de passe, FranceConnect",
        "digital_skills",
        "mail franceconnect identifiant",
    ),
    Procedure(
        "smartphone_basics",
        "Prise en main du téléphone ou de l'ordinateur",
        "digital_skills",
        "smartphone tablette",
    ),
    Procedure(
        "leisure_booking", "Inscription loisirs, culture, sport", "leisure", "activites sport"
    ),
)
PROCEDURE_CODES: Final[tuple[str, ...]] = tuple(p.code for p in PROCEDURES)
PROCEDURES_BY_CODE: Final[Mapping[str, Procedure]] = {p.code: p for p in PROCEDURES}

#: How a visit ended.
OUTCOMES: Final[tuple[str, ...]] = ("solved", "solved_with_help", "referred", "call_back")
OUTCOME_LABELS: Final[Mapping[str, str]] = {
    "solved": "Réglé sur place",
    "solved_with_help": "Réglé avec aide",
    "referred": "Orienté vers un service",
    "call_back": "À rappeler",
}

AGE_BANDS: Final[tuple[str, ...]] = ("under_25", "25_44", "45_64", "65_74", "75_plus")
AGE_BAND_LABELS: Final[Mapping[str, str]] = {
    "under_25": "Moins de 25 ans",
    "25_44": "25 – 44 ans",
    "45_64": "45 – 64 ans",
    "65_74": "65 – 74 ans",
    "75_plus": "75 ans et plus",
}

#: The quick buttons for the time spent, in minutes.
MINUTES: Final[tuple[int, ...]] = (5, 10, 15, 20, 30, 45, 60)


def search_procedures(query: str, procedures: Sequence[Procedure] = PROCEDURES) -> list[Procedure]:
    """Procedures whose label, theme or keywords contain every word of ``query`` (accents ignored)."""
    words = fold(query).split()
    found = []
    for procedure in procedures:
        haystack = fold(
            " ".join(
                (procedure.label, labels.THEME_LABELS.get(procedure.theme, ""), procedure.keywords)
            )
        )
        if all(word in haystack for word in words):
            found.append(procedure)
    return found


def fold(text: str) -> str:
    """Lower-case ``text`` without accents, for searching."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def visit_themes(procedures: Iterable[str], themes: Iterable[str] = ()) -> list[str]:
    """The themes of a visit: those of its procedures and those chosen directly, in THEMES order."""
    found = {PROCEDURES_BY_CODE[code].theme for code in procedures if code in PROCEDURES_BY_CODE}
    found |= {code for code in themes if code in labels.THEMES}
    return [code for code in labels.THEMES if code in found]


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class VisitRow:
    """One visit as the figures need it."""

    date: dt.date
    place: str  # where the bus was ("" when unknown)
    neighbourhood: str  # where the person lives ("" when not asked)
    themes: tuple[str, ...]
    procedures: tuple[str, ...]
    outcome: str
    minutes: int | None


@dataclass(frozen=True)
class ReferralRow:
    """One referral as the figures need it."""

    created: dt.datetime
    closed: dt.datetime | None
    status: str


@dataclass(frozen=True)
class Share:
    """A count and its rounded percentage, or None for both when hidden (fewer than k)."""

    code: str
    label: str
    count: int | None
    percent: int | None


@dataclass(frozen=True)
class JournalFigures:
    """Everything the dashboard's Journal section shows."""

    visits: int
    hidden: bool  # fewer than MIN_GROUP visits in all: nothing about people is shown
    per_day: list[tuple[dt.date, int | None]]
    per_place: list[tuple[str, int | None]]
    per_theme: list[tuple[str, int | None]]
    outcomes: list[Share]
    top_procedures: list[tuple[str, list[tuple[str, int]]]]  # neighbourhood -> (procedure, n)
    referrals: int | None
    referral_days_median: float | None
    referral_days_hidden: bool
    referrals_open: int | None


def _shown(count: int) -> int | None:
    return count if count >= MIN_GROUP else None


def _percent(part: int, whole: int) -> int:
    return (200 * part + whole) // (2 * whole) if whole else 0


def journal_figures(
    visits: Sequence[VisitRow], referrals: Sequence[ReferralRow], *, top: int = 3
) -> JournalFigures:
    """Visits per day, place and theme, outcome shares, top procedures per neighbourhood and
    referral delays; any count under ``MIN_GROUP`` is None (shown as "moins de 5")."""
    total = len(visits)
    per_day = Counter(v.date for v in visits)
    per_place = Counter(v.place or labels.UNKNOWN_TEXT for v in visits)
    per_theme = Counter(theme for v in visits for theme in v.themes)
    outcomes = Counter(v.outcome for v in visits)
    shares = []
    for code in OUTCOMES:
        count = outcomes.get(code, 0)
        visible = count >= MIN_GROUP
        shares.append(
            Share(
                code,
                OUTCOME_LABELS[code],
                count if visible else None,
                _percent(count, total) if visible else None,
            )
        )
    by_neighbourhood: dict[str, Counter[str]] = defaultdict(Counter)
    for visit in visits:
        if visit.neighbourhood:
            by_neighbourhood[visit.neighbourhood].update(visit.procedures)
    top_procedures = []
    for name in sorted(by_neighbourhood):
        counts = by_neighbourhood[name]
        kept = [
            (PROCEDURES_BY_CODE[code].label, n)
            for code, n in sorted(
                counts.items(),
                key=lambda kv: (
                    -kv[1],
                    PROCEDURE_CODES.index(kv[0]) if kv[0] in PROCEDURES_BY_CODE else 99,
                ),
            )
            if n >= MIN_GROUP and code in PROCEDURES_BY_CODE
        ][:top]
        if kept:
            top_procedures.append((name, kept))
    delays = sorted(
        (r.closed - r.created).total_seconds() / 86400 for r in referrals if r.closed is not None
    )
    median = None
    if len(delays) >= MIN_GROUP:
        middle = len(delays) // 2
        median = delays[middle] if len(delays) % 2 else (delays[middle - 1] + delays[middle]) / 2
        median = round(median, 1)
    return JournalFigures(
        visits=total,
        hidden=total < MIN_GROUP,
        per_day=[(day, _shown(n)) for day, n in sorted(per_day.items())],
        per_place=[
            (name, _shown(n))
            for name, n in sorted(per_place.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        per_theme=[
            (labels.THEME_SHORT_LABELS.get(code, code), _shown(per_theme[code]))
            for code in labels.THEMES
            if per_theme.get(code)
        ],
        outcomes=shares,
        top_procedures=top_procedures,
        referrals=_shown(len(referrals)),
        referral_days_median=median,
        referral_days_hidden=0 < len(delays) < MIN_GROUP,
        referrals_open=_shown(sum(1 for r in referrals if r.closed is None)),
    )


def theme_demand(visits: Iterable[tuple[str, Iterable[str]]]) -> dict[str, dict[str, int]]:
    """Logbook demand for the planner: place key -> theme -> number of visits (one per visit)."""
    demand: dict[str, dict[str, int]] = {}
    for place, themes in visits:
        if not place:
            continue
        bucket = demand.setdefault(place, {})
        for theme in dict.fromkeys(themes):
            if theme in labels.THEMES:
                bucket[theme] = bucket.get(theme, 0) + 1
    return demand
