"""Escaped HTML for untrusted article text: claim quotes highlighted in place, query terms marked in evidence.

Every piece of text is escaped here, so the UI may pass the result to `st.markdown(..., unsafe_allow_html=True)`.
Besides HTML's five specials we turn Markdown's structural characters into numeric entities and emit one line
without blank lines: CommonMark never reads entities as structure, so `[x](javascript:...)`, `*`, `$` or `:red[..]`
in an article stay literal text even if a Markdown pass sees the output.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from app.models import Claim, Review

__all__ = [
    "CATEGORY_STYLES",
    "Highlight",
    "LegendItem",
    "category_for",
    "claim_highlights",
    "escape_text",
    "evidence_html",
    "highlight_html",
    "legend_html",
    "mark_terms",
    "paragraph_bounds",
    "query_terms",
]

# Markdown/Streamlit syntax characters -> numeric entities (none of them occur in html.escape's output).
_MARKDOWN_ENTITIES = {ord(c): f"&#{ord(c)};" for c in "[]()*_`$\\~:|!{}+-=^"}

# Colour per review category: background, border. Chosen to stay legible on Streamlit's light and dark themes.
CATEGORY_STYLES: dict[str, tuple[str, str]] = {
    "unreviewed": ("rgba(255, 214, 10, 0.35)", "#c9a400"),
    "in_progress": ("rgba(56, 139, 253, 0.30)", "#2f6fdb"),
    "not_checkable": ("rgba(140, 140, 140, 0.30)", "#7a7a7a"),
    "rating-5": ("rgba(46, 160, 67, 0.35)", "#2ea043"),
    "rating-4": ("rgba(126, 200, 80, 0.35)", "#6aa84f"),
    "rating-3": ("rgba(255, 159, 28, 0.35)", "#e08a00"),
    "rating-2": ("rgba(240, 100, 50, 0.35)", "#d9541e"),
    "rating-1": ("rgba(218, 54, 51, 0.38)", "#c62828"),
    "rating-none": ("rgba(163, 113, 247, 0.32)", "#8250df"),
}

# A search term in an evidence passage: bold and underlined, not the browser's yellow <mark>, which is also the colour of
# an unreviewed claim in the article view.
TERM_STYLE = (
    "background:none;color:inherit;font-weight:600;text-decoration:underline;text-decoration-thickness:2px;"
    "text-underline-offset:2px"
)

STATUS_LABELS = {"unreviewed": "Unreviewed", "in_progress": "In progress", "not_checkable": "Not checkable"}


@dataclass(frozen=True, slots=True)
class Highlight:
    """One span to highlight: `text[start:end]`, styled by `category`, with a hover title."""

    start: int
    end: int
    category: str
    title: str
    anchor: str | None = None
    # Written after the span ("False", "not checkable"): the colour alone does not say it to everyone (colour
    # blindness, a screen reader, two verdicts of one rating sharing a colour), and a hover title needs a mouse.
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class LegendItem:
    """One legend chip: a category and the label shown for it."""

    category: str
    label: str


def escape_text(text: str) -> str:
    """Escape untrusted text for HTML and neutralise Markdown; newlines become `<br>`."""
    escaped = html.escape(text, quote=True).translate(_MARKDOWN_ENTITIES)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def category_for(review: Review | None, ratings: dict[str, int | None]) -> str:
    """The colour category of a claim: its verdict's rating once reviewed, else its review status."""
    if review is None:
        return "unreviewed"
    if review.not_checkable:
        return "not_checkable"
    if review.verdict is not None:
        rating = ratings.get(review.verdict)
        return f"rating-{rating}" if rating in (1, 2, 3, 4, 5) else "rating-none"
    return review.status if review.status in ("in_progress", "unreviewed") else "in_progress"


def legend_items(ratings: dict[str, int | None]) -> list[LegendItem]:
    """Legend entries: the statuses, then each verdict of the configured scale."""
    items = [LegendItem(key, label) for key, label in STATUS_LABELS.items()]
    for label, rating in ratings.items():
        category = f"rating-{rating}" if rating in (1, 2, 3, 4, 5) else "rating-none"
        items.append(LegendItem(category, label))
    return items


def _style(category: str) -> str:
    background, border = CATEGORY_STYLES.get(category, CATEGORY_STYLES["unreviewed"])
    return f"background:{background};border-bottom:2px solid {border};border-radius:2px;padding:0 1px"


def legend_html(ratings: dict[str, int | None]) -> str:
    """A one-line legend of the highlight colours."""
    chips = "".join(
        f'<span style="{_style(item.category)};margin-right:0.6em;white-space:nowrap">{escape_text(item.label)}</span>'
        for item in legend_items(ratings)
    )
    return f'<div class="cd-legend" style="font-size:0.85em;line-height:2">{chips}</div>'


def _tag(review: Review | None) -> str | None:
    """What a claim's highlight says in words: its verdict, not checkable or in progress (unreviewed says nothing:
    most claims are, and the text stays readable)."""
    if review is None:
        return None
    if review.not_checkable:
        return "not checkable"
    if review.verdict:
        return review.verdict
    return "in progress" if review.status == "in_progress" else None


def claim_highlights(pairs: Iterable[tuple[Claim, Review | None]], ratings: dict[str, int | None]) -> list[Highlight]:
    """Highlights for claims: coloured by verdict or status, hover title = the standalone statement."""
    out = []
    for claim, review in pairs:
        statement = (review.edited_statement if review and review.edited_statement else None) or claim.statement
        verdict = f" — {review.verdict}" if review and review.verdict else ""
        out.append(
            Highlight(
                claim.start,
                claim.end,
                category_for(review, ratings),
                f"{statement}{verdict} (check-worthiness {claim.checkworthiness:.2f})",
                anchor=f"claim-{claim.id}",
                tag=_tag(review),
            )
        )
    return out


def highlight_html(text: str, highlights: Sequence[Highlight], *, offset: int = 0) -> str:
    """Escaped `text` with each highlight wrapped in `<mark>`; overlaps are split at every boundary.

    `offset` is where `text` starts in the article, for highlights given in article coordinates.
    """
    n = len(text)
    spans = [
        (max(h.start - offset, 0), min(h.end - offset, n), h)
        for h in highlights
        if h.end - offset > 0 and h.start - offset < n and h.end > h.start
    ]
    cuts = sorted({0, n, *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    starting: dict[int, list[int]] = {}
    ending: dict[int, list[int]] = {}
    for i, (s, e, _) in enumerate(spans):
        starting.setdefault(s, []).append(i)
        ending.setdefault(e, []).append(i)
    pieces: list[str] = []
    opened: set[str] = set()
    active: set[int] = set()  # spans covering the current piece: a sweep, not a scan of every span per piece
    for left, right in pairwise(cuts):
        active.difference_update(ending.get(left, ()))
        active.update(starting.get(left, ()))
        covering = [spans[i][2] for i in sorted(active)]
        piece = escape_text(text[left:right])
        if not covering:
            pieces.append(piece)
            continue
        # The narrowest covering claim decides the colour: it is the one the reader is looking at.
        top = min(covering, key=lambda h: h.end - h.start)
        title = escape_text(" • ".join(dict.fromkeys(h.title for h in covering)))
        anchor = ""
        if top.anchor and top.anchor not in opened:
            opened.add(top.anchor)
            anchor = f' id="{escape_text(top.anchor)}"'
        pieces.append(
            f'<mark class="cd-claim cd-{top.category}"{anchor} title="{title}" style="{_style(top.category)}">'
            f"{piece}</mark>"
        )
        for i in ending.get(right, ()):
            tag = spans[i][2].tag
            if tag and spans[i][1] == spans[i][2].end - offset:  # the claim ends here, not at the text's edge
                pieces.append(
                    f'<sup class="cd-tag" style="font-size:0.7em;opacity:0.85">&#91;{escape_text(tag)}&#93;</sup>'
                )
    return "".join(pieces)


def article_html(text: str, highlights: Sequence[Highlight]) -> str:
    """The whole article as one escaped block, line breaks kept, claims highlighted. A text without blank lines
    (from an HTML page: one paragraph per line) gets a blank line between its lines, so paragraphs stay apart."""
    body = highlight_html(text, highlights)
    if "\n\n" not in text:
        body = body.replace("<br>", "<br><br>")
    return f'<div class="cd-article" style="line-height:1.7;font-size:1.02em">{body}</div>'


def paragraph_bounds(text: str, start: int, end: int, *, before: int = 0, sep: str | None = None) -> tuple[int, int]:
    """The paragraph around `text[start:end]`, as article offsets: blank-line separated, or one line per paragraph
    in a text with no blank line at all (how text extracted from HTML pages comes, one <p> per line), or as `sep`
    says; with the `before` paragraphs that precede it (what a claim that needs context leans on), as many as there
    are."""
    sep = sep or ("\n\n" if "\n\n" in text else "\n")
    left = text.rfind(sep, 0, start)
    left = 0 if left < 0 else left + len(sep)
    right = text.find(sep, end)
    right = len(text) if right < 0 else right
    for _ in range(before):
        head = text[:left].rstrip()
        if not head:
            break
        left, _ = paragraph_bounds(text, len(head), len(head), sep=sep)
    return left, right


_WORD = re.compile(r"\w[\w'-]*\w|\w", re.UNICODE)
_STOPWORDS = frozenset(
    """
    a an and are as at be been but by for from had has have he her his i in is it its of on or our she
    that the their them they this to was we were what when which who will with would not no than then
    there these those said says say also about after before into over under more most very can could
    """.split()
)


def query_terms(query: str) -> list[str]:
    """Content words of a query, lower-cased, in order, without duplicates or stop words."""
    words = [w.lower() for w in _WORD.findall(query)]
    # Numbers of two or more digits matter ("10 diplomats", "2020"); a lone digit marks noise.
    return list(dict.fromkeys(w for w in words if w not in _STOPWORDS and (len(w) > 2 or (w.isdigit() and len(w) > 1))))


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    # A crude stem (drop a trailing plural/verb "s") so "sanction" marks "sanctions" and back.
    stems = sorted({t[:-1] if len(t) > 4 and t.endswith("s") else t for t in terms}, key=len, reverse=True)
    alternatives = "|".join(re.escape(s) for s in stems)
    return re.compile(rf"\b(?:{alternatives})(?:s|es|ed|ing)?\b", re.IGNORECASE)


def mark_terms(text: str, query: str) -> str:
    """Escaped `text` with the query's content words wrapped in `<mark class="cd-term">` (bold, underlined)."""
    pattern = _term_pattern(query_terms(query))
    if pattern is None:
        return escape_text(text)
    out: list[str] = []
    cursor = 0
    for m in pattern.finditer(text):
        out.append(escape_text(text[cursor : m.start()]))
        out.append(f'<mark class="cd-term" style="{TERM_STYLE}">{escape_text(m.group(0))}</mark>')
        cursor = m.end()
    out.append(escape_text(text[cursor:]))
    return "".join(out)


CARD_META_CHARS = 90


def _clip(text: str, limit: int = CARD_META_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def evidence_html(
    text: str,
    query: str,
    *,
    title: str,
    source: str,
    score: float,
    detail: str = "",
    pages: str = "",
) -> str:
    """One evidence passage card: escaped title, source (then `pages`, a PDF's as `retrieval.pages.passage_pages`
    names them) and score, then the passage with terms marked."""
    # A 300-character title or a long URL, repeated on every card, took a phone screen each: cut, in full on hover.
    meta = (
        f'<span title="{escape_text(title)}">{escape_text(_clip(title))}</span> · '
        f'<span title="{escape_text(source)}">{escape_text(_clip(source))}</span>'
        f"{escape_text(pages)} · score {score:.3f}"
    )
    if detail:
        meta += f" · {escape_text(detail)}"
    return (
        '<div class="cd-evidence" style="border-left:3px solid rgba(128,128,128,0.5);padding:0.2em 0.7em;'
        'margin:0.1em 0 0.6em 0">'
        f'<div style="font-size:0.8em;opacity:0.75">{meta}</div>'
        f'<div style="font-size:0.95em">{mark_terms(text, query)}</div></div>'
    )
