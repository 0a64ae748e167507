"""The needs map: collection points and neighbourhoods as bubbles on an SVG, and its table.

Places come with their coordinates (the caller's collection points and neighbourhood centres).
The map is drawn in an equirectangular projection fitted to the places' bounding box (at town
scale the distortion is negligible), needs no tile server, and works offline. Bubble area is
proportional to the number of people; the colour is the place's dominant need (the theme its
people cite most). An OpenStreetMap background can be asked for with a tile URL template; the
map then switches to Web Mercator so the tiles line up (and the page must allow those images).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from surveys.analytics import MIN_PEOPLE, AnalyticsError, format_figure, protect_lines, selected
from surveys.charts import (
    AXIS,
    CHAR_WIDTH,
    EMPTY,
    MUTED,
    PALETTE,
    Chart,
    _num,
    _rect,
    _text,
    svg_document,
)
from surveys.labels import SUPPRESSED_TEXT, THEMES, theme_label

Kind = Literal["collection_point", "neighbourhood"]
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
MAX_RADIUS = 36.0
MIN_RADIUS = 5.0
TILE = 256
#: The shipped simplified outline of the town and its neighbourhoods (see geo/README.md).
TOWN_GEOJSON = Path(__file__).resolve().parent / "geo" / "martigues.geojson"
LABEL_SIZE = 12
LEGEND_ROW = 18
TOWN_FILL = "#eef2f6"
AREA_STROKE = "#b8c2cc"


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


KINDS = ("collection_point", "neighbourhood")


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
    # Each column as text once (not once per place: 18 conversions of 100,000 rows).
    codes_by_kind = {kind: people[kind].astype("string") for kind in KINDS}
    for kind in KINDS:
        groups = codes_by_kind[kind].fillna("unknown")
        counts = groups.value_counts().sort_index()
        counts_by_kind[kind] = counts
        values = [int(v) for v in counts]
        grid = np.array([values + [sum(values)]], dtype=np.int64)
        mask = protect_lines(grid, grid < k, k)[0, :-1]
        hidden_by_kind[kind] = dict(zip(counts.index, mask.tolist(), strict=True))
    # Needs cited per place, one grouping per kind (not one comparison of every row per place);
    # a map of one theme names that theme, so it needs none.
    needs_by_kind = (
        {kind: needs.groupby(codes_by_kind[kind], dropna=True).sum() for kind in KINDS}
        if theme is None
        else {}
    )
    result = []
    for place in places:
        count = int(counts_by_kind[place.kind].get(place.code, 0))
        hidden = hidden_by_kind[place.kind].get(place.code, True) or count < k
        dominant, dominant_count = None, None
        if count >= k:
            if theme is not None:
                dominant, dominant_count = theme, count
            else:
                sums = needs_by_kind[place.kind].loc[place.code]
                if len(sums) and int(sums.max()) >= k:
                    best = int(sums.max())
                    dominant = next(str(c) for c in sums.index if int(sums[c]) == best)
                    dominant_count = best
        result.append(PlaceFigures(place, None if hidden else count, dominant, dominant_count))
    return result


# --------------------------------------------------------------------------- town geometry


@dataclass(frozen=True)
class Area:
    """A neighbourhood's simplified shape: a ring of (lat, lon)."""

    code: str
    name: str
    ring: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Town:
    """The town's simplified outline and neighbourhoods, read from a GeoJSON file."""

    name: str
    outline: tuple[tuple[float, float], ...]
    areas: tuple[Area, ...]
    licence: str


def _ring(geometry: dict[str, object]) -> tuple[tuple[float, float], ...]:
    if geometry.get("type") != "Polygon":
        raise AnalyticsError("Le fichier du plan de la ville ne contient que des polygones.")
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise AnalyticsError("Un polygone du plan de la ville est vide.")
    return tuple((float(lat), float(lon)) for lon, lat, *_rest in rings[0])


def read_town(text: str) -> Town:
    """A Town from GeoJSON text: one feature of kind "town", others of kind "neighbourhood"."""
    try:
        document = json.loads(text)
        features = document["features"]
    except (ValueError, KeyError, TypeError) as error:
        raise AnalyticsError("Le plan de la ville n'est pas un GeoJSON valable.") from error
    outline: tuple[tuple[float, float], ...] = ()
    name = ""
    areas = []
    for feature in features:
        props = feature.get("properties") or {}
        ring = _ring(feature.get("geometry") or {})
        if props.get("kind") == "town":
            outline, name = ring, str(props.get("name", ""))
        else:
            areas.append(Area(str(props.get("code", "")), str(props.get("name", "")), ring))
    if not outline:
        raise AnalyticsError("Le plan de la ville n'a pas de contour (kind: town).")
    return Town(name, outline, tuple(areas), str(document.get("licence", "")))


@functools.lru_cache(maxsize=4)
def load_town(path: str = str(TOWN_GEOJSON)) -> Town:
    """The town shipped with the app (cached: the file never changes while running)."""
    return read_town(Path(path).read_text(encoding="utf-8"))


class Frame:
    """An equirectangular projection fitted to a box (town scale: distortion negligible)."""

    def __init__(
        self,
        lats: Sequence[float],
        lons: Sequence[float],
        width: float,
        height: float,
        margin: float,
    ) -> None:
        self.lat0 = math.radians(sum(lats) / len(lats))
        span_x = (max(lons) - min(lons)) * math.cos(self.lat0) or 1e-3
        span_y = (max(lats) - min(lats)) or 1e-3
        self.scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
        self.mid_lon, self.mid_lat = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
        self.width, self.height = width, height

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        """Pixel position of a point (north up, east right)."""
        return (
            self.width / 2 + (lon - self.mid_lon) * math.cos(self.lat0) * self.scale,
            self.height / 2 - (lat - self.mid_lat) * self.scale,
        )

    def unproject(self, x: float, y: float) -> tuple[float, float]:
        """The (lat, lon) under a pixel position (inverse of `project`)."""
        lon = self.mid_lon + (x - self.width / 2) / (math.cos(self.lat0) * self.scale)
        lat = self.mid_lat - (y - self.height / 2) / self.scale
        return lat, lon


def town_frame(town: Town, width: float, height: float, margin: float = 12) -> Frame:
    """A projection showing the whole town in a box."""
    return Frame(
        [lat for lat, _ in town.outline], [lon for _, lon in town.outline], width, height, margin
    )


def _points(frame: Frame, ring: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in (frame.project(a, b) for a, b in ring))


def town_parts(town: Town, frame: Frame) -> list[str]:
    """SVG polygons of the town and its neighbourhoods (drawn under everything else)."""
    parts = [
        f'<polygon class="town" points="{_points(frame, town.outline)}" fill="{TOWN_FILL}" '
        f'stroke="{AXIS}" stroke-width="1.5"/>'
    ]
    for area in town.areas:
        parts.append(
            f'<polygon class="area" data-code="{_attr(area.code)}" '
            f'points="{_points(frame, area.ring)}" fill="none" stroke="{AREA_STROKE}"/>'
        )
    return parts


# --------------------------------------------------------------------------- labels

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_box(x: float, y: float, text: str, anchor: str, size: float) -> Box:
    # Generous: bold glyphs and the white halo are wider than the charts' average glyph.
    width = len(text) * size * (CHAR_WIDTH + 0.1) + 4
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return (left, y - size * 0.95, left + width, y + size * 0.35)


def _candidates(x: float, y: float, r: float, size: float) -> list[tuple[float, float, str]]:
    gap = 3.0
    d = (r + gap) * 0.72
    return [
        (x, y - r - gap, "middle"),
        (x, y + r + gap + size * 0.8, "middle"),
        (x + r + gap, y + size * 0.35, "start"),
        (x - r - gap, y + size * 0.35, "end"),
        (x + d, y - d, "start"),
        (x - d, y - d, "end"),
        (x + d, y + d + size * 0.6, "start"),
        (x - d, y + d + size * 0.6, "end"),
    ]


def place_labels(
    marks: Sequence[tuple[float, float, float, str]],
    width: float,
    height: float,
    taken: Sequence[Box] = (),
    size: float = LABEL_SIZE,
    at_centre: bool = False,
) -> list[tuple[float, float, str] | None]:
    """Where each mark's label goes (x, y, text-anchor) without touching another label.

    Marks are (x, y, radius, text), placed in the order given, first on their own circle when
    `at_centre` (numbers), then around it; a label also keeps off the core of every other
    mark and the `taken` boxes (the legend). None: no free spot, the caller numbers it.
    """
    boxes = list(taken)
    # A label may not cover another mark (the square inside its circle), so it reads as its own.
    cores = [
        (x - max(r * 0.7, 3), y - max(r * 0.7, 3), x + max(r * 0.7, 3), y + max(r * 0.7, 3))
        for x, y, r, _t in marks
    ]
    result: list[tuple[float, float, str] | None] = []
    for index, (x, y, r, text) in enumerate(marks):
        chosen = None
        spots = _candidates(x, y, r, size)
        if at_centre:
            spots.insert(0, (x, y + size * 0.35, "middle"))
        for cx, cy, anchor in spots:
            box = _label_box(cx, cy, text, anchor, size)
            if box[0] < 2 or box[1] < 2 or box[2] > width - 2 or box[3] > height - 2:
                continue
            if any(_overlaps(box, b) for b in boxes):
                continue
            if any(_overlaps(box, c) for i, c in enumerate(cores) if i != index):
                continue
            chosen = (cx, cy, anchor)
            boxes.append(box)
            break
        result.append(chosen)
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
    town: Town | None = None,
    tile_url_template: str | None = None,
    width: float = 720,
    height: float = 520,
    k: int = MIN_PEOPLE,
    chart_id: str = "carte-besoins",
) -> Chart:
    """SVG map of the needs and its table (Lieu, Type, Personnes, Besoin principal).

    `outline` is an optional polygon of (lat, lon) drawn under the bubbles (e.g. the town's
    boundary); `town` (e.g. `load_town()`) draws the town and its neighbourhoods instead;
    `tile_url_template` (e.g. OSM_TILES) adds a background map, off by default. Labels never
    overlap: a place whose name finds no free spot gets a number, listed under the map.
    """
    if town is not None:
        outline = town.outline
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
        frame = Frame(lats, lons, width, height, margin)
        project = frame.project
        parts.append(_rect(4, 4, width - 8, height - 8, "none", stroke=AXIS, rx=8))
    if town is not None and not tile_url_template:
        parts.extend(town_parts(town, frame))
    elif outline:
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in (project(a, b) for a, b in outline))
        parts.append(f'<polygon points="{points}" fill="#f5f7fa" stroke="{AXIS}"/>')
    peak = max((f.people for f in figures if f.people is not None), default=0) or 1
    legend: dict[str, str] = {}
    # Neighbourhoods first, so collection points sit on top of them.
    order = sorted(figures, key=lambda f: (f.place.kind != "neighbourhood", -(f.people or 0)))
    marks: list[tuple[float, float, float, str]] = []
    svg_height = height
    for figure in order:
        x, y = project(figure.place.lat, figure.place.lon)
        if figure.people is None:
            radius = MIN_RADIUS
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
        marks.append((x, y, radius, figure.place.label))
    themes_shown = sorted(legend.items(), key=lambda i: THEMES.index(i[0]))
    legend_box: Box = (width - 180, 8, width - 4, 28 + len(themes_shown) * 20)
    for n, (code, colour) in enumerate(themes_shown):
        ly = 22 + n * 20
        parts.append(
            f'<circle cx="{_num(width - 170)}" cy="{_num(ly - 4)}" r="6" fill="{colour}"/>'
        )
        parts.append(_text(width - 158, ly, theme_label(code), font_size=12))
    # Labels: bigger places first (collection points before neighbourhoods of the same size).
    rank = sorted(
        range(len(order)),
        key=lambda i: (-(order[i].people or 0), order[i].place.kind != "collection_point", i),
    )
    spots = place_labels([marks[i] for i in rank], width, height, [legend_box])
    numbered: list[tuple[int, int]] = []  # (number, index in order)
    label_boxes: list[Box] = [legend_box]
    for i, spot in zip(rank, spots, strict=True):
        figure = order[i]
        weight = "bold" if figure.place.kind == "collection_point" else "normal"
        if spot is None:
            numbered.append((len(numbered) + 1, i))
            continue
        x, y, anchor = spot
        label_boxes.append(_label_box(x, y, figure.place.label, anchor, LABEL_SIZE))
        parts.append(_label(x, y, figure.place.label, anchor, weight))
    if numbered:
        number_marks = [(*marks[i][:3], str(n)) for n, i in numbered]
        number_spots = place_labels(number_marks, width, height, label_boxes, at_centre=True)
        for (n, i), spot in zip(numbered, number_spots, strict=True):
            x, y, anchor = spot or (marks[i][0], marks[i][1] + 4, "middle")
            parts.append(_label(x, y, str(n), anchor, "bold"))
        columns = 3
        column_width = (width - 24) / columns
        rows = math.ceil(len(numbered) / columns)
        top = height + 8
        parts.append(_text(12, top + 12, "Lieux numérotés sur la carte :", font_size=12))
        for k, (n, i) in enumerate(numbered):
            lx = 12 + (k // rows) * column_width
            ly = top + 12 + LEGEND_ROW * (1 + k % rows)
            parts.append(_text(lx, ly, f"{n}. {order[i].place.label}", font_size=12))
        svg_height = top + 12 + LEGEND_ROW * (rows + 1)
    if town is not None and not tile_url_template:
        parts.append(_text(12, height - 12, "Plan simplifié de la ville", font_size=11))
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
    if town is not None:
        description += " Les quartiers sont tracés sur un plan simplifié de la ville."
    if numbered:
        description += (
            " Les lieux trop proches pour écrire leur nom portent un numéro, listé sous la carte."
        )
    svg = svg_document(parts, width, svg_height, title, description, chart_id)
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


def _label(x: float, y: float, text: str, anchor: str, weight: str) -> str:
    """A place's name (or number), with a white halo so it reads over bubbles and lines."""
    return _text(
        x,
        y,
        text,
        text_anchor=anchor,
        font_size=LABEL_SIZE,
        font_weight=weight,
        stroke="#ffffff",
        stroke_width=3,
        paint_order="stroke",
        **{"class": "map-label"},
    )


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


# --------------------------------------------------------------------------- position picker

#: Size of the plan on which a coordinator clicks a collection point's position.
PICKER_WIDTH = 340
PICKER_HEIGHT = 400
PICKER_MARGIN = 12


def inside(ring: Sequence[tuple[float, float]], lat: float, lon: float) -> bool:
    """True when (lat, lon) lies inside the polygon `ring` (ray casting)."""
    result = False
    for (lat1, lon1), (lat2, lon2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        if (lat1 > lat) != (lat2 > lat):
            crossing = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if lon < crossing:
                result = not result
    return result


def picker_frame(town: Town) -> Frame:
    """The projection of the position picker (the same for drawing and for reading a click)."""
    return town_frame(town, PICKER_WIDTH, PICKER_HEIGHT, PICKER_MARGIN)


def picker_svg(town: Town, marker: tuple[float, float] | None = None) -> str:
    """The town plan to click on: neighbourhoods with their names, and the chosen position."""
    frame = picker_frame(town)
    parts = town_parts(town, frame)
    marks = []
    for area in town.areas:
        lat = sum(a for a, _ in area.ring[:-1]) / max(len(area.ring) - 1, 1)
        lon = sum(b for _, b in area.ring[:-1]) / max(len(area.ring) - 1, 1)
        x, y = frame.project(lat, lon)
        marks.append((x, y, 0.0, area.name))
    for spot, (_x, _y, _r, name) in zip(
        place_labels(marks, PICKER_WIDTH, PICKER_HEIGHT, size=10), marks, strict=True
    ):
        if spot is not None:
            parts.append(
                _text(spot[0], spot[1], name, text_anchor=spot[2], font_size=10, fill="#4a5560")
            )
    description = "Plan simplifié de la ville et de ses quartiers."
    if marker is not None:
        x, y = frame.project(*marker)
        parts.append(
            f'<circle class="marker" cx="{_num(x)}" cy="{_num(y)}" r="7" fill="#c0392b" '
            f'stroke="#ffffff" stroke-width="2"/>'
        )
        description += " Le point rouge montre la position choisie."
    return svg_document(
        parts, PICKER_WIDTH, PICKER_HEIGHT, "Plan de la ville", description, "plan-ville"
    )
