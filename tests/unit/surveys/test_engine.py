"""The answering API: pages, navigation, validation, skip logic, calculates, repeats, rows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from surveys import engine as E
from surveys.errors import AnswerError
from surveys.model import FormDefinition

NOW = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)


def test_new_answers_fill_meta_defaults_and_count_repeats(all_types: FormDefinition) -> None:
    answers = E.new_answers(all_types, NOW)
    assert answers == {
        "start": "2024-05-06T09:30:00+00:00",
        "age": "3",
        "kids": [{}, {}, {}],
        "c": "6",
    }
    json.dumps(answers)  # drafts go to the database as JSON


def test_pages_are_groups_loose_questions_and_repeat_instances(all_types: FormDefinition) -> None:
    answers = E.new_answers(all_types, NOW)
    keys = [p.key for p in E.pages(all_types, answers)]
    assert keys == ["g1", "kids#1", "kids#2", "kids#3", "town", "photo", "loc", "ack", "n1"]
    group = E.get_page(all_types, answers, "g1")
    assert [f.name for f in group.fields] == ["reason", "yn", "yn_other", "age", "r", "rk"]


def test_submit_page_converts_merges_and_recomputes(all_types: FormDefinition) -> None:
    answers = E.new_answers(all_types, NOW)
    raw = {"reason": ["a"], "yn": "other", "yn_other": " bof ", "age": "2", "r": "3", "rk": "x"}
    result = E.submit_page(all_types, answers, "g1", raw)
    assert result.ok
    assert result.answers["age"] == "2" and result.answers["c"] == "4"
    assert result.answers["kids"] == [{}, {}]  # repeat_count follows ${age}
    assert result.answers["yn_other"] == "bof"
    assert answers["age"] == "3"  # the input dict is never changed


def test_validation_messages_in_french_and_english(all_types: FormDefinition) -> None:
    answers = E.new_answers(all_types, NOW)
    raw = {"reason": [], "age": "abc", "r": "9"}
    french = E.submit_page(all_types, answers, "g1", raw)
    assert french.errors == {
        "reason": "Merci de répondre à cette question.",
        "age": "Écrivez un nombre entier, par exemple 12.",
        "r": "Choisissez une valeur entre 1 et 5.",
    }
    english = E.submit_page(all_types, answers, "g1", raw, language="en")
    assert english.errors["age"] == "Please write a whole number, for example 12."
    assert "age" not in english.answers  # invalid values are not stored


def test_constraint_message_from_the_form(all_types: FormDefinition) -> None:
    answers = E.new_answers(all_types, NOW)
    result = E.submit_page(all_types, answers, "g1", {"reason": "b", "age": "200"})
    assert result.errors == {"age": "Âge invalide"}


def test_irrelevant_answers_are_cleared(all_types: FormDefinition) -> None:
    answers = E.new_answers(all_types, NOW)
    first = E.submit_page(all_types, answers, "g1", {"reason": "a", "yn": "yes", "age": "1"})
    assert first.answers["yn"] == "yes"
    second = E.submit_page(all_types, first.answers, "g1", {"reason": "b", "age": "1"})
    assert "yn" not in second.answers


def test_choice_values_are_checked_and_ordered(all_types: FormDefinition) -> None:
    answers = E.new_answers(all_types, NOW)
    result = E.submit_page(all_types, answers, "g1", {"reason": "b a", "age": "1"})
    assert result.answers["reason"] == "a b"
    bad = E.submit_page(all_types, answers, "g1", {"reason": "zz", "age": "1"})
    assert bad.errors["reason"] == "Choisissez une réponse dans la liste."


@pytest.mark.parametrize(
    ("name", "raw", "stored"),
    [
        ("loc", "43.40, 5.05", "43.4 5.05 0 0"),
        ("loc", "43.4 5.05 12 5", "43.4 5.05 12 5"),
        ("ack", "OK", "OK"),
        ("town", "paris", "paris"),
    ],
)
def test_type_conversions(all_types: FormDefinition, name: str, raw: str, stored: str) -> None:
    question = all_types.question(name)
    assert E.convert_value(all_types, {}, question, raw) == (stored, None)


def test_conversion_errors(all_types: FormDefinition) -> None:
    loc = all_types.question("loc")
    assert E.convert_value(all_types, {}, loc, "95 5")[1] is not None
    rank = all_types.question("rk")
    assert E.convert_value(all_types, {}, rank, "x") == ("x", None)
    assert (
        E.convert_value(all_types, {}, rank, "x x")[1] == "Classez toutes les réponses proposées."
    )


def test_navigation_skips_irrelevant_pages(household: FormDefinition) -> None:
    answers = E.new_answers(household, NOW)
    assert E.first_page(household, answers).key == "consent_page"  # type: ignore[union-attr]
    refused = E.submit_page(household, answers, "consent_page", {"consent": "no"}).answers
    assert E.next_page(household, refused, "consent_page") is None
    agreed = E.submit_page(household, answers, "consent_page", {"consent": "yes"}).answers
    assert E.next_page(household, agreed, "consent_page").key == "household"  # type: ignore[union-attr]
    assert E.progress(household, agreed, "household") == E.Progress(2, 4)
    assert E.previous_page(household, agreed, "household").key == "consent_page"  # type: ignore[union-attr]


def test_open_ended_repeat_add_and_remove(household: FormDefinition) -> None:
    answers = E.submit_page(
        household, E.new_answers(household, NOW), "consent_page", {"consent": "yes"}
    ).answers
    assert [p.key for p in E.relevant_pages(household, answers)] == [
        "consent_page",
        "household",
        "roster#0",
        "water",
    ]
    answers = E.add_instance(household, answers, "roster")
    answers = E.add_instance(household, answers, "roster")
    answers = E.submit_page(
        household, answers, "roster#1", {"member_name": "Ana", "member_age": "40"}
    ).answers
    answers = E.submit_page(
        household, answers, "roster#2", {"member_name": "Léo", "member_age": "9"}
    ).answers
    assert answers["adults"] == "1" and answers["mean_age"] == "24.5"
    view = E.view_page(household, answers, "roster#2", "fr")
    assert view.can_add and view.can_remove and view.instance == 2
    answers = E.remove_instance(household, answers, "roster", 1)
    assert answers["roster"] == [{"member_name": "Léo", "member_age": "9"}]
    assert answers["adults"] == "0"
    with pytest.raises(AnswerError):
        E.remove_instance(household, answers, "roster", 5)


def test_count_repeat_cannot_be_edited_by_hand(logic: FormDefinition) -> None:
    with pytest.raises(AnswerError):
        E.add_instance(logic, E.new_answers(logic, NOW), "pet")


def test_calculates_over_repeats_and_lookups(logic: FormDefinition) -> None:
    answers = E.new_answers(logic, NOW)
    answers = E.submit_page(logic, answers, "region", {"region": "south"}).answers
    assert [c.code for c in E.choices_for(logic, answers, logic.question("city"))] == [
        "martigues",
        "istres",
    ]
    answers = E.submit_page(logic, answers, "city", {"city": "istres"}).answers
    assert answers["city_label"] == "Istres"
    assert answers["population"] == "44000"
    bad = E.submit_page(logic, answers, "city", {"city": "lille"})
    assert bad.errors == {"city": "Choisissez une réponse dans la liste."}
    answers = E.add_instance(logic, answers, "members")
    answers = E.add_instance(logic, answers, "members")
    answers = E.submit_page(
        logic, answers, "members#1", {"first_name": "Ana", "member_age": "30"}
    ).answers
    answers = E.submit_page(
        logic, answers, "members#2", {"first_name": "Léo", "member_age": "12"}
    ).answers
    assert [m["member_number"] for m in answers["members"]] == ["1", "2"]
    assert answers["total_age"] == "42" and answers["member_count"] == "2"
    assert answers["first_seen"] == "v0"  # once(): computed when the form started, then kept
    view = E.view_page(logic, answers, "summary", "fr")
    assert view.fields[0].label == "2 personnes, 42 ans en tout."


def test_repeat_constraint_message_in_english(logic: FormDefinition) -> None:
    answers = E.add_instance(logic, E.new_answers(logic, NOW), "members")
    result = E.submit_page(logic, answers, "members#1", {"first_name": "x" * 21}, language="en")
    assert result.errors == {"first_name": "20 letters at most"}
    empty = E.submit_page(logic, answers, "members#1", {"first_name": ""}, language="en")
    assert empty.errors == {"first_name": "Please answer this question."}


def test_count_driven_repeat_and_read_only(logic: FormDefinition) -> None:
    answers = E.new_answers(logic, NOW)
    assert answers["fixed"] == "abc" and answers["pets"] == "0"
    assert "pet#1" not in [p.key for p in E.pages(logic, answers)]
    answers = E.submit_page(logic, answers, "pets", {"pets": "2"}).answers
    assert answers["pet"] == [{}, {}]
    kept = E.submit_page(logic, answers, "fixed", {"fixed": "changed"}).answers
    assert kept["fixed"] == "abc"


def test_view_page_labels_choices_and_appearance(all_types: FormDefinition) -> None:
    answers = E.new_answers(all_types, NOW)
    view = E.view_page(all_types, answers, "g1", "en")
    assert view.title == "Group"
    reason = view.fields[0]
    assert (reason.label, reason.required) == ("Why?", True)
    assert [(c.code, c.label) for c in reason.choices] == [("a", "A en"), ("b", "B en")]
    assert [f.name for f in view.fields] == ["reason", "age", "r", "rk"]  # yn is not relevant
    yn = E.view_page(all_types, {**answers, "reason": "a"}, "g1", "fr").fields[1]
    assert yn.appearance == ("minimal",)
    assert view.progress == E.Progress(1, 9)


def test_finish_and_long_rows_round_trip(household: FormDefinition) -> None:
    answers = E.new_answers(household, NOW)
    with pytest.raises(AnswerError, match="consent"):
        E.finish(household, answers, NOW)
    answers = E.submit_page(household, answers, "consent_page", {"consent": "yes"}).answers
    answers = E.submit_page(
        household, answers, "household", {"respondent_name": "Ana", "hh_size": "2"}
    ).answers
    answers = E.submit_page(
        household,
        answers,
        "water",
        {
            "water_source": "well",
            "water_problems": ["taste", "other"],
            "water_problems_other": "sale",
        },
    ).answers
    answers = E.add_instance(household, answers, "roster")
    answers = E.submit_page(
        household, answers, "roster#1", {"member_name": "Ana", "member_age": "41"}
    ).answers
    done = E.finish(household, answers, NOW + dt.timedelta(minutes=5))
    rows = E.to_rows(household, done)
    assert [(r.question, r.repeat_index, r.value) for r in rows] == [
        ("start", 0, "2024-05-06T09:30:00+00:00"),
        ("end", 0, "2024-05-06T09:35:00+00:00"),
        ("today", 0, "2024-05-06"),
        ("consent", 0, "yes"),
        ("respondent_name", 0, "Ana"),
        ("hh_size", 0, "2"),
        ("member_name", 1, "Ana"),
        ("member_age", 1, "41"),
        ("water_source", 0, "well"),
        ("water_problems", 0, "taste other"),
        ("water_problems_other", 0, "sale"),
        ("adults", 0, "1"),
        ("mean_age", 0, "41"),
    ]
    assert E.from_rows(household, rows) == done


def test_unknown_page_is_an_answer_error(all_types: FormDefinition) -> None:
    with pytest.raises(AnswerError):
        E.submit_page(all_types, {}, "nope", {})


def test_pages_of_a_form_without_repeats_are_kept_and_handed_out_as_copies() -> None:
    """The shipped questionnaire has no repeat: its pages never depend on the answers."""
    from pathlib import Path

    from surveys.xlsform import load_form

    shipped = Path(E.__file__).resolve().parent / "forms"
    form = load_form(shipped / "mairiebus.xlsx")
    assert not any(q.is_repeat for q in form.walk())
    first = E.pages(form, {})
    first.clear()  # a caller changing its list does not change the next caller's
    again = E.pages(form, {"anything": "x"})
    assert again and [p.key for p in again] == [p.key for p in E._pages(form, {})]
    assert E.pages(form, {})[0] is again[0]  # the same Page objects: computed once


def test_pages_of_a_form_with_repeats_follow_the_answers(logic: FormDefinition) -> None:
    answers = E.new_answers(logic, NOW)
    without = [p.key for p in E.pages(logic, answers)]
    answers["pets"] = "2"
    answers = E.recompute(logic, answers, NOW)
    keys = [p.key for p in E.pages(logic, answers)]
    assert "pet#1" in keys and "pet#2" in keys and keys != without
