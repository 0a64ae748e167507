"""A coordinator on a new install: demo-only notice, jump links, and a needs map that reads."""

from __future__ import annotations

from flask import Flask

from app.db import db
from app.demo import DEMO_PASSWORD
from app.services import dashboard as service
from tests.browser.conftest import DESKTOP, check_axe, login
from tests.conftest import make_user

# Pairs of map texts (names, numbers, legend) whose real boxes intersect, measured by the browser.
OVERLAPS_JS = """() => {
  const svg = document.querySelector('#carte svg');
  const boxes = [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBBox()]);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [ta, a] = boxes[i], [tb, b] = boxes[j];
    if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
      hits.push(ta + ' / ' + tb);
  }
  return hits;
}"""


def test_new_install_dashboard_journey(app: Flask, new_page, axe_source: str) -> None:  # type: ignore[no-untyped-def]
    from app.demo_seeders import surveys as demo

    service.cache().clear()
    with app.app_context():
        demo.seed(lambda _m: None, responses=400)
        db.session.commit()
        make_user("coord-journey@browser.example.org", "coordinator", password=DEMO_PASSWORD)
    page = new_page(js=True, viewport=DESKTOP)
    login(page, "coord-journey@browser.example.org", DEMO_PASSWORD)
    page.wait_for_url("**/espace")
    page.goto("/dashboard")
    notice = page.locator(".notice").first.inner_text()
    assert "Il n'y a pas encore de réponse réelle" in notice
    assert page.locator(".key-figures .figure").first.inner_text() == "400"

    # The table of contents jumps to the map, and the map's section leads back to it.
    page.click(".dashboard-toc >> text=Carte")
    page.wait_for_url("**#carte")
    assert page.evaluate("document.querySelector('#carte').getBoundingClientRect().top") < 100
    page.locator("#carte .to-top a").click()
    page.wait_for_url("**#sommaire")
    assert (
        abs(page.evaluate("document.querySelector('#sommaire').getBoundingClientRect().top")) < 100
    )

    # The town and its 13 neighbourhoods are drawn, and no two texts on the map overlap.
    assert page.locator("#carte svg polygon.town").count() == 1
    assert page.locator("#carte svg polygon.area").count() == 13
    assert page.evaluate(OVERLAPS_JS) == []
    labels = page.locator("#carte svg text.map-label").all_text_contents()
    assert "Saint-Pierre" in labels and "Carro" in labels
    check_axe(page, axe_source)

    # Excluding the demo answers on a demo-only install offers the way back.
    page.select_option("select[name=demo]", "real")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**demo=real**")
    page.click("text=Voir le tableau de bord avec les réponses de démonstration")
    page.wait_for_url("**demo=all**")
    assert page.locator(".key-figures .figure").first.inner_text() == "400"
