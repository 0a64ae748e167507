"""Word cloud of the free-text requests (needs_other, comment), as SVG plus a frequency table.

Words are grouped by a key: lowercase, accents folded, a final plural s/x dropped ("Impôts",
"impot" and "impôt" are one word); the cloud shows each group's most frequent written form.
French stop words (the bundled STOP_WORDS list) and numbers are left out.

Privacy: free text only reaches coordinators. A word is listed when at least `min_people`
people (default 2) wrote it, so a word used by one person alone is never shown; the number of
people behind a word is a figure like any other, so it reads "moins de 5" below 5 people, and
all such words are drawn at the same smallest size in the cloud.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from surveys.analytics import MIN_PEOPLE, _clean_answers, format_figure
from surveys.charts import PALETTE, Chart, _text, _text_width, svg_document

FREE_TEXT_QUESTIONS = ("needs_other", "comment")

STOP_WORDS: frozenset[str] = frozenset(
    """
    a à ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient aurais
    aurait auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels
    avaient avais avait avant avec avez aviez avions avoir avons ayant ayez ayons bah beaucoup
    bien bon c ca ce ceci cela celle celles celui cependant certain certaine certaines certains
    ces cet cette ceux chaque chez ci comme comment d dans de depuis des desquelles desquels
    deux devrait dois doit donc dont du duquel elle elles en encore entre es est et etaient
    etais etait etant ete etes etiez etions etre eu eue eues eurent eus eut eux faire fais fait
    faut fois font hors ici il ils j je jusqu jusque l la laquelle le lequel les lesquelles
    lesquels leur leurs lors lui m ma mais me meme memes mes moi moins mon n ne ni non nos
    notre nous on ont ou où oui par parce pas peu peut peux plus plupart pour pourquoi puis
    qu quand que quel quelle quelles quels qui quoi s sa sans se sera serai seraient serais
    serait seras serez seriez serions serons seront ses si sien son sont sous suis sur t ta
    tandis te tes toi ton tous tout toute toutes tres trop tu un une unes uns vais vers voila
    vont vos votre vous vu y c'est j'ai merci bonjour svp stp etc besoin besoins aide aider
    avoir faire chose choses truc
    """.split()
)
#: Elided articles and pronouns glued to the next word ("l'école", "d'impôts", "qu'il").
ELISIONS = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
MIN_SIZE, MAX_SIZE = 14.0, 44.0


@dataclass(frozen=True)
class WordCount:
    """A grouped word: how it is shown, how many people and how many times it was written."""

    key: str
    word: str
    people: int
    occurrences: int


#: Distinct words and texts remembered per process: each new dashboard filter reads the same
#: free texts again (0.6 s of tokenising at 100,000 responses, 0.05 s remembered).
CACHED_WORDS = 50_000
CACHED_TEXTS = 50_000


@functools.lru_cache(maxsize=CACHED_WORDS)
def fold(word: str) -> str:
    """Grouping key of a word: lowercase, accents removed, final plural s/x dropped."""
    lowered = unicodedata.normalize("NFKD", word.lower())
    bare = "".join(c for c in lowered if not unicodedata.combining(c)).replace("’", "'")
    if len(bare) > 3 and bare[-1] in "sx" and bare[-2] != "s":
        bare = bare[:-1]
    return bare


def tokens(text: str) -> list[str]:
    """Words of a free text, without elided articles, stop words or one-letter words."""
    return list(_tokens(text))


@functools.lru_cache(maxsize=CACHED_TEXTS)
def _tokens(text: str) -> tuple[str, ...]:
    words = []
    for match in WORD.finditer(text):
        word = ELISIONS.sub("", match.group(0))
        if len(word) < 2:
            continue
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c)
        )
        if plain in STOP_WORDS or fold(word) in STOP_WORDS:
            continue
        words.append(word)
    return tuple(words)


def word_frequencies(
    answers: pd.DataFrame,
    *,
    questions: Iterable[str] = FREE_TEXT_QUESTIONS,
    response_ids: Iterable[int] | None = None,
    min_people: int = 2,
) -> list[WordCount]:
    """Grouped words of the free texts, most people first (ties by written form).

    `response_ids` restricts to the responses kept by the dashboard filters
    (e.g. wide["response_id"]). A word counts once per person however often they wrote it.
    """
    frame = _clean_answers(answers)
    frame = frame.loc[frame["question"].isin(list(questions)) & frame["value"].notna()]
    if response_ids is not None:
        frame = frame.loc[frame["response_id"].isin(list(response_ids))]
    people: dict[str, set[int]] = defaultdict(set)
    occurrences: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for response_id, text in zip(frame["response_id"], frame["value"], strict=True):
        for word in _tokens(str(text)):
            key = fold(word)
            people[key].add(int(response_id))
            occurrences[key] += 1
            forms[key][word] += 1
    result = []
    for key, who in people.items():
        if len(who) < min_people:
            continue
        shown = min(forms[key].items(), key=lambda item: (-item[1], item[0]))[0]
        result.append(WordCount(key, shown, len(who), occurrences[key]))
    result.sort(key=lambda w: (-w.people, -w.occurrences, w.word.lower()))
    return result


def frequency_table(words: list[WordCount], *, k: int = MIN_PEOPLE) -> pd.DataFrame:
    """The words as a frame: word, key, people (Int64, NA under `k`: "moins de 5")."""
    frame = pd.DataFrame(
        {
            "word": [w.word for w in words],
            "key": [w.key for w in words],
            "people": pd.array([w.people if w.people >= k else pd.NA for w in words], "Int64"),
        }
    )
    return frame


def _size(people: int, low: int, high: int, k: int) -> float:
    if people < k:
        return MIN_SIZE
    if high <= low:
        return MAX_SIZE
    # Area grows with the number of people, so the font size grows with its square root.
    ratio = (math.sqrt(people) - math.sqrt(low)) / (math.sqrt(high) - math.sqrt(low))
    return MIN_SIZE + 4 + ratio * (MAX_SIZE - MIN_SIZE - 4)


def word_cloud(
    words: list[WordCount],
    *,
    width: float = 640,
    height: float = 360,
    max_words: int = 60,
    k: int = MIN_PEOPLE,
    chart_id: str = "nuage-de-mots",
) -> Chart:
    """SVG word cloud (spiral placement, no overlaps) and its table; same input, same output."""
    title = "Nuage de mots des demandes écrites"
    shown = words[:max_words]
    counted = [w.people for w in shown if w.people >= k]
    low, high = (min(counted), max(counted)) if counted else (k, k)
    placed: list[tuple[float, float, float, float]] = []
    parts: list[str] = []
    cx, cy = width / 2, height / 2
    for n, word in enumerate(shown):
        # Whole pixels, so the layout uses exactly the size the SVG states.
        size = float(round(_size(word.people, low, high, k)))
        w = _text_width(word.word, size) + 4
        h = size * 1.1
        spot = None
        # Archimedean spiral from the centre, small steps: deterministic and simple.
        for step in range(2500):
            angle = step * 0.35
            radius = 2.2 * angle
            x = cx + radius * math.cos(angle) * (width / height) - w / 2
            y = cy + radius * math.sin(angle) - h / 2
            if x < 4 or y < 4 or x + w > width - 4 or y + h > height - 4:
                continue
            box = (x, y, x + w, y + h)
            if all(
                box[2] <= o[0] or box[0] >= o[2] or box[3] <= o[1] or box[1] >= o[3] for o in placed
            ):
                spot = box
                break
        if spot is None:
            continue  # no room left: the word stays in the table
        placed.append(spot)
        colour = PALETTE[n % len(PALETTE)]
        parts.append(
            _text(
                spot[0] + 2,
                spot[1] + size * 0.85,
                word.word,
                font_size=f"{size:.0f}",
                fill=colour,
            )
        )
    top = [w.word for w in shown[:3]]
    description = (
        "Nuage de mots : plus un mot est grand, plus de personnes l'ont écrit. "
        + (f"Les plus fréquents : {', '.join(top)}. " if top else "Aucun mot à montrer. ")
        + "Les mots écrits par une seule personne ne sont pas montrés."
    )
    svg = svg_document(parts, width, height, title, description, chart_id)
    rows = tuple((w.word, format_figure(w.people if w.people >= k else None)) for w in words)
    return Chart(svg, title, description, ("Mot", "Personnes"), rows)
