"""'Prévenez-moi quand le bus vient près de chez moi' on a 360 px phone, JavaScript off and on."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from app.db import db
from app.models.surveys import Neighbourhood
from tests.browser.conftest import PHONE, check_axe

MAX_PAGE_BYTES = 30 * 1024


@pytest.fixture
def neighbourhoods(app: Flask) -> Iterator[None]:
    with app.app_context():
        db.session.add_all(
            [
                Neighbourhood(code="boudeme", name="Boudème"),
                Neighbourhood(code="carro", name="Carro"),
            ]
        )
        db.session.commit()
    # No queue for this test: the confirmation leaves at once (the fallback when Redis is down).
    previous = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/6"
    yield
    app.config["REDIS_URL"] = previous


@pytest.mark.parametrize("js", [False, True])
def test_resident_subscribes_on_a_phone(
    app: Flask,
    new_page,
    axe_source: str,
    smtp_server,
    neighbourhoods,
    js: bool,  # type: ignore[no-untyped-def]
) -> None:
    page = new_page(js=js, viewport=PHONE)
    page.goto("/calendrier")
    page.get_by_role("link", name="Être prévenu·e par e-mail").click()
    page.wait_for_url("**/rappels")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_axe(page, axe_source)
    page.weight.reset()
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.weight.total() < MAX_PAGE_BYTES
    assert not re.search(r"js/offline(\.[0-9a-f]{12})?\.js", page.content())

    # A mistake keeps what was typed, with the message next to the field.
    page.get_by_label("Votre adresse e-mail").fill("josiane.martin@")
    page.get_by_label("Boudème").check()
    page.get_by_role("button", name="Recevoir les rappels").click()
    page.get_by_text("Cette adresse e-mail n'est pas complète").first.wait_for()
    assert page.get_by_label("Votre adresse e-mail").input_value() == "josiane.martin@"
    assert page.get_by_label("Boudème").is_checked()
    check_axe(page, axe_source)

    page.get_by_label("Votre adresse e-mail").fill("josiane.martin@exemple.fr")
    page.get_by_label("Je viendrai pour… (facultatif)").select_option("income_tax_return")
    page.get_by_role("button", name="Recevoir les rappels").click()
    page.wait_for_url("**/rappels/envoye")
    assert page.get_by_role("heading", name="Regardez vos e-mails").is_visible()
    [received] = smtp_server.sink.wait_for(1)
    assert received.rcpt_tos == ["josiane.martin@exemple.fr"]
    link = next(
        line
        for line in received.message.get_content().splitlines()
        if "/rappels/confirmer/" in line
    )
    page.goto(link.replace(app.config["MAIRIEBUS_BASE_URL"], ""))
    page.get_by_role("button", name="Oui, je veux être prévenu·e").click()
    assert page.get_by_role("heading", name="C'est confirmé").is_visible()
    check_axe(page, axe_source)
