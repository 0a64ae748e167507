"""Spreadsheet-safe cell values, shared by every CSV and XLSX the app writes.

A free-text answer such as ``=HYPERLINK("http://…","Cliquez")``, ``+cmd|' /C calc'!A0``,
``@SUM(1)`` or ``-2+3`` becomes a live formula when a coordinator opens an export in Excel or
LibreOffice (CSV injection, also called formula injection). Following the OWASP guidance, a text
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a
single quote, which spreadsheets show as text. Numbers stay numbers: ``-2``, ``+33``, ``-3,5``
and ``1e-3`` are left as they are.

Control characters (other than tab, line feed and carriage return) are removed: no one types
them, XML (and so XLSX) cannot hold them, and openpyxl refuses them.

Writers call :func:`safe_cell` on each value or :func:`safe_row` on each row, just before
writing. Form definitions written back as XLSForms are the one exception (their expressions must
round-trip): their text stays unchanged and openpyxl is told to store it as text, not a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(text: str) -> str:
    """``text`` without control characters other than tab, line feed and carriage return."""
    return _CONTROL.sub("", text)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (and it is not a number)."""
    return bool(text) and text[0] in FORMULA_TRIGGERS and not _NUMBER.fullmatch(text)


def safe_cell(value: Any) -> Any:
    """``value`` ready for a spreadsheet cell: text neutralised, anything else unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
    if value and value[0] in FORMULA_TRIGGERS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through :func:`safe_cell`."""
    return [safe_cell(v) for v in values]
