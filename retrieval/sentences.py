"""Sentence segmentation with character offsets (no model, no network).

A line that stands alone (a headline, a list item without final punctuation) is its own sentence; inside a
paragraph, sentences end at . ! ? (optionally followed by closing quotes/brackets) before whitespace and an
upper-case letter, digit or opening quote, except after common abbreviations and initials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt vs etc inc ltd co corp gov sen rep gen col lt sgt capt cmdr adm pres
    no nos fig figs vol approx est dept univ jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n e.g i.e a.m p.m ph.d
    """.split()
)

_PARAGRAPH = re.compile(r"\S(?:.*\S)?")  # one non-blank line, trimmed
_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence and where it sits: `text == source[start:end]`."""

    start: int
    end: int
    text: str


def _ends_with_abbreviation(text: str, end: int) -> bool:
    m = re.search(r"([A-Za-z][A-Za-z.]*)\.$", text[max(0, end - 12) : end + 1])
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    if len(word) == 1:  # an initial: "J. Smith"
        return True
    return word in _ABBREVIATIONS


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences with offsets; blank lines and single newlines both separate lines."""
    out: list[Sentence] = []
    for line in _PARAGRAPH.finditer(text):
        base = line.start()
        body = line.group(0)
        cursor = 0
        for m in _BOUNDARY.finditer(body):
            stop = m.end()
            if body[m.start()] == "." and m.end() - m.start() == 1 and _ends_with_abbreviation(body, m.start()):
                continue
            piece = body[cursor:stop].strip()
            if piece:
                lead = len(body[cursor:stop]) - len(body[cursor:stop].lstrip())
                out.append(Sentence(base + cursor + lead, base + cursor + lead + len(piece), piece))
            cursor = stop
        rest = body[cursor:]
        piece = rest.strip()
        if piece:
            lead = len(rest) - len(rest.lstrip())
            out.append(Sentence(base + cursor + lead, base + cursor + lead + len(piece), piece))
    return out
