"""Pass informatique journeys of issue 13 on a 360 px phone: the results page leads with the
badges earned (item 4), and every Pass page can be read aloud (item 5)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check_axe
from tests.browser.test_pass_browser import (
    advanced,
    assert_light,
    beginner,
    domain_names,
    take_assessment,
    visit,
)

# The phone's voice, replaced by a recorder: what the page asks it to say is kept in order.
FAKE_VOICE = """
window.__spoken = [];
const voice = {
  speaking: false,
  speak(utterance) { window.__spoken.push(utterance.text); this.speaking = true; },
  cancel() { this.speaking = false; },
};
Object.defineProperty(window, "speechSynthesis", { value: voice, configurable: true });
if (!window.SpeechSynthesisUtterance) {
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
}
"""


@pytest.mark.parametrize("js", [True, False])
def test_results_lead_with_the_badges_earned_then_one_summary_per_domain(
    new_page, axe_source: str, js: bool
) -> None:  # type: ignore[no-untyped-def]
    page = new_page(js=js)
    visit(page, "/pass")
    page.click("text=Commencer")
    page.wait_for_url("**/pass/question")
    take_assessment(page, advanced, None, {})
    assert "/resultats" in page.url
    main = page.locator("main")
    headings = main.locator("h2").all_inner_texts()
    # What was earned comes first, then where the person stands.
    assert headings[:2] == ["Mes badges", "Où vous en êtes"], headings
    badges = main.locator("section.pass-badges li")
    assert badges.count() == len(domain_names())  # the top badge of each domain
    downloads = main.locator("a", has_text="Télécharger mon badge")
    assert downloads.count() == len(domain_names())
    image = page.request.get(downloads.first.get_attribute("href"))
    assert image.ok and image.body()[:8] == b"\x89PNG\r\n\x1a\n"
    # One "Bravo", not one per domain; one short section per domain.
    text = main.inner_text()
    assert text.count("Bravo") == 1, text
    assert "Bravo ! Vous avez 6 badges." in text
    assert main.locator("section.pass-result").count() == len(domain_names())
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4500, height  # it was over 7,000 px
    # The first badge's download button is on the first screen of the phone.
    first = downloads.first.bounding_box()
    assert first is not None and first["y"] + first["height"] < 740
    if js:
        check_axe(page, axe_source)
    assert_light(page)


def test_every_pass_page_can_be_read_aloud(new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(js=True)
    page.add_init_script(FAKE_VOICE)

    def listen() -> str:
        button = page.locator("main button.read-aloud")
        assert button.count() == 1, page.url
        assert button.inner_text() == "Écouter la page"
        page.evaluate("window.__spoken = []")
        button.click()
        spoken = page.evaluate("window.__spoken")
        assert len(spoken) == 1 and spoken[0].strip(), (page.url, spoken)
        assert button.inner_text() == "Arrêter la lecture"
        return str(spoken[0])

    visit(page, "/pass")
    assert "Mon Pass informatique" in listen()
    check_axe(page, axe_source)
    page.click("text=Commencer")
    page.wait_for_url("**/pass/question")
    said = listen()
    question = page.inner_text("form.pass-step h1")
    assert question in said and "Est-ce que vous savez faire ça ?" in said
    assert "Oui, seul(e)" in said and "Pas encore" in said
    check_axe(page, axe_source)
    # A mini-challenge: the question and its choices are read.
    with page.expect_navigation():
        page.click("button[value=alone]")
    while page.get_attribute("form.pass-step input[name=step_key]", "value").startswith(
        "statement"
    ):
        with page.expect_navigation():
            page.click("button[value=not_yet]")
    said = listen()
    assert page.inner_text("legend h1") in said
    assert page.locator(".choice label").first.inner_text() in said
    take_assessment(page, beginner, None, {})
    said = listen()
    assert "Où vous en êtes" in said and "Mon téléphone" in said
    code = page.inner_text(".pass-box strong.pass-code").strip()
    for path in (
        f"/pass/{code}",
        f"/pass/{code}/carte",
        f"/pass/{code}/coordonnees",
        "/pass/ouvrir",
    ):
        visit(page, path)
        assert page.inner_text("main h1") in listen(), path


TABLET = {"width": 1024, "height": 768}


def test_aidant_hands_over_card_badges_and_email_on_the_tablet(
    app, new_page, axe_source: str, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    import io

    import zxingcpp
    from PIL import Image

    from app.db import db
    from app.demo import DEMO_PASSWORD
    from app.services import passes as service
    from tests.app.test_pass_service import answer_all
    from tests.browser.conftest import login
    from tests.conftest import make_user

    with app.app_context():
        make_user("aidant@handover.example.org", "aidant", password=DEMO_PASSWORD)
        sitting, _ = service.start_assessment(db.session)
        answer_all(sitting, {"devices": 2, "browsing": 1})
        code = service.display_code(service.finish_assessment(db.session, sitting).pass_.code)
    page = new_page(js=True, viewport=TABLET)
    login(page, "aidant@handover.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto(f"/equipe/pass/{code}")
    handover = page.locator("section.handover")
    assert handover.locator("li").count() == 2  # top badge of devices and of browsing
    check_axe(page, axe_source)

    # Print: the wallet card's QR code opens the Pass; the badges are on the same sheet.
    page.click("text=Imprimer la carte Pass et les badges")
    page.wait_for_url(f"**/equipe/pass/{code}/imprimer")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Imprimer").is_visible()
    shot = page.locator(".pass-card").screenshot()
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert decoded.text == f"{app.config['MAIRIEBUS_BASE_URL']}/pass/{code}"
    loaded = page.evaluate(
        "[...document.querySelectorAll('.print-badges img')].map(i => i.naturalWidth)"
    )
    assert len(loaded) == 2 and all(width > 0 for width in loaded)
    check_axe(page, axe_source)
    page.emulate_media(media="print")
    assert not page.locator("header").first.is_visible()
    page.emulate_media(media="screen")

    # Email: a typo is refused next to the field, then the right address gets the badges.
    page.click("text=Retour au Pass")
    page.wait_for_url(f"**/equipe/pass/{code}")
    page.fill("input[name=email]", "jeanne.martin@")
    page.click("text=Envoyer le Pass et les badges")
    page.wait_for_load_state()
    assert "ne semble pas complète" in page.inner_text("section.handover")
    assert page.input_value("input[name=email]") == "jeanne.martin@"
    check_axe(page, axe_source)
    page.fill("input[name=email]", "jeanne.martin@example.org")
    page.click("text=Envoyer le Pass et les badges")
    page.wait_for_url(f"**/equipe/pass/{code}")
    assert "sont partis à jeanne.martin@example.org" in page.inner_text("main")
    [received] = smtp_server.sink.wait_for(1)
    assert received.rcpt_tos == ["jeanne.martin@example.org"]
    assert len(list(received.message.iter_attachments())) == 2


@pytest.mark.parametrize("js", [True, False])
def test_an_advanced_person_takes_the_fast_path_in_few_taps(new_page, js: bool) -> None:  # type: ignore[no-untyped-def]
    from tests.browser.test_pass_browser import ADVANCED_LEVELS, levels_shown

    page = new_page(js=js)
    visit(page, "/pass")
    facts = page.inner_text("main")
    assert "Les petits défis en images sont pour s'amuser : ils ne comptent pas." in facts
    assert_light(page)
    taps = 1
    page.click("text=Je me débrouille bien : aller plus vite")
    page.wait_for_url("**/pass/question")
    said_challenges_do_not_count = False
    while "/resultats" not in page.url:
        key = page.get_attribute("form.pass-step input[name=step_key]", "value")
        kind, item = key.split(":", 1)
        if kind == "statement":
            domain, level, number = item.rsplit("-", 2)
            assert int(level) >= 3, key  # the fast path never goes back to levels 1-2 here
            button = f"button[value={advanced(domain, int(level), number == '1')}]"
        else:
            assert kind == "challenge", key
            intro = page.inner_text(".pass-intro")
            said_challenges_do_not_count |= "il ne compte pas pour vos badges" in intro
            button = "button[name=skip]"
        # Wait for the next page itself: with JS the old page's buttons turn disabled at once.
        with page.expect_navigation():
            page.click(button)
        taps += 1
        assert taps < 40, "the fast path never ended"
    # 6 domains x (levels 3 and 4 + the challenge) + safety's second can-do + the start: 20.
    assert taps == 20, taps
    assert said_challenges_do_not_count
    expected = {name: "Niveau 4 sur 4 : Autonome" for name in domain_names()}
    expected.update(ADVANCED_LEVELS)
    assert levels_shown(page) == expected
