"""The dashboard page as a coordinator reads it: demo-only notice, plain words, jump links."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from app.db import db
from app.services import dashboard as service
from tests.app.test_dashboard import add_response, seed_fixture_responses, seed_places
from tests.conftest import page_text

JARGON = ("silhouette", "score", "cluster", "k-modes", "hamming")


def _demo_only(app: Flask) -> None:
    service.cache().clear()
    with app.app_context():
        places = seed_places()
        for n in range(12):
            add_response(places, is_demo=True, answers={"needs": "caf" if n % 2 else "taxes"})
        db.session.commit()


def test_demo_only_install_says_so_and_shows_the_demo(
    client: FlaskClient, auth, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    _demo_only(app)
    auth.login("coordinator")
    text = page_text(client.get("/dashboard"))
    assert (
        "Il n'y a pas encore de réponse réelle : ce tableau de bord montre les réponses de démonstration."
        in text
    )
    assert '<span class="figure">12</span>' in text  # the demo answers are counted


def test_demo_excluded_on_a_demo_only_install_offers_the_demo_view(
    client: FlaskClient, auth, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    _demo_only(app)
    auth.login("coordinator")
    response = client.get("/dashboard?demo=real")
    text = page_text(response)
    assert "Il n'y a pas encore de réponse réelle." in text
    link = re.search(
        r'<a href="([^"]+)">Voir le tableau de bord avec les réponses de démonstration</a>', text
    )
    assert link and "demo=all" in link.group(1)
    shown = page_text(client.get(link.group(1).replace("&amp;", "&")))
    assert '<span class="figure">12</span>' in shown


def test_real_answers_with_demo_offer_the_real_only_view(
    client: FlaskClient, auth, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    service.cache().clear()
    with app.app_context():
        seed_fixture_responses()  # 20 real answers and one demo answer
        db.session.commit()
    auth.login("coordinator")
    assert "pas encore de réponse réelle" not in page_text(client.get("/dashboard"))
    text = page_text(client.get("/dashboard?demo=all"))
    assert "Ces chiffres comptent des réponses de démonstration." in text
    assert re.search(r'<a href="[^"]*demo=real[^"]*">Voir seulement les vraies réponses</a>', text)


def test_table_of_contents_reaches_every_section_and_each_comes_back(
    client: FlaskClient, auth, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    service.cache().clear()
    with app.app_context():
        seed_fixture_responses()
        db.session.commit()
    auth.login("coordinator")
    text = page_text(client.get("/dashboard?form=mairiebus"))
    toc = text.split('id="sommaire"', 1)[1].split("</nav>", 1)[0]
    targets = re.findall(r'href="#([^"]+)"', toc)
    sections = re.findall(r'<section[^>]* id="([^"]+)"', text)
    assert set(sections) <= set(targets), set(sections) - set(targets)
    for target in targets:
        assert f'id="{target}"' in text
    # Every section ends with a way back to the table of contents.
    for section in text.split("<section")[1:]:
        assert 'href="#sommaire">Retour au sommaire</a>' in section.split("</section>")[0]
    lowered = text.lower()
    assert not [word for word in JARGON if word in lowered]
    report = page_text(client.get("/dashboard/rapport?form=mairiebus"))
    assert "Retour au sommaire" not in report


def test_dashboard_links_to_the_same_responses_one_by_one(
    client: FlaskClient, auth, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    service.cache().clear()
    with app.app_context():
        seed_fixture_responses()
        db.session.commit()
    auth.login("coordinator")
    text = page_text(client.get("/dashboard?form=mairiebus&point=auchan&demo=real"))
    link = re.search(r'<a [^>]*href="([^"]+)">Lire ces réponses une par une</a>', text)
    assert link and link.group(1).startswith("/admin/reponses?")
    listing = page_text(client.get(link.group(1).replace("&amp;", "&")))
    # The dashboard counts 11 people met at Auchan; the list shows the same 11 responses.
    assert "11 réponses" in listing
