"""English follows French: service messages, labels with their colon, and the catalogue itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from app.models.badges import ERASED_REASON, Award
from app.models.programme import EXPLANATION_ADDED, Slot
from app.services.accounts import AccountError, check_password_strength
from tests.app.test_pass_views import begin, send, step_key
from tests.conftest import page_text

CATALOGUE = Path(__file__).parents[2] / "app/translations/en/LC_MESSAGES/messages.po"


def _refusal(app: Flask, path: str) -> str:
    with app.test_request_context(path), pytest.raises(AccountError) as refused:
        check_password_strength("court")
    return str(refused.value)


def test_service_errors_follow_the_readers_language(app: Flask) -> None:
    assert _refusal(app, "/") == "Le mot de passe doit faire au moins 10 caractères."
    assert _refusal(app, "/?lang=en") == "The password must be at least 10 characters long."


def test_service_errors_are_french_outside_a_request(app: Flask) -> None:
    # CLI commands run in an app context only: the locale selector must not need a request.
    with app.app_context(), pytest.raises(AccountError) as refused:
        check_password_strength("court")
    assert str(refused.value) == "Le mot de passe doit faire au moins 10 caractères."


def test_stored_french_notes_are_translated_only_on_pages(app: Flask) -> None:
    award = Award(revocation_reason=ERASED_REASON)
    slot = Slot(explanation=EXPLANATION_ADDED)
    typed = Award(revocation_reason="Erreur de saisie")
    with app.test_request_context("/?lang=en"):
        assert award.revocation_reason_text == "Badge deleted at the holder's request."
        assert slot.explanation_text == "Slot added by the coordination team."
        assert typed.revocation_reason_text == "Erreur de saisie"
    with app.test_request_context("/"):
        assert award.revocation_reason_text == ERASED_REASON
    # What is stored (and served in the revocation list) stays French.
    assert award.revocation_reason == "Badge effacé à la demande de son titulaire."


def test_footer_colon_is_inside_the_translation(client: FlaskClient) -> None:
    assert "Vos données :" in page_text(client.get("/"))
    english = page_text(client.get("/?lang=en"))
    assert "Your data:" in english and "Your data :" not in english


def test_wrong_challenge_answer_title_in_english(client: FlaskClient) -> None:
    client.get("/?lang=en")
    begin(client)
    send(client, step_key(client), answer="not_yet")
    send(client, step_key(client), answer="not_yet")
    send(client, step_key(client), answer="a")
    feedback = page_text(client.get("/pass/question"))
    assert "Almost! The right answer is: “The green button (B)”." in feedback
    assert "Presque" not in feedback


def test_catalogue_is_complete_with_english_colons() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    messages = [m for m in catalogue if m.id]
    assert not [m.id for m in messages if not m.string or m.fuzzy]
    # French puts a space before ":", English does not.
    assert not [m.string for m in messages if isinstance(m.string, str) and " :" in m.string]
