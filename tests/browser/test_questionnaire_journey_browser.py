"""A resident's questionnaire on a 360 px phone, JS on and off: the way forward comes first and
biggest on every page, and the thank-you page offers the Pass informatique (issue 13, items 9–10)."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
import zxingcpp
from flask import Flask
from PIL import Image

from app.db import db
from app.models import Neighbourhood, PointKind
from app.services import collection as sites
from tests.browser.conftest import PHONE, check_axe

MAX_PAGE_BYTES = 30 * 1024


@pytest.fixture
def qr_path(app: Flask) -> str:
    """A bus stop with the questionnaire; the path of the URL its QR code holds."""
    with app.app_context():
        db.session.add(Neighbourhood(code="ferrieres", name="Ferrières"))
        db.session.commit()
        sites.ensure_default_form(db.session)
        point = sites.create_point(
            db.session, sites.PointData("Arrêt du bus – Ferrières", PointKind.BUS_STOP, "ferrieres")
        )
        url = sites.link_url(point.links[0])
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(sites.qr_png(url))))
    return urlsplit(decoded.text).path


def _answer_page(page) -> None:  # type: ignore[no-untyped-def]
    """Answer what the page asks the way a hurried resident would: the first choice of each."""
    form = page.locator("form.collect-form")
    seen: set[str] = set()
    for radio in form.locator("input[type=radio], input[type=checkbox]").all():
        name = radio.get_attribute("name") or ""
        if name not in seen and radio.is_visible():
            seen.add(name)
            radio.check()
    for select in form.locator("select").all():
        if select.is_visible():
            values = [o for o in select.locator("option").all() if o.get_attribute("value")]
            if values:
                select.select_option(values[0].get_attribute("value"))
    typed = {
        "input[type=text], textarea": "Rien de plus",
        "input[type=number]": "2",
        "input[type=date]": "2026-11-30",
        "input[type=email]": "marie.dupont@example.org",
        "input[type=tel]": "04 42 00 00 00",
    }
    for selector, value in typed.items():
        for box in form.locator(selector).all():
            if box.is_visible() and not box.input_value():
                box.fill(value)


def _main_action_first(page, main: str) -> None:  # type: ignore[no-untyped-def]
    """On the phone, the main action is above "Retour", wider and at least as tall."""
    forward = page.get_by_role("button", name=main).bounding_box()
    back_link = page.locator(".nav-buttons").get_by_text("Retour", exact=True)
    back = back_link.bounding_box()
    assert forward is not None and back is not None
    assert forward["y"] + forward["height"] <= back["y"], (main, forward, back)
    assert forward["width"] > back["width"] and forward["height"] >= back["height"]
    # And first for keyboards and screen readers too.
    order = page.locator(".nav-buttons > *").all_inner_texts()
    assert order[0] == main and order[-1] == "Retour", order


@pytest.mark.parametrize("js", [True, False])
def test_questionnaire_main_action_first_and_pass_offered_at_the_end(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str, qr_path: str, js: bool
) -> None:
    page = new_page(js=js, viewport=PHONE)
    page.goto(qr_path)
    page.get_by_role("button", name="Commencer").click()
    page.wait_for_url("**/repondre/**")
    pages_with_back = 0
    for _turn in range(40):
        if page.url.endswith("/questionnaire/verification"):
            break
        if page.locator(".nav-buttons .back").count():
            _main_action_first(page, "Continuer")
            pages_with_back += 1
        _answer_page(page)
        with page.expect_navigation():
            page.get_by_role("button", name="Continuer").click()
    assert page.url.endswith("/questionnaire/verification")
    assert pages_with_back >= 5
    _main_action_first(page, "Envoyer mes réponses")

    page.weight.reset()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mes réponses").click()
    assert page.url.endswith("/merci")
    offer = page.locator("section.pass-offer")
    assert "Et vous, où en êtes-vous avec le numérique ?" in offer.inner_text()
    # The offer is seen without scrolling on a phone: right under the thanks.
    box = offer.bounding_box()
    assert box is not None and box["y"] < PHONE["height"]
    check_axe(page, axe_source)
    assert page.weight.total() < MAX_PAGE_BYTES, page.weight.sizes
    with page.expect_navigation():
        offer.get_by_role("link", name="Faire le Pass informatique").click()
    assert urlsplit(page.url).path == "/pass"
    assert page.locator("h1").inner_text() == "Mon Pass informatique"
