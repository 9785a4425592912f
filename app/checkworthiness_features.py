"""Features of the check-worthiness scorer: n-gram tokens and structural (linguistic) cues, plain Python + numpy.

The training script (bench/train_checkworthiness.py) and the scorer both call these functions, so a model
trained offline sees exactly the features the product computes.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence

import numpy as np

# Numbers become class tokens so "4.3 million" and "12 million" share evidence across debates and years.
_TOKEN = re.compile(
    r"(?P<money>[$\u20ac\u00a3]\s?\d+(?:,\d{3})*(?:\.\d+)?)"
    r"|(?P<num>\d+(?:,\d{3})*(?:\.\d+)?(?:\s?%)?)"
    r"|(?P<word>[A-Za-z]+(?:['\u2019][A-Za-z]+)?)"
)
_YEAR = re.compile(r"^(?:1[89]\d\d|20\d\d)$")

_MONTHS = frozenset("january february march april may june july august september october november december".split())
_COMPARATIVES = frozenset(
    """more most less least fewer fewest higher highest lower lowest larger largest biggest bigger smaller
    smallest greater greatest worse worst better best record double doubled triple tripled half twice
    increase increased increases decrease decreased decreases rise rose risen fell fallen drop dropped
    grew grown growth cut cuts declined decline""".split()
)
_QUANTITY = frozenset(
    """percent percentage million millions billion billions trillion trillions thousand thousands hundred
    hundreds dollars dollar rate rates number numbers average per tax taxes deficit debt jobs budget
    unemployment""".split()
)
_ATTRIBUTION = frozenset(
    "said says say claimed claims claim according reported reports stated announced admitted told".split()
)
_OPINION = re.compile(
    r"\b(?:i|we)\s+(?:think|believe|feel|hope|want|wish|guess|suppose|know|mean|love|like)\b"
    r"|\bin my (?:opinion|view)\b|\blet me\b|\blet's\b",
    re.I,
)
_MODAL = frozenset("will would should could might may must shall can ought".split())
_HEDGE = frozenset("maybe perhaps probably possibly likely seem seems seemed apparently".split())
_FIRST_SINGULAR = frozenset("i me my mine myself i'm i've i'll i'd".split())
_FIRST_PLURAL = frozenset("we us our ours ourselves we're we've we'll we'd".split())
_SECOND = frozenset("you your yours yourself you're you've you'll you'd".split())
_PAST = frozenset("was were had did been voted passed signed created lost won spent paid went".split())
_NEGATION = frozenset("not no never nothing nobody none n't don't didn't doesn't won't can't isn't".split())
_COURTESY = re.compile(r"\b(?:thank|thanks|applause|laughter|crosstalk|welcome|congratulations)\b", re.I)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")

DENSE_NAMES: tuple[str, ...] = (
    "has_number",
    "n_numbers",
    "has_percent",
    "has_money",
    "has_year",
    "has_month",
    "n_capitalised",
    "comparative",
    "quantity_word",
    "attribution",
    "opinion",
    "modal",
    "hedge",
    "first_singular",
    "first_plural",
    "second_person",
    "past",
    "negation",
    "question",
    "exclamation",
    "courtesy",
    "log_words",
    "short",
    "long",
)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens with numbers replaced by class tokens (<year>, <pct>, <money>, <num>)."""
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        if m.group("money"):
            out.append("<money>")
        elif m.group("num"):
            num = m.group("num")
            if num.endswith("%"):
                out.append("<pct>")
            elif _YEAR.match(num):
                out.append("<year>")
            else:
                out.append("<num>")
        else:
            out.append(m.group("word").lower().replace("\u2019", "'"))
    return out


def ngrams(toks: Sequence[str]) -> list[str]:
    """Unigrams and bigrams of a token list (bigrams joined by a space)."""
    return [*toks, *(f"{a} {b}" for a, b in itertools.pairwise(toks))]


def dense_features(text: str) -> list[float]:
    """Structural cues of one sentence, in the order of DENSE_NAMES."""
    toks = tokens(text)
    words = [t for t in toks if not t.startswith("<")]
    n_words = max(len(toks), 1)
    lowered = set(toks)
    numbers = [t for t in toks if t in ("<num>", "<pct>", "<money>")]
    has_percent = "<pct>" in lowered or "percent" in lowered or "percentage" in lowered
    has_money = "<money>" in lowered or bool(lowered & {"dollars", "dollar", "billion", "trillion", "million"})
    capitalised = [m.group(0) for m in _CAPITALISED.finditer(text.strip())]

    def share(vocab: frozenset[str]) -> float:
        return sum(1 for w in words if w in vocab) / n_words

    stripped = text.strip()
    return [
        float(bool(numbers)),
        math.log1p(len(numbers)),
        float(has_percent),
        float(has_money),
        float("<year>" in lowered),
        float(bool(lowered & _MONTHS)),
        math.log1p(len(capitalised)),
        float(bool(lowered & _COMPARATIVES)),
        float(bool(lowered & _QUANTITY)),
        float(bool(lowered & _ATTRIBUTION)),
        float(bool(_OPINION.search(text))),
        share(_MODAL),
        float(bool(lowered & _HEDGE)),
        share(_FIRST_SINGULAR),
        share(_FIRST_PLURAL),
        share(_SECOND),
        share(_PAST),
        float(bool(lowered & _NEGATION) or "n't" in text),
        float(stripped.endswith("?")),
        float("!" in stripped),
        float(bool(_COURTESY.search(text))),
        math.log1p(len(toks)),
        float(len(toks) < 6),
        float(len(toks) > 40),
    ]


def dense_matrix(texts: Sequence[str]) -> np.ndarray:
    """Dense features for many sentences (n x len(DENSE_NAMES), float64)."""
    if not texts:
        return np.zeros((0, len(DENSE_NAMES)))
    return np.asarray([dense_features(t) for t in texts], dtype=np.float64)


def tfidf_rows(texts: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray) -> list[dict[int, float]]:
    """Sublinear, L2-normalised TF-IDF of each text as {column: value} (only n-grams in the vocabulary)."""
    rows: list[dict[int, float]] = []
    for text in texts:
        counts: dict[int, int] = {}
        for gram in ngrams(tokens(text)):
            col = vocabulary.get(gram)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        row = {col: (1.0 + math.log(c)) * float(idf[col]) for col, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in row.values()))
        rows.append({col: v / norm for col, v in row.items()} if norm > 0 else {})
    return rows
