"""Repeats inside repeats: positions, references, long rows and both export layouts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from surveys import engine as E
from surveys.exports import ExportResponse, iter_tables
from surveys.kobo_export import iter_kobo_tables
from surveys.xlsform import load_form

FORM = (
    Path(__file__).parents[2]
    / "fixtures"
    / "forms"
    / "corpus"
    / "23_nested_household_vaccination.md"
)


@pytest.fixture(scope="module")
def form():  # type: ignore[no-untyped-def]
    return load_form(FORM.read_bytes(), FORM.name)


def _answered(form) -> E.Answers:  # type: ignore[no-untyped-def]
    a = E.new_answers(form)
    a = E.submit_page(form, a, "village", {"village": "Ferrières"}).answers
    a = E.add_instance(form, a, "household")
    a = E.submit_page(
        form, a, "household#1", {"head_name": "Mme Diallo", "hh_members": "2"}
    ).answers
    a = E.submit_page(form, a, "member#1.1", {"member_name": "Awa", "member_age": "34"}).answers
    raw = {"member_name": "Issa", "member_age": "6", "vaccinated": "yes"}
    a = E.submit_page(form, a, "member#1.2", raw).answers
    a = E.add_instance(form, a, "vaccination", (1, 2))
    a = E.submit_page(form, a, "vaccination#1.2.1", {"vaccine": "ror"}).answers
    a = E.add_instance(form, a, "household")
    a = E.submit_page(form, a, "household#2", {"head_name": "M. Roux", "hh_members": "1"}).answers
    return E.submit_page(form, a, "member#2.1", {"member_name": "Paul", "member_age": "70"}).answers


def test_nested_repeat_pages_follow_their_enclosing_instance(form) -> None:  # type: ignore[no-untyped-def]
    keys = [p.key for p in E.relevant_pages(form, _answered(form))]
    assert keys == [
        "village",
        "household#1",
        "member#1.1",
        "member#1.2",
        "vaccination#1.2.1",
        "household#2",
        "member#2.1",
        "total",
    ]
    page = E.get_page(form, _answered(form), "vaccination#1.2.1")
    assert (page.repeat, page.path, page.parent, page.instance) == (
        "vaccination",
        (1, 2, 1),
        (1, 2),
        1,
    )


def test_references_read_the_enclosing_instance_and_aggregates_read_all(form) -> None:  # type: ignore[no-untyped-def]
    answers = _answered(form)
    first, second = answers["household"]
    assert [m["member_number"] for m in first["member"]] == ["1", "2"]  # position(..)
    assert first["hh_number"] == "1" and second["hh_number"] == "2"
    assert first["member"][1]["member_vaccines"] == "1"  # count() inside one member
    assert first["member"][0]["member_vaccines"] == "0"
    assert (first["hh_children"], second["hh_children"]) == ("1", "0")  # its own members only
    assert (first["first_member"], second["first_member"]) == ("Awa", "Paul")  # indexed-repeat
    assert (answers["households"], answers["people"]) == ("2", "3")  # over every instance
    ctx = E.AnswerContext(form, answers, form.index()["vaccine"], (1, 2, 1))
    assert ctx.ref("member_name").values == ("Issa",)
    assert ctx.ref("head_name").values == ("Mme Diallo",)
    assert E.AnswerContext(form, answers).ref("member_name").values == ("Awa", "Issa", "Paul")
    view = E.view_page(form, answers, "vaccination#1.2.1")
    assert view.title == "Vaccin de Issa"


def test_repeat_count_sizes_each_household_separately(form) -> None:  # type: ignore[no-untyped-def]
    answers = _answered(form)
    assert [len(h["member"]) for h in answers["household"]] == [2, 1]
    with pytest.raises(E.AnswerError):
        E.add_instance(form, answers, "member", (1,))  # counted: not added by hand
    with pytest.raises(E.AnswerError):
        E.add_instance(form, answers, "vaccination", (1, 9))  # no such member
    fewer = E.remove_instance(form, answers, "vaccination", 1, (1, 2))
    assert fewer["household"][0]["member"][1]["vaccination"] == []
    assert fewer["household"][1] == answers["household"][1]  # the other household untouched


def test_long_rows_keep_the_enclosing_instance_and_come_back(form) -> None:  # type: ignore[no-untyped-def]
    answers = E.finish(form, _answered(form))
    rows = E.to_rows(form, answers)
    assert E.AnswerRow("vaccine", 1, "ror", "1.2") in rows
    assert E.AnswerRow("member_name", 1, "Paul", "2") in rows
    assert E.AnswerRow("head_name", 2, "M. Roux", "") in rows
    assert E.from_rows(form, rows) == E.from_rows(
        form, [(r.question, r.repeat_index, r.value, r.parent) for r in rows]
    )
    rebuilt = E.from_rows(form, rows)
    assert rebuilt["household"][0]["member"][1]["vaccination"] == [{"vaccine": "ror"}]
    assert rebuilt["household"][1]["member"][0]["member_name"] == "Paul"


def test_rows_stored_before_nested_repeats_still_load() -> None:
    single = load_form(
        b"| survey |\n| | type | name | label |\n| | begin_repeat | kid | Enfant |\n"
        b"| | text | kid_name | First name |\n| | end_repeat | | |\n",
        "kids.md",
    )
    assert E.from_rows(single, [("kid_name", 2, "Léo"), ("kid_name", 1, "Ana")]) == {
        "kid": [{"kid_name": "Ana"}, {"kid_name": "Léo"}]
    }


ROWS = [
    ("village", 0, "Ferrières"),
    ("head_name", 1, "Mme Diallo"),
    ("member_name", 1, "Awa", "1"),
    ("member_name", 2, "Issa", "1"),
    ("vaccine", 1, "ror", "1.2"),
    ("vaccine", 2, "dtp", "1.2"),
    # Household 2 has no answer of its own, only a member: it still gets its row.
    ("member_name", 1, "Paul", "2"),
]


def _collect(pairs) -> dict[str, list[list[object]]]:  # type: ignore[no-untyped-def]
    tables: dict[str, list[list[object]]] = {}
    for name, row in pairs:
        tables.setdefault(name, []).append(row)
    return tables


def test_default_layout_gives_nested_tables_a_parent_index(form) -> None:  # type: ignore[no-untyped-def]
    response = ExportResponse({"response_id": 4}, ROWS)
    tables = _collect(iter_tables(form, [response], meta_columns=("response_id",)))
    assert tables["household"][0][:3] == ["response_id", "repeat_index", "head_name"]
    assert tables["member"][0][:4] == ["response_id", "parent_index", "repeat_index", "member_name"]
    assert [row[:4] for row in tables["member"][1:]] == [
        [4, "1", 1, "Awa"],
        [4, "1", 2, "Issa"],
        [4, "2", 1, "Paul"],
    ]
    assert [row[:4] for row in tables["vaccination"][1:]] == [
        [4, "1.2", 1, "ror"],
        [4, "1.2", 2, "dtp"],
    ]


def test_kobo_layout_links_each_nested_row_to_its_parent_row(form) -> None:  # type: ignore[no-untyped-def]
    at = dt.datetime(2024, 6, 10, 9, 0, tzinfo=dt.UTC)
    responses = [
        ExportResponse({"response_id": 3, "response_uuid": "u-3", "submitted_at": at}, ROWS[:2]),
        ExportResponse({"response_id": 4, "response_uuid": "u-4", "submitted_at": at}, ROWS),
    ]
    tables = _collect(iter_kobo_tables(form, responses))
    header = tables["member"][0]
    name, index, parent_table, parent_index = (
        header.index(h)
        for h in ("household/member/member_name", "_index", "_parent_table_name", "_parent_index")
    )
    households = tables["household"][1:]
    hh_index = tables["household"][0].index("_parent_index")
    # Response 3's household is row 1; response 4's households rows 2 and 3.
    assert [row[hh_index] for row in households] == [1, 2, 2]
    members = [
        (row[name], row[index], row[parent_table], row[parent_index])
        for row in tables["member"][1:]
    ]
    assert members == [
        ("Awa", 1, "household", 2),
        ("Issa", 2, "household", 2),
        ("Paul", 3, "household", 3),
    ]
    v_header = tables["vaccination"][0]
    assert [row[v_header.index("_parent_index")] for row in tables["vaccination"][1:]] == [2, 2]


def test_an_instance_holding_only_a_nested_repeat_keeps_its_page() -> None:
    visits = load_form(
        b"| survey |\n| | type | name | label |\n| | begin_repeat | visit | Visit |\n"
        b"| | begin_repeat | step | Step |\n| | text | what | What |\n| | end_repeat | | |\n"
        b"| | end_repeat | | |\n",
        "visits.md",
    )
    answers = E.add_instance(visits, E.new_answers(visits), "visit")
    assert [p.key for p in E.relevant_pages(visits, answers)] == ["visit#1", "step#1.0"]
    answers = E.add_instance(visits, answers, "step", (1,))
    answers = E.submit_page(visits, answers, "step#1.1", {"what": "CAF"}).answers
    assert answers == {"visit": [{"step": [{"what": "CAF"}]}]}
    assert [p.key for p in E.relevant_pages(visits, answers)] == ["visit#1", "step#1.1"]
