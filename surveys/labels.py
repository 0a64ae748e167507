"""French labels for the shared codes (themes, neighbourhoods, questionnaire choices).

One place for every label the dashboard shows, so charts, tables, personas and exports agree.
Codes come from the shared codes list; an unknown code is shown as is rather than hidden.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Text shown instead of any figure computed from fewer than 5 people.
SUPPRESSED_TEXT = "moins de 5"
#: Label for a missing value (no answer, no neighbourhood known).
UNKNOWN_TEXT = "Non renseigné"

THEMES: tuple[str, ...] = (
    "taxes",
    "caf",
    "health_insurance",
    "id_papers",
    "pension",
    "job_seeking",
    "housing",
    "school",
    "civil_status",
    "energy",
    "leisure",
    "digital_skills",
    "other",
)

THEME_LABELS: dict[str, str] = {
    "taxes": "Impôts",
    "caf": "CAF (allocations familiales)",
    "health_insurance": "Assurance maladie (Ameli)",
    "id_papers": "Papiers d'identité (carte d'identité, passeport, permis)",
    "pension": "Retraite",
    "job_seeking": "Recherche d'emploi",
    "housing": "Logement",
    "school": "École et cantine",
    "civil_status": "État civil",
    "energy": "Énergie et chauffage",
    "leisure": "Loisirs et culture",
    "digital_skills": "Apprendre le numérique",
    "other": "Autre",
}

#: English labels of the themes, for residents who read the site in English.
THEME_LABELS_EN: dict[str, str] = {
    "taxes": "Taxes",
    "caf": "CAF (family benefits)",
    "health_insurance": "Health insurance (Ameli)",
    "id_papers": "Identity papers (ID card, passport, driving licence)",
    "pension": "Pension",
    "job_seeking": "Looking for a job",
    "housing": "Housing",
    "school": "School and canteen",
    "civil_status": "Civil status (births, marriages, deaths)",
    "energy": "Energy and heating",
    "leisure": "Leisure and culture",
    "digital_skills": "Learning digital skills",
    "other": "Other",
}

#: Short English labels, like THEME_SHORT_LABELS.
THEME_SHORT_LABELS_EN: dict[str, str] = {
    **THEME_LABELS_EN,
    "caf": "CAF",
    "health_insurance": "Health insurance",
    "id_papers": "Identity papers",
    "civil_status": "Civil status",
}

#: Short labels for chart axes, where the long ones do not fit.
THEME_SHORT_LABELS: dict[str, str] = {
    "taxes": "Impôts",
    "caf": "CAF",
    "health_insurance": "Assurance maladie",
    "id_papers": "Papiers d'identité",
    "pension": "Retraite",
    "job_seeking": "Recherche d'emploi",
    "housing": "Logement",
    "school": "École et cantine",
    "civil_status": "État civil",
    "energy": "Énergie et chauffage",
    "leisure": "Loisirs et culture",
    "digital_skills": "Apprendre le numérique",
    "other": "Autre",
}

#: What follows "qui vient pour ..." in a persona sentence.
THEME_PURPOSES: dict[str, str] = {
    "taxes": "ses impôts",
    "caf": "la CAF",
    "health_insurance": "l'Assurance maladie",
    "id_papers": "ses papiers d'identité",
    "pension": "sa retraite",
    "job_seeking": "chercher un emploi",
    "housing": "son logement",
    "school": "l'école et la cantine",
    "civil_status": "l'état civil",
    "energy": "l'énergie et le chauffage",
    "leisure": "les loisirs et la culture",
    "digital_skills": "apprendre le numérique",
    "other": "d'autres démarches",
}

NEIGHBOURHOODS: tuple[str, ...] = (
    "canto_perdrix",
    "boudeme",
    "mas_de_pouane",
    "ferrieres",
    "jonquieres",
    "ile",
    "croix_sainte",
    "notre_dame_des_marins",
    "paradis_saint_roch",
    "carro",
    "la_couronne",
    "lavera",
    "saint_pierre",
    "other",
)

NEIGHBOURHOOD_LABELS: dict[str, str] = {
    "canto_perdrix": "Canto Perdrix",
    "boudeme": "Boudème",
    "mas_de_pouane": "Mas de Pouane",
    "ferrieres": "Ferrières",
    "jonquieres": "Jonquières",
    "ile": "L'Île",
    "croix_sainte": "Croix-Sainte",
    "notre_dame_des_marins": "Notre-Dame-des-Marins",
    "paradis_saint_roch": "Paradis Saint-Roch",
    "carro": "Carro",
    "la_couronne": "La Couronne",
    "lavera": "Lavéra",
    "saint_pierre": "Saint-Pierre",
    "other": "Autre quartier",
}

AGE_BANDS: tuple[str, ...] = ("under_18", "18_29", "30_44", "45_59", "60_74", "75_plus")
AGE_BAND_LABELS: dict[str, str] = {
    "under_18": "Moins de 18 ans",
    "18_29": "18 à 29 ans",
    "30_44": "30 à 44 ans",
    "45_59": "45 à 59 ans",
    "60_74": "60 à 74 ans",
    "75_plus": "75 ans et plus",
}
#: What follows "Une mère de famille ..." in a persona sentence.
AGE_BAND_PHRASES: dict[str, str] = {
    "under_18": "de moins de 18 ans",
    "18_29": "de 18 à 29 ans",
    "30_44": "de 30 à 44 ans",
    "45_59": "de 45 à 59 ans",
    "60_74": "de 60 à 74 ans",
    "75_plus": "de 75 ans ou plus",
}

GENDER_LABELS: dict[str, str] = {
    "woman": "Femme",
    "man": "Homme",
    "other": "Autre",
    "no_answer": "Ne souhaite pas répondre",
}

HOUSEHOLD_LABELS: dict[str, str] = {
    "alone": "Vit seul ou seule",
    "couple": "En couple",
    "young_children": "Parent de jeunes enfants",
    "older_children": "Parent d'enfants plus grands",
    "single_parent": "Parent seul",
    "other": "Autre situation",
}

REASON_LABELS: dict[str, str] = {
    "passing_by": "En passant",
    "curiosity": "Par curiosité",
    "sent_by_centre": "Envoyé par un centre social",
    "sent_by_service": "Envoyé par un autre service",
    "town_hall": "Parce que c'est la mairie",
    "heard_of_it": "J'en ai entendu parler",
}

HEARD_HOW_LABELS: dict[str, str] = {
    "flyer": "Un prospectus",
    "town_magazine": "Le magazine de la ville",
    "word_of_mouth": "Le bouche-à-oreille",
    "social_networks": "Les réseaux sociaux",
    "social_worker": "Un travailleur social",
    "other": "Autre",
}

EQUIPMENT_LABELS: dict[str, str] = {
    "smartphone": "Smartphone",
    "computer": "Ordinateur",
    "tablet": "Tablette",
    "internet_home": "Internet à la maison",
    "none": "Aucun",
}

CONFIDENCE_LABELS: dict[str, str] = {
    "not_at_all": "Pas du tout à l'aise",
    "a_little": "Un peu à l'aise",
    "fairly": "Assez à l'aise",
    "very": "Très à l'aise",
}

HELPED_BY_LABELS: dict[str, str] = {
    "aidant": "Un aidant",
    "family": "La famille",
    "friend": "Un ami",
    "social_worker": "Un travailleur social",
    "nobody": "Personne",
}

FREQUENCY_LABELS: dict[str, str] = {
    "weekly": "Chaque semaine",
    "fortnightly": "Toutes les deux semaines",
    "monthly": "Chaque mois",
    "occasionally": "De temps en temps",
}

MONTH_LABELS: tuple[str, ...] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

DAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
DAY_LABELS: dict[str, str] = {
    "monday": "Lundi",
    "tuesday": "Mardi",
    "wednesday": "Mercredi",
    "thursday": "Jeudi",
    "friday": "Vendredi",
    "saturday": "Samedi",
}

TIMES: tuple[str, ...] = ("morning", "lunchtime", "afternoon", "evening")
TIME_LABELS: dict[str, str] = {
    "morning": "Matin",
    "lunchtime": "Midi",
    "afternoon": "Après-midi",
    "evening": "Soir",
}

PLACE_LABELS: dict[str, str] = {
    "near_home": "Près de chez moi",
    "shopping_centre": "Au centre commercial",
    "park": "Dans un parc",
    "market": "Au marché",
    "neighbourhood_centre": "Au centre social du quartier",
    "other": "Ailleurs",
}

CHANNEL_LABELS: dict[str, str] = {"self": "Seul", "assisted": "Avec un aidant"}

PASS_LEVEL_LABELS: dict[int, str] = {
    0: "Pas encore commencé",
    1: "Niveau 1",
    2: "Niveau 2",
    3: "Niveau 3",
    4: "Niveau 4",
}

#: Choice labels by question name of the `mairiebus` questionnaire.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "reason": REASON_LABELS,
    "heard_how": HEARD_HOW_LABELS,
    "age_band": AGE_BAND_LABELS,
    "gender": GENDER_LABELS,
    "neighbourhood": NEIGHBOURHOOD_LABELS,
    "household": HOUSEHOLD_LABELS,
    "needs": THEME_LABELS,
    "equipment": EQUIPMENT_LABELS,
    "confidence": CONFIDENCE_LABELS,
    "helped_by": HELPED_BY_LABELS,
    "frequency": FREQUENCY_LABELS,
    "preferred_days": DAY_LABELS,
    "preferred_times": TIME_LABELS,
    "preferred_place": PLACE_LABELS,
    "wished_services": THEME_LABELS,
    "channel": CHANNEL_LABELS,
}

#: Short French titles of the questions, for chart titles and table headers.
QUESTION_LABELS: dict[str, str] = {
    "reason": "Pourquoi la personne est venue",
    "heard_how": "Comment elle a connu le bus",
    "age_band": "Âge",
    "gender": "Genre",
    "neighbourhood": "Quartier",
    "household": "Foyer",
    "needs": "Demandes",
    "needs_other": "Autre demande",
    "equipment": "Équipement numérique",
    "confidence": "Aisance avec le numérique",
    "helped_by": "Aidé par",
    "frequency": "Fréquence souhaitée",
    "preferred_days": "Jours souhaités",
    "preferred_times": "Moments souhaités",
    "preferred_place": "Lieux souhaités",
    "wished_services": "Services souhaités",
    "comment": "Commentaire",
    "collection_point": "Point de recueil",
    "channel": "Mode de réponse",
}

#: Natural display order of choices, by question; others keep the order of the label dict.
CHOICE_ORDER: dict[str, tuple[str, ...]] = {
    "age_band": AGE_BANDS,
    "needs": THEMES,
    "wished_services": THEMES,
    "neighbourhood": NEIGHBOURHOODS,
    "preferred_days": DAYS,
    "preferred_times": TIMES,
}


def choice_label(question: str, code: str | None) -> str:
    """French label of a choice code of a question; the code itself when unknown."""
    if code is None or code == "":
        return UNKNOWN_TEXT
    return CHOICE_LABELS.get(question, {}).get(code, code)


def choice_codes(question: str) -> tuple[str, ...]:
    """Known choice codes of a question in display order (empty for free questions)."""
    if question in CHOICE_ORDER:
        return CHOICE_ORDER[question]
    return tuple(CHOICE_LABELS.get(question, {}))


def theme_label(code: str, *, short: bool = True, language: str = "fr") -> str:
    """Label of a theme code (short form by default, for charts), French unless "en"."""
    if language.startswith("en"):
        table = THEME_SHORT_LABELS_EN if short else THEME_LABELS_EN
        if code in table:
            return table[code]
    table = THEME_SHORT_LABELS if short else THEME_LABELS
    return table.get(code, code)


def neighbourhood_label(code: str | None) -> str:
    """French name of a neighbourhood code."""
    if code is None or code == "":
        return UNKNOWN_TEXT
    return NEIGHBOURHOOD_LABELS.get(code, code)


def point_label(code: str | None, names: Mapping[str, str] | None = None) -> str:
    """Name of a collection point from the caller's names, or its code."""
    if code is None or code == "":
        return UNKNOWN_TEXT
    return (names or {}).get(code, code)
