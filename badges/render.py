"""Draw badge images with Pillow: 512x512 PNG, one pictogram and colour per domain.

The image shows the issuer, the domain pictogram on a coloured disc, the badge title, the
level as 1 to 4 steps ("Niveau 2 sur 4") and a small QR code to the verification page.
Text colours are checked against WCAG 2.x AA (contrast >= 4.5:1) in the tests. The output
is deterministic: same arguments, same bytes (no timestamps, fixed font bundled in
``badges/fonts``).
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "BACKGROUND",
    "SIZE",
    "TEXT_COLOUR",
    "DomainStyle",
    "RenderError",
    "contrast_ratio",
    "domain_style",
    "render_badge",
]

SIZE = 512
BACKGROUND = (255, 255, 255)
TEXT_COLOUR = (33, 33, 33)
MUTED_TEXT = (84, 84, 84)
STEP_EMPTY = (224, 224, 224)
FONT_PATH = Path(__file__).with_name("fonts") / "DejaVuSans-Bold.ttf"

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]


class RenderError(ValueError):
    """Bad input for a badge image; ``message`` is plain French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DomainStyle:
    """Colour (dark enough for white text) and pictogram of a domain."""

    colour: RGB
    pictogram: str


# Colours all give >= 4.5:1 against white (tested), so white pictograms and the white
# level label read well on them, and they read as text colour on the white background.
_STYLES: dict[str, DomainStyle] = {
    "TEL": DomainStyle((31, 95, 168), "phone"),
    "NET": DomainStyle((0, 105, 92), "magnifier"),
    "COM": DomainStyle((106, 27, 154), "envelope"),
    "ADM": DomainStyle((178, 60, 23), "document"),
    "SEC": DomainStyle((46, 125, 50), "padlock"),
    "LOI": DomainStyle((173, 20, 87), "star"),
}
_FALLBACK_COLOURS: tuple[RGB, ...] = (
    (69, 90, 100),
    (121, 85, 72),
    (40, 53, 147),
    (0, 96, 100),
)


def domain_style(domain: str) -> DomainStyle:
    """Style of a domain code (case-insensitive); unknown codes get a stable fallback."""
    style = _STYLES.get(domain.upper())
    if style is not None:
        return style
    index = hashlib.sha256(domain.upper().encode("utf-8")).digest()[0] % len(_FALLBACK_COLOURS)
    return DomainStyle(_FALLBACK_COLOURS[index], "medal")


def _luminance(colour: RGB) -> float:
    """WCAG relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    """The bundled DejaVu Sans Bold at ``size`` pixels."""
    return ImageFont.truetype(str(FONT_PATH), size)


# ---------------------------------------------------------------------------------------
# Pictograms: drawn in white inside box (x0, y0, x1, y1).


def _phone(d: ImageDraw.ImageDraw, box: Box, fg: RGB, bg: RGB) -> None:
    x0, y0, x1, y1 = box
    w = x1 - x0
    left, right = x0 + w * 0.28, x1 - w * 0.28
    d.rounded_rectangle((left, y0, right, y1), radius=int(w * 0.09), fill=fg)
    d.rectangle((left + 9, y0 + 22, right - 9, y1 - 30), fill=bg)
    cx = (left + right) / 2
    d.ellipse((cx - 8, y1 - 24, cx + 8, y1 - 8), fill=bg)


def _magnifier(d: ImageDraw.ImageDraw, box: Box, fg: RGB, bg: RGB) -> None:
    x0, y0, x1, y1 = box
    w = x1 - x0
    r = w * 0.3
    cx, cy = x0 + w * 0.42, y0 + w * 0.42
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=fg, width=14)
    d.line((cx + r * 0.7, cy + r * 0.7, x1 - 6, y1 - 6), fill=fg, width=22)


def _envelope(d: ImageDraw.ImageDraw, box: Box, fg: RGB, bg: RGB) -> None:
    x0, y0, x1, y1 = box
    h = y1 - y0
    top, bottom = y0 + h * 0.2, y1 - h * 0.2
    d.rectangle((x0, top, x1, bottom), fill=fg)
    mid = (x0 + x1) / 2
    d.line((x0 + 6, top + 6, mid, top + h * 0.35, x1 - 6, top + 6), fill=bg, width=9)


def _document(d: ImageDraw.ImageDraw, box: Box, fg: RGB, bg: RGB) -> None:
    x0, y0, x1, y1 = box
    w = x1 - x0
    left, right, fold = x0 + w * 0.18, x1 - w * 0.18, w * 0.2
    d.polygon(
        [(left, y0), (right - fold, y0), (right, y0 + fold), (right, y1), (left, y1)], fill=fg
    )
    d.polygon([(right - fold, y0), (right - fold, y0 + fold), (right, y0 + fold)], fill=bg)
    for i in range(4):
        y = y0 + w * 0.36 + i * w * 0.13
        d.line((left + 16, y, right - 16 - (30 if i == 3 else 0), y), fill=bg, width=8)


def _padlock(d: ImageDraw.ImageDraw, box: Box, fg: RGB, bg: RGB) -> None:
    x0, y0, x1, y1 = box
    w = x1 - x0
    left, right = x0 + w * 0.15, x1 - w * 0.15
    body_top = y0 + w * 0.42
    d.arc((left + 18, y0, right - 18, body_top + w * 0.3), 180, 360, fill=fg, width=18)
    d.line((left + 27, y0 + w * 0.28, left + 27, body_top), fill=fg, width=18)
    d.line((right - 27, y0 + w * 0.28, right - 27, body_top), fill=fg, width=18)
    d.rounded_rectangle((left, body_top, right, y1), radius=12, fill=fg)
    cx, cy = (left + right) / 2, (body_top + y1) / 2
    d.ellipse((cx - 12, cy - 20, cx + 12, cy + 4), fill=bg)
    d.rectangle((cx - 5, cy, cx + 5, cy + 22), fill=bg)


def _star(d: ImageDraw.ImageDraw, box: Box, fg: RGB, bg: RGB) -> None:
    x0, y0, x1, y1 = box
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2 + 6, (x1 - x0) / 2
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    d.polygon(points, fill=fg)


def _medal(d: ImageDraw.ImageDraw, box: Box, fg: RGB, bg: RGB) -> None:
    x0, y0, x1, y1 = box
    w = x1 - x0
    cx = (x0 + x1) / 2
    d.polygon([(cx - w * 0.3, y0), (cx - w * 0.1, y0), (cx, y0 + w * 0.4)], fill=fg)
    d.polygon([(cx + w * 0.3, y0), (cx + w * 0.1, y0), (cx, y0 + w * 0.4)], fill=fg)
    d.ellipse((cx - w * 0.3, y0 + w * 0.35, cx + w * 0.3, y1), fill=fg)
    d.ellipse((cx - w * 0.18, y0 + w * 0.47, cx + w * 0.18, y1 - w * 0.12), outline=bg, width=8)


_PICTOGRAMS: dict[str, Callable[[ImageDraw.ImageDraw, Box, RGB, RGB], None]] = {
    "phone": _phone,
    "magnifier": _magnifier,
    "envelope": _envelope,
    "document": _document,
    "padlock": _padlock,
    "star": _star,
    "medal": _medal,
}


# ---------------------------------------------------------------------------------------


def _wrap(d: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels (a word longer than the line is kept whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if d.textlength(trial, font=font) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _fit_lines(
    d: ImageDraw.ImageDraw, text: str, width: int, sizes: tuple[int, ...], max_lines: int
) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """Largest font size whose wrapped text fits in ``max_lines``; ellipsis as a last resort."""
    for size in sizes:
        font = _font(size)
        lines = _wrap(d, text, font, width)
        if len(lines) <= max_lines and all(d.textlength(x, font=font) <= width for x in lines):
            return lines, font
    font = _font(sizes[-1])
    lines = _wrap(d, text, font, width)[:max_lines]
    last = lines[-1]
    while last and d.textlength(last + "…", font=font) > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return lines, font


def _draw_qr(image: Image.Image, url: str, box_right: int, box_bottom: int) -> int:
    """Draw a QR code (black on white, 2-module quiet zone) ending at the given corner."""
    qr = segno.make(url, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=2))
    scale = max(2, min(4, 112 // len(rows)))
    side = len(rows) * scale
    left, top = box_right - side, box_bottom - side
    draw = ImageDraw.Draw(image)
    draw.rectangle((left, top, left + side - 1, top + side - 1), fill=(255, 255, 255))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                px, py = left + x * scale, top + y * scale
                draw.rectangle((px, py, px + scale - 1, py + scale - 1), fill=(0, 0, 0))
    return side


def render_badge(
    domain: str,
    title: str,
    level: int,
    total_levels: int,
    issuer_name: str,
    verify_url: str,
) -> bytes:
    """Render the badge PNG (512x512, < 100 KB, same bytes for the same arguments)."""
    if not isinstance(domain, str) or not domain.strip():
        raise RenderError("Domaine manquant.")
    if not isinstance(total_levels, int) or not 1 <= total_levels <= 8:
        raise RenderError("Nombre de niveaux invalide.")
    if not isinstance(level, int) or not 1 <= level <= total_levels:
        raise RenderError("Niveau invalide.")
    if not isinstance(title, str) or not title.strip():
        raise RenderError("Titre du badge manquant.")
    if not isinstance(verify_url, str) or not verify_url.startswith(("https://", "http://")):
        raise RenderError("Adresse de vérification invalide.")
    if len(verify_url) > 500:
        raise RenderError("Adresse de vérification trop longue.")
    style = domain_style(domain.strip())
    white = (255, 255, 255)

    image = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    d = ImageDraw.Draw(image)
    # Coloured frame: recognisable at thumbnail size, even without the pictogram.
    d.rounded_rectangle((6, 6, SIZE - 7, SIZE - 7), radius=36, outline=style.colour, width=10)

    issuer_lines, issuer_font = _fit_lines(d, issuer_name.strip() or " ", 440, (20, 18, 16), 1)
    d.text((SIZE // 2, 40), issuer_lines[0], font=issuer_font, fill=MUTED_TEXT, anchor="mm")

    # Domain disc with the pictogram.
    cx, cy, r = SIZE // 2, 150, 92
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=style.colour)
    _PICTOGRAMS[style.pictogram](d, (cx - 56, cy - 56, cx + 56, cy + 56), white, style.colour)

    lines, font = _fit_lines(d, title.strip(), 440, (34, 30, 26, 22), 2)
    y = 272 if len(lines) == 1 else 262
    for line in lines:
        d.text((SIZE // 2, y), line, font=font, fill=TEXT_COLOUR, anchor="mm")
        y += int(font.size) + 6

    # Level: a staircase of `total_levels` steps, the reached ones filled.
    step_w, gap, base_y = 44, 8, 438
    for i in range(total_levels):
        x = 40 + i * (step_w + gap)
        height = 24 + i * 20
        fill = style.colour if i < level else STEP_EMPTY
        d.rectangle((x, base_y - height, x + step_w, base_y), fill=fill)
    level_font = _font(24)
    d.text(
        (40, 476),
        f"Niveau {level} sur {total_levels}",
        font=level_font,
        fill=TEXT_COLOUR,
        anchor="lm",
    )

    side = _draw_qr(image, verify_url, SIZE - 30, SIZE - 46)
    d.text(
        (SIZE - 30 - side // 2, SIZE - 30),
        "Vérifier",
        font=_font(16),
        fill=TEXT_COLOUR,
        anchor="mm",
    )

    # An adaptive palette keeps flat-colour art far under 100 KB and stays deterministic.
    out = io.BytesIO()
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()
