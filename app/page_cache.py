"""Whole pages kept for first visits: the QR start page, the Pass start page, the home page.

A resident who scans a poster arrives with no cookie at all, and every such visitor gets the
same page but for its CSRF token. The first such request renders it; the next ones (in the same
worker) get the stored page with a fresh token put in, without a database query or template
rendering: the QR start page went from about 1.8 ms of worker CPU to about 0.5 ms
(``benchmarks/README.md``, "Residents' pages, 2026-12-03").

Only requests with no cookie and no query string are served from the store (a draft, a Pass
sitting, a staff session, ``?lang=en`` or ``?langue=`` always take the normal path), and a
page is stored only when rendering it left nothing in the session but the CSRF token.

Freshness: a stored page is dropped as soon as any committed change touches a table other than
the residents' answers and other high-churn tables (:data:`UNRELATED_TABLES`): every commit of
that kind bumps a stamp file in the instance folder, which each worker checks (one ``stat``) on
every request, so all gunicorn workers of the instance see it. Writes made outside the app
(``psql``) are covered by the time limit ``PAGE_CACHE_SECONDS`` (60 s by default; 0 turns the
store off).
"""

from __future__ import annotations

import functools
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, g, has_app_context, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import static_files

#: Tables whose changes never alter a first visit's page: answers, sittings, counters, logbook.
UNRELATED_TABLES = frozenset(
    {
        "aidant_notes",
        "answers",
        "assessments",
        "award_events",
        "awards",
        "journal_referrals",
        "journal_visit_changes",
        "journal_visits",
        "level_results",
        "observations",
        "passes",
        "reminder_deliveries",
        "reminder_subscriptions",
        "response_deletions",
        "responses",
        "throttle_counters",
        "users",
    }
)
#: Stored pages per worker (a few per collection point).
MAX_PAGES = 256
_TOKEN_MARK = "\ue000csrf\ue000"  # a private-use character: never in a rendered page
_STALE = "mairiebus_pages_stale"


@dataclass(frozen=True, slots=True)
class _Page:
    body: str
    style_sources: tuple[str, ...]
    has_token: bool
    stamp: int
    expires: float


# --------------------------------------------------------------------------- freshness


def _stamp_path() -> Path:
    return Path(current_app.instance_path) / "cache" / "pages.stamp"


def current_stamp() -> int:
    """The instance's content stamp (0 before the first change)."""
    try:
        return os.stat(_stamp_path()).st_mtime_ns
    except OSError:
        return 0


def invalidate() -> None:
    """Drop every stored page of every worker of this instance."""
    path = _stamp_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        previous = current_stamp()
        path.touch()
        stamp = max(time.time_ns(), previous + 1)  # strictly newer, whatever the clock did
        os.utime(path, ns=(stamp, stamp))
    except OSError:
        current_app.logger.warning("Could not write %s: stored pages expire by age only", path)
    current_app.extensions.get("mairiebus_page_cache", {}).clear()


def _touches_pages(table_name: str | None) -> bool:
    return table_name is None or table_name not in UNRELATED_TABLES


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(type(obj), "__table__", None)
        if _touches_pages(getattr(table, "name", None)):
            session.info[_STALE] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: Any) -> None:
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(statement, "table", None)
        if _touches_pages(getattr(table, "name", None)):
            state.session.info[_STALE] = True
    elif not state.is_select:
        text = str(getattr(statement, "text", "")).lstrip().upper()
        if text.startswith(("TRUNCATE", "DELETE", "UPDATE", "INSERT", "ALTER", "DROP")):
            state.session.info[_STALE] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.info.pop(_STALE, False) and has_app_context():
        invalidate()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_STALE, None)


# --------------------------------------------------------------------------- the store


def _store() -> OrderedDict[tuple[Any, ...], _Page]:
    return current_app.extensions.setdefault("mairiebus_page_cache", OrderedDict())


def _seconds() -> float:
    try:
        return float(current_app.config.get("PAGE_CACHE_SECONDS", 60))
    except (TypeError, ValueError):
        return 0.0


def _first_visit() -> bool:
    return request.method == "GET" and not request.query_string and not request.cookies


def _token_name() -> str:
    return str(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))


def _keep(result: object, stamp: int, seconds: float) -> _Page | None:
    """The page to store from what the view returned, or None when it must not be shared."""
    if not isinstance(result, str):
        return None  # a redirect, an error, a response with its own headers
    name = _token_name()
    # Flask-Login marks an anonymous session "_fresh": False (nothing personal); anything else
    # (a flash, a language, a staff login) makes the page this visitor's own.
    if set(session.keys()) - {name, "_fresh"} or session.get("_fresh", False):
        return None
    body = result
    has_token = name in session
    if has_token:
        token = g.get(name)
        if not token or token not in body:
            return None
        body = body.replace(token, _TOKEN_MARK)
    styles = tuple(static_files.style_sources())
    return _Page(body, styles, has_token, stamp, time.monotonic() + seconds)


def _serve(page: _Page) -> str:
    static_files.add_style_sources(page.style_sources)
    if not page.has_token:
        return page.body
    return page.body.replace(_TOKEN_MARK, generate_csrf())


def first_visit_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve this view's page from the store to visitors without a cookie (see module doc)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seconds = _seconds()
        if seconds <= 0 or not _first_visit():
            return view(*args, **kwargs)
        store = _store()
        key = (request.endpoint, tuple(sorted(kwargs.items())))
        stamp = current_stamp()
        page = store.get(key)
        if page is not None and page.stamp == stamp and page.expires > time.monotonic():
            return _serve(page)
        result = view(*args, **kwargs)
        page = _keep(result, stamp, seconds)
        if page is not None:
            store[key] = page
            store.move_to_end(key)
            while len(store) > MAX_PAGES:
                store.popitem(last=False)
        return result

    return wrapper
