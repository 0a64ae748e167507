"""Shared fixtures for the survey engine tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from surveys.model import FormDefinition
from surveys.xlsform import load_form

FORMS = Path(__file__).resolve().parents[2] / "fixtures" / "forms"
NOW = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def towns_csv() -> bytes:
    return (FORMS / "towns.csv").read_bytes()


@pytest.fixture(scope="session")
def all_types(towns_csv: bytes) -> FormDefinition:
    return load_form(FORMS / "all_types.md", attachments={"towns.csv": towns_csv})


@pytest.fixture(scope="session")
def logic() -> FormDefinition:
    return load_form(FORMS / "logic.md")


@pytest.fixture(scope="session")
def household() -> FormDefinition:
    return load_form(FORMS / "kobo_household_survey.md")
