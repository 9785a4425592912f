"""The BM25 index of a chunk collection, kept in step with Chroma and with other processes' writes.

This process's writes are applied to the index in memory and recorded as segment files (`retrieval.bm25_segments`)
that other processes replay; at most every 2 s the index is checked against the segments on disk, the store's change
marker and Chroma's chunk count, and it is rebuilt from Chroma when it cannot be trusted. A saved index is used only
when it holds exactly Chroma's chunk ids.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from retrieval.bm25 import BM25Index, fingerprint
from retrieval.bm25_segments import BM25Segments
from retrieval.chroma_rows import INDEX_TEXT_VERSION, PreparedArticle, index_text

_PAGE = 5000  # chunks per Chroma read when their texts come along
# Ids alone are small, and Chroma's offset paging re-scans what it skips: at 100k chunks the id listing every open
# pays took 1.6 s in pages of 5,000 and 0.33 s in one read (bench/query_latency.py, reopen table).
_ID_PAGE = 100_000
_STALE_CHECK_SECONDS = 2.0
_BASE_EVERY_ROWS = 5000  # chunks recorded as segments before they are folded into a new base


class KeywordIndex:
    """The BM25 index of a chunk collection, kept in step with Chroma and with other processes' writes."""

    def __init__(self, chunk_col: Any, index_dir: Path, changed_elsewhere: Callable[[], bool]) -> None:
        """`chunk_col`: the Chroma chunk collection; `index_dir`: where the base and segments are saved;
        `changed_elsewhere`: True when another process wrote to the store since the last call (the store's change
        marker moved; it also brings this process's vector index up to those writes)."""
        self._chunk_col = chunk_col
        self._changed_elsewhere = changed_elsewhere
        self._segments = BM25Segments(index_dir)
        # Held by anyone reading several things from the index that must agree; every write takes it too.
        self.lock = threading.RLock()
        self._bm25: BM25Index | None = None
        self._bm25_checked = 0.0
        self._bm25_mismatch = False
        self._segment_rows = 0
        self._open_bm25()

    @property
    def current(self) -> BM25Index | None:
        """The index in memory as it is, unchecked (None when the next use loads the saved one or rebuilds)."""
        return self._bm25

    @property
    def segments(self) -> BM25Segments:
        """The base and segment files the index is saved as."""
        return self._segments

    def expire(self) -> None:
        """Make the next use check the index against other processes' writes and Chroma (skips the 2 s throttle)."""
        with self.lock:
            self._bm25_checked = 0.0

    def install(self, index: BM25Index | None, *, trust_for: float = 0.0) -> None:
        """Use `index` as the index in memory, first checked `trust_for` seconds later than usual (None: the next
        use loads the saved index or rebuilds). For tests that need an index other processes' writes made stale."""
        with self.lock:
            self._bm25 = index
            self._bm25_checked = time.monotonic() + trust_for

    def all_chunk_rows(self, include: list[str]) -> tuple[list[str], list[dict[str, Any]], list[str]]:
        """Ids of every chunk in Chroma, with their metadatas and documents when `include` names them, read in pages."""
        ids: list[str] = []
        metas: list[dict[str, Any]] = []
        docs: list[str] = []
        offset = 0
        size = _PAGE if include else _ID_PAGE
        while True:
            page = self._chunk_col.get(include=include, limit=size, offset=offset)
            ids.extend(page["ids"])
            if "metadatas" in include:
                metas.extend(page["metadatas"] or [])
            if "documents" in include:
                docs.extend(page["documents"] or [])
            if len(page["ids"]) < size:
                return ids, metas, docs
            offset += size

    def _matches_chroma(self, idx: BM25Index) -> bool:
        ids, _, _ = self.all_chunk_rows([])
        return len(ids) == len(idx) and fingerprint(ids) == idx.fingerprint

    def _load_verified(self) -> BM25Index | None:
        saved = self._segments.load(INDEX_TEXT_VERSION)
        # A saved index is trusted only when it holds exactly Chroma's chunks: a crash between a Chroma write
        # and its segment, or a writer that bypassed us, makes them differ and the index is rebuilt.
        return saved if saved is not None and self._matches_chroma(saved) else None

    def _open_bm25(self) -> None:
        self._bm25 = self._load_verified()
        self._bm25_checked = time.monotonic()
        self._bm25_mismatch = False
        if self._bm25 is None and self._chunk_col.count() == 0:
            self.rebuild()  # costs nothing, and lets this store's first writes go out as segments

    def rebuild(self) -> BM25Index:
        """Rebuild the BM25 index from the chunks in Chroma and save it."""
        with self.lock:
            # Listed before reading Chroma: these segments' writes are already in what we read.
            covered = self._segments.segment_names()
            ids, metas, docs = self.all_chunk_rows(["documents", "metadatas"])
            texts = [
                index_text(str(m.get("title", "")), d, int(m.get("start", 0))) for d, m in zip(docs, metas, strict=True)
            ]
            aids = [str(m["article_id"]) for m in metas]
            idx = BM25Index.build(ids, aids, texts, text_version=INDEX_TEXT_VERSION)
            self._segments.save_base(idx, covered)
            self._segment_rows = 0
            self._bm25 = idx
            self._bm25_checked = time.monotonic()
            self._bm25_mismatch = False
            return idx

    def _check_stale(self, idx: BM25Index) -> BM25Index | None:
        applied = len(self._segments.seen)
        current: BM25Index | None = idx
        if not self._segments.refresh(idx):
            current = self._segments.load(INDEX_TEXT_VERSION)  # another process wrote a new base
            self._segment_rows = 0
        if current is None:
            return None
        # someone else wrote: trust the index only if it still holds exactly Chroma's chunks
        if self._changed_elsewhere() and not self._matches_chroma(current):
            return None
        if self._chunk_col.count() == len(current):
            self._bm25_mismatch = False
            return current
        # Another process may be between its Chroma write and its segment: rebuild only when the counts
        # still differ one check later and no segment arrived in between.
        progressed = len(self._segments.seen) != applied
        if self._bm25_mismatch and not progressed:
            return None
        self._bm25_mismatch = True
        return current

    def index(self) -> BM25Index:
        """The BM25 index, with other processes' writes applied (or rebuilt when it cannot be trusted)."""
        with self.lock:
            if self._bm25 is not None and time.monotonic() - self._bm25_checked > _STALE_CHECK_SECONDS:
                self._bm25 = self._check_stale(self._bm25)
                self._bm25_checked = time.monotonic()
            if self._bm25 is None:
                # Another process may have saved an index that matches Chroma: far cheaper than a rebuild.
                self._bm25 = self._load_verified()
                self._bm25_checked = time.monotonic()
            if self._bm25 is None:
                return self.rebuild()
            return self._bm25

    def chunk_ids(self, article_ids: Collection[str]) -> set[str]:
        """Ids of the indexed chunks of `article_ids` (exactly Chroma's). An article the index has no chunks of may
        be another process's, written since the index was last checked (at most 2 s ago): the index is checked
        against Chroma again then."""
        with self.lock:
            idx = self.index()
            if not all(idx.has_article(a) for a in article_ids):
                self.expire()
                idx = self.index()
            return set(idx.chunk_ids_for(article_ids))

    def verify(self) -> None:
        """Check the index against Chroma's chunk ids now (not at the next periodic check); rebuild it if they differ."""
        with self.lock:
            if not self._matches_chroma(self.index()):
                self.rebuild()

    def apply(self, removed: Collection[str], added: Sequence[PreparedArticle]) -> None:
        """Apply a write Chroma accepted to the live index and record it as segments."""
        with self.lock:
            idx = self._bm25
            if idx is None:
                return  # rebuilt from Chroma on next use, which then includes this write
            ids = [c.id for p in added for c in p.chunks]
            aids = [p.article.id for p in added for _ in p.chunks]
            texts = [t for p in added for t in p.texts]
            if removed:
                idx.remove(removed)
            if added:
                idx.add(ids, aids, texts)
            self._segment_rows += len(ids)
            try:
                if removed:
                    self._segments.append_remove(removed)
                if added:
                    self._segments.append_add(ids, aids, texts)
                # Replaying many segments on open re-tokenizes their texts: fold them into a new base at times.
                if self._segment_rows > max(_BASE_EVERY_ROWS, len(idx) // 10):
                    self._segments.save_base(idx, set(self._segments.seen))
                    self._segment_rows = 0
            except OSError:
                # Chroma has the write and this index too; without its segment, other processes and the next
                # open see counts or fingerprints that differ from Chroma's and rebuild. Never fail the write.
                pass
