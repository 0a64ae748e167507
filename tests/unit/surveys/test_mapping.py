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


# --------------------------------------------------------------------------- town and labels

# The demo's neighbourhood centres and collection points: many within 2 km of each other.
CROWDED = [
    m.Place("canto_perdrix", "Canto Perdrix", "neighbourhood", 43.414, 5.036),
    m.Place("boudeme", "Boudème", "neighbourhood", 43.408, 5.063),
    m.Place("mas_de_pouane", "Mas de Pouane", "neighbourhood", 43.392, 5.035),
    m.Place("ferrieres", "Ferrières", "neighbourhood", 43.409, 5.054),
    m.Place("jonquieres", "Jonquières", "neighbourhood", 43.402, 5.049),
    m.Place("ile", "L'Île", "neighbourhood", 43.405, 5.051),
    m.Place("croix_sainte", "Croix-Sainte", "neighbourhood", 43.420, 5.045),
    m.Place("carro", "Carro", "neighbourhood", 43.331, 5.041),
    m.Place("auchan", "Centre commercial Auchan", "collection_point", 43.4236, 5.0265),
    m.Place("parc_figuerolles", "Parc de Figuerolles", "collection_point", 43.4152, 5.0305),
    m.Place("bus_ferrieres", "Arrêt du bus – Ferrières", "collection_point", 43.4085, 5.0545),
]


def _crowded_wide() -> pd.DataFrame:
    """Seven people per place pair, each citing one need (one-hot columns, as in the app)."""
    points = [p.code for p in CROWDED if p.kind == "collection_point"]
    hoods = [p.code for p in CROWDED if p.kind == "neighbourhood"]
    themes = ["taxes", "caf", "health_insurance"]
    rows = []
    for n in range(7 * len(hoods) * len(points)):
        need = themes[n % 3]
        rows.append(
            {
                "response_id": n,
                "collection_point": points[n % len(points)],
                "neighbourhood": hoods[(n // len(points)) % len(hoods)],
                **{f"needs/{t}": int(t == need) for t in themes},
            }
        )
    return pd.DataFrame(rows)


def test_shipped_town_has_every_known_neighbourhood() -> None:
    from surveys.labels import NEIGHBOURHOODS

    town = m.load_town()
    assert town.name == "Martigues" and "Licence Ouverte" in town.licence
    assert {a.code for a in town.areas} == set(NEIGHBOURHOODS) - {"other"}
    lats = [lat for lat, _ in town.outline]
    lons = [lon for _, lon in town.outline]
    for area in town.areas:
        assert len(area.ring) >= 4 and area.ring[0] == area.ring[-1]
        for lat, lon in area.ring:
            assert min(lats) - 1e-4 <= lat <= max(lats) + 1e-4
            assert min(lons) - 1e-4 <= lon <= max(lons) + 1e-4


def test_bad_town_file_is_refused() -> None:
    with pytest.raises(a.AnalyticsError, match="GeoJSON"):
        m.read_town("not json")
    with pytest.raises(a.AnalyticsError, match="contour"):
        m.read_town('{"type": "FeatureCollection", "features": []}')


def test_frame_round_trip() -> None:
    frame = m.town_frame(m.load_town(), 360, 420)
    x, y = frame.project(43.4052, 5.0483)
    lat, lon = frame.unproject(x, y)
    assert (lat, lon) == (pytest.approx(43.4052, abs=1e-9), pytest.approx(5.0483, abs=1e-9))
    # North up, east right.
    assert frame.project(43.44, 5.05)[1] < frame.project(43.33, 5.05)[1]
    assert frame.project(43.4, 5.10)[0] > frame.project(43.4, 5.00)[0]


def _boxes(root: ET.Element) -> list[tuple[str, tuple[float, float, float, float]]]:
    boxes = []
    for t in root.iter(f"{NS}text"):
        if t.get("class") != "map-label":
            continue
        x, y = float(t.get("x", 0)), float(t.get("y", 0))
        boxes.append((t.text or "", m._label_box(x, y, t.text or "", t.get("text-anchor", ""), 12)))
    return boxes


def test_map_draws_the_town_and_labels_never_overlap() -> None:
    chart = m.needs_map(_crowded_wide(), CROWDED, town=m.load_town())
    root = ET.fromstring(chart.svg)
    polygons = list(root.iter(f"{NS}polygon"))
    assert [p.get("class") for p in polygons].count("town") == 1
    assert {p.get("data-code") for p in polygons if p.get("class") == "area"} >= {
        "canto_perdrix",
        "carro",
        "saint_pierre",
    }
    boxes = _boxes(root)
    for i, (text_a, box_a) in enumerate(boxes):
        for text_b, box_b in boxes[i + 1 :]:
            assert not m._overlaps(box_a, box_b), (text_a, text_b)
    # Every place is named on the map or numbered there and named in the list under it.
    named = {text for text, _box in boxes}
    legend = {t.text for t in root.iter(f"{NS}text") if t.text and ". " in t.text}
    for place in CROWDED:
        numbered = [entry for entry in legend if entry.endswith(f". {place.label}")]
        assert place.label in named or (numbered and numbered[0].split(".")[0] in named)
    assert legend, "the crowded centre needs numbers"
    assert "Plan simplifié" in chart.svg and "numéro" in chart.description
