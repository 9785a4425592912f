"""Data carried through the retrieval layer: articles, chunks and evidence passages."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


def content_id(text: str) -> str:
    """Stable article id: the first 16 hex digits of the sha256 of the article text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Article(BaseModel):
    """One ingested article; `id` is the content hash of `text`, so the same text is the same article."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    source: str = Field(description="File path or URL the article was read from.")
    text: str
    published: datetime | None = None
    ingested_at: datetime
    content_type: str = "text/plain"
    page_starts: tuple[int, ...] = Field(
        default=(), description="Offset in `text` where each page begins (page 1 at 0); a PDF's only, else empty."
    )
    page_labels: tuple[str, ...] = Field(
        default=(),
        description='What each page is called when the PDF labels its pages otherwise than 1, 2, 3 ("xii", "47").',
    )


class ArticleInfo(BaseModel):
    """What listings show about an article, without its text (`Article` minus `text`)."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    source: str
    published: datetime | None = None
    ingested_at: datetime
    content_type: str = "text/plain"
    page_starts: tuple[int, ...] = ()
    page_labels: tuple[str, ...] = ()


class Chunk(BaseModel):
    """A sentence-aligned slice of an article; `text == article.text[start:end]`."""

    model_config = ConfigDict(frozen=True)

    id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str
    page: int | None = None
    page_end: int | None = None
    page_label: str | None = None
    page_end_label: str | None = None


class Evidence(BaseModel):
    """A retrieved chunk with its provenance and the scores that ranked it."""

    chunk_id: str
    article_id: str
    title: str
    source: str
    text: str
    start: int
    end: int
    page: int | None = Field(default=None, description="The PDF page the passage begins on (1-based).")
    page_end: int | None = Field(default=None, description="The PDF page it ends on, when that is a later one.")
    page_label: str | None = Field(default=None, description="What `page` is called, when the PDF labels its pages.")
    page_end_label: str | None = Field(default=None, description="What `page_end` is called, likewise.")
    score: float = Field(
        description="Fused score of the hybrid search (score fusion by default, see retrieval.ranking); higher is better."
    )
    bm25_score: float | None = None
    dense_score: float | None = None
    bm25_rank: int | None = None
    dense_rank: int | None = None
    rank: int = 0
