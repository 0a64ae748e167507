"""The aidant's tablet when the bus's 4G drops, in headless Chromium with a real service worker.

Offline mid-questionnaire, two questionnaires finished, the tablet reloaded, the connection back:
exactly two responses on the server. Then the browser killed while offline: nothing lost.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from app.db import db
from app.demo import DEMO_PASSWORD
from app.models import Channel, Neighbourhood, Response, ResponseStatus
from app.services import collection as sites
from tests.browser.conftest import BROWSER_TIMEOUT_MS, CHROMIUM_ARGS, check_axe, login
from tests.conftest import make_user

TABLET = {"width": 800, "height": 1280}
BANNER = "Hors connexion : vos saisies sont gardées sur la tablette"
SYNC_TIMEOUT_MS = 60_000  # a loaded 2-core machine replays slowly; we wait on a condition


@pytest.fixture
def aidant(app: Flask) -> str:
    with app.app_context():
        db.session.add(Neighbourhood(code="canto_perdrix", name="Canto Perdrix"))
        db.session.commit()
        sites.ensure_default_form(db.session)
        make_user("tablette@example.org", "aidant", password=DEMO_PASSWORD)
    return "tablette@example.org"


def _submitted(app: Flask) -> list[Response]:
    with app.app_context():
        return list(
            db.session.scalars(select(Response).where(Response.status == ResponseStatus.SUBMITTED))
        )


def _wait_ready(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the service worker has kept today's pages."""
    page.wait_for_selector(
        "html[data-offline-ready='1']", state="attached", timeout=SYNC_TIMEOUT_MS
    )


def _pending(page, count: int, timeout: int = BROWSER_TIMEOUT_MS) -> None:  # type: ignore[no-untyped-def]
    """Wait until the outbox shows ``count`` entries (a condition, capped by the suite-wide limit)."""
    page.wait_for_selector(
        f"html[data-outbox-pending='{count}']", state="attached", timeout=timeout
    )


def _need(page, label: str):  # type: ignore[no-untyped-def]
    """A box of "what do you need help with" (other questions share its choices)."""
    return page.get_by_role("group", name=re.compile("Pour quelles démarches")).get_by_label(
        label, exact=True
    )


def _fill_rest(page, age: str, need: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label(age).check()
    page.select_option("#f-neighbourhood", "canto_perdrix")
    _need(page, need).check()


def _save(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Enregistrer les réponses").click()
    page.get_by_text("Réponses gardées sur la tablette").wait_for()


def test_offline_mid_questionnaire_then_two_responses_exactly(
    app: Flask, new_page, aidant: str, axe_source: str
) -> None:  # type: ignore[no-untyped-def]
    page = new_page(viewport=TABLET)
    login(page, aidant, DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto("/aidant/questionnaire")
    _wait_ready(page)
    page.select_option("#place", "bus:canto_perdrix")
    with page.expect_navigation():
        page.get_by_role("button", name="Commencer le questionnaire").click()
    page.get_by_label("Parce que c'est la mairie").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continuer").click()
    assert "/repondre/" in page.url

    # The 4G drops in the middle of the questionnaire.
    page.context.set_offline(True)
    page.get_by_label("75 ans ou plus").check()
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url("**/aidant/hors-ligne/mairiebus?reprise=1")
    expect(page.get_by_text(BANNER)).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
    # What was typed online and offline is there.
    assert page.get_by_label("Parce que c'est la mairie").is_checked()
    assert page.get_by_label("75 ans ou plus").is_checked()
    assert page.locator("#offline-place").input_value() == "bus:canto_perdrix"
    page.select_option("#f-neighbourhood", "canto_perdrix")
    _need(page, "Impôts").check()
    _save(page)
    _pending(page, 1)
    assert "en attente d'envoi (1)" in page.locator("[data-offline-pending]").inner_text()
    check_axe(page, axe_source)

    # The next person, still offline; the place is kept.
    assert not page.get_by_label("Parce que c'est la mairie").is_checked()
    page.get_by_label("Je passais par là").check()
    _fill_rest(page, "60 à 74 ans", "CAF (allocations familiales)")
    _save(page)
    _pending(page, 2)

    # The tablet is reloaded while offline: the page and the two entries are still there.
    page.reload()
    expect(page.get_by_text(BANNER)).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
    _pending(page, 2)
    assert _submitted(app) == []

    # The connection returns: both are sent, once.
    page.context.set_offline(False)
    _pending(page, 0, timeout=SYNC_TIMEOUT_MS)
    expect(page.get_by_text(BANNER)).to_be_hidden(timeout=BROWSER_TIMEOUT_MS)
    responses = _submitted(app)
    assert len(responses) == 2
    assert {r.channel for r in responses} == {Channel.ASSISTED}
    # A later visit (another sync attempt) adds nothing.
    page.goto("/aidant/hors-ligne")
    _pending(page, 0)
    assert len(_submitted(app)) == 2


def test_browser_killed_while_offline_loses_nothing(
    app: Flask, browser, chromium_path: str, live_server: str, aidant: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    profile = tmp_path / "tablet-profile"

    def open_tablet():  # type: ignore[no-untyped-def]
        context = browser.browser_type.launch_persistent_context(
            str(profile),
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            base_url=live_server,
            viewport=TABLET,
            locale="fr-FR",
        )
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        return context

    context = open_tablet()
    try:
        page = context.pages[0] if context.pages else context.new_page()
        login(page, aidant, DEMO_PASSWORD)
        page.wait_for_url("**/espace")
        page.goto("/aidant/hors-ligne/mairiebus")
        _wait_ready(page)
        context.set_offline(True)
        page.select_option("#offline-place", "bus:canto_perdrix")
        page.get_by_label("Parce que c'est la mairie").check()
        _fill_rest(page, "75 ans ou plus", "Retraite")
        _save(page)
        _pending(page, 1)
    finally:
        context.close()  # the browser goes away with the entry only on the tablet
    assert _submitted(app) == []

    context = open_tablet()
    try:
        context.set_offline(True)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto("/aidant/hors-ligne")
        expect(page.get_by_text(BANNER)).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
        _pending(page, 1)
        assert page.locator("[data-offline-list] li").count() == 1
        # Back online: the restarted browser forgot the session, so nothing can be sent yet.
        context.set_offline(False)
        relogin = page.get_by_text("Reconnectez-vous pour envoyer les saisies en attente.")
        relogin.wait_for(timeout=SYNC_TIMEOUT_MS)
        _pending(page, 1)
        assert _submitted(app) == []
        login(page, aidant, DEMO_PASSWORD)
        page.wait_for_url("**/espace")
        _pending(page, 0, timeout=SYNC_TIMEOUT_MS)
    finally:
        context.close()
    assert len(_submitted(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(Neighbourhood.code).join(Response)) == "canto_perdrix"


def test_pass_checks_recorded_offline_are_saved_when_back_online(
    app: Flask, new_page, aidant: str
) -> None:  # type: ignore[no-untyped-def]
    from app.models import Assessment, User
    from app.services import passes

    with app.app_context():
        user = db.session.scalar(User.by_email(aidant))
        pass_ = passes.create_pass(db.session)
        sitting, _token = passes.start_assessment(db.session, pass_=pass_, aidant=user)
        db.session.commit()
        sitting_id = sitting.id
    page = new_page(viewport=TABLET)
    login(page, aidant, DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto(f"/equipe/pass/evaluation/{sitting_id}/verifications")
    _wait_ready(page)
    page.reload()  # kept on visit, so it survives a reload without connection
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_text(BANNER)).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
    page.locator("input[type=radio][value=alone]").first.check()
    page.get_by_role("button", name="Enregistrer les niveaux").click()
    page.get_by_text("Vérifications gardées sur la tablette").wait_for()
    _pending(page, 1)
    with app.app_context():
        assert db.session.get(Assessment, sitting_id).finished_at is None
    page.context.set_offline(False)
    _pending(page, 0, timeout=SYNC_TIMEOUT_MS)
    with app.app_context():
        finished = db.session.get(Assessment, sitting_id)
        assert finished.finished_at is not None
        assert [o.outcome for o in finished.observations] == ["alone"]
