"""Templates resolve their translations once per request, and still follow a forced locale."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_babel import force_locale

TEMPLATE = "{{ _('Page introuvable') }}"


def test_a_forced_locale_inside_a_request_is_followed(app: Flask) -> None:
    """An email in the subscriber's language, rendered in a French request, is in English."""
    with app.test_request_context("/"):
        assert render_template_string(TEMPLATE) == "Page introuvable"
        with force_locale("en"):
            assert render_template_string(TEMPLATE) == "Page not found"
        assert render_template_string(TEMPLATE) == "Page introuvable"


def test_the_resident_s_language_choice_is_followed(app: Flask) -> None:
    with app.test_request_context("/?lang=en"):
        assert render_template_string(TEMPLATE) == "Page not found"
    with app.test_request_context("/"):
        assert render_template_string(TEMPLATE) == "Page introuvable"


def test_wtforms_messages_follow_the_locale(app: Flask) -> None:
    """WTForms' own messages (kept per locale for the process) are French for a French page."""
    from flask_wtf import FlaskForm
    from wtforms import IntegerField

    class Tiny(FlaskForm):
        class Meta:
            csrf = False

        number = IntegerField()

    with app.test_request_context("/", method="POST", data={"number": "abc"}):
        form = Tiny()
        form.validate()
        french = form.number.errors[0]
    with app.test_request_context("/?lang=en", method="POST", data={"number": "abc"}):
        form = Tiny()
        form.validate()
        english = form.number.errors[0]
    assert english == "Not a valid integer value."
    assert french != english and "entier" in french.lower()


def test_a_page_asks_flask_babel_for_its_translations_once(
    app: Flask,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """The home page says dozens of strings; Flask-Babel's lookup runs once, not per string."""
    import app.i18n as i18n

    calls: list[int] = []
    real = i18n.get_translations

    def counted():  # type: ignore[no-untyped-def]
        calls.append(1)
        return real()

    monkeypatch.setattr(i18n, "get_translations", counted)
    page = app.test_client().get("/")
    assert page.status_code == 200 and page.get_data(as_text=True).count("<a ") > 3
    assert len(calls) == 1
