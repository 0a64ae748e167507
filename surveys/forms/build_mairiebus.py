"""Build surveys/forms/mairiebus.xlsx, the Mairie Bus questionnaire, as an XLSForm.

Run: .venv/bin/python surveys/forms/build_mairiebus.py
The sheet is generated from the lists below so that reviews read as plain diffs. Question
names and codes are shared with the dashboard and must not change (see the shared codes).
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook

FR = "Français (fr)"
EN = "English (en)"
OUT = Path(__file__).with_name("mairiebus.xlsx")

THEMES = [
    ("taxes", "Impôts", "Taxes"),
    ("caf", "CAF (allocations familiales)", "CAF (family benefits)"),
    ("health_insurance", "Assurance maladie (Ameli)", "Health insurance (Ameli)"),
    (
        "id_papers",
        "Papiers d'identité (carte d'identité, passeport, permis)",
        "ID papers (ID card, passport, licence)",
    ),
    ("pension", "Retraite", "Pension"),
    ("job_seeking", "Recherche d'emploi", "Job seeking"),
    ("housing", "Logement", "Housing"),
    ("school", "École et cantine", "School and canteen"),
    ("civil_status", "État civil", "Civil status"),
    ("energy", "Énergie et chauffage", "Energy and heating"),
    ("leisure", "Loisirs et culture", "Leisure and culture"),
    ("digital_skills", "Apprendre le numérique", "Learning digital skills"),
    ("other", "Autre", "Other"),
]
NEIGHBOURHOODS = [
    ("canto_perdrix", "Canto Perdrix", "Canto Perdrix"),
    ("boudeme", "Boudème", "Boudème"),
    ("mas_de_pouane", "Mas de Pouane", "Mas de Pouane"),
    ("ferrieres", "Ferrières", "Ferrières"),
    ("jonquieres", "Jonquières", "Jonquières"),
    ("ile", "L'Île", "L'Île"),
    ("croix_sainte", "Croix-Sainte", "Croix-Sainte"),
    ("notre_dame_des_marins", "Notre-Dame-des-Marins", "Notre-Dame-des-Marins"),
    ("paradis_saint_roch", "Paradis Saint-Roch", "Paradis Saint-Roch"),
    ("carro", "Carro", "Carro"),
    ("la_couronne", "La Couronne", "La Couronne"),
    ("lavera", "Lavéra", "Lavéra"),
    ("saint_pierre", "Saint-Pierre", "Saint-Pierre"),
    ("other", "Un autre quartier ou une autre ville", "Another area or town"),
]
CHOICES: dict[str, list[tuple[str, str, str]]] = {
    "reason": [
        ("passing_by", "Je passais par là", "I was passing by"),
        ("curiosity", "Par curiosité", "Out of curiosity"),
        ("sent_by_centre", "La maison de quartier m'a envoyé", "The community centre sent me"),
        ("sent_by_service", "Un service m'a envoyé ici", "A public service sent me"),
        ("town_hall", "Parce que c'est la mairie", "Because it is the town hall"),
        ("heard_of_it", "On m'en a parlé, je l'ai lu", "I heard or read about it"),
    ],
    "heard_how": [
        ("flyer", "Un flyer, une affiche", "A flyer or poster"),
        ("town_magazine", "Le journal de la ville", "The town magazine"),
        ("word_of_mouth", "Le bouche-à-oreille", "Word of mouth"),
        ("social_networks", "Les réseaux sociaux", "Social networks"),
        ("social_worker", "Un travailleur social", "A social worker"),
        ("other", "Autre", "Other"),
    ],
    "age_band": [
        ("under_18", "Moins de 18 ans", "Under 18"),
        ("18_29", "18 à 29 ans", "18 to 29"),
        ("30_44", "30 à 44 ans", "30 to 44"),
        ("45_59", "45 à 59 ans", "45 to 59"),
        ("60_74", "60 à 74 ans", "60 to 74"),
        ("75_plus", "75 ans ou plus", "75 or over"),
    ],
    "gender": [
        ("woman", "Une femme", "A woman"),
        ("man", "Un homme", "A man"),
        ("other", "Autre", "Other"),
        ("no_answer", "Je préfère ne pas dire", "I prefer not to say"),
    ],
    "neighbourhood": NEIGHBOURHOODS,
    "household": [
        ("alone", "Seul ou seule", "Alone"),
        ("couple", "En couple", "As a couple"),
        ("young_children", "Avec des enfants de moins de 11 ans", "With children under 11"),
        ("older_children", "Avec des enfants de 11 ans ou plus", "With children 11 or older"),
        ("single_parent", "Seul ou seule avec mes enfants", "Single parent"),
        ("other", "Autre", "Other"),
    ],
    "theme": THEMES,
    "equipment": [
        ("smartphone", "Un smartphone", "A smartphone"),
        ("computer", "Un ordinateur", "A computer"),
        ("tablet", "Une tablette", "A tablet"),
        ("internet_home", "Internet à la maison", "Internet at home"),
        ("none", "Rien de tout cela", "None of these"),
    ],
    "confidence": [
        ("not_at_all", "Pas du tout", "Not at all"),
        ("a_little", "Un peu", "A little"),
        ("fairly", "Plutôt à l'aise", "Fairly"),
        ("very", "Très à l'aise", "Very"),
    ],
    "helped_by": [
        ("aidant", "Un aidant numérique", "A digital helper"),
        ("family", "Ma famille", "My family"),
        ("friend", "Un ami, un voisin", "A friend or neighbour"),
        ("social_worker", "Un travailleur social", "A social worker"),
        ("nobody", "Personne", "Nobody"),
    ],
    "frequency": [
        ("weekly", "Chaque semaine", "Every week"),
        ("fortnightly", "Toutes les deux semaines", "Every two weeks"),
        ("monthly", "Une fois par mois", "Once a month"),
        ("occasionally", "De temps en temps", "Now and then"),
    ],
    "days": [
        ("monday", "Lundi", "Monday"),
        ("tuesday", "Mardi", "Tuesday"),
        ("wednesday", "Mercredi", "Wednesday"),
        ("thursday", "Jeudi", "Thursday"),
        ("friday", "Vendredi", "Friday"),
        ("saturday", "Samedi", "Saturday"),
    ],
    "times": [
        ("morning", "Le matin", "Morning"),
        ("lunchtime", "Le midi", "Lunchtime"),
        ("afternoon", "L'après-midi", "Afternoon"),
        ("evening", "En fin de journée", "Early evening"),
    ],
    "places": [
        ("near_home", "Près de chez moi", "Near my home"),
        ("shopping_centre", "Au centre commercial", "At the shopping centre"),
        ("park", "Dans un parc", "In a park"),
        ("market", "Au marché", "At the market"),
        ("neighbourhood_centre", "À la maison de quartier", "At the community centre"),
        ("other", "Ailleurs", "Somewhere else"),
    ],
}

SURVEY_HEADERS = [
    "type",
    "name",
    f"label::{FR}",
    f"label::{EN}",
    f"hint::{FR}",
    f"hint::{EN}",
    "required",
    f"required_message::{FR}",
    f"required_message::{EN}",
    "relevant",
    "appearance",
]
# Only these are required: they make the dashboard's crossings possible.
REQUIRED_FR = "Une réponse, même approximative, nous aide beaucoup."
REQUIRED_EN = "Any answer, even a rough one, helps us a lot."


def q(
    qtype: str,
    name: str,
    fr: str,
    en: str,
    hint_fr: str = "",
    hint_en: str = "",
    required: bool = False,
    relevant: str = "",
    appearance: str = "",
) -> list[str]:
    """One survey row in SURVEY_HEADERS order."""
    return [
        qtype,
        name,
        fr,
        en,
        hint_fr,
        hint_en,
        "yes" if required else "",
        REQUIRED_FR if required else "",
        REQUIRED_EN if required else "",
        relevant,
        appearance,
    ]


def group(name: str, fr: str, en: str) -> list[str]:
    """A begin_group row: each group is one page on a phone."""
    return q("begin_group", name, fr, en, appearance="field-list")


END = ["end_group"] + [""] * (len(SURVEY_HEADERS) - 1)

SURVEY = [
    q("start", "start", "", ""),
    q("today", "today", "", ""),
    group("visit", "Votre venue", "Your visit"),
    q(
        "select_multiple reason",
        "reason",
        "Pourquoi venez-vous au Mairie Bus aujourd'hui ?",
        "Why did you come to the Mairie Bus today?",
        "Vous pouvez cocher plusieurs réponses.",
        "You can tick several answers.",
        required=True,
    ),
    q(
        "select_multiple heard_how",
        "heard_how",
        "Comment avez-vous connu le Mairie Bus ?",
        "How did you hear about the Mairie Bus?",
        "Vous pouvez cocher plusieurs réponses.",
        "You can tick several answers.",
        relevant="selected(${reason}, 'heard_of_it')",
    ),
    END,
    group("about_you", "Pour mieux vous connaître", "About you"),
    q(
        "select_one age_band",
        "age_band",
        "Quel âge avez-vous ?",
        "How old are you?",
        required=True,
    ),
    q(
        "select_one gender",
        "gender",
        "Vous êtes :",
        "You are:",
        "Si vous le souhaitez.",
        "Only if you wish.",
    ),
    END,
    group("where", "Votre quartier", "Your area"),
    q(
        "select_one neighbourhood",
        "neighbourhood",
        "Dans quel quartier habitez-vous ?",
        "Which area do you live in?",
        required=True,
        appearance="minimal",
    ),
    q(
        "select_multiple household",
        "household",
        "Vous vivez :",
        "You live:",
        "Vous pouvez cocher plusieurs réponses.",
        "You can tick several answers.",
    ),
    END,
    group("needs_page", "Ce qui vous amène", "What brings you"),
    q(
        "select_multiple theme",
        "needs",
        "Pour quelles démarches avez-vous besoin d'aide ?",
        "What do you need help with?",
        "Vous pouvez cocher plusieurs réponses.",
        "You can tick several answers.",
        required=True,
    ),
    q(
        "text",
        "needs_other",
        "Dites-nous en quelques mots :",
        "Tell us in a few words:",
        relevant="selected(${needs}, 'other')",
    ),
    END,
    group("digital", "Vous et le numérique", "You and digital tools"),
    q(
        "select_multiple equipment",
        "equipment",
        "Qu'avez-vous chez vous ?",
        "What do you have at home?",
        "Vous pouvez cocher plusieurs réponses.",
        "You can tick several answers.",
    ),
    q(
        "select_one confidence",
        "confidence",
        "Sur Internet, vous vous sentez :",
        "On the internet, you feel:",
        appearance="likert",
    ),
    END,
    group("help", "L'aide autour de vous", "Help around you"),
    q(
        "select_multiple helped_by",
        "helped_by",
        "Qui vous aide pour les démarches en ligne ?",
        "Who helps you with online procedures?",
        "Vous pouvez cocher plusieurs réponses.",
        "You can tick several answers.",
    ),
    END,
    group("when", "Quand passer vous voir ?", "When should we come?"),
    q(
        "select_one frequency",
        "frequency",
        "Le bus devrait venir :",
        "The bus should come:",
    ),
    q(
        "select_multiple days",
        "preferred_days",
        "Quels jours vous arrangent ?",
        "Which days suit you?",
        appearance="horizontal",
    ),
    q(
        "select_multiple times",
        "preferred_times",
        "À quel moment de la journée ?",
        "At what time of day?",
        appearance="horizontal",
    ),
    END,
    group("where_bus", "Où trouver le bus ?", "Where should the bus stop?"),
    q(
        "select_multiple places",
        "preferred_place",
        "Où aimeriez-vous trouver le bus ?",
        "Where would you like to find the bus?",
        "Vous pouvez cocher plusieurs réponses.",
        "You can tick several answers.",
    ),
    q(
        "select_multiple theme",
        "wished_services",
        "Quels services aimeriez-vous trouver à bord ?",
        "Which services would you like on board?",
        "Vous pouvez cocher plusieurs réponses.",
        "You can tick several answers.",
    ),
    END,
    group("last_word", "Un dernier mot ?", "A last word?"),
    q(
        "text",
        "comment",
        "Voulez-vous ajouter quelque chose ?",
        "Anything you would like to add?",
        "Une idée, une remarque, un merci : tout nous aide.",
        "An idea, a remark, a thank you: it all helps.",
        appearance="multiline",
    ),
    END,
    q("end", "end", "", ""),
]

SETTINGS = {
    "form_title": "Le Mairie Bus et vous",
    "form_id": "mairiebus",
    "version": "2024.1",
    "default_language": FR,
}


def build() -> Workbook:
    """Return the questionnaire workbook (survey, choices, settings sheets)."""
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(SURVEY_HEADERS)
    for row in SURVEY:
        survey.append(row)
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", f"label::{FR}", f"label::{EN}"])
    for list_name, items in CHOICES.items():
        for code, fr, en in items:
            choices.append([list_name, code, fr, en])
    settings = workbook.create_sheet("settings")
    settings.append(list(SETTINGS))
    settings.append(list(SETTINGS.values()))
    return workbook


def main(argv: list[str]) -> int:
    """Write the workbook to the path given, or next to this script."""
    target = Path(argv[1]) if len(argv) > 1 else OUT
    build().save(target)
    print(f"Questionnaire écrit : {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
