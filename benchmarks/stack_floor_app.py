"""The cheapest stateful page the product card's stack can serve, one layer at a time.

Served by ``stack_floor.py`` with gunicorn beside the hello-world app. Each route adds one part
that every page of a person with a draft needs, on top of the one before:

* ``/hello``: hello-world (Flask alone);
* ``/session``: read the person's signed session cookie (Flask's, as the app);
* ``/query``: plus one ORM query of that person's draft row by key (Flask-SQLAlchemy; SQLite,
  or PostgreSQL through psycopg 3 with ``STACK_FLOOR_DATABASE_URL``);
* ``/page``: plus a Jinja page of the draft's question (12 choices, each label through
  Flask-Babel, a Flask-WTF CSRF token), as small as a real questionnaire page;
* ``/write``: what sending a page adds instead of the page: change the draft row, commit (the
  SQLite file synced, as the app's), answer 303.

No app code of Mairie Bus runs: this is the floor the 0.4x target meets with Flask, SQLAlchemy,
Jinja, Flask-WTF and Flask-Babel, whatever the app does above it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import Flask, redirect, render_template, session
from flask_babel import Babel, gettext
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect, generate_csrf
from jinja2 import DictLoader
from sqlalchemy import String, Text, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Draft(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    page: Mapped[str] = mapped_column(String(40))
    answers: Mapped[str] = mapped_column(Text)


PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ _("Votre visite") }} – Mairie Bus</title></head><body>
<header><a href="/">{{ _("Mairie Bus") }}</a> <a href="?lang=en">English</a></header>
<main><h1>{{ _("Votre visite") }}</h1>
<p>{{ _("Page %(n)s sur %(total)s", n=2, total=6) }}</p>
<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<fieldset><legend>{{ _("Pourquoi venez-vous au bus ?") }}</legend>
{% for code, label in choices %}
<label><input type="radio" name="reason" value="{{ code }}"
{%- if code == chosen %} checked{% endif %}> {{ _(label) }}</label>
{% endfor %}</fieldset>
<button type="submit">{{ _("Continuer") }}</button></form></main></body></html>"""
CHOICES = [
    ("passing_by", "Je passais par là"),
    ("curiosity", "Par curiosité"),
    ("sent_by_centre", "Le centre social m'a envoyé"),
    ("sent_by_service", "Un service m'a envoyé"),
    ("town_hall", "La mairie m'en a parlé"),
    ("heard_of_it", "J'en ai entendu parler"),
    ("caf", "Une démarche CAF"),
    ("taxes", "Les impôts"),
    ("health", "La santé"),
    ("job", "L'emploi"),
    ("school", "L'école"),
    ("other", "Autre chose"),
]


def create_app() -> Flask:
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"page.html": PAGE})  # compiled once, as the app's templates
    folder = Path(os.environ.get("STACK_FLOOR_DIR") or tempfile.mkdtemp(prefix="stack-floor-"))
    app.config.update(
        SECRET_KEY="stack-floor-secret-key-0123456789abcdef",
        SQLALCHEMY_DATABASE_URI=os.environ.get("STACK_FLOOR_DATABASE_URL")
        or f"sqlite:///{folder / 'floor.sqlite'}",
        BABEL_DEFAULT_LOCALE="fr",
    )
    db.init_app(app)
    with app.app_context():
        # The app's SQLite settings (app/db.py): WAL, and wait for the other worker's write.
        @event.listens_for(db.engine, "connect")
        def _pragmas(connection, _record):  # type: ignore[no-untyped-def]
            if not type(connection).__module__.startswith("sqlite3"):
                return
            cursor = connection.cursor()
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    CSRFProtect(app)
    Babel(app)
    app.jinja_env.globals.update(_=gettext, csrf_token=generate_csrf)
    with app.app_context():
        db.create_all()
        if db.session.get(Draft, 1) is None:
            db.session.add(Draft(id=1, page="visit", answers='{"reason": "curiosity"}'))
            db.session.commit()

    @app.get("/hello")
    def hello() -> str:
        return "hello"

    @app.get("/start")
    def start() -> str:
        session["draft"] = 1
        generate_csrf()  # the cookie carries its CSRF secret, as after the app's first page
        return "started"

    @app.get("/session")
    def with_session() -> str:
        return f"draft {session.get('draft')}"

    @app.get("/query")
    def with_query() -> str:
        draft = db.session.get(Draft, session.get("draft"))
        return f"draft {draft.id if draft else None} on {draft.page if draft else None}"

    @app.get("/page")
    def with_page() -> str:
        draft = db.session.get(Draft, session.get("draft"))
        chosen = "curiosity" if draft and "curiosity" in draft.answers else None
        return render_template("page.html", choices=CHOICES, chosen=chosen)

    @app.get("/write")
    def with_write():  # type: ignore[no-untyped-def]
        # What a page sent adds: change the draft, commit, send the phone to the next page.
        draft = db.session.get(Draft, session.get("draft"))
        if draft is not None:
            # A new value every time, so that SQLAlchemy really writes the row.
            draft.answers = f'{{"reason": "curiosity", "at": "{os.urandom(4).hex()}"}}'
            db.session.commit()
        return redirect("/page", code=303)

    return app


app = create_app()
