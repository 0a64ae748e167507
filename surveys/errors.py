"""Exceptions of the survey engine: each carries plain-French messages, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FormError:
    """One problem found in a form file, located as precisely as we can."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    name: str | None = None
    # pyxform's original English text when the message is a translation.
    detail: str | None = None

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f"feuille « {self.sheet} »")
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        if self.name:
            where.append(f"question « {self.name} »")
        prefix = ", ".join(where)
        return f"{prefix} : {self.message}" if prefix else self.message


class SurveyError(Exception):
    """Base class of every error the survey engine raises on purpose."""


class FormImportError(SurveyError):
    """The file is not a form we can use; `errors` lists every problem found."""

    def __init__(self, errors: list[FormError]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        head = "Ce questionnaire ne peut pas être importé"
        summary = f"{head} ({count} problème{'s' if count > 1 else ''})."
        super().__init__(summary + "".join(f"\n- {e}" for e in self.errors))


class ExpressionError(SurveyError):
    """An XLSForm expression cannot be read or computed."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        super().__init__(message if position is None else f"{message} (caractère {position + 1})")


class AnswerError(SurveyError):
    """The answers given do not fit the form (unknown page, unknown repeat...)."""


class UploadError(SurveyError):
    """An uploaded file is refused (too big, wrong type, unreadable image)."""
