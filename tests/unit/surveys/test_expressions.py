"""The XPath subset evaluator: hand-worked values and property tests."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.errors import ExpressionError
from surveys.expressions import (
    MappingContext,
    NodeSet,
    evaluate,
    evaluate_text,
    parse,
    references,
    to_string,
)

NOW = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)
CTX = MappingContext(
    {"age": "20", "r": "a b", "empty": "", "kid_age": ["3", "5", "12"], "birth": "2024-04-30"},
    current="7",
    lists={
        "towns": [
            {"name": "m", "label": "Martigues", "dep": "13"},
            {"name": "i", "label": "Istres", "dep": "13"},
            {"name": "p", "label": "Paris", "dep": "75"},
        ]
    },
    now=NOW,
    index=2,
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${age} > 17", True),
        ("${age} = ''", False),
        ("${empty} = ''", True),
        ("${age} = 20", True),
        ("${age} + 1", 21.0),
        ("selected(${r}, 'b')", True),
        ("selected(${r}, 'c')", False),
        ("count-selected(${r})", 2.0),
        (". > 5 and . < 10", True),
        ("not(. > 5)", False),
        ("${age} < 18 or ${age} > 19", True),
        ("7 mod 3", 1.0),
        ("-7 mod 3", -1.0),
        ("7 div 2", 3.5),
        ("2 * 3 + 4 div 2", 8.0),
        ("(2 + 3) * 4", 20.0),
        ("5 - -3", 8.0),
        ("round(2.5)", 3.0),
        ("round(-2.5)", -2.0),
        ("round(1.235, 2)", 1.24),
        ("int(-3.7)", -3.0),
        ("int('12.9')", 12.0),
        ("number('abc') = number('abc')", False),
        ("concat('a', ${age}, 'b')", "a20b"),
        ("if(${age} >= 18, 'adulte', 'mineur')", "adulte"),
        ("coalesce(${empty}, 'rien')", "rien"),
        ("coalesce(${age}, 'rien')", NodeSet(("20",))),
        ("regex(${age}, '^[0-9]{2}$')", True),
        ("regex('06 12', '^0[67]')", True),
        ("contains('Martigues', 'tig')", True),
        ("starts-with('Martigues', 'Mar')", True),
        ("string-length('été')", 3.0),
        ("string-length(.)", 1.0),
        ("sum(${kid_age})", 20.0),
        ("count(${kid_age})", 3.0),
        ("count(${kid_age}[. >= 5])", 2.0),
        ("max(${kid_age})", 12.0),
        ("position(..)", 2.0),
        ("today()", "2024-05-06"),
        ("today() - ${birth}", 6.0),
        ("date('2024-03-01') - date('2024-02-01')", 29.0),
        ("'2024-03-01' < '2024-04-01'", True),
        ("format-date(${birth}, '%d/%m/%Y')", "30/04/2024"),
        ("instance('towns')/root/item[name = 'p']/label", NodeSet(("Paris",))),
        ("instance('towns')/root/item[dep = '13']/label", NodeSet(("Martigues", "Istres"))),
        ("count(instance('towns')/root/item[dep = '13'])", 2.0),
        ("/data/group/age * 2", 40.0),
        ("../age - 1", 19.0),
        ("selected(${r}, \u2019a\u2019)", True),
        ("concat(\u201cx\u201d, \u201cy\u201d)", "xy"),
        ("true() and not(false())", True),
        ("substr('Martigues', 0, 3)", "Mar"),
        ("join('-', ${kid_age})", "3-5-12"),
        ("once('first')", "7"),
    ],
)
def test_hand_worked_values(source: str, expected: object) -> None:
    assert evaluate_text(source, CTX) == expected


def test_division_by_zero_follows_ieee() -> None:
    assert evaluate_text("1 div 0", CTX) == math.inf
    assert math.isnan(evaluate_text("0 div 0", CTX))  # type: ignore[arg-type]


def test_now_is_the_context_clock() -> None:
    assert evaluate_text("now()", CTX) == "2024-05-06T09:30:00+00:00"


def test_to_string_prints_integers_without_decimals() -> None:
    assert to_string(3.0) == "3"
    assert to_string(0.5) == "0.5"
    assert to_string(math.nan) == "NaN"


def test_references_are_collected() -> None:
    assert references(parse("${a} + count(${b}) and selected(${a}, 'x')")) == {"a", "b"}


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("foo(1)", "Fonction inconnue : foo()"),
        ("1 +", "trop tôt"),
        ("${a", "Référence mal écrite"),
        ("'abc", "guillemet fermant"),
        ("((1)", "« ) » attendu"),
        ("selected(1)", "n'attend pas 1 argument"),
        ("#", "Caractère inattendu"),
        ("", "vide"),
        ("1 | 2", "union"),
        ("(" * 200 + "1" + ")" * 200, "trop imbriquée"),
    ],
)
def test_syntax_errors_are_french_expression_errors(source: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert fragment in str(caught.value)


def test_unknown_reference_fails_at_evaluation_with_expression_error() -> None:
    with pytest.raises(ExpressionError, match="Question inconnue"):
        evaluate_text("${nobody} = 1", CTX)


def test_invalid_regex_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="régulière"):
        evaluate_text("regex('a', '(')", CTX)


# Characters that expressions are made of, so generated text gets past the tokenizer often.
ALPHABET = st.sampled_from(
    list("abcxyz019.$_{}()[]/',\"=!<>+-*| ")
    + ["div", "mod", "and", "or", "${age}", "${r}"]
    + ["selected(", "count(", "regex(", "instance('towns')", "round(", "..", "\u2019", "é"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_only_expression_error_escapes_on_token_soup(source: str) -> None:
    try:
        evaluate(parse(source), CTX)
    except ExpressionError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_only_expression_error_escapes_on_arbitrary_text(source: str) -> None:
    try:
        evaluate(parse(source), CTX)
    except ExpressionError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_arithmetic_matches_python(a: int, b: int) -> None:
    ctx = MappingContext({"a": str(a), "b": str(b)})
    assert evaluate_text("${a} + ${b} * 2", ctx) == a + b * 2
    assert evaluate_text("${a} > ${b}", ctx) is (a > b)
    if b != 0:
        assert evaluate_text("${a} mod ${b}", ctx) == math.fmod(a, b)
