"""Sentence-aligned chunking with exact character offsets into the article text."""

from __future__ import annotations

import hashlib
import re

from retrieval.models import Article, Chunk
from retrieval.pages import chunk_page_fields
from retrieval.sentences import split_sentences

_WS = re.compile(r"\s+")

# Which spans chunk_spans makes of a text (its sentence splitter and its packing). Change it with any change there
# that moves a span: workspaces of one shared collection then see that they chunk differently (app.corpus).
CHUNKER = "sentences-1"


def chunk_id_for(article_id: str, index: int, start: int, end: int) -> str:
    """Stable chunk id: hash of the article id, the chunk's position and its span."""
    return hashlib.sha256(f"{article_id}:{index}:{start}:{end}".encode()).hexdigest()[:20]


def _split_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Split text[start:end] at whitespace into spans of at most ~limit characters (hard cut if no space)."""
    spans: list[tuple[int, int]] = []
    lo = start
    while end - lo > limit:
        cut = -1
        for m in _WS.finditer(text, lo + 1, lo + limit + 1):
            cut = m.start()
        if cut <= lo:  # one enormous token: cut it rather than emit an unbounded chunk
            cut = lo + limit
            spans.append((lo, cut))
            lo = cut
        else:
            spans.append((lo, cut))
            m2 = _WS.match(text, cut)
            lo = m2.end() if m2 else cut
    if lo < end:
        spans.append((lo, end))
    return spans


def chunk_spans(text: str, chunk_size: int) -> list[tuple[int, int]]:
    """Character spans packing whole sentences up to ~chunk_size characters each."""
    pieces: list[tuple[int, int]] = []
    for s in split_sentences(text):
        if s.end - s.start > chunk_size:
            pieces.extend(_split_long(text, s.start, s.end, chunk_size))
        else:
            pieces.append((s.start, s.end))
    spans: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for start, end in pieces:
        if cur is None:
            cur = (start, end)
        elif end - cur[0] <= chunk_size:
            cur = (cur[0], end)
        else:
            spans.append(cur)
            cur = (start, end)
    if cur is not None:
        spans.append(cur)
    return spans


def chunk_article(article: Article, chunk_size: int) -> list[Chunk]:
    """Split an article into sentence-aligned chunks; `chunk.text == article.text[chunk.start:chunk.end]`, with the
    pages each runs over when the article has pages (page_end only when it is a later page than `page`), and what
    they are called when the PDF labels its pages."""
    out: list[Chunk] = []
    for i, (start, end) in enumerate(chunk_spans(article.text, chunk_size)):
        out.append(
            Chunk(
                id=chunk_id_for(article.id, i, start, end),
                article_id=article.id,
                index=i,
                start=start,
                end=end,
                text=article.text[start:end],
                **chunk_page_fields(article.page_starts, start, end, article.page_labels),
            )
        )
    return out
