"""Pass codes: short codes a resident can read out, copy from a card and type on a phone.

A code is 8 random characters plus 1 check character, shown in three groups: ``K7M-9QX-RT4``.

- Alphabet: Crockford's base 32 (``0-9`` and ``A-Z`` without ``I``, ``L``, ``O``, ``U``), so no
  pair of characters in a code looks alike. On input the look-alikes are mapped back:
  ``O`` -> ``0``, ``I``/``L`` -> ``1``, and ``U`` -> ``V`` (a ``U`` can only be a misread ``V``).
- Randomness: 8 characters x 5 bits = 40 bits from :mod:`secrets` (about 10^12 codes), so
  guessing one is hopeless when the web layer also throttles look-ups.
- Check character: the 9 characters are read as elements of the finite field GF(32) and the check
  makes ``sum(w_i * c_i) == 0`` with nine distinct non-zero weights ``w_i = alpha^i``. In a field,
  changing one character changes the sum by ``w_i * (new - old) != 0``, and swapping two
  different characters changes it by ``(w_i - w_j) * (c_i - c_j) != 0``: every single-character
  typo and every transposition (adjacent or not) is detected, with no extra symbols needed
  (Crockford's own mod-37 check needs 5 extra symbols that are awkward to read out).
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DATA_LENGTH = 8
CODE_LENGTH = DATA_LENGTH + 1
GROUP_SIZE = 3
RANDOM_BITS = DATA_LENGTH * 5

_VALUES = {char: value for value, char in enumerate(ALPHABET)}
# Characters people type for a character that is in the alphabet.
_LOOK_ALIKES = {"O": "0", "I": "1", "L": "1", "U": "V"}
# Separators people put in or copy along with the code; removed before reading it.
_SEPARATORS = frozenset(" -._\t\n\u00a0\u2010\u2011\u2012\u2013\u2014")

# GF(32) built on the primitive polynomial x^5 + x^2 + 1.
_POLY = 0b100101


def _gf_mul(a: int, b: int) -> int:
    """Multiply two elements of GF(32)."""
    result = 0
    while b:
        if b & 1:
            result ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _POLY
    return result


def _powers_of_alpha(count: int) -> tuple[int, ...]:
    powers = [1]
    for _ in range(count - 1):
        powers.append(_gf_mul(powers[-1], 2))
    return tuple(powers)


# Weight of each position, the check character (last) having weight 1: solving for it is a sum.
_WEIGHTS = tuple(reversed(_powers_of_alpha(CODE_LENGTH)))
assert len(set(_WEIGHTS)) == CODE_LENGTH and 0 not in _WEIGHTS


class PassCodeError(ValueError):
    """A text that is not a usable Pass code; ``message`` is plain French for the resident."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_character(data: str) -> str:
    """Return the check character for 8 data characters of the alphabet."""
    if len(data) != DATA_LENGTH or any(char not in _VALUES for char in data):
        raise PassCodeError("Le code doit avoir 8 caractères avant le caractère de contrôle.")
    total = 0
    for weight, char in zip(_WEIGHTS, data, strict=False):
        total ^= _gf_mul(weight, _VALUES[char])
    # The check has weight 1 and addition in GF(32) is XOR, so it equals the sum of the others.
    return ALPHABET[total]


def generate() -> str:
    """Return a new random Pass code in canonical form (9 characters, no separators)."""
    number = secrets.randbits(RANDOM_BITS)
    data = "".join(ALPHABET[(number >> (5 * i)) & 0b11111] for i in range(DATA_LENGTH))
    return data + check_character(data)


def normalise(text: str) -> str | None:
    """Return the canonical 9-character form of a typed code, or None if it cannot be one.

    Ignores case, spaces and hyphens and maps look-alikes (O, I, L, U). Does not verify the
    check character: use :func:`is_valid` or :func:`parse` for that.
    """
    chars: list[str] = []
    for char in text.upper():
        if char in _SEPARATORS:
            continue
        char = _LOOK_ALIKES.get(char, char)
        if char not in _VALUES:
            return None
        chars.append(char)
    if len(chars) != CODE_LENGTH:
        return None
    return "".join(chars)


def is_valid(code: str) -> bool:
    """Tell whether a typed code (any case, with or without separators) has a correct check."""
    canonical = normalise(code)
    if canonical is None:
        return False
    return check_character(canonical[:DATA_LENGTH]) == canonical[DATA_LENGTH]


def parse(text: str) -> str:
    """Return the canonical form of a typed code, or raise PassCodeError with a French message."""
    cleaned = [char for char in text.upper() if char not in _SEPARATORS]
    if not cleaned:
        raise PassCodeError("Merci d'écrire le code de votre Pass.")
    unknown = sorted({c for c in cleaned if _LOOK_ALIKES.get(c, c) not in _VALUES})
    if unknown:
        shown = " ".join(unknown)
        raise PassCodeError(
            f"Le code contient un signe qui n'existe pas dans les codes du Pass : {shown}. "
            "Vérifiez sur votre carte."
        )
    if len(cleaned) != CODE_LENGTH:
        raise PassCodeError(
            f"Le code du Pass a {CODE_LENGTH} caractères, vous en avez écrit {len(cleaned)}. "
            "Vérifiez sur votre carte."
        )
    canonical = normalise(text)
    if canonical is None or not is_valid(canonical):
        raise PassCodeError(
            "Ce code ne semble pas juste : une lettre ou un chiffre a peut-être été mal recopié. "
            "Vérifiez sur votre carte."
        )
    return canonical


def format(code: str) -> str:  # shadows the builtin on purpose: passcode.format(code)
    """Return a code grouped for reading, e.g. ``K7M-9QX-RT4``; raise PassCodeError if unusable."""
    canonical = normalise(code)
    if canonical is None:
        raise PassCodeError("Ce texte n'est pas un code de Pass.")
    groups = [canonical[i : i + GROUP_SIZE] for i in range(0, CODE_LENGTH, GROUP_SIZE)]
    return "-".join(groups)
