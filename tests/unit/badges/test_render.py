"""Badge images: size, weight, determinism, per-domain look, contrast, readable QR code."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from badges import render

URL = "https://mairiebus.example.fr/verifier/0b6c2f5e-8a57-4a8e-9e0c-1b2a3c4d5e6f"


def _render(domain: str = "TEL", level: int = 2, title: str = "Mon téléphone") -> bytes:
    return render.render_badge(domain, title, level, 4, "Ville de Martigues", URL)


def test_png_512_under_100_kb_and_deterministic() -> None:
    data = _render()
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (512, 512)
    assert len(data) < 100_000
    assert _render() == data


def test_qr_code_points_to_the_verification_page() -> None:
    image = Image.open(io.BytesIO(_render())).convert("L")
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [URL]


def test_domains_and_levels_look_different() -> None:
    images = {d: _render(d) for d in ("TEL", "NET", "COM", "ADM", "SEC", "LOI")}
    assert len(set(images.values())) == 6
    colours = {render.domain_style(d).colour for d in images}
    assert len(colours) == 6
    # The level staircase: step 2 of 4 is filled in the domain colour, step 3 is grey.
    image = Image.open(io.BytesIO(_render(level=2))).convert("RGB")
    tel = render.domain_style("TEL").colour
    assert image.getpixel((40 + 1 * 52 + 20, 430)) == tel
    assert image.getpixel((40 + 2 * 52 + 20, 430)) == render.STEP_EMPTY
    full = Image.open(io.BytesIO(_render(level=4))).convert("RGB")
    assert full.getpixel((40 + 3 * 52 + 20, 430)) == tel


def test_unknown_domain_gets_a_stable_fallback() -> None:
    assert render.domain_style("xyz") == render.domain_style("XYZ")
    assert render.domain_style("XYZ").pictogram == "medal"
    assert render.domain_style("tel").pictogram == "phone"


def test_text_colours_meet_wcag_aa() -> None:
    white = (255, 255, 255)
    assert round(render.contrast_ratio((0, 0, 0), white), 1) == 21.0
    assert render.contrast_ratio(render.TEXT_COLOUR, render.BACKGROUND) >= 4.5
    assert render.contrast_ratio(render.MUTED_TEXT, render.BACKGROUND) >= 4.5
    for domain in ("TEL", "NET", "COM", "ADM", "SEC", "LOI", "XYZ", "ABC", "QQQ"):
        assert render.contrast_ratio(render.domain_style(domain).colour, white) >= 4.5, domain
    for colour in render._FALLBACK_COLOURS:
        assert render.contrast_ratio(colour, white) >= 4.5


def test_long_titles_are_wrapped_or_shortened() -> None:
    data = _render(title="Mes démarches en ligne " * 6)
    assert len(data) < 100_000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": 5}, "Niveau invalide"),
        ({"level": 0}, "Niveau invalide"),
        ({"total_levels": 0}, "Nombre de niveaux"),
        ({"title": " "}, "Titre"),
        ({"verify_url": "javascript:alert(1)"}, "Adresse de vérification"),
        ({"domain": ""}, "Domaine"),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "domain": "TEL",
        "title": "T",
        "level": 1,
        "total_levels": 4,
        "issuer_name": "Ville",
        "verify_url": URL,
    }
    args.update(kwargs)
    with pytest.raises(render.RenderError, match=message):
        render.render_badge(**args)  # type: ignore[arg-type]
