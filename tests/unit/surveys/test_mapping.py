"""The needs map on the 20 hand-made people of tests/fixtures/analytics/."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from surveys import analytics as a
from surveys import mapping as m

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "analytics"
NS = "{http://www.w3.org/2000/svg}"
PLACES = [
    m.Place("canto_perdrix", "Canto Perdrix", "neighbourhood", 43.4135, 5.0398),
    m.Place("ile", "L'Île", "neighbourhood", 43.4045, 5.0520),
    m.Place("carro", "Carro", "neighbourhood", 43.3310, 5.0400),
    m.Place("auchan", "Auchan", "collection_point", 43.4170, 5.0260),
    m.Place("parc_figuerolles", "Parc de Figuerolles", "collection_point", 43.4010, 5.0650),
]


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    answers = pd.read_csv(FIXTURES / "answers.csv", dtype={"value": str})
    responses = pd.read_csv(FIXTURES / "responses.csv", dtype={"collection_point": str})
    return a.wide_responses(answers, responses, a.Filters(form_id="mairiebus", demo=False))


def test_place_figures(wide: pd.DataFrame) -> None:
    figures = {f.place.code: f for f in m.place_figures(wide, PLACES)}
    # Neighbourhoods 8, 9, 3 of 20: Carro's 3 would be 20 - 8 - 9, so Canto is hidden too.
    # L'Île's 9: pension 6 and health insurance 6 tie, the theme list order picks the latter.
    assert figures["ile"].people == 9
    assert (figures["ile"].dominant_need, figures["ile"].dominant_count) == ("health_insurance", 6)
    assert figures["canto_perdrix"].people is None and figures["carro"].people is None
    # Points: Auchan 11 (CAF 8 = school 8: CAF comes first), the park 6, no point 3 -> park hidden.
    assert (figures["auchan"].people, figures["auchan"].dominant_need) == (11, "caf")
    assert figures["auchan"].dominant_count == 8
    assert figures["parc_figuerolles"].people is None


def test_theme_filter(wide: pd.DataFrame) -> None:
    pension = {f.place.code: f.people for f in m.place_figures(wide, PLACES, theme="pension")}
    # Only 9-14 cite their pension: all at the park, all in L'Île.
    assert pension == {
        "canto_perdrix": None,
        "ile": 6,
        "carro": None,
        "auchan": None,
        "parc_figuerolles": 6,
    }
    caf = {f.place.code: f.people for f in m.place_figures(wide, PLACES, theme="caf")}
    # 11 cite CAF: Auchan 8 and the bus 3 -> 8 would give the 3 away; Canto 8 and Carro 3 too.
    assert set(caf.values()) == {None}
    with pytest.raises(a.AnalyticsError, match="n'existe pas"):
        m.place_figures(wide, PLACES, theme="astrologie")


def test_map_svg_and_table(wide: pd.DataFrame) -> None:
    chart = m.needs_map(wide, PLACES)
    root = ET.fromstring(chart.svg)
    assert root.get("role") == "img" and len(chart.svg.encode()) < 15_000
    assert chart.columns == ("Lieu", "Type", "Personnes", "Besoin principal")
    assert chart.rows == (
        ("Canto Perdrix", "Quartier", "moins de 5", "moins de 5"),
        ("L'Île", "Quartier", "9", "Assurance maladie (6)"),
        ("Carro", "Quartier", "moins de 5", "moins de 5"),
        ("Auchan", "Point de recueil", "11", "CAF (8)"),
        ("Parc de Figuerolles", "Point de recueil", "moins de 5", "moins de 5"),
    )
    circles = {c.get("fill"): c for c in root.iter(f"{NS}circle") if c.get("r") != "6"}
    auchan = circles[m.theme_colour("caf")]
    ile = circles[m.theme_colour("health_insurance")]
    # Area-proportional: Auchan (11) has the largest radius, L'Île 36 * sqrt(9 / 11).
    assert float(auchan.get("r", 0)) == m.MAX_RADIUS
    assert float(ile.get("r", 0)) == pytest.approx(36 * (9 / 11) ** 0.5, abs=0.05)
    # North is up and east is right: Auchan (north-west) is above and left of L'Île.
    assert float(auchan.get("cy", 0)) < float(ile.get("cy", 0))
    assert float(auchan.get("cx", 0)) < float(ile.get("cx", 0))
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "CAF" in texts and "Assurance maladie" in texts  # legend
    assert root.find(f"{NS}image") is None  # no background unless asked


def test_projection_fits_all_places(wide: pd.DataFrame) -> None:
    chart = m.needs_map(wide, PLACES, width=600, height=400)
    root = ET.fromstring(chart.svg)
    for circle in root.iter(f"{NS}circle"):
        x, y = float(circle.get("cx", 0)), float(circle.get("cy", 0))
        assert 0 <= x <= 600 and 0 <= y <= 400
    # Carro, 8 km south of the others, is at the bottom margin.
    ys = sorted(float(c.get("cy", 0)) for c in root.iter(f"{NS}circle") if c.get("r") != "6")
    assert max(float(c.get("cy", 0)) for c in root.iter(f"{NS}circle")) == pytest.approx(
        400 - m.MAX_RADIUS - 24, abs=0.1
    )
    assert ys


def test_osm_background_is_optional(wide: pd.DataFrame) -> None:
    chart = m.needs_map(wide, PLACES, tile_url_template=m.OSM_TILES)
    root = ET.fromstring(chart.svg)
    images = root.findall(f"{NS}image")
    assert images and all(
        i.get("href", "").startswith("https://tile.openstreetmap.org/") for i in images
    )
    assert "OpenStreetMap" in chart.svg


def test_bad_coordinates(wide: pd.DataFrame) -> None:
    with pytest.raises(a.AnalyticsError, match="coordonnées"):
        m.needs_map(wide, [m.Place("x", "X", "neighbourhood", 123.0, 5.0)])
