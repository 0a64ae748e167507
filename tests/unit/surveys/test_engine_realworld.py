"""Engine behaviours added for real-world XLSForms (issue 11): triggers, new types, drivers."""

from __future__ import annotations

from pathlib import Path

from surveys import engine as E
from surveys.xlsform import load_form

CORPUS = Path(__file__).parents[2] / "fixtures" / "forms" / "corpus"


def test_trigger_computes_when_its_trigger_changes_and_keeps_corrections() -> None:
    form = load_form(CORPUS / "07_trigger.md")
    answers = E.new_answers(form)
    assert "amount_with_tax" not in answers  # nothing to compute before the trigger is set
    step = E.submit_page(form, answers, "price", {"amount": "10"})
    assert step.answers["amount_with_tax"] == "12"
    # Corrected by hand, then another page is saved: the correction stays.
    step = E.submit_page(form, step.answers, "price", {"amount": "10", "amount_with_tax": "11"})
    assert step.answers["amount_with_tax"] == "11"
    assert E.recompute(form, step.answers)["amount_with_tax"] == "11"
    # A new trigger value computes again.
    step = E.submit_page(form, step.answers, "price", {"amount": "20", "amount_with_tax": "11"})
    assert step.answers["amount_with_tax"] == "24"
    # Sent together with a new trigger value, a hand-typed value wins (no JavaScript).
    step = E.submit_page(form, step.answers, "price", {"amount": "30", "amount_with_tax": "35"})
    assert step.answers["amount_with_tax"] == "35"
    # The bookkeeping key is not a question: it never becomes an answer row.
    assert {r.question for r in E.to_rows(form, step.answers)} == {"amount", "amount_with_tax"}


def test_drivers_are_the_answers_others_on_the_page_depend_on() -> None:
    form = load_form(CORPUS / "18_revealed_required.md")
    page = E.get_page(form, E.new_answers(form), "contact")
    assert E.page_drivers(form, page) == frozenset({"how_heard"})
    form = load_form(CORPUS / "02_odk_cascade.md")
    page = E.get_page(form, E.new_answers(form), "place")
    assert E.page_drivers(form, page) == frozenset({"district"})
    form = load_form(CORPUS / "07_trigger.md")
    page = E.get_page(form, E.new_answers(form), "price")
    assert E.page_drivers(form, page) == frozenset({"amount"})


def test_datetime_geotrace_and_geoshape_answers() -> None:
    form = load_form(CORPUS / "04_aliases.md")
    answers = E.new_answers(form)
    ok = E.submit_page(form, answers, "met_at", {"met_at": "06/05/2024 14h30"})
    assert ok.answers["met_at"] == "2024-05-06T14:30:00"
    bad = E.submit_page(form, answers, "met_at", {"met_at": "demain"})
    assert bad.errors["met_at"].startswith("Écrivez une date et une heure")
    form = load_form(CORPUS / "05_types_web.md")
    answers = E.new_answers(form)
    one_point = E.submit_page(form, answers, "kit", {"route": "43.4 5.05"})
    assert "au moins 2 points" in one_point.errors["route"]
    shape = E.submit_page(form, answers, "kit", {"park": "0 0\n0 1\n1 1"})
    assert shape.answers["park"] == "0 0 0 0;0 1 0 0;1 1 0 0;0 0 0 0"  # closed like ODK
    outside = E.submit_page(form, answers, "kit", {"park": "0 0;0 1;95 1"})
    assert "park" in outside.errors
