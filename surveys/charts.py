"""Server-side SVG charts for the dashboard: no JavaScript, no external font, accessible.

Every chart is an SVG string with role="img", a <title> and a <desc> (referenced by
aria-labelledby), colours that pass WCAG AA (text 4.5:1, bars 3:1 on white), and comes with
the data table that sits beside it (French headers, figures as text, "moins de 5" where a figure
was hidden). All text is XML-escaped. Inputs are the frames of surveys.analytics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

from surveys.analytics import EXPECTATION_QUESTIONS, TOTAL, format_figure, is_suppressed
from surveys.labels import QUESTION_LABELS, SUPPRESSED_TEXT, theme_label

FONT = "system-ui, sans-serif"
TEXT = "#1a1a1a"
MUTED = "#4d4d4d"
BACKGROUND = "#ffffff"
BAR = "#1d4f91"
AXIS = "#767676"
EMPTY = "#f0f0f0"
#: Sequential blues, light to dark, for heatmaps (cell text colour is picked for contrast).
HEAT = ("#e8f0fa", "#c3d5ee", "#8fb0de", "#5585c5", "#2b5fa6", "#173f78")
#: Categorical colours, each at least 3:1 against white (WCAG 1.4.11) and told apart by legend.
PALETTE = (
    "#1d4f91",
    "#b2401f",
    "#2f7a3b",
    "#7a3d8f",
    "#8a6100",
    "#0b7285",
    "#a61e4d",
    "#5c5c5c",
    "#3b5bdb",
    "#6b4f2a",
    "#c2255c",
    "#2b8a3e",
    "#495057",
)
FONT_SIZE = 14
CHAR_WIDTH = 0.58  # average glyph width of a system sans-serif, in ems, to size labels


@dataclass(frozen=True)
class Chart:
    """An SVG chart and the table of the same figures."""

    svg: str
    title: str
    description: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


# --------------------------------------------------------------------------- colour maths


def _luminance(colour: str) -> float:
    value = colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two #rrggbb colours (1 to 21)."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_colour_on(background: str) -> str:
    """Dark or white text, whichever contrasts more with the background."""
    if contrast_ratio(TEXT, background) >= contrast_ratio("#ffffff", background):
        return TEXT
    return "#ffffff"


# --------------------------------------------------------------------------- svg helpers


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "graphique"


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: float, y: float, content: str, **attrs: Any) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    return f'<text x="{_num(x)}" y="{_num(y)}"{extra}>{escape(content)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, **attrs: Any) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items())
    return (
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(max(w, 0))}" '
        f'height="{_num(max(h, 0))}" fill="{fill}"{extra}/>'
    )


def _text_width(content: str, size: float = FONT_SIZE) -> float:
    return len(content) * size * CHAR_WIDTH


def _fit(content: str, room: float, size: float = FONT_SIZE) -> str:
    """Shorten a label to fit `room` pixels; the full label stays in the data table."""
    most = max(int(room / (size * CHAR_WIDTH)), 4)
    return content if len(content) <= most else content[: most - 1].rstrip() + "…"


def svg_document(
    body: Sequence[str], width: float, height: float, title: str, description: str, chart_id: str
) -> str:
    """Wrap drawing elements in an accessible SVG root."""
    cid = _slug(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="{_num(width)}" height="{_num(height)}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="{FONT}" '
        f'font-size="{FONT_SIZE}" fill="{TEXT}">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(description)}</desc>'
        f"{_rect(0, 0, width, height, BACKGROUND)}" + "".join(body) + "</svg>"
    )


def _value(value: Any) -> float | None:
    return None if is_suppressed(value) else float(value)


# --------------------------------------------------------------------------- bars


def _bar_panel(
    frame: pd.DataFrame, top: float, left: float, width: float, heading: str | None
) -> tuple[list[str], float]:
    """Horizontal bars of a distribution frame (label, count, percent); returns height used."""
    parts: list[str] = []
    y = top
    if heading:
        parts.append(_text(left, y + 16, heading, font_weight="bold"))
        y += 28
    room = width * 0.45 - 12
    labels = [_fit(str(x), room) for x in frame["label"]]
    label_width = max((_text_width(t) for t in labels), default=0) + 12
    bar_left = left + label_width
    figure_room = 110
    bar_room = max(width - label_width - figure_room, 40)
    values = [_value(v) for v in frame["count"]]
    peak = max((v for v in values if v is not None), default=0) or 1
    for label, value, percent in zip(labels, values, frame["percent"], strict=True):
        parts.append(_text(bar_left - 8, y + 17, label, text_anchor="end"))
        if value is None:
            parts.append(
                _text(bar_left + 4, y + 17, SUPPRESSED_TEXT, fill=MUTED, font_style="italic")
            )
        else:
            length = bar_room * value / peak
            parts.append(_rect(bar_left, y + 4, length, 18, BAR))
            figure = f"{format_figure(value)} ({format_figure(percent, percent=True)})"
            parts.append(_text(bar_left + length + 6, y + 17, figure))
        y += 26
    parts.append(
        f'<path d="M{_num(bar_left)} {_num(top + (28 if heading else 0))}V{_num(y)}" '
        f'stroke="{AXIS}"/>'
    )
    return parts, y - top


def _distribution_rows(frame: pd.DataFrame, with_question: bool) -> tuple[tuple[str, ...], ...]:
    rows = []
    for record in frame.itertuples(index=False):
        row = (
            str(record.label),
            format_figure(record.count),
            format_figure(record.percent, percent=True),
        )
        if with_question:
            row = (QUESTION_LABELS.get(str(record.question), str(record.question)), *row)
        rows.append(row)
    return tuple(rows)


def _summary(frame: pd.DataFrame) -> str:
    visible = frame[frame["count"].notna()]
    base = frame["base"].iloc[0] if "base" in frame and len(frame) else None
    if visible.empty:
        return "Aucun chiffre ne peut être montré : moins de 5 personnes à chaque fois."
    top = visible.sort_values("count", ascending=False, kind="stable").iloc[0]
    text = (
        f"Le plus cité : {top['label']} ({format_figure(top['count'])} personnes, "
        f"{format_figure(top['percent'], percent=True)})."
    )
    if base is not None and not is_suppressed(base):
        text = f"Sur {format_figure(base)} personnes ayant répondu. " + text
    return text


def bar_chart(
    frame: pd.DataFrame,
    title: str,
    *,
    chart_id: str | None = None,
    first_column: str = "Réponse",
    width: float = 640,
) -> Chart:
    """Horizontal bar chart of one distribution frame (columns label, count, percent, base)."""
    parts, height = _bar_panel(frame, 10, 10, width - 20, None)
    description = "Barres horizontales. " + _summary(frame) + _hidden_note(frame)
    svg = svg_document(parts, width, height + 20, title, description, chart_id or title)
    columns = (first_column, "Personnes", "Part")
    return Chart(svg, title, description, columns, _distribution_rows(frame, False))


def _hidden_note(frame: pd.DataFrame) -> str:
    if frame["count"].isna().any():
        return " Les chiffres de moins de 5 personnes sont masqués."
    return ""


def panels_chart(
    frame: pd.DataFrame,
    title: str,
    *,
    chart_id: str | None = None,
    columns: int = 2,
    panel_width: float = 500,
) -> Chart:
    """Small multiples: one bar panel per question of a stacked distribution frame."""
    questions = list(dict.fromkeys(frame["question"]))
    parts: list[str] = []
    heights: list[float] = []
    row_top = 10.0
    row_height = 0.0
    summaries = []
    for n, question in enumerate(questions):
        col = n % columns
        if col == 0 and n:
            row_top += row_height + 16
            row_height = 0
        part = frame[frame["question"] == question]
        heading = QUESTION_LABELS.get(question, question)
        base = part["base"].iloc[0]
        if not is_suppressed(base):
            heading += f" ({format_figure(base)} personnes)"
        drawn, height = _bar_panel(part, row_top, 10 + col * panel_width, panel_width - 20, heading)
        parts += drawn
        heights.append(height)
        row_height = max(row_height, height)
        summaries.append(f"{QUESTION_LABELS.get(question, question)} : {_summary(part)}")
    width = 20 + panel_width * min(columns, max(len(questions), 1))
    height = row_top + row_height + 10
    description = "Petits graphiques en barres. " + " ".join(summaries) + _hidden_note(frame)
    svg = svg_document(parts, width, height, title, description, chart_id or title)
    header = ("Question", "Réponse", "Personnes", "Part")
    return Chart(svg, title, description, header, _distribution_rows(frame, True))


def requests_by_theme_chart(frame: pd.DataFrame, *, chart_id: str = "demandes") -> Chart:
    """Bar chart of analytics.requests_by_theme."""
    short = frame.assign(label=[theme_label(str(code)) for code in frame["code"]])
    chart = bar_chart(short, "Demandes par thème", chart_id=chart_id, first_column="Thème")
    # The table keeps the full labels ("Papiers d'identité (carte d'identité, ...)").
    return Chart(
        chart.svg, chart.title, chart.description, chart.columns, _distribution_rows(frame, False)
    )


def how_heard_chart(frame: pd.DataFrame, *, chart_id: str = "venue") -> Chart:
    """Bar panels of analytics.how_heard (why people came, how they heard of the bus)."""
    return panels_chart(frame, "Pourquoi et comment les gens sont venus", chart_id=chart_id)


def expectations_chart(frame: pd.DataFrame, *, chart_id: str = "attentes") -> Chart:
    """Small multiples of analytics.expectations: frequency, days, times, places."""
    order = {q: i for i, q in enumerate(EXPECTATION_QUESTIONS)}
    ordered = frame.sort_values("question", key=lambda s: s.map(order), kind="stable")
    return panels_chart(ordered, "Attentes : quand et où le bus doit venir", chart_id=chart_id)


# --------------------------------------------------------------------------- heatmaps


def _heat_colour(value: float, peak: float) -> str:
    if peak <= 0:
        return HEAT[0]
    index = min(int(value / peak * (len(HEAT) - 1) + 0.5), len(HEAT) - 1)
    return HEAT[index]


def heatmap(
    cells: dict[tuple[str, str], Any],
    row_labels: Sequence[tuple[str, str]],
    col_labels: Sequence[tuple[str, str]],
    title: str,
    description: str,
    *,
    chart_id: str,
    peak: float | None = None,
    fmt: Any = format_figure,
    cell_width: float = 92,
) -> str:
    """SVG heatmap of cells[(row, col)]; hidden cells are grey and say "moins de 5"."""
    left = max((_text_width(label) for _, label in row_labels), default=0) + 20
    top = 90.0
    cell_h = 34
    parts: list[str] = []
    for j, (_, label) in enumerate(col_labels):
        x = left + j * cell_width + cell_width / 2
        # Slanted headers keep long neighbourhood names readable without widening cells.
        parts.append(
            _text(x - 6, top - 8, label, transform=f"rotate(-30 {_num(x - 6)} {_num(top - 8)})")
        )
    values = [_value(v) for v in cells.values()]
    top_value = peak if peak is not None else max((v for v in values if v is not None), default=0)
    for i, (row_code, label) in enumerate(row_labels):
        y = top + i * cell_h
        parts.append(_text(left - 10, y + 22, label, text_anchor="end"))
        for j, (col_code, _) in enumerate(col_labels):
            x = left + j * cell_width
            value = _value(cells.get((row_code, col_code)))
            if value is None:
                parts.append(_rect(x + 1, y + 1, cell_width - 2, cell_h - 2, EMPTY))
                parts.append(
                    _text(
                        x + cell_width / 2,
                        y + 21,
                        SUPPRESSED_TEXT,
                        text_anchor="middle",
                        font_size=11,
                        fill=MUTED,
                    )
                )
            else:
                colour = _heat_colour(value, top_value)
                parts.append(_rect(x + 1, y + 1, cell_width - 2, cell_h - 2, colour))
                parts.append(
                    _text(
                        x + cell_width / 2,
                        y + 22,
                        fmt(value),
                        text_anchor="middle",
                        fill=text_colour_on(colour),
                    )
                )
    width = left + cell_width * len(col_labels) + 20
    height = top + cell_h * len(row_labels) + 10
    return svg_document(parts, width, height, title, description, chart_id)


def age_neighbourhood_chart(frame: pd.DataFrame, *, chart_id: str = "ages-quartiers") -> Chart:
    """Heatmap and table of analytics.age_by_neighbourhood (margins in the table only)."""
    inner = frame[(frame["age_band"] != TOTAL) & (frame["neighbourhood"] != TOTAL)]
    rows = list(dict.fromkeys(zip(inner["age_band"], inner["age_label"], strict=True)))
    cols = list(
        dict.fromkeys(zip(inner["neighbourhood"], inner["neighbourhood_label"], strict=True))
    )
    cells = {(r.age_band, r.neighbourhood): r.count for r in inner.itertuples(index=False)}
    title = "Âge des personnes selon leur quartier"
    grand = frame[(frame["age_band"] == TOTAL) & (frame["neighbourhood"] == TOTAL)]["count"]
    total = format_figure(grand.iloc[0]) if len(grand) else SUPPRESSED_TEXT
    description = (
        f"Tableau en couleurs : une ligne par tranche d'âge, une colonne par quartier, "
        f"plus la couleur est foncée plus il y a de personnes. Total : {total} personnes."
        + _hidden_note(frame)
    )
    svg = heatmap(cells, rows, cols, title, description, chart_id=chart_id)
    all_cols = list(
        dict.fromkeys(zip(frame["neighbourhood"], frame["neighbourhood_label"], strict=True))
    )
    all_rows = list(dict.fromkeys(zip(frame["age_band"], frame["age_label"], strict=True)))
    full = {(r.age_band, r.neighbourhood): r.count for r in frame.itertuples(index=False)}
    table = tuple(
        (label, *(format_figure(full.get((code, c))) for c, _ in all_cols))
        for code, label in all_rows
    )
    header = ("Âge", *(label for _, label in all_cols))
    return Chart(svg, title, description, header, table)


def pass_levels_chart(
    frame: pd.DataFrame,
    *,
    domain_labels: dict[str, str] | None = None,
    chart_id: str = "niveaux-pass",
) -> Chart:
    """Heatmap of the mean Pass level (0 to 4) by domain and neighbourhood, with its table."""
    names = domain_labels or {}
    domains = [(d, names.get(d, d)) for d in dict.fromkeys(frame["domain"])]
    hoods = list(
        dict.fromkeys(zip(frame["neighbourhood"], frame["neighbourhood_label"], strict=True))
    )
    cells = {(r.domain, r.neighbourhood): r.mean_level for r in frame.itertuples(index=False)}
    title = "Niveau moyen du Pass informatique par domaine et par quartier"
    description = (
        "Tableau en couleurs : une ligne par domaine, une colonne par quartier ; chaque case "
        "donne le niveau moyen, de 0 (pas encore commencé) à 4. Plus c'est foncé, plus le "
        "niveau est haut."
        + (
            " Les cases de moins de 5 personnes sont masquées."
            if frame["mean_level"].isna().any()
            else ""
        )
    )
    svg = heatmap(
        cells,
        domains,
        hoods,
        title,
        description,
        chart_id=chart_id,
        peak=4.0,
        fmt=lambda v: f"{v:.1f}".replace(".", ","),
    )
    header = ("Domaine", "Quartier", "Pass", "Niveau moyen", *(f"Niveau {n}" for n in range(5)))
    table = tuple(
        (
            names.get(r.domain, r.domain),
            r.neighbourhood_label,
            format_figure(r.passes),
            SUPPRESSED_TEXT
            if is_suppressed(r.mean_level)
            else f"{r.mean_level:.1f}".replace(".", ","),
            *(format_figure(getattr(r, f"level_{n}")) for n in range(5)),
        )
        for r in frame.itertuples(index=False)
    )
    return Chart(svg, title, description, header, table)


# --------------------------------------------------------------------------- over time


def answers_over_time_chart(
    frame: pd.DataFrame, *, chart_id: str = "reponses-temps", width: float = 720
) -> Chart:
    """Column chart of analytics.answers_over_time; hidden periods are marked, not drawn."""
    title = "Réponses reçues au fil du temps"
    n = max(len(frame), 1)
    left, top, plot_h = 56.0, 20.0, 200.0
    step = (width - left - 20) / n
    values = [_value(v) for v in frame["count"]]
    peak = max((v for v in values if v is not None), default=0) or 1
    parts = [
        f'<path d="M{_num(left)} {_num(top)}V{_num(top + plot_h)}H{_num(width - 20)}" '
        f'stroke="{AXIS}" fill="none"/>'
    ]
    parts.append(_text(left - 6, top + 5, format_figure(peak), text_anchor="end", fill=MUTED))
    parts.append(_text(left - 6, top + plot_h, "0", text_anchor="end", fill=MUTED))
    every = max(1, int(n / 8 + 0.999))
    for i, (value, label) in enumerate(zip(values, frame["label"], strict=True)):
        x = left + i * step
        if value is None:
            parts.append(
                _rect(x + step * 0.15, top + plot_h - 6, step * 0.7, 6, EMPTY, stroke=AXIS)
            )
        else:
            h = plot_h * value / peak
            parts.append(_rect(x + step * 0.15, top + plot_h - h, step * 0.7, h, BAR))
        if i % every == 0:
            short = str(label).replace("semaine du ", "")
            parts.append(
                _text(x + step / 2, top + plot_h + 18, short, text_anchor="middle", font_size=12)
            )
    visible = [
        (v, str(lab)) for v, lab in zip(values, frame["label"], strict=True) if v is not None
    ]
    if visible:
        best = max(visible, key=lambda item: item[0])
        summary = f"Le plus de réponses : {best[1]} ({format_figure(best[0])})."
    else:
        summary = "Aucun chiffre ne peut être montré : moins de 5 réponses à chaque fois."
    description = f"Colonnes, une par période, {len(frame)} périodes. {summary}" + (
        " Les périodes de moins de 5 réponses sont marquées d'un trait gris."
        if any(v is None for v in values)
        else ""
    )
    svg = svg_document(parts, width, top + plot_h + 30, title, description, chart_id)
    rows = tuple(
        (str(lab), format_figure(c)) for lab, c in zip(frame["label"], frame["count"], strict=True)
    )
    return Chart(svg, title, description, ("Période", "Réponses"), rows)
