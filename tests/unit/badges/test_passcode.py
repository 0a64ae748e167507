"""Pass codes: readable, typeable, every single typo and transposition detected."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badges import passcode
from badges.passcode import ALPHABET, PassCodeError

# Data characters of a code; the check character is computed from them.
data_strategy = st.text(alphabet=ALPHABET, min_size=8, max_size=8)


def make_code(data: str) -> str:
    return data + passcode.check_character(data)


def test_alphabet_has_no_ambiguous_characters() -> None:
    assert len(ALPHABET) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_known_check_characters() -> None:
    # Hand-worked: all-zero data sums to 0 -> check "0"; "00000001" has only the position of
    # weight alpha^1 = 2 set to 1 -> sum 2 -> check "2".
    assert passcode.check_character("00000000") == "0"
    assert passcode.check_character("00000001") == "2"
    # Position 0 has weight alpha^8: x^5 = x^2 + 1, so x^8 = x^3 * x^5 = x^5 + x^3
    # = x^3 + x^2 + 1 = 0b01101 = 13 -> "D" (A is 10).
    assert passcode.check_character("10000000") == "D"


def test_generate_gives_valid_distinct_codes() -> None:
    codes = {passcode.generate() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 9
        assert set(code) <= set(ALPHABET)
        assert passcode.is_valid(code)


def test_enough_randomness() -> None:
    assert passcode.RANDOM_BITS >= 40
    assert len(ALPHABET) ** passcode.DATA_LENGTH >= 2**40


def test_format_groups_by_three() -> None:
    assert passcode.format("k7m9qxrt4") == "K7M-9QX-RT4"
    assert passcode.format("K7M-9QX-RT4") == "K7M-9QX-RT4"


def test_format_refuses_garbage() -> None:
    with pytest.raises(PassCodeError):
        passcode.format("bonjour")


def test_normalise_maps_look_alikes_and_separators() -> None:
    assert passcode.normalise(" k7m 9qx-rt4 ") == "K7M9QXRT4"
    assert passcode.normalise("O1L-IUA-BCD") == "0111VABCD"


def test_normalise_rejects_wrong_length_and_symbols() -> None:
    assert passcode.normalise("K7M-9QX") is None
    assert passcode.normalise("K7M-9QX-RT4-5") is None
    assert passcode.normalise("K7M-9QX-RT#") is None
    assert passcode.normalise("") is None


@given(data_strategy)
def test_look_alikes_typed_on_input_still_valid(data: str) -> None:
    code = make_code(data)
    typed = code.replace("0", "o").replace("1", "l").replace("V", "u").lower()
    assert passcode.is_valid(typed)
    assert passcode.normalise(typed) == code


@given(data_strategy, st.integers(min_value=0, max_value=8), st.sampled_from(ALPHABET))
def test_every_single_substitution_is_detected(data: str, position: int, new: str) -> None:
    code = make_code(data)
    if code[position] == new:
        return
    typo = code[:position] + new + code[position + 1 :]
    assert not passcode.is_valid(typo)


def test_every_single_substitution_is_detected_exhaustively_for_one_code() -> None:
    code = make_code("K7M9QXRT")
    for position in range(9):
        for new in ALPHABET:
            if new != code[position]:
                typo = code[:position] + new + code[position + 1 :]
                assert not passcode.is_valid(typo), typo


@given(data_strategy, st.integers(min_value=0, max_value=7))
def test_adjacent_transpositions_are_detected(data: str, position: int) -> None:
    code = make_code(data)
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    assert not passcode.is_valid(swapped)


@given(data_strategy, st.integers(0, 8), st.integers(0, 8))
def test_any_transposition_is_detected(data: str, i: int, j: int) -> None:
    code = make_code(data)
    if code[i] == code[j]:
        return
    chars = list(code)
    chars[i], chars[j] = chars[j], chars[i]
    assert not passcode.is_valid("".join(chars))


@given(st.text(max_size=20))
def test_normalise_is_idempotent(text: str) -> None:
    once = passcode.normalise(text)
    if once is not None:
        assert passcode.normalise(once) == once
        assert passcode.normalise(passcode.format(once)) == once


@given(st.text(max_size=20))
def test_parse_never_crashes(text: str) -> None:
    try:
        result = passcode.parse(text)
    except PassCodeError as error:
        assert error.message
    else:
        assert passcode.is_valid(result)


def test_parse_messages_are_french_and_specific() -> None:
    code = make_code("K7M9QXRT")
    assert passcode.parse(passcode.format(code).lower()) == code
    with pytest.raises(PassCodeError, match="9 caractères, vous en avez écrit 6"):
        passcode.parse("K7M-9QX")
    with pytest.raises(PassCodeError, match="signe qui n'existe pas"):
        passcode.parse("K7M-9QX-RT#")
    with pytest.raises(PassCodeError, match="mal recopié"):
        wrong = "0" if code[3] != "0" else "2"
        passcode.parse(code[:3] + wrong + code[4:])
    with pytest.raises(PassCodeError, match="Merci d'écrire"):
        passcode.parse(" - ")
