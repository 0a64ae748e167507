"""The needs map: collection points and neighbourhoods as bubbles on an SVG, and its table.

Places come with their coordinates (the caller's collection points and neighbourhood centres).
The map is drawn in an equirectangular projection fitted to the places' bounding box (at town
scale the distortion is negligible), needs no tile server, and works offline. Bubble area is
proportional to the number of people; the colour is the place's dominant need (the theme its
people cite most). An OpenStreetMap background can be asked for with a tile URL template; the
map then switches to Web Mercator so the tiles line up (and the page must allow those images).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from surveys.analytics import MIN_PEOPLE, AnalyticsError, format_figure, protect_lines, selected
from surveys.charts import AXIS, EMPTY, MUTED, PALETTE, Chart, _num, _rect, _text, svg_document
from surveys.labels import SUPPRESSED_TEXT, THEMES, theme_label

Kind = Literal["collection_point", "neighbourhood"]
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
MAX_RADIUS = 36.0
MIN_RADIUS = 5.0
TILE = 256


@dataclass(frozen=True)
class Place:
    """A point to draw: a collection point or a neighbourhood centre, in WGS 84 degrees."""

    code: str
    label: str
    kind: Kind
    lat: float
    lon: float


@dataclass(frozen=True)
class PlaceFigures:
    """What the map shows for one place (None where hidden: fewer than 5 people)."""

    place: Place
    people: int | None
    dominant_need: str | None
    dominant_count: int | None


def theme_colour(theme: str) -> str:
    """The colour of a theme on the map (fixed, so a theme keeps its colour across filters)."""
    index = THEMES.index(theme) if theme in THEMES else len(PALETTE) - 1
    return PALETTE[index % len(PALETTE)]


def place_figures(
    wide: pd.DataFrame,
    places: Sequence[Place],
    *,
    theme: str | None = None,
    k: int = MIN_PEOPLE,
) -> list[PlaceFigures]:
    """People and dominant need per place; with `theme`, only the people citing that theme.

    People per place add up to everybody (one neighbourhood and one collection point each),
    so a second count is hidden where one hidden count could be worked out by subtraction.
    """
    if theme is not None and theme not in THEMES:
        raise AnalyticsError(f"Le thème « {theme} » n'existe pas.")
    for place in places:
        if not (-90 <= place.lat <= 90 and -180 <= place.lon <= 180):
            raise AnalyticsError(f"Les coordonnées de « {place.label} » ne sont pas valables.")
    needs = selected(wide, "needs")
    people = wide
    if theme is not None:
        cites = needs[theme] if theme in needs else pd.Series(False, index=wide.index)
        people = wide.loc[cites.astype(bool)]
        needs = needs.loc[people.index]
    hidden_by_kind: dict[str, dict[str, bool]] = {}
    counts_by_kind: dict[str, pd.Series] = {}
    for kind in ("collection_point", "neighbourhood"):
        groups = people[kind].astype("string").fillna("unknown")
        counts = groups.value_counts().sort_index()
        counts_by_kind[kind] = counts
        values = [int(v) for v in counts]
        grid = np.array([values + [sum(values)]], dtype=np.int64)
        mask = protect_lines(grid, grid < k, k)[0, :-1]
        hidden_by_kind[kind] = dict(zip(counts.index, mask.tolist(), strict=True))
    result = []
    for place in places:
        count = int(counts_by_kind[place.kind].get(place.code, 0))
        hidden = hidden_by_kind[place.kind].get(place.code, True) or count < k
        members = people[place.kind].astype("string") == place.code
        dominant, dominant_count = None, None
        if count >= k:
            if theme is not None:
                dominant, dominant_count = theme, count
            else:
                sums = needs.loc[members.fillna(False).to_numpy()].sum(axis=0)
                if len(sums) and int(sums.max()) >= k:
                    best = int(sums.max())
                    dominant = next(str(c) for c in sums.index if int(sums[c]) == best)
                    dominant_count = best
        result.append(PlaceFigures(place, None if hidden else count, dominant, dominant_count))
    return result


def _mercator(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    scale = TILE * 2**zoom
    phi = math.radians(lat)
    x = (lon + 180.0) / 360.0 * scale
    y = (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * scale
    return x, y


def needs_map(
    wide: pd.DataFrame,
    places: Sequence[Place],
    *,
    theme: str | None = None,
    kinds: Sequence[Kind] = ("neighbourhood", "collection_point"),
    outline: Sequence[tuple[float, float]] | None = None,
    tile_url_template: str | None = None,
    width: float = 720,
    height: float = 520,
    k: int = MIN_PEOPLE,
    chart_id: str = "carte-besoins",
) -> Chart:
    """SVG map of the needs and its table (Lieu, Type, Personnes, Besoin principal).

    `outline` is an optional polygon of (lat, lon) drawn under the bubbles (e.g. the town's
    boundary); `tile_url_template` (e.g. OSM_TILES) adds a background map, off by default.
    """
    shown = [p for p in places if p.kind in kinds]
    figures = place_figures(wide, shown, theme=theme, k=k)
    margin = MAX_RADIUS + 24
    lats = [p.lat for p in shown] + [lat for lat, _ in outline or ()]
    lons = [p.lon for p in shown] + [lon for _, lon in outline or ()]
    parts: list[str] = []
    if not shown:
        lats, lons = [0.0], [0.0]
    if tile_url_template:
        zoom = 17
        while zoom > 1:
            xs, ys = zip(
                *(_mercator(a, b, zoom) for a, b in zip(lats, lons, strict=True)), strict=True
            )
            if max(xs) - min(xs) <= width - 2 * margin and max(ys) - min(ys) <= height - 2 * margin:
                break
            zoom -= 1
        xs, ys = zip(*(_mercator(a, b, zoom) for a, b in zip(lats, lons, strict=True)), strict=True)
        ox = (max(xs) + min(xs)) / 2 - width / 2
        oy = (max(ys) + min(ys)) / 2 - height / 2

        def project(lat: float, lon: float) -> tuple[float, float]:
            x, y = _mercator(lat, lon, zoom)
            return x - ox, y - oy

        for tx in range(int(ox // TILE), int((ox + width) // TILE) + 1):
            for ty in range(int(oy // TILE), int((oy + height) // TILE) + 1):
                url = tile_url_template.format(z=zoom, x=tx, y=ty)
                parts.append(
                    f'<image href="{_attr(url)}" x="{_num(tx * TILE - ox)}" '
                    f'y="{_num(ty * TILE - oy)}" width="{TILE}" height="{TILE}" opacity="0.6"/>'
                )
    else:
        lat0 = math.radians(sum(lats) / len(lats))
        span_x = (max(lons) - min(lons)) * math.cos(lat0) or 1e-3
        span_y = (max(lats) - min(lats)) or 1e-3
        scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
        mid_lon, mid_lat = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2

        def project(lat: float, lon: float) -> tuple[float, float]:
            return (
                width / 2 + (lon - mid_lon) * math.cos(lat0) * scale,
                height / 2 - (lat - mid_lat) * scale,
            )

        parts.append(_rect(4, 4, width - 8, height - 8, "none", stroke=AXIS, rx=8))
    if outline:
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in (project(a, b) for a, b in outline))
        parts.append(f'<polygon points="{points}" fill="#f5f7fa" stroke="{AXIS}"/>')
    peak = max((f.people for f in figures if f.people is not None), default=0) or 1
    legend: dict[str, str] = {}
    # Neighbourhoods first, so collection points sit on top of them.
    order = sorted(figures, key=lambda f: (f.place.kind != "neighbourhood", -(f.people or 0)))
    for figure in order:
        x, y = project(figure.place.lat, figure.place.lon)
        if figure.people is None:
            parts.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(MIN_RADIUS)}" fill="{EMPTY}" '
                f'stroke="{MUTED}" stroke-dasharray="2 2"/>'
            )
        else:
            radius = max(MAX_RADIUS * math.sqrt(figure.people / peak), MIN_RADIUS)
            colour = theme_colour(figure.dominant_need) if figure.dominant_need else MUTED
            if figure.dominant_need:
                legend[figure.dominant_need] = colour
            stroke = "#ffffff" if figure.place.kind == "collection_point" else colour
            parts.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(radius)}" fill="{colour}" '
                f'fill-opacity="0.75" stroke="{stroke}" stroke-width="2"/>'
            )
        parts.append(
            _text(
                x,
                y - 8,
                figure.place.label,
                text_anchor="middle",
                font_size=12,
                font_weight="bold" if figure.place.kind == "collection_point" else "normal",
            )
        )
    for n, (code, colour) in enumerate(sorted(legend.items(), key=lambda i: THEMES.index(i[0]))):
        ly = 22 + n * 20
        parts.append(
            f'<circle cx="{_num(width - 170)}" cy="{_num(ly - 4)}" r="6" fill="{colour}"/>'
        )
        parts.append(_text(width - 158, ly, theme_label(code), font_size=12))
    if tile_url_template:
        parts.append(
            _text(
                width - 8,
                height - 8,
                "© les contributeurs d'OpenStreetMap",
                text_anchor="end",
                font_size=11,
            )
        )
    title = "Carte des besoins" + (f" : {theme_label(theme)}" if theme else "")
    visible = [f for f in figures if f.people is not None]
    if visible:
        top = max(visible, key=lambda f: f.people or 0)
        summary = (
            f"Le lieu le plus représenté : {top.place.label} "
            f"({format_figure(top.people)} personnes)."
        )
    else:
        summary = "Aucun lieu ne compte 5 personnes ou plus."
    description = (
        "Carte : un cercle par lieu, sa surface suit le nombre de personnes, sa couleur leur "
        f"besoin principal. {summary} Les lieux de moins de 5 personnes ont un petit cercle gris."
    )
    svg = svg_document(parts, width, height, title, description, chart_id)
    kind_names = {"collection_point": "Point de recueil", "neighbourhood": "Quartier"}
    rows = tuple(
        (
            f.place.label,
            kind_names[f.place.kind],
            format_figure(f.people),
            (
                f"{theme_label(f.dominant_need)} ({format_figure(f.dominant_count)})"
                if f.dominant_need and f.people is not None
                else SUPPRESSED_TEXT
            ),
        )
        for f in figures
    )
    return Chart(svg, title, description, ("Lieu", "Type", "Personnes", "Besoin principal"), rows)


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )
