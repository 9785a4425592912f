"""Sentence segmentation with character offsets (no model, no network).

A line that stands alone (a headline, a list item without final punctuation) is its own sentence, unless it wraps
into the next line (no closing punctuation, the next line goes on in lower case: a PDF's line ends); inside a
paragraph, sentences end at . ! ? (optionally followed by closing quotes/brackets) before whitespace and an
upper-case letter, digit or opening quote, except after common abbreviations and initials and after a line's
list number ("1. Total funding rises" is one sentence). Zero-width and other
invisible format characters count as whitespace there. A sentence longer than MAX_SENTENCE_CHARS is cut at the last
whitespace before the limit, so one unpunctuated megabyte never becomes one sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt vs etc inc ltd co corp gov sen rep gen col lt sgt capt cmdr adm pres
    no nos fig figs vol approx est dept univ jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n e.g i.e a.m p.m ph.d
    """.split()
)

# A claim quote longer than this is not one claim; 1,000 characters is several long news sentences.
MAX_SENTENCE_CHARS = 1000
# Invisible format characters (soft hyphen, zero-width space/joiners, direction marks, word joiner, BOM).
_INVISIBLE_CHARS = frozenset(
    chr(c)
    for lo, hi in (
        (0xAD, 0xAD),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x2069),
        (0xFEFF, 0xFEFF),
    )
    for c in range(lo, hi + 1)
)
_INVISIBLE = "".join(sorted(_INVISIBLE_CHARS))
_PARAGRAPH = re.compile(r"\S(?:.*\S)?")  # one non-blank line, trimmed
# A sentence's end, and a reference mark glued to it ("... this year.3 The auditor", "... a tender.[4] Costs", as PDFs
# and web pages with footnotes have them): the mark belongs to neither sentence (split_sentences leaves it between
# them). A bare number counts as a mark only after a word's end: "in 2025.3 The" may be a decimal, and stays as it was.
_BOUNDARY = re.compile(
    rf"(?P<end>[.!?]+[\"'\u201d\u2019)\]]*)(?P<mark>\[\d{{1,3}}\]|\d{{1,3}})?"
    rf"(?=[\s{_INVISIBLE}]+[\"'\u201c\u2018(\[]?[A-Z0-9])"
)


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


def _blank(ch: str) -> bool:
    return ch.isspace() or ch in _INVISIBLE_CHARS


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and _blank(text[start]):
        start += 1
    while end > start and _blank(text[end - 1]):
        end -= 1
    return start, end


def _cut(text: str, start: int) -> int:
    """Where to end a piece starting at `start`: the last whitespace within the limit, else the limit itself."""
    for i in range(start + MAX_SENTENCE_CHARS, start, -1):
        if text[i].isspace():
            return i
    return start + MAX_SENTENCE_CHARS


def _emit(out: list[Sentence], text: str, start: int, end: int) -> None:
    start, end = _trim(text, start, end)
    while end - start > MAX_SENTENCE_CHARS:
        cut = _cut(text, start)
        s, e = _trim(text, start, cut)
        if e > s:
            out.append(Sentence(s, e, text[s:e]))
        start, end = _trim(text, cut, end)
    if end > start:
        out.append(Sentence(start, end, text[start:end]))


# A line break inside a sentence (a PDF's or a hard-wrapped text's line ends): the line does not end a sentence or a
# clause and the next line goes on in lower case.
_LINE_ENDS = frozenset(".!?:;\"'\u201d\u2019)]")


def _lines(text: str) -> list[tuple[int, int]]:
    """The text's non-blank lines as (start, end), a line that wraps into the next one joined with it."""
    blocks: list[tuple[int, int]] = []
    for line in _PARAGRAPH.finditer(text):
        if blocks:
            start, end = blocks[-1]
            gap = text[end : line.start()]
            if gap.count("\n") == 1 and text[end - 1] not in _LINE_ENDS and line.group(0)[0].islower():
                blocks[-1] = (start, line.end())
                continue
        blocks.append((line.start(), line.end()))
    return blocks


# A numbered list item's or section heading's number ("1. Total funding rises") starts its sentence, as a bullet
# does; it is not a sentence of its own.
_LIST_NUMBER = re.compile(r"\s*\(?\d{1,3}")


def _not_an_end(body: str, m: re.Match[str], cursor: int) -> bool:
    """Whether the boundary `m` ends no sentence: a bare number after a figure's full stop ("2025.3 The"), or a
    single full stop that is an abbreviation's or initial's, or a line's list number's."""
    mark = m.group("mark")
    if (
        mark
        and mark[0] != "["
        and (m.start() == 0 or not (body[m.start() - 1].isalpha() or body[m.start() - 1] in "%)"))
    ):
        return True  # (only after a word, "%" or ")": "pounds.3 The" is a footnote's, "2025.3" or "4.2 The" not)
    if body[m.start()] != "." or m.end("end") - m.start() != 1:
        return False
    return _ends_with_abbreviation(body, m.start()) or (cursor == 0 and bool(_LIST_NUMBER.fullmatch(body[: m.start()])))


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences with offsets. Blank lines and single newlines both separate lines, except a line
    break inside a sentence (the line goes on in lower case after no closing punctuation): a PDF's wrapped lines."""
    out: list[Sentence] = []
    for base, line_end in _lines(text):
        body = text[base:line_end]
        cursor = 0
        for m in _BOUNDARY.finditer(body):
            if _not_an_end(body, m, cursor):
                continue
            _emit(out, text, base + cursor, base + m.end("end"))
            cursor = m.end()  # (after a reference mark: it starts no sentence)
        _emit(out, text, base + cursor, base + len(body))
    return out


def sentences_before(text: str, start: int, window: int = 1500) -> list[Sentence]:
    """The non-blank sentences of the `window` characters of `text` before `start`, with offsets into `text` itself
    (the first may be cut by the window): what a rule reads to find who the sentence at `start` goes on from."""
    offset = max(0, start - window)
    return [
        replace(x, start=offset + x.start, end=offset + x.end)
        for x in split_sentences(text[offset:start])
        if x.text.strip()
    ]
