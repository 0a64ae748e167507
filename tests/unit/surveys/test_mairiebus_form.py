"""The Mairie Bus questionnaire: shared codes, languages, pages and skip logic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from surveys import engine as E
from surveys.model import FormDefinition
from surveys.xlsform import load_form, validate_with_pyxform

FORM = Path(__file__).resolve().parents[3] / "surveys" / "forms" / "mairiebus.xlsx"
THEMES = [
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
]
NEIGHBOURHOODS = [
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
]
EXPECTED = {
    "reason": [
        "passing_by",
        "curiosity",
        "sent_by_centre",
        "sent_by_service",
        "town_hall",
        "heard_of_it",
    ],
    "heard_how": [
        "flyer",
        "town_magazine",
        "word_of_mouth",
        "social_networks",
        "social_worker",
        "other",
    ],
    "age_band": ["under_18", "18_29", "30_44", "45_59", "60_74", "75_plus"],
    "gender": ["woman", "man", "other", "no_answer"],
    "neighbourhood": NEIGHBOURHOODS,
    "household": ["alone", "couple", "young_children", "older_children", "single_parent", "other"],
    "needs": THEMES,
    "equipment": ["smartphone", "computer", "tablet", "internet_home", "none"],
    "confidence": ["not_at_all", "a_little", "fairly", "very"],
    "helped_by": ["aidant", "family", "friend", "social_worker", "nobody"],
    "frequency": ["weekly", "fortnightly", "monthly", "occasionally"],
    "preferred_days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"],
    "preferred_times": ["morning", "lunchtime", "afternoon", "evening"],
    "preferred_place": [
        "near_home",
        "shopping_centre",
        "park",
        "market",
        "neighbourhood_centre",
        "other",
    ],
    "wished_services": THEMES,
}
MULTIPLE = {
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
NOW = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def form() -> FormDefinition:
    return load_form(FORM)


def test_identity_and_languages(form: FormDefinition) -> None:
    assert (form.form_id, form.default_language) == ("mairiebus", "Français (fr)")
    assert form.languages == ["Français (fr)", "English (en)"]
    assert form.warnings == []
    assert "mairiebus" in validate_with_pyxform(FORM)


def test_names_and_codes_match_the_shared_codes(form: FormDefinition) -> None:
    for name, codes in EXPECTED.items():
        question = form.question(name)
        assert form.choice_lists[question.list_name or ""].codes() == codes, name
        expected_type = "select_multiple" if name in MULTIPLE else "select_one"
        assert question.type == expected_type, name
    assert form.question("needs_other").type == "text"
    assert form.question("comment").type == "text"


def test_every_label_is_in_both_languages(form: FormDefinition) -> None:
    for question in form.walk():
        if question.is_field or question.is_container:
            assert set(question.labels) == {"Français (fr)", "English (en)"}, question.name
    for clist in form.choice_lists.values():
        for choice in clist.choices:
            assert set(choice.labels) == {"Français (fr)", "English (en)"}, choice.name


def test_only_core_questions_are_required(form: FormDefinition) -> None:
    required = {q.name for q in form.walk() if q.required}
    assert required == {"reason", "age_band", "neighbourhood", "needs"}


def test_phone_pages_and_skip_logic(form: FormDefinition) -> None:
    answers = E.new_answers(form, NOW)
    keys = [p.key for p in E.relevant_pages(form, answers)]
    assert 8 <= len(keys) <= 10 and keys[-1] == "last_word"
    first = E.view_page(form, answers, "visit", "fr")
    assert [f.name for f in first.fields] == ["reason"]
    answers = E.submit_page(
        form, answers, "visit", {"reason": ["curiosity", "heard_of_it"]}
    ).answers
    assert [f.name for f in E.view_page(form, answers, "visit").fields] == ["reason", "heard_how"]
    answers = E.submit_page(
        form, answers, "visit", {"reason": "curiosity", "heard_how": "flyer"}
    ).answers
    assert "heard_how" not in answers
    page = E.submit_page(
        form, answers, "needs_page", {"needs": ["caf", "other"], "needs_other": "Un avocat"}
    )
    assert page.ok and page.answers["needs_other"] == "Un avocat"
    cleared = E.submit_page(form, page.answers, "needs_page", {"needs": "caf", "needs_other": "x"})
    assert "needs_other" not in cleared.answers


def test_a_full_answer_gives_long_rows(form: FormDefinition) -> None:
    answers = E.new_answers(form, NOW)
    given = {
        "visit": {"reason": "passing_by"},
        "about_you": {"age_band": "30_44", "gender": "woman"},
        "where": {"neighbourhood": "canto_perdrix", "household": "couple young_children"},
        "needs_page": {"needs": "caf school"},
        "when": {
            "frequency": "weekly",
            "preferred_days": "wednesday",
            "preferred_times": "morning",
        },
    }
    for key, raw in given.items():
        result = E.submit_page(form, answers, key, raw)
        assert result.ok, result.errors
        answers = result.answers
    done = E.finish(form, answers, NOW)
    rows = {
        (r.question, r.value)
        for r in E.to_rows(form, done)
        if r.question not in {"start", "end", "today"}
    }
    assert rows == {
        ("reason", "passing_by"),
        ("age_band", "30_44"),
        ("gender", "woman"),
        ("neighbourhood", "canto_perdrix"),
        ("household", "couple young_children"),
        ("needs", "caf school"),
        ("frequency", "weekly"),
        ("preferred_days", "wednesday"),
        ("preferred_times", "morning"),
    }


def test_required_message_is_friendly(form: FormDefinition) -> None:
    result = E.submit_page(form, E.new_answers(form, NOW), "about_you", {"age_band": ""})
    assert result.errors == {"age_band": "Une réponse, même approximative, nous aide beaucoup."}
