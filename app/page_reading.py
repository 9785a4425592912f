"""How an article reads on screen, and a PDF's above all: its text layer breaks every printed line ("up from 35" /
"million pounds"), so the workbench shows it reflowed, with a rule and the page number where each page begins.

`reading_text` maps the article text one character to one, so every claim's offsets still hold: a line break
inside a paragraph becomes a space, a word hyphenated at a line's end is shown whole (its hyphen and line break
become zero-width spaces, taken out of the HTML once it is drawn, so a copied "million" is one word), and the line
break before a page's text becomes a form feed that `pdf_article_html` draws as the page's rule. The article text
itself, the quotes and every report stay exactly as extracted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from itertools import pairwise

from app.highlight import Highlight, article_html, escape_text, highlight_html, paragraph_bounds
from retrieval.models import Article
from retrieval.pages import (
    furniture_inside,
    furniture_spans,
    hyphen_kept,
    page_rule,
    whole_words,
    without_furniture,
)
from retrieval.parsers import date_line

__all__ = [
    "PAGE_MARK",
    "article_body_html",
    "furniture_of",
    "heading_text",
    "on_a_full_line",
    "passage_reading",
    "pdf_article_html",
    "pdf_quote_html",
    "quote_as_read",
    "quote_context_html",
    "reading_text",
    "sentence_text",
    "shown_passage",
]

PAGE_MARK = "\x0c"  # where a page begins, in reading_text
_ZERO_WIDTH = "\u200b"
# A line this much shorter than the page's long lines ends its paragraph (or is a heading, a list item, a footer).
_FULL_LINE = 0.75
_ENDS_PARAGRAPH = re.compile(r"[:;]\s*$")
_TEXT_LINE = re.compile(r"[^\n]*\S[^\n]*")
_LINE_END = re.compile(r"[.!?:;,…\"'”’)]$")
_LAST_WORD = re.compile(r"\w+(?=-$)")  # the word a line ends on before its hyphen
_WORD = re.compile(r"\w+")


def _long_line(lines: Sequence[str]) -> int:
    """The length of a page's full lines: its longest but for a few outliers (a wide table row, a footer), read
    among lines at least two fifths as long as its longest, so that a table given one cell a line ("2.1", "Total")
    does not make its short lines count as full ones (a row's label then ran on into its first figure)."""
    lengths = sorted(len(line.strip()) for line in lines if line.strip())
    if not lengths:
        return 0
    lengths = [n for n in lengths if n * 5 >= lengths[-1] * 2]
    return lengths[int(0.8 * (len(lengths) - 1))]


def _heading(line: str, full: int) -> bool:
    """Whether a line reads as a heading: short, capitalised, with no punctuation to end it ("Contracts")."""
    kept = line.strip()
    return len(kept) < _FULL_LINE * full and kept[:1].isupper() and not _LINE_END.search(kept)


def _marked_pages(text: str, starts: Sequence[int]) -> list[tuple[int, int]]:
    """(page number, offset of the line break before it) for each page after the first that reading_text marks."""
    return [(n, lo - 1) for n, lo in enumerate(starts, 1) if n > 1 and lo > 0 and text[lo - 1] == "\n"]


def reading_text(text: str, starts: Sequence[int], *, join_words: bool = True) -> str:
    """`text` as it reads on screen (same length, same offsets): soft line breaks inside paragraphs as spaces, a
    word broken by a hyphen at a line's end whole (with `join_words`; else "expe- cted"), and a form feed before
    each page but the first."""
    if not starts:
        return text
    out = list(text)
    for _, at in _marked_pages(text, starts):
        out[at] = PAGE_MARK
    furniture = _furniture(text, tuple(starts))
    folded: str | None = None  # the text casefolded, for hyphen_kept: made at the first line-end hyphen
    bounds = [*starts, len(text)]
    for page, (lo, hi) in enumerate(pairwise(bounds)):
        lines = text[lo:hi].split("\n")
        full = _long_line(lines)
        newline = lo - 1
        lines_of_text = (m for m in _TEXT_LINE.finditer(text, lo, hi) if not furniture_inside(furniture, *m.span()))
        first_line = next((m.start() for m in lines_of_text), lo) if page == 0 else -1
        for line, following in pairwise(lines):
            line_start, newline = newline + 1, newline + 1 + len(line)
            kept = line.strip()
            if not kept or not following.strip() or full == 0:
                continue
            if furniture_inside(furniture, line_start, newline) or furniture_inside(
                furniture, newline + 1, newline + 1 + len(following)
            ):
                continue  # a header or footer stays on its own line
            if len(kept) < _FULL_LINE * full or _ENDS_PARAGRAPH.search(line) or _heading(following, full):
                continue
            if date_line(kept) or date_line(following):
                continue  # a report's date under its title ("Published 5 March 2025") is a line of its own
            if page == 0 and line_start == first_line and not following[:1].islower():
                continue  # the title, at the top of the first page
            if join_words and line.endswith("-") and line[-2:-1].isalpha() and following[:1].isalnum():
                folded = text.casefold() if folded is None else folded
                left, right = _LAST_WORD.search(line), _WORD.match(following)
                if left and right and hyphen_kept(folded, left.group(0), right.group(0)):
                    out[newline] = _ZERO_WIDTH  # "long-" / "term" where the text writes "long-term": hyphenated
                else:
                    out[newline - 1] = out[newline] = _ZERO_WIDTH  # "mil-" / "lion": one word
            else:
                out[newline] = " "
    return "".join(out)


def pdf_article_html(
    text: str, starts: Sequence[int], highlights: Sequence[Highlight], labels: Sequence[str] = ()
) -> str:
    """A PDF article as one escaped, reflowed block (`reading_text`), claims highlighted, each page after a rule
    that names it (`retrieval.pages.page_rule`: "page 12 (PDF page 14)" when the PDF labels its pages)."""
    body = highlight_html(reading_text(text, starts), highlights).replace(_ZERO_WIDTH, "")
    body = body.replace("<br>", "<br><br>")
    for n, _ in _marked_pages(text, starts):
        rule = (
            '<div class="cd-page" style="border-top:1px solid rgba(128,128,128,0.4);margin:0.8em 0 0.4em 0;'
            f'font-size:0.75em;opacity:0.7">{escape_text(page_rule(labels, n))}</div>'
        )
        body = body.replace(PAGE_MARK, rule, 1)
    return f'<div class="cd-article" style="line-height:1.7;font-size:1.02em">{body}</div>'


def pdf_quote_html(text: str, starts: Sequence[int], focus: Highlight, *, before: int = 0) -> str:
    """The paragraph of a PDF article around the `focus` quote as it reads (`reading_text`: a paragraph ends at a
    kept line break or a page, not at the page's end as its text layer has it), with the `before` paragraphs that
    precede it, the quote highlighted."""
    shown = reading_text(text, starts).replace(PAGE_MARK, "\n")
    left, right = paragraph_bounds(shown, focus.start, focus.end, before=before, sep="\n")
    return highlight_html(shown[left:right], [focus], offset=left).replace(_ZERO_WIDTH, "")


_SOFT_BREAK = re.compile(r"(?<=\S)[ \t]*\n(?![ \t]*\n)(?<!\n\n)")


def passage_reading(passage: str) -> str:
    """A PDF passage (an evidence card's text) as it reads, without its page around it: a word broken at a line's end
    whole (`retrieval.pages.whole_words`: hyphenated where the passage writes it so, "long-term"), and a single line
    break as a space (a blank line stays)."""
    return _SOFT_BREAK.sub(" ", whole_words(passage))


def shown_passage(text: str, page: int | None) -> str:
    """A retrieved or cited passage as evidence cards, search results and reports show it: a PDF's (one with a
    page) reflowed by `passage_reading`, any other as it is."""
    return passage_reading(text) if page is not None else text


@functools.lru_cache(maxsize=4)
def _furniture(text: str, starts: tuple[int, ...]) -> list[tuple[int, int]]:
    return furniture_spans(text, starts)


def furniture_of(article: Article) -> list[tuple[int, int]]:
    """A PDF article's running headers and footers (retrieval.pages.furniture_spans), found once per article."""
    return _furniture(article.text, article.page_starts) if article.page_starts else []


@functools.lru_cache(maxsize=4)
def _document_line(text: str) -> int:
    return _long_line(text.split("\n"))


def on_a_full_line(article: Article, offset: int) -> bool:
    """Whether the line of a PDF article that the character before `offset` is on runs (near) to the full width of
    the document's lines: only such a line lets a sentence flow on to the next page. A page that ends on a short
    line (a cover's "Presented to Parliament in March 2025", a paragraph's last line) ended what it said there."""
    text = article.text
    start = text.rfind("\n", 0, max(0, offset - 1)) + 1
    end = text.find("\n", start)
    line = text[start : len(text) if end < 0 else end].strip()
    return len(line) >= _FULL_LINE * _document_line(text)


def quote_as_read(article: Article, start: int, end: int) -> str:
    """`article.text[start:end]` as it reads: a PDF's headers and footers inside the span left out."""
    if not article.page_starts:
        return article.text[start:end]
    return without_furniture(furniture_of(article), article.text, start, end)


def sentence_text(article: Article) -> str:
    """The text an article's sentences are split from (same length, same offsets): a PDF's as it reads, with its
    pages apart (its text layer breaks every printed line, and a line break before a capital, a figure or a quote
    ends a sentence for the splitter: "to pass the Rental Homes (Security of" | "Tenure) Bill"); any other as it is."""
    if not article.page_starts:
        return article.text
    return _sentence_text(article.text, article.page_starts)


@functools.lru_cache(maxsize=4)
def _sentence_text(text: str, starts: tuple[int, ...]) -> str:
    # (cached as the furniture is: extraction reads it to split sentences and again to find headings)
    return reading_text(text, starts, join_words=False).replace(PAGE_MARK, "\n")


def heading_text(article: Article) -> str | None:
    """A PDF's text as its section headings are also looked for in (same length, same offsets): `sentence_text` with
    its running headers and footers blanked, so that a heading at a page's foot is read before the paragraph that
    follows it on the next page, not before the footer; None for an article without pages."""
    if not article.page_starts:
        return None
    out = list(sentence_text(article))
    for a, b in furniture_of(article):
        out[a:b] = [ch if ch == "\n" else " " for ch in out[a:b]]
    return "".join(out)


def article_body_html(article: Article, highlights: Sequence[Highlight]) -> str:
    """An article as the Article page shows it, claims highlighted: a PDF reflowed with its pages marked
    (`pdf_article_html`), any other as written (`highlight.article_html`)."""
    if article.page_starts:
        return pdf_article_html(article.text, article.page_starts, highlights, article.page_labels)
    return article_html(article.text, highlights)


def quote_context_html(article: Article, focus: Highlight, *, before: int = 0) -> str:
    """A quote in its paragraph, after the `before` paragraphs that precede it, `focus` highlighted: a PDF's
    paragraph as it reads (`pdf_quote_html`), not the whole page its text layer makes one."""
    if article.page_starts:
        return pdf_quote_html(article.text, article.page_starts, focus, before=before)
    left, right = paragraph_bounds(article.text, focus.start, focus.end, before=before)
    return highlight_html(article.text[left:right], [focus], offset=left)
