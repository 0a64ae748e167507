"""Word cloud of the free-text requests: grouping, stop words, privacy, deterministic layout."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from surveys import wordcloud as w
from surveys.charts import CHAR_WIDTH

NS = "{http://www.w3.org/2000/svg}"
TEXTS = [
    (1, "needs_other", "Les impôts en ligne"),
    (1, "comment", "impôts impôts"),
    (2, "needs_other", "impot sur le revenu"),
    (3, "needs_other", "Mes Impôts !"),
    (4, "needs_other", "la CAF et les impôts"),
    (5, "needs_other", "CAF"),
    (6, "needs_other", "Démarches CAF, démarche retraite"),
    (7, "comment", "retraite"),
    (8, "needs_other", "piscine"),
    (9, "needs_other", "impôts"),
    (10, "needs_other", "Impot"),
    (11, "age_band", "retraite"),  # not a free-text question
]


def answers() -> pd.DataFrame:
    return pd.DataFrame(
        [(rid, q, 0, text) for rid, q, text in TEXTS],
        columns=["response_id", "question", "repeat_index", "value"],
    )


def test_fold_and_tokens() -> None:
    assert w.fold("Impôts") == "impot" == w.fold("impot")
    assert w.fold("Démarches") == w.fold("démarche") == "demarche"
    assert w.fold("stress") == "stress"
    assert w.tokens("l'école d'impôts qu'il fait, 2024 !") == ["école", "impôts"]


def test_word_frequencies() -> None:
    words = w.word_frequencies(answers())
    # impôts: people 1, 2, 3, 4, 9, 10 (6), written 8 times, "impôts" is the usual form;
    # CAF: 4, 5, 6; retraite: 6, 7 (person 11's is not free text); the rest by one person each.
    assert [(x.word, x.people, x.occurrences) for x in words] == [
        ("impôts", 6, 8),
        ("CAF", 3, 3),
        ("retraite", 2, 2),
    ]
    alone = w.word_frequencies(answers(), min_people=1)
    assert {x.key for x in alone} >= {"piscine", "demarche", "ligne", "revenu"}
    demarche = next(x for x in alone if x.key == "demarche")
    assert (demarche.people, demarche.occurrences) == (1, 2)
    kept = w.word_frequencies(answers(), response_ids=[6, 7, 8])
    assert [(x.word, x.people) for x in kept] == [("retraite", 2)]


def test_frequency_table_hides_small_counts() -> None:
    table = w.frequency_table(w.word_frequencies(answers()))
    assert list(table["word"]) == ["impôts", "CAF", "retraite"]
    assert [None if pd.isna(v) else int(v) for v in table["people"]] == [6, None, None]


def boxes(svg: str) -> list[tuple[float, float, float, float, str]]:
    out = []
    for t in ET.fromstring(svg).iter(f"{NS}text"):
        size = float(t.get("font-size", "0"))
        x, y = float(t.get("x", "0")), float(t.get("y", "0"))
        width = len(t.text or "") * size * CHAR_WIDTH
        out.append((x, y - size * 0.85, x + width, y - size * 0.85 + size * 1.1, t.text or ""))
    return out


def test_cloud_svg_and_table() -> None:
    chart = w.word_cloud(w.word_frequencies(answers()))
    root = ET.fromstring(chart.svg)
    assert root.get("role") == "img"
    sizes = {t.text: float(t.get("font-size", "0")) for t in root.iter(f"{NS}text")}
    # impôts (6 people) is the one large word; words under 5 people share the smallest size.
    assert sizes == {"impôts": w.MAX_SIZE, "CAF": w.MIN_SIZE, "retraite": w.MIN_SIZE}
    assert chart.rows == (("impôts", "6"), ("CAF", "moins de 5"), ("retraite", "moins de 5"))
    assert "Les plus fréquents : impôts, CAF, retraite." in chart.description
    assert chart == w.word_cloud(w.word_frequencies(answers()))


def test_many_words_do_not_overlap() -> None:
    words = [w.WordCount(f"mot{n}", f"mot{n}", 60 - n, 60 - n) for n in range(60)]
    chart = w.word_cloud(words)
    placed = boxes(chart.svg)
    assert len(placed) >= 30
    for i, a in enumerate(placed):
        assert 0 <= a[0] and a[2] <= 640 and 0 <= a[1] and a[3] <= 360
        for b in placed[i + 1 :]:
            assert (
                a[2] <= b[0] + 1e-6
                or b[2] <= a[0] + 1e-6
                or a[3] <= b[1] + 1e-6
                or (b[3] <= a[1] + 1e-6)
            ), (a, b)
    assert len(chart.svg.encode()) < 15_000
    assert len(chart.rows) == 60


def test_remembered_tokens_cannot_be_changed_by_a_caller() -> None:
    """Tokens are remembered per text (each new dashboard filter reads the same texts again)."""
    first = w.tokens("Les impôts et la CAF")
    first.append("intrus")
    assert w.tokens("Les impôts et la CAF") == ["impôts", "CAF"]
