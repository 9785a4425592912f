"""Reads of a chunk collection's article records (`<collection>_articles`): which articles are complete, the source
each is recorded under, and the articles themselves (with or without their texts). The writes are
`retrieval.store.ChunkStore`'s."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from retrieval.chroma_rows import parse_dt
from retrieval.models import Article, ArticleInfo
from retrieval.pages import decode_labels, decode_starts


class ArticleRecords:
    """The article records in Chroma, read as `Article`s and `ArticleInfo`s (a record is written after its chunks, so
    its presence means its article is complete)."""

    def __init__(self, article_col: Any) -> None:
        """`article_col`: the Chroma collection of article records (a constant 1-d vector each, the text as document)."""
        self.article_col = article_col

    def complete_articles(self, article_ids: Collection[str]) -> set[str]:
        """Those of `article_ids` whose record exists: chunks of any other article are what an interrupted write
        (a killed ingest, a server that failed between the two writes) left behind, never evidence."""
        if not article_ids:
            return set()
        return set(self.article_col.get(ids=sorted(set(article_ids)), include=[])["ids"])

    def stored_source(self, article_id: str) -> str | None:
        """The source a stored article is recorded under; None when it is not stored (or not complete)."""
        page = self.article_col.get(ids=[article_id], include=["metadatas"])
        if not page["ids"]:
            return None
        meta = page["metadatas"][0] if page["metadatas"] else None
        return str((meta or {}).get("source", ""))

    @staticmethod
    def _info(aid: str, meta: dict[str, Any]) -> ArticleInfo:
        return ArticleInfo(
            id=aid,
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            published=parse_dt(meta.get("published")),
            ingested_at=parse_dt(meta.get("ingested_at")) or datetime.fromtimestamp(0).astimezone(),
            content_type=str(meta.get("content_type", "text/plain")),
            page_starts=decode_starts(meta.get("page_starts")),
            page_labels=decode_labels(meta.get("page_labels")),
        )

    @classmethod
    def _article(cls, aid: str, doc: str, meta: dict[str, Any]) -> Article:
        return Article(text=doc, **cls._info(aid, meta).model_dump())

    def article_pages(self, include: list[Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
        """(id, document or None, metadata) of every article record, read in pages of 500."""
        out: list[tuple[str, str | None, dict[str, Any]]] = []
        offset = 0
        while True:
            page = self.article_col.get(include=include, limit=500, offset=offset)
            docs = page["documents"] if "documents" in include else [None] * len(page["ids"])
            out.extend(zip(page["ids"], docs, page["metadatas"], strict=True))
            if len(page["ids"]) < 500:
                return out
            offset += 500

    def articles(self) -> list[Article]:
        """All complete articles, with their text, newest ingest first."""
        out = [self._article(aid, doc or "", meta) for aid, doc, meta in self.article_pages(["documents", "metadatas"])]
        out.sort(key=lambda a: (a.ingested_at, a.id), reverse=True)
        return out

    def article_infos(self) -> list[ArticleInfo]:
        """Every article's title, source and dates without reading the texts, newest ingest first."""
        out = [self._info(aid, meta) for aid, _, meta in self.article_pages(["metadatas"])]
        out.sort(key=lambda a: (a.ingested_at, a.id), reverse=True)
        return out

    def articles_by_id(self, article_ids: Sequence[str]) -> list[Article]:
        """The stored ones of `article_ids`, with their texts, in the order given."""
        if not article_ids:
            return []
        page = self.article_col.get(ids=list(article_ids), include=["documents", "metadatas"])
        found = {
            aid: self._article(aid, doc, meta)
            for aid, doc, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        }
        return [found[aid] for aid in article_ids if aid in found]

    def get_article(self, article_id: str) -> Article | None:
        """One article by id, or None."""
        page = self.article_col.get(ids=[article_id], include=["documents", "metadatas"])
        if not page["ids"]:
            return None
        return self._article(page["ids"][0], page["documents"][0], page["metadatas"][0])
