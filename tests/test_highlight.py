"""Escaped rendering of untrusted article text, claim highlights and matching-term marks."""

from __future__ import annotations

import html
import re

from app.highlight import (
    Highlight,
    article_html,
    category_for,
    claim_highlights,
    escape_text,
    evidence_html,
    highlight_html,
    legend_html,
    mark_terms,
    paragraph_bounds,
    query_terms,
)
from app.models import Claim, Provenance, Review

HOSTILE = (
    'Intro <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=1">.\n\n'
    "[click](javascript:window.__pwned=1) *bold* $x$ :red[alert] `code`"
)


def _visible(fragment: str) -> str:
    """What a browser shows as text: tags stripped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment.replace("<br>", "\n")))


def test_escape_text_neutralises_html_and_markdown() -> None:
    out = escape_text(HOSTILE)
    assert "<script" not in out and "<img" not in out
    assert "](" not in out and "[" not in out and "*" not in out and "$" not in out and ":" not in out
    assert "\n" not in out  # one line: no Markdown paragraph can start inside the output
    assert _visible(out) == HOSTILE


def test_highlight_wraps_quotes_and_keeps_text_verbatim() -> None:
    text = 'He said "prices rose 5%" & <b>then</b> fell.'
    start = text.index("prices")
    end = start + len("prices rose 5%")
    out = highlight_html(text, [Highlight(start, end, "rating-1", 'Prices "rose" <5%>')])
    assert out.count("<mark") == 1
    marked = re.search(r"<mark[^>]*>(.*?)</mark>", out)
    assert marked is not None and html.unescape(marked.group(1)) == "prices rose 5%"
    assert 'title="Prices &quot;rose&quot; &lt;5%&gt;"' in out
    assert "<b>" not in out
    assert _visible(out) == text


def test_overlapping_highlights_split_without_losing_text() -> None:
    text = "alpha beta gamma delta"
    spans = [Highlight(0, 16, "unreviewed", "wide"), Highlight(6, 22, "rating-5", "narrow")]
    out = highlight_html(text, spans)
    assert _visible(out) == text
    assert out.count("<mark") == 3
    # the middle piece belongs to both claims and says so on hover
    assert 'title="wide • narrow"' in out


def test_highlight_outside_text_is_ignored_and_offset_applies() -> None:
    text = "0123456789"
    out = highlight_html(text[5:], [Highlight(0, 3, "unreviewed", "a"), Highlight(6, 8, "unreviewed", "b")], offset=5)
    assert _visible(out) == "56789"
    marked = re.findall(r"<mark[^>]*>(.*?)</mark>", out)
    assert marked == ["67"]


def test_article_html_is_a_single_line_block() -> None:
    out = article_html(HOSTILE, [Highlight(0, 5, "unreviewed", "intro")])
    assert out.startswith('<div class="cd-article"') and "\n" not in out
    assert "javascript:" not in out  # the colon is an entity, so no scheme survives a Markdown pass


def _claim(start: int, end: int, text: str, cw: float = 0.5) -> Claim:
    return Claim(
        id=f"c{start}",
        article_id="a1",
        quote=text[start:end],
        start=start,
        end=end,
        statement=f"Statement {start}",
        checkworthiness=cw,
        provenance=Provenance(extractor="scorer", model="none"),
    )


def test_categories_follow_status_then_verdict() -> None:
    ratings = {"True": 5, "False": 1, "Unverifiable": None}
    assert category_for(None, ratings) == "unreviewed"
    assert category_for(Review(claim_id="x", status="in_progress"), ratings) == "in_progress"
    assert category_for(Review(claim_id="x", status="reviewed", verdict="False"), ratings) == "rating-1"
    assert category_for(Review(claim_id="x", status="reviewed", verdict="Unverifiable"), ratings) == "rating-none"
    assert category_for(Review(claim_id="x", status="reviewed", not_checkable=True), ratings) == "not_checkable"
    legend = legend_html(ratings)
    assert "Unverifiable" in legend and "Not checkable" in legend


def test_claim_highlights_use_edited_statement_as_title() -> None:
    text = "One claim here. Another one there."
    claim = _claim(0, 15, text)
    review = Review(claim_id=claim.id, status="reviewed", verdict="True", edited_statement="Edited <one>")
    [h] = claim_highlights([(claim, review)], {"True": 5})
    assert h.category == "rating-5" and h.title.startswith("Edited <one> — True")
    assert 'title="Edited &lt;one&gt;' in highlight_html(text, [h])


def test_paragraph_bounds_in_a_text_without_blank_lines_is_the_line() -> None:
    # text extracted from an HTML page: one paragraph per line, no blank lines
    text = "Headline\nFirst paragraph of the page.\nThe claim sits here. Another sentence.\nLast paragraph."
    start = text.index("The claim")
    left, right = paragraph_bounds(text, start, start + 9)
    assert text[left:right] == "The claim sits here. Another sentence."


def test_paragraph_bounds() -> None:
    text = "First para.\n\nSecond para has the quote.\nStill second.\n\nThird."
    start = text.index("the quote")
    left, right = paragraph_bounds(text, start, start + 9)
    assert text[left:right] == "Second para has the quote.\nStill second."


def test_query_terms_and_marking() -> None:
    assert query_terms("The US imposed sanctions on Russia in 2021") == ["imposed", "sanctions", "russia", "2021"]
    out = mark_terms("Washington imposed sanction rules; Russia's <reply>", "sanctions on Russia imposed")
    assert re.findall(r'<mark class="cd-term"[^>]*>(.*?)</mark>', out) == ["imposed", "sanction", "Russia"]
    assert "&lt;reply&gt;" in out
    assert mark_terms("<x>", "") == "&lt;x&gt;"
    # not the browser's yellow: that is an unreviewed claim's colour in the article view
    assert all("background:none" in m for m in re.findall(r'<mark class="cd-term"([^>]*)>', out))


def test_evidence_card_escapes_title_and_source() -> None:
    out = evidence_html("text", "text", title="<img src=x onerror=alert(1)>", source="javascript:alert(1)", score=0.5)
    assert "<img" not in out and "javascript:" not in out
    assert "score 0.500" in out


def test_query_terms_keep_numbers_but_not_single_digits() -> None:
    assert query_terms("Russia expelled 10 US diplomats, 1 said") == ["russia", "expelled", "10", "diplomats"]


def test_article_html_keeps_one_line_paragraphs_apart() -> None:
    html_text = "Headline\nFirst paragraph.\nSecond paragraph."  # text extracted from an HTML page
    assert article_html(html_text, []).count("<br><br>") == 2
    plain = "Headline\n\nFirst line\nof a wrapped paragraph."  # blank lines already mark paragraphs
    assert "<br><br><br>" not in article_html(plain, []) and article_html(plain, []).count("<br>") == 3


def test_a_decided_claim_says_its_verdict_in_words_after_its_highlight() -> None:
    text = "Prices rose 5%. Wages fell 2%. Rents doubled. Taxes <fell>."
    ratings = {"Mostly false": 2, "Misleading": 2}  # one rating, one colour: only the words tell them apart
    pairs = [
        (_claim(0, 15, text), Review(claim_id="a", status="reviewed", verdict="Mostly false")),
        (_claim(16, 30, text), Review(claim_id="b", status="reviewed", verdict="Misleading")),
        (_claim(31, 45, text), Review(claim_id="c", status="reviewed", not_checkable=True)),
        (_claim(46, len(text), text), None),
    ]
    out = highlight_html(text, claim_highlights(pairs, ratings))
    assert _visible(out) == (
        "Prices rose 5%.[Mostly false] Wages fell 2%.[Misleading] Rents doubled.[not checkable] Taxes <fell>."
    )  # an unreviewed claim, most of them, adds nothing
    # a passage cut out of the article (the Review page's paragraph) does not tag a claim that goes on past it
    assert "[Mostly false]" not in _visible(highlight_html(text[:10], claim_highlights(pairs[:1], ratings)))


def test_an_evidence_card_cuts_a_long_title_and_source_keeping_them_in_full_on_hover() -> None:
    title, source = "A headline " + "that goes on " * 25, "https://example.org/" + "x" * 480
    out = evidence_html("text", "text", title=title, source=source, score=0.5)
    assert _visible(out).count("…") == 2 and len(_visible(out)) < 2 * 90 + 40
    assert f'title="{escape_text(title)}"' in out and f'title="{escape_text(source)}"' in out
