"""A resident reads the site in English on a phone: the Pass and the directory in English."""

from __future__ import annotations

from tests.browser.conftest import check_axe


def test_pass_and_directory_in_english_on_a_phone(new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(js=False, locale="en-GB")
    page.goto("/?lang=en")
    page.goto("/pass")
    page.click("form button[type=submit]")
    page.wait_for_url("**/pass/question")
    main = page.inner_text("main")
    assert "My phone" in main and "I can turn on my phone and unlock it." in main
    assert "Mon téléphone" not in main and "Je sais" not in main
    # "Not yet" twice, then the first picture challenge, in English.
    for _ in range(2):
        page.click("form.pass-step button[value=not_yet]")
        page.wait_for_load_state()
    main = page.inner_text("main")
    assert "Granny is calling you. Which button do you touch to answer?" in main
    assert "The green button (B)" in main
    alt = page.locator("main img").first.get_attribute("alt") or ""
    assert alt.startswith("Call screen")
    check_axe(page, axe_source)

    page.goto("/a-qui-s-adresser?theme=pension")
    main = page.inner_text("main")
    assert "State pension (Carsat Sud-Est)" in main
    assert "Relevé de carrière" not in main
    assert page.locator("select[name=theme] option[selected]").inner_text() == "Pension"
    check_axe(page, axe_source)
