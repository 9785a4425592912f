"""Faithfulness: whether what a model says can stand for its quote, compared with the article.

Content words, figures and names of a statement against those of the article: a figure or a name the article
never gives (`invented_figures`, `invented_names`), or too many words it lacks, makes a statement `unfaithful`
(app/extraction.py's make_claim then falls back to the quote; app/rewrite_checks.py checks a cascade rewrite).
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "MAX_NEW_WORDS",
    "article_words",
    "content_words",
    "invented_figures",
    "invented_names",
    "unfaithful",
]

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "the a an and or of to in on at by for with from as is are was were be been it its that this these those "
    "he she they his her their them who which said says told would will has have had not but also than".split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased words and numbers of a text without the commonest function words, crudely stemmed (a final "s"
    dropped, so "ramps" and "ramp" count as one): for comparing a statement with its quote and article."""
    words = (w.rstrip("s") if len(w) > 3 else w for w in _WORD.findall(text.lower()))
    return {w for w in words if w not in _STOP and len(w) > 1}


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def _figure(text: str) -> str:
    """A figure in one spelling: thousands commas dropped ("4,100" = "4100"), a decimal comma as a point ("4,2" =
    "4.2"), trailing decimal zeros and leading zeros dropped ("4.20" = "4.2", "07" = "7")."""
    value = re.sub(r",(?=\d{3}(?!\d))", "", text).replace(",", ".")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def invented_figures(statement: str, article_text: str) -> list[str]:
    """Figures of `statement` that occur nowhere in the article, compared in one spelling (see _figure)."""
    present = _figures_of(article_text)
    return [m.group(0) for m in _FIGURE.finditer(statement) if _figure(m.group(0)) not in present]


@functools.lru_cache(maxsize=8)
def _figures_of(text: str) -> frozenset[str]:
    """The figures of a text in one spelling: computed once per article, not once per claim of it."""
    return frozenset(_figure(m.group(0)) for m in _FIGURE.finditer(text))


_NAME = re.compile(r"(?<![\w'’])[A-Z][\w'’-]*")
_SENTENCE_OPENER = re.compile(r"(?:^|[.:;!?\"“‘(]\s*|\s[-–—]\s)$")
# Capitalised words a faithful rewrite may add without the article spelling them: dates the rules resolve to, and
# titles put before a name the article gives.
_NAME_ALLOWED = frozenset(
    "january february march april may june july august september october november december monday tuesday "
    "wednesday thursday friday saturday sunday i mr mrs ms dr president prime minister secretary senator governor "
    "chancellor spokesperson spokesman spokeswoman".split()
)
# Words that open a sentence without being names (any other first word must be in the article like a name).
_OPENERS = frozenset(
    "the a an in on at by for from of to with as after before during since until when while if although though "
    "because but and or so yet however also according it its this that these those there here he she they we you "
    "his her their our my some many most more several few all both each every no not one two three four five six "
    "seven eight nine ten last next new former".split()
)


@functools.lru_cache(maxsize=8)
def _name_keys(text: str) -> frozenset[str]:
    """Every prefix of every word of a text (lower-cased), and the initials of its runs of capitalised words
    ("United States" gives "us", "European Union" gives "eu")."""
    keys: set[str] = set()
    for word in re.findall(r"[\w'’-]+", text.lower()):
        keys.update(word[:k] for k in range(1, len(word) + 1))
    for run in re.findall(r"(?:[A-Z][a-z]+\s+){1,4}[A-Z][a-z]+", text):
        parts = run.split()
        for i in range(len(parts)):
            for j in range(i + 2, len(parts) + 1):
                keys.add("".join(p[0] for p in parts[i:j]).lower())
    return frozenset(keys)


def invented_names(statement: str, article_text: str) -> list[str]:
    """Capitalised words of `statement` (names, places, organisations) that the article never spells, nor a word of
    the same stem ("Chinese" for "China"), nor as initials ("US" for "United States"). A sentence's first word
    counts too, unless it is a common opener ("The", "In", "According", ...)."""
    keys = _name_keys(article_text)
    out: list[str] = []
    for m in _NAME.finditer(statement):
        word = m.group(0).strip("'’-").replace(".", "")
        low = word.lower()
        opener = _SENTENCE_OPENER.search(statement[: m.start()]) is not None
        if (opener and low in _OPENERS) or low in _NAME_ALLOWED or low.rstrip("s") in keys:
            continue
        if low in keys or (len(low) >= 5 and low[:4] in keys and any(low[:k] in keys for k in (len(low) - 2, 4))):
            continue
        out.append(m.group(0))
    return out


MAX_NEW_WORDS = 0.2  # share of a statement's content words (at least one word) that may be missing from the article


@functools.lru_cache(maxsize=8)
def article_words(text: str) -> frozenset[str]:
    """content_words of an article's text, computed once per article (not once per claim checked against it)."""
    return frozenset(content_words(text))


def unfaithful(statement: str, quote: str, article_text: str) -> str | None:
    """Why a model's statement cannot stand for its quote, or None: it gives a figure or a name the article lacks,
    adds more than MAX_NEW_WORDS of words found nowhere in the article ("... after admitting fraud"), or keeps less
    than half of the quote's words (a statement about something else: "Mayor X was arrested" on a budget headline)."""
    if figures := invented_figures(statement, article_text):
        return f"figures not in the article: {', '.join(figures)}"
    if names := invented_names(statement, article_text):
        return f"names not in the article: {', '.join(names)}"
    stated = content_words(statement)
    new = stated - article_words(article_text)
    if len(new) > max(1, MAX_NEW_WORDS * len(stated)):
        return f"words not in the article: {', '.join(sorted(new)[:8])}"
    said = content_words(quote)
    if said and len(said & stated) < 0.5 * len(said):
        return "it leaves out most of the quote"
    return None
