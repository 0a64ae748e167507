"""The verifier and a badge page in a real browser, at phone size (360x740), JS off."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.services import badges as service
from tests.app.test_badges_service import make_award
from tests.browser.conftest import PHONE, check_axe


def test_verifier_upload_on_a_phone_without_js(
    app: Flask, new_page, axe_source: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        award = make_award()
        uuid = award.uuid
        baked = tmp_path / "mon-badge.png"
        baked.write_bytes(service.baked_png(award))
    page = new_page(js=False, viewport=PHONE)
    page.goto("/verifier")
    assert page.locator("h1").inner_text() == "Vérifier un badge"
    check_axe(page, axe_source)
    assert page.weight.total() < 30 * 1024, page.weight.sizes

    page.set_input_files("input[name=badge]", str(baked))
    page.fill("input[name=email]", "camille@example.org")
    page.click("button[type=submit]")
    verdict = page.locator(".verdict")
    assert "Ce badge est valide." in verdict.locator("h2").inner_text()
    assert "L'adresse e-mail saisie correspond au titulaire du badge." in verdict.inner_text()
    assert page.locator("input[name=email]").input_value() == "camille@example.org"
    # Nothing overflows the phone screen (checked with JS in a second context below).
    page.weight.reset()

    js_page = new_page(js=True, viewport=PHONE)
    js_page.goto(f"/verifier/{uuid}")
    assert "Ce badge est valide." in js_page.locator(".verdict h2").inner_text()
    assert js_page.evaluate("document.documentElement.scrollWidth") <= 360
    check_axe(js_page, axe_source)
    assert js_page.weight.total() < 30 * 1024, js_page.weight.sizes


def test_public_badge_page_on_a_phone(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        uuid = make_award().uuid
    page = new_page(js=True, viewport=PHONE)
    page.goto(f"/badges/{uuid}")
    assert page.locator("h1").inner_text() == "Mon téléphone – Pas à pas"
    assert page.evaluate("document.querySelector('.badge-image').naturalWidth") == 512
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    check_axe(page, axe_source)
    # HTML and CSS under 30 KB (the badge image is counted apart).
    text_weight = sum(size for url, size in page.weight.sizes.items() if not url.endswith(".png"))
    assert text_weight < 30 * 1024, page.weight.sizes


def test_coordinator_awards_pages_are_accessible(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    from app.demo import DEMO_PASSWORD
    from tests.browser.conftest import DESKTOP, login
    from tests.conftest import make_user

    with app.app_context():
        uuid = make_award().uuid
        make_user("coord@badges.example.org", "coordinator", password=DEMO_PASSWORD)
    page = new_page(js=True, viewport=DESKTOP)
    login(page, "coord@badges.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto("/admin/badges")
    assert uuid in page.content()
    check_axe(page, axe_source)
    page.goto(f"/admin/badges/{uuid}")
    page.click("button:has-text('Retirer le badge')")
    assert "Indiquez la raison du retrait." in page.content()
    check_axe(page, axe_source)


def test_holder_claims_a_badge_with_their_pass_code_on_a_phone(
    app: Flask, new_page, axe_source: str
) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        uuid = make_award(email=None, code="K7M9QXRT4").uuid
    page = new_page(js=False, viewport=PHONE)
    page.goto(f"/verifier/{uuid}")
    page.fill("input[name=pass_code]", "k7m 9qx rt4")
    page.click("button[type=submit]")
    verdict = page.locator(".verdict")
    assert "Ce badge est valide." in verdict.locator("h2").inner_text()
    assert "Ce badge appartient au Pass K7M-9QX-RT4." in verdict.inner_text()
    check_axe(page, axe_source)
    assert page.weight.total() < 30 * 1024, page.weight.sizes


def test_receive_badges_by_email_on_a_phone(
    app: Flask, new_page, axe_source: str, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    from badges import baking

    with app.app_context():
        uuid = make_award(email=None, code="K7M9QXRT4").uuid
    page = new_page(js=True, viewport=PHONE)
    page.goto(f"/badges/{uuid}")
    # The badge page and its image are all in before the next page is weighed on its own.
    page.wait_for_load_state("networkidle")
    page.weight.reset()
    page.click("text=Recevoir mes badges par e-mail")
    assert page.locator("h1").inner_text() == "Recevoir mes badges par e-mail"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    check_axe(page, axe_source)
    assert page.weight.total() < 30 * 1024, page.weight.sizes

    form = new_page(js=False, viewport=PHONE)
    form.goto("/badges/recevoir")
    form.fill("input[name=pass_code]", "K7M-9QX-RT4")
    form.fill("input[name=email]", "lucie.martin@example.net")
    form.click("button[type=submit]")
    assert "Cochez la case" in form.locator(".error-summary").inner_text()
    assert form.locator("input[name=email]").input_value() == "lucie.martin@example.net"
    check_axe(form, axe_source)
    form.check("input[name=consent]")
    form.click("button[type=submit]")
    assert "Votre badge a été envoyé à lucie.martin@example.net." in form.content()
    (received,) = smtp_server.sink.wait_for(1)
    (attachment,) = list(received.message.iter_attachments())
    assert set(baking.unbake(attachment.get_content())) == {
        baking.KEYWORD_OB2,
        baking.KEYWORD_OB3,
    }
