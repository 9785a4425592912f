"""The grouped, pipelined ingest path: several articles per embedding call, writes on one background thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.config import Settings
from app.corpus import Corpus
from retrieval.chunking import chunk_article
from retrieval.embeddings import MiniLMEmbedder
from retrieval.models import Article, Chunk, content_id
from retrieval.search import HybridSearcher
from retrieval.store import ChunkStore, persistent_client

TOPICS = ["harbour dredging", "wheat harvest", "bond auction", "rail strike", "vaccine trial", "court ruling"]


class CountingEmbedder(MiniLMEmbedder):
    """Our embedder, recording how many texts each call got."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return super().embed(texts)


class FailingEmbedder(MiniLMEmbedder):
    """Our embedder whose model call fails."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("model crashed")


def open_corpus(settings: Settings, embedder: MiniLMEmbedder) -> Corpus:
    store = ChunkStore(
        persistent_client(settings.chroma_path), settings.collection, embedder, settings.data_dir / "bm25"
    )
    return Corpus(settings, store, HybridSearcher(store))


def write_folder(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        path = folder / f"{i:02d}-{topic.replace(' ', '-')}.txt"
        path.write_text(f"Report {i} on the {topic}\nOfficials said the {topic} number {i} went ahead on Monday.\n")
        paths.append(path)
    return paths


def test_small_articles_share_embedding_calls_and_keep_source_order(settings: Settings, tmp_path: Path) -> None:
    emb = CountingEmbedder()
    corpus = open_corpus(settings, emb)
    paths = write_folder(tmp_path / "news", 20)
    seen: list[str] = []
    report = corpus.ingest([str(tmp_path / "news")], on_article=lambda a, status: seen.append(a.source))
    assert report.counts["added"] == 20 and report.counts["failed"] == 0
    assert [Path(o.source).name for o in report.outcomes] == [p.name for p in paths]
    assert [Path(s).name for s in seen] == [p.name for p in paths]
    assert len(emb.calls) < 20 and sum(emb.calls) == corpus.store.count()  # grouped, nothing embedded twice
    assert len(corpus.store.bm25()) == corpus.store.count()
    hit = corpus.search("wheat harvest number 7", 1)[0]
    assert hit.source.endswith("07-wheat-harvest.txt")

    emb.calls.clear()
    again = corpus.ingest([str(tmp_path / "news")])
    assert again.counts["unchanged"] == 20 and emb.calls == []


def test_duplicate_content_in_one_run_is_stored_once(settings: Settings, tmp_path: Path) -> None:
    corpus = open_corpus(settings, MiniLMEmbedder())
    folder = tmp_path / "dup"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text("Same memo\nThe board approved the merger on Friday.\n")
    report = corpus.ingest([str(folder)])
    assert sorted(o.status for o in report.outcomes) == ["added", "unchanged"]
    assert len(corpus.store.articles()) == 1


def test_embedding_failure_fails_the_group_and_writes_nothing(settings: Settings, tmp_path: Path) -> None:
    corpus = open_corpus(settings, FailingEmbedder())
    write_folder(tmp_path / "news", 5)
    report = corpus.ingest([str(tmp_path / "news")])
    assert report.counts["failed"] == 5
    assert all("model crashed" in (o.message or "") for o in report.failed)
    assert corpus.store.count() == 0 and corpus.store.articles() == []


def _article(text: str, source: str) -> tuple[Article, list[Chunk]]:
    art = Article(
        id=content_id(text), title=text.split("\n")[0], source=source, text=text, ingested_at=datetime.now(UTC)
    )
    return art, chunk_article(art, 200)


def test_one_bad_article_in_a_group_fails_alone_and_leaves_nothing(tmp_path: Path) -> None:
    store = ChunkStore(persistent_client(tmp_path / "chroma"), "claims", MiniLMEmbedder(), tmp_path / "bm25")
    good1 = _article("Port memo\nThe harbour channel will be dredged next spring.", "p.txt")
    bad = _article("Rail memo\nThe rail unions called a strike for Tuesday morning.", "r.txt")
    good2 = _article("Farm memo\nThe wheat harvest came in early this year.", "f.txt")
    prepared = store.prepare([(good1[0], good1[1], True), (bad[0], bad[1], True), (good2[0], good2[1], True)])
    # Two chunks with one id: Chroma refuses the write (a real failure, not a stand-in).
    prepared[1].chunks = [prepared[1].chunks[0], prepared[1].chunks[0]]
    prepared[1].texts = prepared[1].texts * 2
    prepared[1].vectors = np.vstack([prepared[1].vectors, prepared[1].vectors])
    results = store.write(prepared)
    assert results[0] == "added" and results[2] == "added" and isinstance(results[1], Exception)
    assert store.get_article(bad[0].id) is None and store.chunks(bad[0].id) == []
    assert {a.id for a in store.articles()} == {good1[0].id, good2[0].id}
    assert len(store.bm25()) == store.count() == 2
    assert store.bm25().search("rail strike unions", 5) == []
    assert store.write(store.prepare([(good1[0], good1[1], True)])) == ["unchanged"]


def test_leftovers_of_an_interrupted_write_are_replaced(tmp_path: Path) -> None:
    emb = MiniLMEmbedder()
    art, chunks = _article("Port memo\nThe harbour channel will be dredged next spring. " * 8, "p.txt")
    first = ChunkStore(persistent_client(tmp_path / "chroma"), "claims", emb, tmp_path / "bm25")
    # A write that died before its record: chunks of another chunk size, so other chunk ids.
    old = chunk_article(art, 120)
    assert {c.id for c in old}.isdisjoint(c.id for c in chunks)
    first.chunk_col.upsert(
        ids=[c.id for c in old],
        embeddings=emb.embed([c.text for c in old]),
        documents=[c.text for c in old],
        metadatas=[{"article_id": art.id, "index": c.index, "start": c.start, "end": c.end} for c in old],
    )
    store = ChunkStore(persistent_client(tmp_path / "chroma"), "claims", emb, tmp_path / "bm25")
    assert len(store.bm25()) == len(old)  # rebuilt from Chroma: it knows the leftovers by id
    assert store.add_article(art, chunks) == "added"
    assert [c.id for c in store.chunks(art.id)] == [c.id for c in chunks]
    assert sorted(store.bm25().chunk_ids_for([art.id])) == sorted(c.id for c in chunks)
    assert len(store.bm25()) == store.count() == len(chunks)


def test_ingest_articles_inline_and_in_background_store_the_same(settings: Settings) -> None:
    arts = [_article(f"Memo {i}\nThe {topic} went ahead on day {i}.", f"m{i}.txt")[0] for i, topic in enumerate(TOPICS)]
    corpus = open_corpus(settings, MiniLMEmbedder())
    inline = corpus.ingest_articles(arts[:3], background_writer=False)
    background = corpus.ingest_articles(arts)
    assert [o.status for o in inline.outcomes] == ["added"] * 3
    assert [o.status for o in background.outcomes] == ["unchanged"] * 3 + ["added"] * 3
    assert {a.id for a in corpus.store.articles()} == {a.id for a in arts}
    # Listings read only metadata, and show exactly what the full records hold apart from the text.
    assert [i.model_dump() for i in corpus.article_infos()] == [
        a.model_dump(exclude={"text"}) for a in corpus.articles()
    ]
    assert len(corpus.store.bm25()) == corpus.store.count() == len(arts)


def test_an_unchanged_file_removes_a_second_live_version_left_by_a_race(settings: Settings, tmp_path: Path) -> None:
    corpus = open_corpus(settings, MiniLMEmbedder())
    path = tmp_path / "race.txt"
    path.write_text("Bridge\n\nVersion ONE said repairs cost 5 million.\n")
    corpus.ingest([str(path)])
    path.write_text("Bridge\n\nVersion TWO corrected the cost to 2 million.\n")
    (old,) = corpus.articles()
    # what a second ingest running at the same moment leaves: the new version beside the old one
    new, chunks = _article(path.read_text(), old.source)
    corpus.store.add_article(new, chunks, replace_same_source=False)
    assert len(corpus.articles()) == 2
    report = corpus.ingest([str(path)])
    assert report.counts["unchanged"] == 1
    assert [a.id for a in corpus.articles()] == [new.id]
