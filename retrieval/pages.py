"""Pages of a PDF article: where each page begins in the article text, and the page an offset falls on.

A fact-checker cites a report by its page ("p. 47"), and a PDF viewer opens one with `#page=47`; character offsets
into the extracted text mean nothing to either. `Article.page_starts` holds the offset at which each page's text
begins (page 1 at 0), recorded when the PDF is parsed; every other article has none. A report whose front matter is
numbered i, ii, iii ... prints "47" on its 53rd page: `Article.page_labels` keeps what each page is called when the PDF
says so (its page labels), and citations use that name while links still open the 53rd page (`#page=53`).
"""

from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Protocol

__all__ = [
    "chunk_page_fields",
    "decode_labels",
    "decode_starts",
    "encode_labels",
    "encode_starts",
    "furniture_inside",
    "furniture_overlapping",
    "furniture_spans",
    "hyphen_kept",
    "joined_pages",
    "only_furniture",
    "page_at",
    "page_name",
    "page_range",
    "page_rule",
    "page_suffix",
    "page_suffix_at",
    "passage_pages",
    "printed_labels",
    "whole_words",
    "without_furniture",
]

# Marks a page's start through the text's clean-up; Unicode private-use characters, one not in the text is used.
_MARKERS = ("\ue000", "\ue001", "\ue002", "\uf8ff")


def joined_pages(pages: Sequence[str], separator: str, clean: Callable[[str], str]) -> tuple[str, tuple[int, ...]]:
    """`clean(separator.join(pages))` and the offset in it where each page begins (empty when that cannot be known).

    The text is exactly what the join and clean-up alone give, so an article's id does not depend on its pages: a
    marker goes before every page but the first, the clean-up runs once over the whole, and the markers are taken
    out again. Should the clean-up have moved or dropped one, no pages are recorded rather than wrong ones.
    """
    raw = separator.join(pages)
    text = clean(raw)
    if len(pages) < 2:
        return text, ((0,) if pages else ())
    marker = next((m for m in _MARKERS if m not in raw), None)
    if marker is None:
        return text, ()
    marked = clean(separator.join([pages[0], *(marker + p for p in pages[1:])]))
    starts = [0]
    pieces = marked.split(marker)
    if len(pieces) != len(pages) or "".join(pieces) != text:
        return text, ()
    offset = 0
    for piece in pieces[:-1]:
        offset += len(piece)
        starts.append(offset)
    return text, tuple(starts)


def page_at(starts: Sequence[int], offset: int) -> int | None:
    """The 1-based page that character `offset` is on; None for an article without pages."""
    if not starts:
        return None
    return max(1, bisect.bisect_right(starts, offset))


def page_range(starts: Sequence[int], start: int, end: int) -> tuple[int, int] | None:
    """The first and last page of the span `start:end`; None for an article without pages."""
    first = page_at(starts, start)
    if first is None:
        return None
    last = page_at(starts, max(start, end - 1)) or first
    return first, last


def printed_labels(labels: Sequence[str], pages: int) -> tuple[str, ...]:
    """A PDF's page labels (one per page) when they name a page otherwise than its number; () when they are just
    1, 2, 3 ..., or do not fit the pages."""
    names = tuple(label.strip() for label in labels)
    if len(names) != pages or all(name == str(n) for n, name in enumerate(names, 1)):
        return ()
    return names


def page_name(labels: Sequence[str], page: int) -> str:
    """What page `page` (1-based) is called: its printed label when the PDF gives one, else its number."""
    label = labels[page - 1] if 0 < page <= len(labels) else ""
    return label or str(page)


def chunk_page_fields(starts: Sequence[int], start: int, end: int, labels: Sequence[str] = ()) -> dict[str, int | str]:
    """A chunk's `page` and, when it runs onto a later page, `page_end`, with what they are called when the PDF
    labels its pages (`page_label`, `page_end_label`); {} for an article without pages."""
    pages = page_range(starts, start, end)
    if pages is None:
        return {}
    first, last = pages
    fields: dict[str, int | str] = {"page": first}
    if last > first:
        fields["page_end"] = last
    if labels:
        fields["page_label"] = page_name(labels, first)
        if last > first:
            fields["page_end_label"] = page_name(labels, last)
    return fields


def page_suffix(
    page: int | None, page_end: int | None = None, label: str | None = None, end_label: str | None = None
) -> str:
    """ ", p. 4" or ", pp. 4-5" to follow a source's name (the printed labels, when given, for the numbers); ""
    without a page."""
    if page is None:
        return ""
    first = label or str(page)
    if page_end is not None and page_end > page:
        return f", pp. {first}-{end_label or page_end}"
    return f", p. {first}"


class Paged(Protocol):
    """A passage with its pages: `retrieval.models.Chunk` and `Evidence`, `app.models.CitedEvidence`."""

    @property
    def page(self) -> int | None: ...
    @property
    def page_end(self) -> int | None: ...
    @property
    def page_label(self) -> str | None: ...
    @property
    def page_end_label(self) -> str | None: ...


def passage_pages(passage: Paged) -> str:
    """`page_suffix` of a passage: ", p. xii", ", pp. 4-5"; "" for one without pages."""
    return page_suffix(passage.page, passage.page_end, passage.page_label, passage.page_end_label)


def page_suffix_at(starts: Sequence[int], labels: Sequence[str], offset: int) -> str:
    """`page_suffix` of the page `offset` is on, named as the PDF names it (", p. xii"); "" without pages."""
    page = page_at(starts, offset)
    return "" if page is None else page_suffix(page, label=page_name(labels, page))


def page_rule(labels: Sequence[str], page: int) -> str:
    """How a page is named where an article shows where it begins: "page 14", or "page 12 (PDF page 14)" when the
    PDF calls its 14th page 12."""
    name = page_name(labels, page)
    return f"page {page}" if name == str(page) else f"page {name} (PDF page {page})"


def encode_starts(starts: Sequence[int]) -> str:
    """Page starts as Chroma metadata (a scalar): "0,1834,3920"."""
    return ",".join(str(s) for s in starts)


def decode_starts(value: object) -> tuple[int, ...]:
    """Page starts from `encode_starts`' form; () for anything else (a record written before pages were kept)."""
    if not isinstance(value, str) or not value:
        return ()
    try:
        return tuple(int(s) for s in value.split(","))
    except ValueError:
        return ()


def encode_labels(labels: Sequence[str]) -> str:
    """Page labels as Chroma metadata (a scalar): a JSON list."""
    return json.dumps(list(labels), ensure_ascii=False)


def decode_labels(value: object) -> tuple[str, ...]:
    """Page labels from `encode_labels`' form; () for anything else (a record written before labels were kept)."""
    if not isinstance(value, str) or not value:
        return ()
    try:
        labels = json.loads(value)
    except ValueError:
        return ()
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        return ()
    return tuple(labels)


# A line that is only a page number: "12", "Page 3", "3 of 12", "- 4 -", "Page 2/9".
_PAGE_NUMBER = re.compile(r"(?i)^\W*(?:page|p\.)?\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\W*$")
_LINE = re.compile(r"[^\n]*\S[^\n]*")


def furniture_spans(text: str, starts: Sequence[int], zone: int = 2) -> list[tuple[int, int]]:
    """The running headers and footers of a PDF's text: among each page's first and last `zone` lines, those that
    come back (figures aside: "Page 3 of 9") at the top or foot of another page, and those that are only a page
    number. Spans of whole lines, in order; none for an article without pages."""
    if not starts:
        return []
    found: list[tuple[str, int, int, int]] = []  # (the line with its figures as #, start, end, page)
    for page, (lo, hi) in enumerate(pairwise([*starts, len(text)])):
        lines = [(m.start(), m.end()) for m in _LINE.finditer(text, lo, hi)]
        for start, end in dict.fromkeys(lines[:zone] + lines[-zone:]):
            line = " ".join(text[start:end].split())
            found.append((re.sub(r"\d+", "#", line).casefold(), start, end, page))
    pages: dict[str, set[int]] = defaultdict(set)
    for key, _, _, page in found:
        pages[key].add(page)
    return sorted(
        (start, end) for key, start, end, _ in found if len(pages[key]) > 1 or _PAGE_NUMBER.match(text[start:end])
    )


def only_furniture(spans: Sequence[tuple[int, int]], text: str, start: int, end: int) -> bool:
    """Whether every line of `text[start:end]` with any text on it (or its part inside the range) lies inside one of
    `spans` (furniture_spans)."""
    if not spans:
        return False
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text, start, end)]
    return bool(lines) and all(furniture_overlapping(spans, s, e) == [(s, e)] for s, e in lines)


def furniture_overlapping(spans: Sequence[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The parts of `spans` (sorted, not overlapping: furniture_spans) inside `start:end`, a span cut at its edges
    (a sentence can begin or end inside a footer: "Annual report: is it working?   Page 3 of 9")."""
    lo = max(0, bisect.bisect_left(spans, (start, -1)) - 1)
    hi = bisect.bisect_left(spans, (end, -1))
    return [(max(a, start), min(b, end)) for a, b in spans[lo:hi] if a < end and b > start]


def furniture_inside(spans: Sequence[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """Those of `spans` (sorted, not overlapping: furniture_spans) that lie inside `start:end`."""
    lo = bisect.bisect_left(spans, (start, -1))
    hi = bisect.bisect_right(spans, (end, end))
    return [(a, b) for a, b in spans[lo:hi] if b <= end]


# A word a PDF's text layer (or a hard-wrapped text) breaks at a line's end: "mil-" / "lion".
_BROKEN_WORD = re.compile(r"(\w+)-[ \t]*\n\s*([a-z]\w*)")


def hyphen_kept(folded: str, left: str, right: str) -> bool:
    """Whether a word hyphenated at a line's end ("long-" / "term") keeps its hyphen when written whole: the next
    line begins with a capital or a figure ("Anglo-" / "French", "mid-" / "2020"), or the text (`folded`, casefolded)
    writes it hyphenated on one line ("long-term"). Otherwise the hyphen only broke the word ("mil-" / "lion").
    Statements, search and the reflowed PDF on screen all decide by this."""
    return not right[:1].islower() or f"{left}-{right}".casefold() in folded


def whole_words(text: str) -> str:
    """`text` with each word broken by a hyphen at a line's end written whole ("6.2 mil-\nlion" -> "6.2 million"),
    hyphenated where `hyphen_kept` says so ("long-term" when the text writes it so)."""
    if "-" not in text or "\n" not in text:
        return text
    folded = text.casefold()

    def whole(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        return f"{left}-{right}" if hyphen_kept(folded, left, right) else left + right

    return _BROKEN_WORD.sub(whole, text)


def without_furniture(spans: Sequence[tuple[int, int]], text: str, start: int, end: int) -> str:
    """`text[start:end]` without the furniture (`spans`: whole lines, or the part of one) inside it."""
    parts, at = [], start
    for a, b in furniture_overlapping(spans, start, end):
        parts.append(text[at:a])
        at = b
    return "".join(parts) + text[at:end]
