"""Nested repeats (household → members → vaccinations, as in Kobo and ODK templates): they
import, are answered page by page without JavaScript, are stored with the enclosing instance
of every answer, are exported in both layouts, and leave the dashboard alone."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import db
from app.models import Answer, Form, PointKind, Response, ResponseStatus
from app.services import collection as sites
from app.services import exports as X
from app.services.forms import import_form
from tests.conftest import csrf_token, page_text

FIXTURE = Path(__file__).parent.parent / "fixtures" / "forms" / "corpus"
FORM = "23_nested_household_vaccination.md"


def _offer(app: Flask) -> tuple[str, list[str]]:
    with app.app_context():
        result = import_form(db.session, (FIXTURE / FORM).read_bytes(), FORM)
        point = sites.create_point(db.session, sites.PointData("Marché", PointKind.OTHER, None))
        link = sites.attach_form(db.session, point, result.version.form.form_id)
        return link.code, result.warnings


class _Filled(HTMLParser):
    """What a browser sends back of a page's answer fields as they are filled in."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, [""])
        if tag != "input" or not name or name in ("csrf_token", "shown", "then"):
            return
        kind = a.get("type", "text")
        if kind in ("radio", "checkbox"):
            if "checked" in a:
                self.values.setdefault(name, []).append(a.get("value", "on"))
        elif kind not in ("submit", "file", "button"):
            self.values.setdefault(name, []).append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] = [data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None


class Phone:
    """A resident's phone without JavaScript: GET a page, POST its form, follow the 303."""

    def __init__(self, client: FlaskClient, token: str, location: str) -> None:
        self.client, self.token, self.location = client, token, location

    @property
    def key(self) -> str:
        return unquote(self.location.rsplit("/repondre/", 1)[-1])

    def page(self) -> str:
        got = self.client.get(self.location)
        assert got.status_code == 200, self.location
        return page_text(got)

    def send(self, action: str = "next", **answers: str) -> str:
        html = self.page()
        shown = re.findall(r'name="shown" value="([^"]+)"', html)
        filled = _Filled()
        filled.feed(html)
        data: dict[str, object] = {**filled.values, **answers}
        sent = self.client.post(
            self.location,
            data={"csrf_token": self.token, **data, "shown": shown, "action": action},
        )
        assert sent.status_code == 303, page_text(sent)[-1500:]
        self.location = sent.headers["Location"]
        return self.key


def _start(app: Flask, client: FlaskClient) -> Phone:
    code, warnings = _offer(app)
    assert warnings == []
    token = csrf_token(client, f"/q/{code}")
    begun = client.post(f"/q/{code}", data={"csrf_token": token})
    assert begun.status_code == 303
    return Phone(client, token, begun.headers["Location"])


def _answer_two_households(phone: Phone) -> None:
    assert phone.key == "village"
    assert phone.send(village="Croix-Sainte") == "household#0"
    assert phone.send("add") == "household#1"
    # hh_members sizes the members repeat (repeat_count) of this household only.
    assert phone.send(head_name="Mme Diallo", hh_members="2") == "member#1.1"
    html = phone.page()
    assert "Membre du foyer 1" in html  # position(..) of the enclosing household
    assert phone.send(member_name="Awa", member_age="34") == "member#1.2"
    # Skip logic inside the nested instance: an adult is not asked about vaccination.
    assert "vacciné" not in phone.page()
    # A child is: the question appears on the same page (no JavaScript), not as an error.
    assert phone.send(member_name="Issa", member_age="6") == "member#1.2"
    html = phone.page()
    assert "Issa est-il vacciné contre la rougeole ?" in html
    assert "Merci de répondre" not in html
    assert phone.send(member_name="Issa", member_age="6", vaccinated="yes") == "vaccination#1.2.0"
    assert phone.send("add") == "vaccination#1.2.1"
    assert "Vaccin de Issa" in phone.page()  # the label reads its own member
    assert phone.send("add", vaccine="ror", vaccine_date="02/03/2019") == "vaccination#1.2.2"
    assert phone.send("add", vaccine="dtp") == "vaccination#1.2.3"
    # Removing the third vaccination keeps the first two, in this member only.
    assert phone.send("remove", vaccine="ror") == "vaccination#1.2.2"
    # Back and next keep what was typed.
    assert phone.send("back") == "vaccination#1.2.1"
    assert 'value="2019-03-02"' in phone.page()
    assert phone.send() == "vaccination#1.2.2"
    assert phone.send("back") == "vaccination#1.2.1"
    assert phone.send("back") == "member#1.2"
    assert phone.send("back") == "member#1.1"
    assert phone.send("back") == "household#1"
    assert 'value="Mme Diallo"' in phone.page()
    # A second household, added from the first one's page.
    assert phone.send("add", head_name="Mme Diallo", hh_members="2") == "household#2"
    assert phone.send(head_name="M. Roux", hh_members="1") == "member#2.1"
    assert "Membre du foyer 2" in phone.page()
    assert phone.send(member_name="Paul", member_age="70") == "total"
    html = phone.page()
    assert "2 foyer(s), 3 personne(s)" in html
    phone.send()
    assert phone.location.endswith("/questionnaire/verification")


def test_nested_repeats_are_answered_end_to_end_and_stored_with_their_parent(
    app: Flask, client: FlaskClient
) -> None:
    phone = _start(app, client)
    _answer_two_households(phone)
    check = page_text(client.get("/questionnaire/verification"))
    for answer in ("Mme Diallo", "Awa", "Issa", "ROR (rougeole, oreillons, rubéole)", "Paul"):
        assert answer in check
    sent = client.post(
        "/questionnaire/envoyer", data={"csrf_token": phone.token, "idempotency_key": "n" * 24}
    )
    assert sent.status_code == 303 and sent.headers["Location"] == "/merci"
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.status == ResponseStatus.SUBMITTED)
        )
        assert response is not None
        rows = {
            (a.question, a.repeat_parent, a.repeat_index): a.value
            for a in db.session.scalars(select(Answer).where(Answer.response_id == response.id))
        }
    expected = {
        ("village", "", 0): "Croix-Sainte",
        ("head_name", "", 1): "Mme Diallo",
        ("head_name", "", 2): "M. Roux",
        ("hh_number", "", 2): "2",
        ("member_name", "1", 1): "Awa",
        ("member_name", "1", 2): "Issa",
        ("member_name", "2", 1): "Paul",
        ("member_number", "2", 1): "1",
        ("vaccinated", "1", 2): "yes",
        ("vaccine", "1.2", 1): "ror",
        ("vaccine_date", "1.2", 1): "2019-03-02",
        ("vaccine", "1.2", 2): "dtp",
        ("member_vaccines", "1", 2): "2",
        ("member_vaccines", "1", 1): "0",
        ("hh_children", "", 1): "1",
        ("hh_children", "", 2): "0",
        ("first_member", "", 1): "Awa",  # indexed-repeat within its own household
        ("first_member", "", 2): "Paul",
        ("households", "", 0): "2",
        ("people", "", 0): "3",
    }
    for key, value in expected.items():
        assert rows.get(key) == value, (key, rows)
    assert ("vaccinated", "1", 1) not in rows  # an adult: not relevant, not stored
    assert ("vaccine", "1.2", 3) not in rows  # removed
    assert not [k for k in rows if k[0] == "vaccine" and k[1] != "1.2"]


def _table(app: Flask, table: str, layout: str = "default") -> list[dict[str, str]]:
    with app.app_context():
        form = db.session.scalar(select(Form).where(Form.form_id == "nested_household_vaccination"))
        assert form is not None
        chunks = X.iter_csv_export(db.session, form, table, X.ExportOptions(layout=layout))
        text = "".join(chunks)
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_nested_repeats_export_in_both_layouts_and_leave_the_dashboard_alone(
    app: Flask, client: FlaskClient, auth
) -> None:  # type: ignore[no-untyped-def]
    phone = _start(app, client)
    _answer_two_households(phone)
    client.post(
        "/questionnaire/envoyer", data={"csrf_token": phone.token, "idempotency_key": "e" * 24}
    )
    # Default layout: one table per repeat; a nested one says which outer instance.
    households = _table(app, "household")
    assert [(r["repeat_index"], r["head_name"]) for r in households] == [
        ("1", "Mme Diallo"),
        ("2", "M. Roux"),
    ]
    members = _table(app, "member")
    assert [(r["parent_index"], r["repeat_index"], r["member_name"]) for r in members] == [
        ("1", "1", "Awa"),
        ("1", "2", "Issa"),
        ("2", "1", "Paul"),
    ]
    vaccinations = _table(app, "vaccination")
    assert [(r["parent_index"], r["repeat_index"], r["vaccine"]) for r in vaccinations] == [
        ("1.2", "1", "ror"),
        ("1.2", "2", "dtp"),
    ]
    # Kobo: each repeat its own table, _index numbering its rows and _parent_index pointing at
    # the row of the parent table (the submission's _index for a top-level repeat).
    k_households = _table(app, "household", "kobo")
    assert [
        (r["household/head_name"], r["_index"], r["_parent_table_name"], r["_parent_index"])
        for r in k_households
    ] == [
        ("Mme Diallo", "1", "responses", "1"),
        ("M. Roux", "2", "responses", "1"),
    ]
    k_members = _table(app, "member", "kobo")
    assert [
        (
            r["household/member/member_name"],
            r["_index"],
            r["_parent_table_name"],
            r["_parent_index"],
        )
        for r in k_members
    ] == [
        ("Awa", "1", "household", "1"),
        ("Issa", "2", "household", "1"),
        ("Paul", "3", "household", "2"),
    ]
    k_vaccinations = _table(app, "vaccination", "kobo")
    assert [
        (r["household/member/vaccination/vaccine"], r["_parent_table_name"], r["_parent_index"])
        for r in k_vaccinations
    ] == [
        ("ror", "member", "2"),
        ("dtp", "member", "2"),
    ]
    main = _table(app, "responses", "kobo")
    assert main[0]["village"] == "Croix-Sainte" and main[0]["people"] == "3"
    # The dashboard reads answers outside repeats only: nested ones do not disturb it.
    auth.login("coordinator")
    assert client.get("/dashboard").status_code == 200
    assert client.get("/dashboard/export.xlsx").status_code == 200
