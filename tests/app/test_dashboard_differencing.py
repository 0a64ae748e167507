"""Issue 12, item 3: two dashboard views one day apart must not single out one person.

The attack: the same filters with periods ending on 9 and on 10 April differ by the one person
who answered on 10 April; every cell that changes describes her. Tested through the HTTP views,
so the rule holds whatever the aggregation underneath."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from app.db import db
from app.services import dashboard as service
from tests.app.test_dashboard import add_response, seed_places
from tests.conftest import page_text

COMMON = {
    "age_band": "30_44",
    "gender": "woman",
    "household": "young_children",
    "needs": "caf school",
    "reason": "passing_by",
}
LONE = {"age_band": "75_plus", "gender": "man", "household": "alone", "needs": "health"}
QUERY = "form=mairiebus&demo=real&start=2025-03-01"


def _seed(app: Flask, april: int) -> None:
    service.cache().clear()
    with app.app_context():
        places = seed_places()
        for day in range(12):
            add_response(
                places, submitted_at=datetime(2025, 3, 3 + day, 10, tzinfo=UTC), answers=COMMON
            )
        add_response(places, submitted_at=datetime(2025, 4, 10, 15, tzinfo=UTC), answers=LONE)
        for day in range(april - 1):
            add_response(
                places, submitted_at=datetime(2025, 4, 14 + day, 10, tzinfo=UTC), answers=COMMON
            )
        db.session.commit()


def _csv(client: FlaskClient, query: str, name: str = "chiffres_cles"):  # type: ignore[no-untyped-def]
    return client.get(f"/dashboard/export/{name}.csv?{query}")


def test_a_lone_answer_at_the_edge_of_a_period_cannot_be_subtracted(
    app: Flask, client: FlaskClient, auth
) -> None:  # type: ignore[no-untyped-def]
    _seed(app, april=1)
    auth.login("coordinator")
    before = client.get(f"/dashboard?{QUERY}&end=2025-04-09")
    after = client.get(f"/dashboard?{QUERY}&end=2025-04-10")
    for response in (before, after):
        assert response.status_code == 400
        text = page_text(response)
        assert "on pourrait reconnaître moins de 5 personnes" in text
        assert (
            "Réponses" not in text.split("Pourquoi des mois entiers ?")[-1].split("</details>")[-1]
        )
    # March alone leaves her out on her own: refused as well (compared with "no period").
    assert client.get(f"/dashboard?{QUERY}&end=2025-03-31").status_code == 400
    for name in ("chiffres_cles", "age_par_quartier", "demandes_par_theme"):
        assert _csv(client, f"{QUERY}&end=2025-04-10", name).status_code == 400
    assert client.get(f"/dashboard/export.xlsx?{QUERY}&end=2025-04-10").status_code == 400
    assert client.get(f"/dashboard/rapport?{QUERY}&end=2025-04-10").status_code == 400
    # Without a period, everyone is counted together: allowed.
    assert client.get("/dashboard?form=mairiebus&demo=real").status_code == 200


def test_periods_one_day_apart_show_the_same_figures(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    _seed(app, april=6)  # April now holds 6 people: it may be an edge
    auth.login("coordinator")
    for name in ("chiffres_cles", "age_par_quartier", "demandes_par_theme", "profils_types"):
        nine = _csv(client, f"{QUERY}&end=2025-04-09", name)
        ten = _csv(client, f"{QUERY}&end=2025-04-10", name)
        assert nine.status_code == ten.status_code == 200
        assert nine.data == ten.data, name  # whole months: nothing to subtract
    march_and_april = _csv(client, f"{QUERY}&end=2025-04-30").data
    assert _csv(client, f"{QUERY}&end=2025-04-10").data == march_and_april
    # The difference between March and March+April is a whole month of 6 people.
    assert client.get(f"/dashboard?{QUERY}&end=2025-03-31").status_code == 200


def test_the_rule_is_explained_on_the_dashboard(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    text = page_text(client.get("/dashboard"))
    assert "Pourquoi des mois entiers ?" in text
    assert "au moins 5 personnes" in text


def test_dates_are_shown_as_the_whole_months_counted(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    _seed(app, april=6)
    auth.login("coordinator")
    page = client.get("/dashboard?form=mairiebus&demo=real&start=2025-03-12&end=2025-04-10")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="2025-03-01"' in text and 'value="2025-04-30"' in text
    report = page_text(
        client.get("/dashboard/rapport?form=mairiebus&demo=real&start=2025-03-12&end=2025-04-10")
    )
    assert "01/03/2025" in report and "30/04/2025" in report
