"""The rest of ODK's XPath functions, checked against the results the ODK XForms specification
documents (getodk.github.io/xforms-spec) and against mathematical properties (hypothesis)."""

from __future__ import annotations

import base64
import hashlib
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys import expressions as ex


def num(x: float) -> str:
    """A number as XPath writes it (no exponent notation)."""
    return format(x, ".12f")


def ev(text: str, **values: str | list[str]) -> ex.Value:
    return ex.evaluate(ex.parse(text), ex.MappingContext(dict(values)))


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)
words = st.text(alphabet="abcdefgh -_", max_size=20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pow(2, 10)", 1024.0),
        ("pow(4, 0.5)", 2.0),
        ("sqrt(16)", 4.0),
        ("exp10(3)", 1000.0),
        ("log10(1000)", 3.0),
        ("log(exp(2))", 2.0),
        ("round(pi(), 5)", 3.14159),
        ("sin(0)", 0.0),
        ("cos(0)", 1.0),
        ("round(atan2(1, 1) * 4, 10)", round(math.pi, 10)),
        ("round(asin(1) * 2, 10)", round(math.pi, 10)),
        ("acos(1)", 0.0),
        ("tan(0)", 0.0),
        ("atan(0)", 0.0),
    ],
)
def test_math_functions_match_the_spec(text: str, expected: float) -> None:
    assert ev(text) == pytest.approx(expected)


def test_math_out_of_domain_is_nan_not_an_error() -> None:
    for text in ("sqrt(-1)", "log(0)", "log10(-5)", "asin(2)", "pow(-8, 0.5)"):
        assert math.isnan(ex.to_number(ev(text))), text


@given(finite, st.integers(min_value=0, max_value=6))
def test_pow_is_repeated_multiplication(x: float, n: int) -> None:
    assert ex.to_number(ev(f"pow({num(x)}, {n})")) == pytest.approx(x**n, rel=1e-9, abs=1e-9)


@given(positive)
def test_sqrt_and_pow_invert_each_other(x: float) -> None:
    assert ex.to_number(ev(f"pow(sqrt({num(x)}), 2)")) == pytest.approx(float(num(x)), rel=1e-9)


@given(positive)
def test_log10_inverts_exp10(x: float) -> None:
    assert ex.to_number(ev(f"exp10(log10({num(x)}))")) == pytest.approx(float(num(x)), rel=1e-9)


def test_string_functions_match_the_spec() -> None:
    # XPath 1.0 examples (the spec's functions refer to them).
    assert ev('substring-before("1999/04/01", "/")') == "1999"
    assert ev('substring-after("1999/04/01", "/")') == "04/01"
    assert ev('substring-after("1999/04/01", "19")') == "99/04/01"
    assert ev('substring-before("abc", "z")') == ""
    assert ev('translate("bar", "abc", "ABC")') == "BAr"
    assert ev('translate("--aaa--", "abc-", "ABC")') == "AAA"
    assert ev('normalize-space("  une   phrase \t ici ")') == "une phrase ici"


@given(words, st.sampled_from([" ", "-", "_"]))
def test_before_and_after_rebuild_the_string(text: str, sep: str) -> None:
    if sep in text:
        before = ev("substring-before(${t}, ${s})", t=text, s=sep)
        after = ev("substring-after(${t}, ${s})", t=text, s=sep)
        assert f"{before}{sep}{after}" == text


def test_boolean_from_string_and_checklists() -> None:
    assert ev("boolean-from-string('true')") is True
    assert ev("boolean-from-string('1')") is True
    assert ev("boolean-from-string('yes')") is False
    # checklist(min, max, ...): how many are true, -1 for no bound.
    assert ev("checklist(1, 2, true(), false(), true())") is True
    assert ev("checklist(-1, 1, true(), true())") is False
    assert ev("checklist(2, -1, true(), true(), true())") is True
    assert ev("weighted-checklist(5, -1, true(), 3, false(), 4, true(), 2)") is True
    assert ev("weighted-checklist(-1, 4, true(), 3, true(), 2)") is False


def test_dates_and_times_match_the_spec() -> None:
    assert ev("decimal-date-time('1970-01-02')") == 1.0
    assert ev("decimal-date-time('1970-01-01T12:00:00Z')") == 0.5
    assert ev("date-time(1.5)") == "1970-01-02T12:00:00.000Z"
    assert ev("format-date-time('2024-05-06T09:07:05', '%Y-%m-%d %H:%M:%S')") == (
        "2024-05-06 09:07:05"
    )
    assert ev("format-date-time('2024-05-06', '%a %e %b')") == "Mon 6 May"
    assert ev("format-date-time('', '%Y')") == ""


@given(st.integers(min_value=0, max_value=40000), st.integers(min_value=0, max_value=86399))
def test_date_time_and_decimal_date_time_round_trip(days: int, seconds: int) -> None:
    value = days + seconds / 86400
    text = ev(f"date-time({num(value)})")
    assert ex.to_number(ev("decimal-date-time(${d})", d=str(text))) == pytest.approx(
        value, abs=1e-6
    )


def test_distance_and_area_on_the_spec_sphere() -> None:
    # A hundredth of a degree along a meridian: R * pi / 18000 with R = 6,378,100 m.
    one = 6_378_100 * math.pi / 18000
    assert ex.to_number(ev("distance('43.40 5.05 0 0;43.41 5.05 0 0')")) == pytest.approx(one)
    # A nodeset of geopoints works too, in order.
    assert ex.to_number(ev("distance(${p})", p=["0 0", "0 0.01", "0.01 0.01"])) == (
        pytest.approx(2 * one, rel=1e-4)
    )
    # A closed square of 0.01° at the equator: about one² (the sphere bends it a little).
    square = "0 0;0 0.01;0.01 0.01;0.01 0;0 0"
    assert ex.to_number(ev(f"area('{square}')")) == pytest.approx(one * one, rel=1e-3)
    assert math.isnan(ex.to_number(ev("distance('not a place')")))


@given(
    st.floats(min_value=-60, max_value=60),
    st.floats(min_value=-170, max_value=170),
    st.floats(min_value=0.0001, max_value=0.05),
)
def test_area_does_not_depend_on_the_direction_of_the_shape(
    lat: float, lon: float, side: float
) -> None:
    points = [(lat, lon), (lat, lon + side), (lat + side, lon + side), (lat + side, lon)]
    forward = ";".join(f"{num(a)} {num(b)}" for a, b in points)
    backward = ";".join(f"{num(a)} {num(b)}" for a, b in reversed(points))
    assert ex.to_number(ev(f"area('{forward}')")) == pytest.approx(
        ex.to_number(ev(f"area('{backward}')"))
    )


def test_digest_matches_the_standard_algorithms() -> None:
    expected = base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
    assert ev("digest('abc', 'SHA-256')") == expected
    assert ev("digest('abc', 'MD5', 'hex')") == "900150983cd24fb0d6963f7d28e17f72"
    assert ev("digest('abc', 'SHA-1', 'hex')") == "a9993e364706816aba3e25717850c26c9cd0d89d"
    with pytest.raises(ex.ExpressionError):
        ev("digest('abc', 'CRC32')")


def test_uuid_and_random() -> None:
    value = str(ev("uuid()"))
    assert len(value) == 36 and value[14] == "4"
    assert len(str(ev("uuid(12)"))) == 12
    assert ev("uuid()") != ev("uuid()")
    numbers = [ex.to_number(ev("random()")) for _ in range(50)]
    assert all(0 <= n < 1 for n in numbers) and len(set(numbers)) > 40


def test_indexed_repeat_and_last_saved() -> None:
    assert ev("indexed-repeat(${name}, ${member}, 2)", name=["Ana", "Léo"], member=["", ""]) == (
        "Léo"
    )
    assert ev("indexed-repeat(${name}, ${member}, 3)", name=["Ana"], member=[""]) == ""
    # ${last-saved#q}: no previous response on the web, so it is empty (never an error).
    assert ev("concat('x', ${last-saved#name})") == "x"


def test_pulldata_needs_an_attached_file() -> None:
    with pytest.raises(ex.ExpressionError):
        ev("pulldata('towns', 'label', 'code', '13500')")
