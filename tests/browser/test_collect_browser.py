"""The questionnaire in headless Chromium on a 360x740 phone, JavaScript on and off: from the
QR code's URL to the stored response; the aidant's tablet mode; axe-core and page weights."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
import zxingcpp
from flask import Flask
from PIL import Image
from sqlalchemy import select

from app.db import db
from app.demo import DEMO_PASSWORD
from app.models import Answer, Channel, Neighbourhood, PointKind, Response, ResponseStatus, User
from app.services import collection as sites
from tests.browser.conftest import PHONE, check_axe, login
from tests.conftest import make_user

MAX_PAGE_BYTES = 30 * 1024
# Filled by the tests, printed at the end: the numbers recorded in benchmarks/README.md.


@pytest.fixture
def qr_path(app: Flask) -> str:
    """A bus stop with the questionnaire; returns the path of the URL its QR code holds."""
    with app.app_context():
        for code, name in (("boudeme", "Boudème"), ("canto_perdrix", "Canto Perdrix")):
            db.session.add(Neighbourhood(code=code, name=name))
        db.session.commit()
        sites.ensure_default_form(db.session)
        point = sites.create_point(
            db.session, sites.PointData("Arrêt du bus – Boudème", PointKind.BUS_STOP, "boudeme")
        )
        url = sites.link_url(point.links[0])
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(sites.qr_png(url))))
    assert decoded.text == url
    parts = urlsplit(decoded.text)
    assert f"{parts.scheme}://{parts.netloc}" == app.config["MAIRIEBUS_BASE_URL"]
    return parts.path


def _axe(page, axe_source: str, js: bool) -> None:  # type: ignore[no-untyped-def]
    """axe-core on exactly what the resident sees (JS off: same markup, checked with JS on)."""
    if js:
        check_axe(page, axe_source)
        return
    html = page.content()
    context = page.context.browser.new_context(viewport=PHONE)
    try:
        context.add_cookies(page.context.cookies())
        twin = context.new_page()
        twin.goto(page.url)
        twin.set_content(html)
        check_axe(twin, axe_source)
    finally:
        context.close()


def _bytes(response) -> int:  # type: ignore[no-untyped-def]
    headers = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
    return len(response.body()) + headers


@pytest.fixture
def assets(new_page, qr_path: str):  # type: ignore[no-untyped-def]
    """Bytes of the stylesheets, script and icon a first visit downloads, per JS setting."""
    measured: dict[bool, int] = {}

    def measure(js: bool) -> int:
        if js not in measured:
            cold = new_page(js=js)
            document = cold.goto(qr_path)
            cold.wait_for_load_state("networkidle")
            measured[js] = sum(
                size for url, size in cold.weight.sizes.items() if url != document.url
            )
        return measured[js]

    return measure


class Flow:
    """Navigate, then weigh the page (document + cold assets) and check it with axe-core."""

    def __init__(self, page, js: bool, axe_source: str, assets) -> None:  # type: ignore[no-untyped-def]
        self.page, self.js, self.axe_source, self.assets = page, js, axe_source, assets

    def go(self, action, label: str, axe: bool = True) -> None:  # type: ignore[no-untyped-def]
        page = self.page
        with page.expect_navigation() as navigation:
            action()
        page.wait_for_load_state("load")
        total = _bytes(navigation.value) + self.assets(self.js)
        assert total < MAX_PAGE_BYTES, (label, total)
        if self.js:
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], label
        if axe:
            _axe(page, self.axe_source, self.js)

    def next(self, label: str, axe: bool = True) -> None:
        self.go(lambda: self.page.get_by_role("button", name="Continuer").click(), label, axe)


def _next(page):  # type: ignore[no-untyped-def]
    return lambda: page.get_by_role("button", name="Continuer").click()


def _answer_rest(flow: Flow) -> None:
    """From the needs page to the check page."""
    page = flow.page
    assert page.url.endswith("/repondre/needs_page")
    page.get_by_label("Retraite").check()
    page.get_by_label("Autre", exact=True).check()
    # "Other" reveals a follow-up question on the same page: at once with JavaScript, after
    # « Continuer » without (the page comes back with it, and no error).
    if not flow.js:
        flow.next("needs (follow-up shown)")
        assert page.url.endswith("/repondre/needs_page")
        assert page.locator(".error-summary").count() == 0
    page.get_by_label("Dites-nous en quelques mots").fill("Ma carte vitale")
    if flow.js:
        assert page.url.endswith("/repondre/needs_page")
        _axe(page, flow.axe_source, True)
    flow.next("digital")
    page.get_by_label("Un smartphone").check()
    page.get_by_label("Un peu").check()
    flow.next("help")
    page.get_by_label("Ma famille").check()
    flow.next("when")
    page.get_by_label("Une fois par mois").check()
    page.get_by_label("Mardi").check()
    page.get_by_label("Le matin").check()
    flow.next("where_bus")
    page.get_by_label("À la maison de quartier").check()
    flow.next("last_word")
    page.get_by_label("Voulez-vous ajouter quelque chose ?").fill("Merci pour le bus.")
    flow.next("check")
    assert page.url.endswith("/questionnaire/verification")


@pytest.mark.parametrize("js", [True, False])
def test_resident_answers_from_the_qr_code(  # type: ignore[no-untyped-def]
    app: Flask, new_page, axe_source: str, qr_path: str, assets, js: bool
) -> None:
    page = new_page(js=js)
    flow = Flow(page, js, axe_source, assets)
    flow.go(lambda: page.goto(qr_path), "start")
    assert "Vous êtes à : Arrêt du bus – Boudème" in page.content()
    read_aloud = page.get_by_role("button", name="Écouter la page")
    assert read_aloud.count() == (1 if js else 0)  # added by JavaScript only

    flow.go(lambda: page.get_by_role("button", name="Commencer").click(), "visit")
    assert page.url.endswith("/repondre/visit")
    assert "Étape 1 sur 9" in page.content()
    page.get_by_label("Je passais par là").check()
    # Skip: "how did you hear of it" is never asked when "heard of it" is not ticked.
    flow.next("about_you")
    assert "Comment avez-vous connu" not in page.content()
    assert page.url.endswith("/repondre/about_you")

    page.get_by_label("Une femme").check()
    flow.next("about_you (error)")
    assert page.url.endswith("/repondre/about_you")
    assert page.locator("#e-age_band").inner_text().endswith("nous aide beaucoup.")
    assert page.get_by_label("Une femme").is_checked()  # what was chosen stays chosen
    page.get_by_label("60 à 74 ans").check()
    flow.next("where")

    page.select_option("#f-neighbourhood", "boudeme")
    page.get_by_label("Seul ou seule", exact=True).check()
    flow.next("needs")
    # Go back: the answers are still there.
    flow.go(lambda: page.get_by_role("button", name="Retour").click(), "where (back)", axe=False)
    assert page.url.endswith("/repondre/where")
    assert page.input_value("#f-neighbourhood") == "boudeme"
    flow.next("needs", axe=False)
    # Reload mid-way, then come back through the poster's URL as after a phone's sleep.
    page.reload()
    assert page.url.endswith("/repondre/needs_page")
    page.goto(qr_path)
    assert "Reprendre mes réponses" in page.content()
    with page.expect_navigation():
        page.get_by_role("link", name="Reprendre mes réponses").click()
    _answer_rest(flow)

    flow.go(lambda: page.get_by_role("button", name="Envoyer mes réponses").click(), "thank-you")
    assert page.url.endswith("/merci")
    assert "Vos réponses sont bien enregistrées" in page.content()
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert response.status is ResponseStatus.SUBMITTED
        assert response.collection_point.name == "Arrêt du bus – Boudème"
        assert response.channel is Channel.SELF
        answers = dict(
            db.session.execute(
                select(Answer.question, Answer.value).where(Answer.response_id == response.id)
            ).all()
        )
    assert answers["reason"] == "passing_by" and "heard_how" not in answers
    assert answers["age_band"] == "60_74" and answers["gender"] == "woman"
    assert answers["needs"] == "pension other" and answers["needs_other"] == "Ma carte vitale"
    assert answers["comment"] == "Merci pour le bus."


@pytest.mark.parametrize("js", [True, False])
def test_aidant_fills_in_on_a_tablet(app: Flask, new_page, axe_source: str, js: bool) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(Neighbourhood(code="canto_perdrix", name="Canto Perdrix"))
        db.session.commit()
        sites.ensure_default_form(db.session)
        make_user("tablette@example.org", "aidant", password=DEMO_PASSWORD)
    page = new_page(js=js, viewport={"width": 800, "height": 1280})
    login(page, "tablette@example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto("/aidant/questionnaire")
    page.select_option("#place", "bus:canto_perdrix")
    with page.expect_navigation():
        page.get_by_role("button", name="Commencer le questionnaire").click()
    assert page.url.endswith("/repondre/visit") and "Avec un aidant" in page.content()
    page.get_by_label("Parce que c'est la mairie").check()
    page.get_by_label("On m'en a parlé, je l'ai lu").check()
    if not js:  # with JavaScript, the follow-up question appears at once
        with page.expect_navigation():
            _next(page)()
    page.get_by_label("Le bouche-à-oreille").check()  # the follow-up question
    with page.expect_navigation():
        _next(page)()
    page.get_by_label("75 ans ou plus").check()
    with page.expect_navigation():
        _next(page)()
    page.select_option("#f-neighbourhood", "canto_perdrix")
    with page.expect_navigation():
        _next(page)()
    page.get_by_label("Impôts").check()
    for _ in range(6):  # the optional pages
        with page.expect_navigation():
            _next(page)()
    assert page.url.endswith("/questionnaire/verification")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mes réponses").click()
    assert "Commencer un nouveau questionnaire" in page.content()
    check_axe(page, axe_source) if js else None
    # The form resets for the next person, at the same place.
    with page.expect_navigation():
        page.get_by_role("button", name="Commencer un nouveau questionnaire").click()
    assert page.url.endswith("/repondre/visit")
    assert not page.get_by_label("Parce que c'est la mairie").is_checked()
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.status == ResponseStatus.SUBMITTED)
        )
        aidant = db.session.scalar(User.by_email("tablette@example.org"))
        assert (response.channel, response.aidant_id) == (Channel.ASSISTED, aidant.id)
        assert response.collection_point_id is None
        assert response.neighbourhood.code == "canto_perdrix"
        heard = db.session.scalar(
            select(Answer.value).where(
                Answer.response_id == response.id, Answer.question == "heard_how"
            )
        )
        assert heard == "word_of_mouth"


def test_poster_prints_on_one_a4_page(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    import re

    with app.app_context():
        sites.ensure_default_form(db.session)
        point = sites.create_point(
            db.session, sites.PointData("Centre commercial Auchan", PointKind.SHOPPING_CENTRE)
        )
        code = point.links[0].code
        make_user("affiche@example.org", "coordinator", password=DEMO_PASSWORD)
    page = new_page(js=True, viewport={"width": 1280, "height": 800})
    login(page, "affiche@example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto(f"/liens/{code}/affiche")
    page.wait_for_load_state("networkidle")
    check_axe(page, axe_source)
    assert page.evaluate("document.querySelector('.poster-qr').naturalWidth") > 0
    assert f"mairiebus.example.org/q/{code}" in page.content()
    pdf = page.pdf(prefer_css_page_size=True)
    assert re.findall(rb"/Count (\d+)", pdf) == [b"1"]
    [box] = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert (round(float(box[0])), round(float(box[1]))) == (595, 842)  # A4 in points
