"""The Pass informatique in Chromium at 360x740, JavaScript on and off.

Two profiles take the self-assessment; the levels they should get are worked out by hand from
the framework rules (badges/scoring.py): a domain's level is the highest level whose answers
are all "alone", and a level answered partly with help shows as "on the way" (no number).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

import pytest
from flask import Flask

from app.db import db
from app.demo import DEMO_PASSWORD
from app.services import passes as service
from tests.app.test_pass_service import answer_all
from tests.browser.conftest import check_axe, login
from tests.conftest import make_user

IMAGE_SUFFIXES = (".svg", ".png", ".jpg", ".webp")
MAX_PAGE_BYTES = 30 * 1024

# An answer for a statement page, from its domain code and level number.
Profile = Callable[[str, int, bool], str]


def beginner(domain: str, level: int, key: bool) -> str:
    """Turns the phone on alone (devices level 1); elsewhere starts only with help."""
    if domain == "devices":
        return "alone" if level == 1 else "not_yet"
    return "with_help" if key else "not_yet"


def advanced(domain: str, level: int, key: bool) -> str:
    """Does everything alone, except safety level 4: only part of it, with help."""
    if domain == "safety" and level == 4:
        return "with_help" if key else "alone"
    return "alone"


# Hand-worked expected results.
# Beginner: devices 1 alone, 2 "not yet" twice -> 1 "Premiers pas"; other domains: level 1
# answered "with help" then "not yet" -> level 0 "À découvrir", with help at level 1.
BEGINNER_LEVELS = {
    "Mon téléphone": "Niveau 1 sur 4 : Premiers pas",
    **{
        name: "Niveau 0 sur 4 : À découvrir"
        for name in (
            "Chercher sur Internet",
            "Échanger avec mes proches",
            "Mes démarches en ligne",
            "Me protéger en ligne",
            "Ma vie de tous les jours",
        )
    },
}
# Advanced: levels 1-4 alone everywhere -> 4 "Autonome"; safety level 4 answered "with help"
# then "alone" -> not all alone, so safety stays at 3 "Je me débrouille".
ADVANCED_LEVELS = {"Me protéger en ligne": "Niveau 3 sur 4 : Je me débrouille"}


def content_weight(page) -> int:  # type: ignore[no-untyped-def]
    """Bytes of HTML, CSS and JS received for the current page (images reported apart)."""
    return sum(
        size
        for url, size in page.weight.sizes.items()
        if not urlparse(url).path.endswith(IMAGE_SUFFIXES)
    )


def visit(page, path: str) -> None:  # type: ignore[no-untyped-def]
    page.weight.reset()
    page.goto(path)


def assert_light(page) -> None:  # type: ignore[no-untyped-def]
    weight = content_weight(page)
    assert weight < MAX_PAGE_BYTES, (page.url, weight, page.weight.sizes)


def take_assessment(page, profile: Profile, axe_source: str | None, challenge_plan: dict) -> None:  # type: ignore[no-untyped-def]
    """Answer every page with ``profile``; challenges per ``challenge_plan`` (else skipped)."""
    checked: set[str] = set()
    reloaded = went_back = False
    for _ in range(80):
        if "/resultats" in page.url:
            return
        key = page.get_attribute("form.pass-step input[name=step_key]", "value")
        kind, item = key.split(":", 1)
        if axe_source and kind not in checked:
            check_axe(page, axe_source)
            checked.add(kind)
        assert_light(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        if kind == "statement" and item == "browsing-1-1" and not reloaded:
            reloaded = True
            page.reload()  # the state is on the server: the same question comes back
            assert page.get_attribute("form.pass-step input[name=step_key]", "value") == key
        if kind == "statement" and item == "communicating-1-1" and not went_back:
            went_back = True
            page.weight.reset()
            page.click("form.pass-back button")
            page.wait_for_load_state()
            assert page.get_attribute("form.pass-step input[name=step_key]", "value") != key
            continue
        page.weight.reset()
        if kind == "statement":
            domain, level, number = item.rsplit("-", 2)
            page.click(f"button[value={profile(domain, int(level), number == '1')}]")
        elif kind == "challenge":
            choice = challenge_plan.get(item)
            if choice:
                page.check(f"#choice-{choice}")
                page.click("text=Valider ma réponse")
            else:
                page.click("button[name=skip]")
        else:
            page.click("button[value=continue]")
        page.wait_for_load_state()
    raise AssertionError("the assessment never ended")


def levels_shown(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Domain name -> level sentence, read from the results page's text."""
    shown = {}
    for section in page.locator("section.pass-result").all():
        name = section.locator("h3").inner_text().strip()
        shown[name] = section.locator(".pass-level strong").inner_text().strip()
    return shown


def domain_names() -> list[str]:
    return [d.name for d in service.framework().domains]


@pytest.mark.parametrize("js", [True, False])
def test_a_beginner_takes_the_test_gets_a_pass_and_comes_back(
    new_page, axe_source: str, js: bool
) -> None:  # type: ignore[no-untyped-def]
    assert list(BEGINNER_LEVELS) == domain_names()
    page = new_page(js=js)
    visit(page, "/pass")
    assert "pas de mauvaise réponse" in page.content()
    if js:
        check_axe(page, axe_source)
    assert_light(page)
    page.wait_for_load_state("networkidle")  # the start page's own bytes are all counted…
    page.weight.reset()  # …before the Pass question page is weighed on its own
    page.click("text=Commencer")
    page.wait_for_url("**/pass/question")
    # Devices challenge answered right, browsing's wrong (both show the explanation page).
    plan = {"devices-1-challenge": "b", "browsing-1-challenge": "a"}
    take_assessment(page, beginner, axe_source if js else None, plan)

    assert levels_shown(page) == BEGINNER_LEVELS
    text = page.inner_text("main")
    assert (
        text.count("Avec un peu d'aide, vous faites déjà des choses du niveau « Premiers pas »")
        == 5
    )
    code = page.inner_text(".pass-box strong.pass-code").strip()
    assert len(code) == 11 and code.count("-") == 2
    # On a 360 px phone the code stays on one line (cut at a dash it reads as two codes).
    lines = page.evaluate(
        "document.querySelector('.pass-box strong.pass-code').getClientRects().length"
    )
    assert lines == 1
    if js:
        check_axe(page, axe_source)
    assert_light(page)

    # Later, on another phone: type the code, see the Pass and its dated history.
    other = new_page(js=js)
    visit(other, "/pass/ouvrir")
    other.fill("input[name=code]", code.replace("-", " ").lower())
    # Weigh the Pass page on its own (each page carries its inlined stylesheets).
    other.weight.reset()
    other.click("form button[type=submit]")
    other.wait_for_url(f"**/pass/{code}")
    assert code in other.inner_text(".pass-code")
    history = other.locator("ol.pass-history > li")
    assert history.count() == 1
    assert "seul(e)" in history.first.inner_text()
    assert "Mon téléphone : niveau 1 (Premiers pas)" in history.first.inner_text()
    check_axe(other, axe_source)
    assert_light(other)
    visit(other, f"/pass/{code}/carte")
    assert other.locator(".pass-card svg[role=img]").count() == 1
    check_axe(other, axe_source)
    assert_light(other)


@pytest.mark.parametrize("js", [True, False])
def test_an_advanced_profile_reaches_autonome_and_sees_history(
    new_page, axe_source: str, js: bool
) -> None:  # type: ignore[no-untyped-def]
    page = new_page(js=js)
    visit(page, "/pass")
    page.wait_for_load_state("networkidle")  # the start page's own bytes are all counted…
    page.weight.reset()  # …before the Pass question page is weighed on its own
    page.click("text=Commencer")
    page.wait_for_url("**/pass/question")
    take_assessment(page, advanced, None, {})
    expected = {name: "Niveau 4 sur 4 : Autonome" for name in domain_names()}
    expected.update(ADVANCED_LEVELS)
    assert levels_shown(page) == expected
    assert (
        "Avec un peu d'aide, vous faites déjà des choses du niveau « Autonome »"
        in page.inner_text("main")
    )
    code = page.inner_text(".pass-box strong.pass-code").strip()
    page.weight.reset()
    page.click("text=Mon Pass")
    page.wait_for_url(f"**/pass/{code}")
    assert page.locator("ol.pass-history > li").count() == 1
    assert_light(page)  # 23 badges earned: the page shows the top one per domain
    if page.locator("a[href$='/badges/devices']").count():
        page.weight.reset()
        page.click("a[href$='/badges/devices']")
        page.wait_for_url(f"**/pass/{code}/badges/devices")
        assert page.locator("main li").count() >= 4
        assert_light(page)


@pytest.mark.parametrize("js", [True, False])
def test_an_aidant_validates_a_level_on_an_existing_pass(
    app: Flask, new_page, axe_source: str, js: bool
) -> None:  # type: ignore[no-untyped-def]
    # check_axe re-opens JS-off pages in a fresh context, logged out: axe runs with JS on here.
    axe = (lambda page: check_axe(page, axe_source)) if js else (lambda page: None)
    with app.app_context():
        make_user("aidant@browser-pass.example.org", "aidant", password=DEMO_PASSWORD)
        sitting, _ = service.start_assessment(db.session)
        answer_all(sitting, {"devices": 1})
        code = service.display_code(service.finish_assessment(db.session, sitting).pass_.code)
    page = new_page(js=js)
    login(page, "aidant@browser-pass.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto("/equipe/pass")
    axe(page)
    page.fill("input[name=code]", code)
    page.click("button:text-is('Ouvrir')")
    page.wait_for_url(f"**/equipe/pass/{code}")
    assert "Mon téléphone" in page.inner_text("main")
    axe(page)
    page.click("text=Valider un niveau (vérifications seulement)")
    page.wait_for_url("**/verifications")
    axe(page)
    page.check("#devices-2-check-alone")
    page.fill("textarea[name=note]", "A agrandi le texte sans aide.")
    page.click("text=Enregistrer les niveaux")
    page.wait_for_url(f"**/equipe/pass/{code}")
    main = page.inner_text("main")
    assert "Niveau 2 sur 4 : Pas à pas" in main and "validé avec un aidant" in main
    assert "A agrandi le texte sans aide." in main
    # The holder sees the validated level, not the aidant's note.
    holder = new_page(js=True)
    holder.goto(f"/pass/{code}")
    text = holder.inner_text("main")
    assert "Niveau 2 sur 4 : Pas à pas" in text and "A agrandi le texte" not in text
    assert holder.locator("ol.pass-history > li").count() == 2
