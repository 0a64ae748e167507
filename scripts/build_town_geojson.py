"""Write surveys/geo/martigues.geojson: the town's simplified outline and its neighbourhoods.

The outline is a hand-drawn, simplified polygon of a Martigues-like town (the Caronte canal in
the middle, the Étang de Berre to the north-east, the Côte Bleue to the south), good enough to
situate bubbles on the needs map and to pick a collection point's position; it is not a
cadastral boundary. Each neighbourhood is the part of the outline nearer to its centre than to
any other centre (a Voronoi cell clipped to the outline), so the file stays small and every
neighbourhood the app knows has a shape. Run again after changing a centre:

    python scripts/build_town_geojson.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "surveys" / "geo" / "martigues.geojson"

# (lon, lat), clockwise from the west, drawn by hand.
OUTLINE = [
    (4.992, 43.398),
    (5.004, 43.414),
    (5.018, 43.428),
    (5.034, 43.441),
    (5.052, 43.447),
    (5.068, 43.440),
    (5.078, 43.424),
    (5.092, 43.410),
    (5.112, 43.404),
    (5.134, 43.392),
    (5.142, 43.374),
    (5.132, 43.356),
    (5.110, 43.343),
    (5.088, 43.333),
    (5.070, 43.326),
    (5.052, 43.324),
    (5.034, 43.323),
    (5.022, 43.332),
    (5.012, 43.348),
    (5.000, 43.366),
    (4.988, 43.382),
]

# code, name, lat, lon: the centres the app seeds (app/demo_seeders/surveys.py).
CENTRES = [
    ("canto_perdrix", "Canto Perdrix", 43.414, 5.036),
    ("boudeme", "Boudème", 43.408, 5.063),
    ("mas_de_pouane", "Mas de Pouane", 43.392, 5.035),
    ("ferrieres", "Ferrières", 43.409, 5.054),
    ("jonquieres", "Jonquières", 43.402, 5.049),
    ("ile", "L'Île", 43.405, 5.051),
    ("croix_sainte", "Croix-Sainte", 43.420, 5.045),
    ("notre_dame_des_marins", "Notre-Dame-des-Marins", 43.387, 5.051),
    ("paradis_saint_roch", "Paradis Saint-Roch", 43.397, 5.070),
    ("carro", "Carro", 43.331, 5.041),
    ("la_couronne", "La Couronne", 43.338, 5.071),
    ("lavera", "Lavéra", 43.387, 5.007),
    ("saint_pierre", "Saint-Pierre", 43.377, 5.116),
]

COS = math.cos(math.radians(43.39))


def _clip(polygon: list[tuple[float, float]], a: tuple[float, float], b: tuple[float, float]):
    """Keep the part of `polygon` nearer to a than to b (Sutherland-Hodgman, one half-plane)."""
    ax, ay = a[0] * COS, a[1]
    bx, by = b[0] * COS, b[1]
    nx, ny = bx - ax, by - ay
    c = (bx * bx + by * by - ax * ax - ay * ay) / 2

    def inside(p: tuple[float, float]) -> float:
        return c - (p[0] * COS * nx + p[1] * ny)

    out: list[tuple[float, float]] = []
    for i, current in enumerate(polygon):
        previous = polygon[i - 1]
        d_cur, d_prev = inside(current), inside(previous)
        if d_cur >= 0:
            if d_prev < 0:
                t = d_prev / (d_prev - d_cur)
                out.append(_lerp(previous, current, t))
            out.append(current)
        elif d_prev >= 0:
            t = d_prev / (d_prev - d_cur)
            out.append(_lerp(previous, current, t))
    return out


def _lerp(p: tuple[float, float], q: tuple[float, float], t: float) -> tuple[float, float]:
    return (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)


def _ring(points: list[tuple[float, float]]) -> list[list[float]]:
    ring = [[round(x, 4), round(y, 4)] for x, y in points]
    deduped = [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]
    return [*deduped, deduped[0]]


def build() -> dict[str, object]:
    """The FeatureCollection: the town first, then one polygon per neighbourhood."""
    features: list[dict[str, object]] = [
        {
            "type": "Feature",
            "properties": {"kind": "town", "code": "martigues", "name": "Martigues"},
            "geometry": {"type": "Polygon", "coordinates": [_ring(OUTLINE)]},
        }
    ]
    for code, name, lat, lon in CENTRES:
        cell = list(OUTLINE)
        for other, _n, olat, olon in CENTRES:
            if other != code:
                cell = _clip(cell, (lon, lat), (olon, olat))
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": "neighbourhood",
                    "code": code,
                    "name": name,
                    "centre": [lon, lat],
                },
                "geometry": {"type": "Polygon", "coordinates": [_ring(cell)]},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "martigues-simplifie",
        "licence": "Licence Ouverte 2.0 (Etalab) - tracé simplifié dessiné pour Mairie Bus, "
        "indicatif, ce n'est pas une limite administrative",
        "features": features,
    }


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{OUT} written")
