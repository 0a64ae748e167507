"""Translations looked up once per request, not once per string.

Flask-Babel resolves the translations object on every ``_()`` a template calls: three trips
through ``flask.g`` and a ``str(locale)`` each time, about 8 µs per string. A resident's page
says 60–120 strings, so that was a third of the time it took to render the home page
(``benchmarks/README.md``, "Residents' pages, 2026-12-03"). The callables below keep the
translations of the request's locale on the app context and ask Flask-Babel again only when
the locale changes (``force_locale`` for an email in the subscriber's language, ``refresh``).

WTForms' own messages ("This field is required." in French) are likewise parsed from their
``.mo`` file on every request by Flask-WTF; they are kept per locale for the process.
"""

from __future__ import annotations

from typing import Any

from babel import support
from flask import Flask
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations


def current_language() -> str:
    """The language of the page being built, as a code ("fr", "en"); French outside a request."""
    return str(get_locale() or "fr")


def _babel_locale(ctx: Any) -> object | None:
    """The locale Flask-Babel chose for this context, if it chose one yet (never computed here)."""
    namespace = ctx.g.__dict__.get("_flask_babel")
    return getattr(namespace, "babel_locale", None) if namespace is not None else None


def request_translations() -> support.NullTranslations:
    """The translations of the current locale, resolved once per app context and locale."""
    ctx = _cv_app.get(None)
    if ctx is None:
        return get_translations()
    memo = ctx.__dict__.get("_mairiebus_translations")
    if memo is not None and memo[0] is not None and memo[0] is _babel_locale(ctx):
        return memo[1]
    translations = get_translations()  # chooses the locale if nobody asked yet
    ctx._mairiebus_translations = (_babel_locale(ctx), translations)
    return translations


def install_fast_gettext(app: Flask) -> None:
    """Replace the template gettext callables Flask-Babel installed by the memoised ones."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    _cache_wtforms_translations()


_WTFORMS: dict[str, support.NullTranslations] = {}


def _wtforms_translations() -> support.NullTranslations | None:
    from flask import current_app, has_request_context
    from wtforms.i18n import messages_path

    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    locale = get_locale()
    key = str(locale)
    translations = _WTFORMS.get(key)
    if translations is None:
        translations = support.Translations.load(messages_path(), [locale], domain="wtforms")
        _WTFORMS[key] = translations
    return translations


def _cache_wtforms_translations() -> None:
    """Flask-WTF parses WTForms' catalogue on every request; parse it once per locale."""
    import flask_wtf.i18n

    flask_wtf.i18n._get_translations = _wtforms_translations
