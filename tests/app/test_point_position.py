"""A collection point's position picked on the town plan (no JavaScript needed)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db import db
from app.models import CollectionPoint, Neighbourhood
from app.services import collection as sites
from surveys import mapping as m
from tests.conftest import csrf_token, page_text

NS = "{http://www.w3.org/2000/svg}"
# The shopping centre of the demo, north-west of the centre.
AUCHAN = (43.4236, 5.0265)


def _setup(app: Flask) -> None:
    with app.app_context():
        db.session.add(Neighbourhood(code="canto_perdrix", name="Canto Perdrix"))
        db.session.commit()
        sites.ensure_default_form(db.session)


def _click_for(lat: float, lon: float) -> tuple[int, int]:
    x, y = m.picker_frame(m.load_town()).project(lat, lon)
    return round(x), round(y)


def test_plan_is_drawn_with_the_chosen_position(client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    auth.login("coordinator")
    response = client.get("/points/plan.svg?lat=43,4236&lon=5,0265")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.get_data())
    assert len(root.findall(f"{NS}polygon")) == 14  # the town and its 13 neighbourhoods
    marker = root.find(f"{NS}circle[@class='marker']")
    assert marker is not None
    assert (round(float(marker.get("cx", 0))), round(float(marker.get("cy", 0)))) == _click_for(
        *AUCHAN
    )
    # Nonsense in the query gives the plan without a marker, never an error.
    plain = client.get("/points/plan.svg?lat=abc&lon=999")
    assert plain.status_code == 200 and b'class="marker"' not in plain.get_data()


def test_clicking_the_plan_fills_the_position_and_keeps_what_was_typed(
    app: Flask, client: FlaskClient, auth
) -> None:  # type: ignore[no-untyped-def]
    _setup(app)
    auth.login("coordinator")
    token = csrf_token(client, "/points/nouveau")
    x, y = _click_for(*AUCHAN)
    typed = {
        "csrf_token": token,
        "name": "Centre commercial Auchan",
        "kind": "shopping_centre",
        "neighbourhood": "",
    }
    response = client.post("/points/nouveau", data={**typed, "plan.x": x, "plan.y": y})
    assert response.status_code == 200
    text = page_text(response)
    assert "Position prise sur le plan" in text
    assert 'value="Centre commercial Auchan"' in text
    lat = re.search(r'id="latitude"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="latitude"', text)
    lon = re.search(r'id="longitude"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="longitude"', text)
    assert lat and lon
    picked = (
        float((lat.group(1) or lat.group(2)).replace(",", ".")),
        float((lon.group(1) or lon.group(2)).replace(",", ".")),
    )
    # One pixel of the plan is about 40 m: the click lands within 0.001 degree.
    assert picked == (pytest.approx(AUCHAN[0], abs=1e-3), pytest.approx(AUCHAN[1], abs=1e-3))
    assert "/points/plan.svg?lat=" in text  # the plan now shows the marker
    with app.app_context():
        assert db.session.scalar(select(CollectionPoint)) is None  # nothing saved yet
    saved = client.post(
        "/points/nouveau",
        data={**typed, "latitude": f"{picked[0]}", "longitude": f"{picked[1]}"},
    )
    assert saved.status_code == 303
    with app.app_context():
        point = db.session.scalar(select(CollectionPoint))
        assert point is not None and point.latitude == pytest.approx(AUCHAN[0], abs=1e-3)


def test_click_outside_the_town_is_refused_in_plain_words(
    app: Flask, client: FlaskClient, auth
) -> None:  # type: ignore[no-untyped-def]
    _setup(app)
    auth.login("coordinator")
    token = csrf_token(client, "/points/nouveau")
    response = client.post(
        "/points/nouveau",
        data={"csrf_token": token, "name": "Au large", "kind": "other", "plan.x": 335, "plan.y": 5},
    )
    assert response.status_code == 400
    text = page_text(response)
    assert "Cliquez à l'intérieur du contour de la ville." in text
    assert 'value="Au large"' in text


def test_enter_in_a_field_saves_instead_of_picking(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    _setup(app)
    auth.login("coordinator")
    token = csrf_token(client, "/points/nouveau")
    # Implicit submission goes through the first button (the plan) at (0, 0).
    response = client.post(
        "/points/nouveau",
        data={
            "csrf_token": token,
            "name": "Arrêt du bus",
            "kind": "bus_stop",
            "neighbourhood": "",
            "plan.x": 0,
            "plan.y": 0,
        },
    )
    assert response.status_code == 303


def test_editing_a_point_by_clicking_the_plan(app: Flask, client: FlaskClient, auth) -> None:  # type: ignore[no-untyped-def]
    _setup(app)
    with app.app_context():
        point = sites.create_point(
            db.session, sites.PointData("Mairie annexe", sites.PointKind.OTHER)
        )
        point_id = point.id
    auth.login("coordinator")
    url = f"/points/{point_id}"
    token = csrf_token(client, url)
    x, y = _click_for(43.405, 5.051)
    picked = client.post(
        url,
        data={
            "csrf_token": token,
            "name": "Mairie annexe",
            "kind": "other",
            "plan.x": x,
            "plan.y": y,
        },
    )
    assert picked.status_code == 200 and "Position prise sur le plan" in page_text(picked)
    with app.app_context():
        assert db.session.get(CollectionPoint, point_id).latitude is None
