"""SVG charts: well-formed, accessible, small, escaped, and their tables hold the figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from surveys import analytics as a
from surveys import charts as c

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "analytics"
NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    answers = pd.read_csv(FIXTURES / "answers.csv", dtype={"value": str})
    responses = pd.read_csv(FIXTURES / "responses.csv", dtype={"collection_point": str})
    return a.wide_responses(answers, responses, a.Filters(form_id="mairiebus", demo=False))


def check_svg(chart: c.Chart) -> ET.Element:
    """Common rules: parses, role=img, labelled by its own title and desc, small, no script."""
    root = ET.fromstring(chart.svg)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    title = root.find(f"{NS}title")
    desc = root.find(f"{NS}desc")
    assert title is not None and title.get("id") == title_id and title.text == chart.title
    assert desc is not None and desc.get("id") == desc_id and desc.text == chart.description
    assert "sans-serif" in root.get("font-family", "")
    assert "<script" not in chart.svg and "@import" not in chart.svg and "url(" not in chart.svg
    assert len(chart.svg.encode()) < 15_000
    assert all(len(row) == len(chart.columns) for row in chart.rows)
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_requests_by_theme_chart(wide: pd.DataFrame) -> None:
    chart = c.requests_by_theme_chart(a.requests_by_theme(wide))
    root = check_svg(chart)
    assert chart.columns == ("Thème", "Personnes", "Part")
    assert chart.rows[:4] == (
        ("CAF (allocations familiales)", "11", "55 %"),
        ("École et cantine", "8", "40 %"),
        ("Assurance maladie (Ameli)", "6", "30 %"),
        ("Retraite", "6", "30 %"),
    )
    assert chart.rows[4] == ("Impôts", "moins de 5", "moins de 5")
    drawn = texts(root)
    # Short labels in the drawing, the figures next to the bars, hidden ones spelt out.
    assert "CAF" in drawn and "11 (55 %)" in drawn and drawn.count("moins de 5") == 9
    assert len(root.findall(f"{NS}rect")) == 1 + 4  # background + four bars
    assert "Sur 20 personnes ayant répondu. Le plus cité : CAF" in chart.description


def test_panels_and_heard_how(wide: pd.DataFrame) -> None:
    chart = c.how_heard_chart(a.how_heard(wide))
    root = check_svg(chart)
    assert chart.columns == ("Question", "Réponse", "Personnes", "Part")
    assert ("Comment elle a connu le bus", "Les réseaux sociaux", "6", "50 %") in chart.rows
    assert "Comment elle a connu le bus (12 personnes)" in texts(root)
    expectations = c.expectations_chart(a.expectations(wide))
    check_svg(expectations)
    questions = list(dict.fromkeys(row[0] for row in expectations.rows))
    assert questions == [
        "Fréquence souhaitée",
        "Jours souhaités",
        "Moments souhaités",
        "Lieux souhaités",
    ]
    assert ("Jours souhaités", "Mercredi", "8", "47,1 %") in expectations.rows


def test_age_neighbourhood_heatmap(wide: pd.DataFrame) -> None:
    chart = c.age_neighbourhood_chart(a.age_by_neighbourhood(wide))
    root = check_svg(chart)
    assert chart.columns == ("Âge", "Canto Perdrix", "L'Île", "Carro", "Total")
    assert chart.rows[2] == ("30 à 44 ans", "8", "moins de 5", "moins de 5", "8")
    assert chart.rows[-1] == ("Total", "moins de 5", "9", "moins de 5", "20")
    drawn = texts(root)
    assert drawn.count("8") == 1 and drawn.count("moins de 5") == 17
    # The one visible cell is the darkest colour, with white text on it.
    assert any(r.get("fill") == c.HEAT[-1] for r in root.iter(f"{NS}rect"))
    assert "Total : 20 personnes" in chart.description


def test_pass_levels_chart() -> None:
    frame = pd.DataFrame(
        {
            "domain": ["devices", "devices"],
            "neighbourhood": ["ile", "total"],
            "neighbourhood_label": ["L'Île", "Total"],
            "passes": pd.array([pd.NA, 9], "Int64"),
            "mean_level": pd.array([2.5, 2.3], "Float64"),
            **{f"level_{n}": pd.array([pd.NA, pd.NA], "Int64") for n in range(5)},
        }
    )
    chart = c.pass_levels_chart(frame, domain_labels={"devices": "Utiliser un appareil"})
    root = check_svg(chart)
    assert chart.rows[0][:4] == ("Utiliser un appareil", "L'Île", "moins de 5", "2,5")
    assert chart.rows[1][:4] == ("Utiliser un appareil", "Total", "9", "2,3")
    assert "2,5" in texts(root) and "Utiliser un appareil" in texts(root)


def test_answers_over_time_chart(wide: pd.DataFrame) -> None:
    chart = c.answers_over_time_chart(a.answers_over_time(wide))
    root = check_svg(chart)
    assert chart.rows == (
        ("semaine du 03/03/2025", "8"),
        ("semaine du 10/03/2025", "6"),
        ("semaine du 17/03/2025", "moins de 5"),
        ("semaine du 24/03/2025", "moins de 5"),
        ("semaine du 31/03/2025", "moins de 5"),
    )
    bars = [r for r in root.iter(f"{NS}rect") if r.get("fill") == c.BAR]
    assert len(bars) == 2
    # Heights are proportional: 8 fills the plot (200), 6 fills three quarters.
    assert sorted(float(r.get("height", 0)) for r in bars) == [150.0, 200.0]
    assert "semaine du 03/03/2025 (8)" in chart.description


def test_text_is_escaped() -> None:
    frame = pd.DataFrame(
        {
            "question": "needs",
            "code": ["x"],
            "label": ['<script>alert("x")</script> & co'],
            "count": pd.array([7], "Int64"),
            "percent": pd.array([100.0], "Float64"),
            "base": pd.array([7], "Int64"),
        }
    )
    chart = c.bar_chart(frame, "Titre <b> & « guillemets »", chart_id='a"b')
    root = check_svg(chart)
    assert "<script>" not in chart.svg
    assert '<script>alert("x")</script> & co' in texts(root)
    assert root.get("aria-labelledby") == "a-b-title a-b-desc"


def test_large_inputs_stay_small() -> None:
    hoods = list(a.choice_codes("neighbourhood"))
    rows = [
        {
            "age_band": age,
            "age_label": age,
            "neighbourhood": h,
            "neighbourhood_label": h,
            "count": 100 + i,
        }
        for i, (age, h) in enumerate((age, h) for age in a.AGE_BANDS for h in hoods)
    ]
    frame = pd.DataFrame(rows).astype({"count": "Int64"})
    check_svg(c.age_neighbourhood_chart(frame))
    weeks = pd.DataFrame(
        {
            "period_start": pd.date_range("2024-01-01", periods=104, freq="7D").date,
            "label": [f"semaine du {n:02d}/01/2024" for n in range(104)],
            "count": pd.array(range(5, 109), "Int64"),
        }
    )
    check_svg(c.answers_over_time_chart(weeks))


def test_colours_meet_wcag_aa() -> None:
    assert c.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert c.contrast_ratio(c.TEXT, c.BACKGROUND) >= 4.5
    assert c.contrast_ratio(c.MUTED, c.EMPTY) >= 4.5
    assert c.contrast_ratio(c.BAR, c.BACKGROUND) >= 4.5
    assert all(c.contrast_ratio(colour, "#ffffff") >= 3 for colour in c.PALETTE)
    assert all(c.contrast_ratio(c.text_colour_on(h), h) >= 4.5 for h in c.HEAT)
    assert c.text_colour_on(c.HEAT[0]) == c.TEXT and c.text_colour_on(c.HEAT[-1]) == "#ffffff"
