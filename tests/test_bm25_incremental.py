"""The incremental BM25 index: bm25s's exact scores after adds and removals, segments on disk, other writers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from retrieval.bm25 import K1, B, BM25Index, tokenize
from retrieval.bm25_segments import BM25Segments
from retrieval.chunking import chunk_article
from retrieval.embeddings import MiniLMEmbedder
from retrieval.models import Article, content_id
from retrieval.store import ChunkStore, persistent_client

_BEIR = Path("shared") / "eval" / "scifact" / "beir" / "corpus.jsonl"
SCIFACT = next(
    (p for p in (Path(__file__).resolve().parents[2] / _BEIR, Path("/work") / _BEIR) if p.is_file()),
    Path("/work") / _BEIR,
)


def scifact(n: int) -> list[tuple[str, str, str]]:
    """(chunk id, article id, text) for the first `n` SciFact abstracts, three chunks per pseudo-article."""
    if not SCIFACT.is_file():
        pytest.skip(f"{SCIFACT} not present")
    out = []
    with SCIFACT.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= n:
                break
            doc = json.loads(line)
            out.append((doc["_id"], f"art{i // 3}", f"{doc['title']}\n{doc['text']}"))
    return out


def assert_same_as_bm25s(idx: BM25Index, live: list[tuple[str, str, str]], queries: list[str]) -> None:
    """Every live chunk's score equals that of bm25s built from scratch on the live chunks (rtol 1e-5)."""
    import bm25s

    ref = bm25s.BM25(k1=K1, b=B)
    ref.index([tokenize(t) for _, _, t in live], show_progress=False)
    row_of = {cid: i for i, cid in enumerate(idx._ids) if idx._alive[i]}
    assert len(idx) == len(live) and set(row_of) == {cid for cid, _, _ in live}
    rows = np.array([row_of[cid] for cid, _, _ in live])
    checked = 0
    for q in queries:
        tokens = [t for t in tokenize(q) if t in ref.vocab_dict]
        want = ref.get_scores(tokens) if tokens else np.zeros(len(live), dtype=np.float32)
        got = idx.scores(q)[rows]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        checked += int((want > 0).sum())
    assert checked > 100  # the queries really hit something


def test_scores_equal_bm25s_before_and_after_adds_and_removes() -> None:
    docs = scifact(620)
    first, later = docs[:500], docs[500:]
    queries = [t[:120] for _, _, t in docs[::23]] + ["cancer cells cancer risk", "no such zzzword"]
    idx = BM25Index.build(*zip(*first, strict=True))  # type: ignore[arg-type]
    assert_same_as_bm25s(idx, first, queries)

    gone = {"art3", "art40", "art101"}
    assert idx.remove(gone) == 9
    live = [d for d in first if d[1] not in gone]
    assert_same_as_bm25s(idx, live, queries)

    idx.add(*zip(*later, strict=True))  # type: ignore[arg-type]
    live += later
    assert_same_as_bm25s(idx, live, queries)
    idx.add(*zip(*later[:6], strict=True))  # replaying an add replaces, never duplicates
    assert_same_as_bm25s(idx, live, queries)

    idx.compact()
    assert_same_as_bm25s(idx, live, queries)
    assert idx.remove({"nothing"}) == 0


def test_filters_apply_before_ranking_and_positions_follow_changes() -> None:
    docs = scifact(60)
    idx = BM25Index.build(*zip(*docs, strict=True))  # type: ignore[arg-type]
    query = docs[0][2][:200]
    assert idx.search(query, 3)[0][0] == docs[0][0]
    hits = idx.search(query, 50, exclude_article_ids={"art0"})
    assert hits and not {cid for cid, _ in hits} & {d[0] for d in docs[:3]}
    only = idx.search(query, 50, only_article_ids={"art5"})
    assert {cid for cid, _ in only} <= {d[0] for d in docs[15:18]}
    assert idx.search(query, 5, only_article_ids=set()) == []
    assert sorted(idx.chunk_ids_for({"art1"})) == sorted(d[0] for d in docs[3:6])
    idx.remove({"art1"})
    assert idx.chunk_ids_for({"art1"}) == [] and len(idx.positions({"art1"})) == 0
    assert docs[3][0] not in idx.article_of() and idx.article_of()[docs[0][0]] == "art0"
    assert len(idx) == 57


def test_base_and_segments_round_trip(tmp_path: Path) -> None:
    docs = scifact(90)
    queries = [t[:100] for _, _, t in docs[::7]]
    writer = BM25Segments(tmp_path)
    idx = BM25Index.build(*zip(*docs[:60], strict=True), text_version="v")  # type: ignore[misc]
    writer.save_base(idx, [])
    idx.add(*zip(*docs[60:], strict=True))  # type: ignore[arg-type]
    writer.append_add(*zip(*docs[60:], strict=True))  # type: ignore[arg-type]
    idx.remove({"art2"})
    writer.append_remove({"art2"})
    live = [d for d in docs if d[1] != "art2"]

    loaded = BM25Segments(tmp_path).load("v")
    assert loaded is not None
    assert_same_as_bm25s(loaded, live, queries)
    assert BM25Segments(tmp_path).load("other text version") is None

    # Folding the segments into a new base deletes them; a reader that had applied them reloads.
    reader = BM25Segments(tmp_path)
    stale = reader.load("v")
    assert stale is not None
    writer.save_base(idx, set(writer.seen))
    assert writer.segment_names() == []
    assert not reader.refresh(stale)
    again = reader.load("v")
    assert again is not None
    assert_same_as_bm25s(again, live, queries)


ALPHA = "Acme board meeting\nThe Acme board met on Monday and approved a dividend of two dollars per share. " * 3
BETA = "Court rules on patents\nA federal court ruled that the software patents were invalid last week. " * 3
GAMMA = "Harbour dredging plan\nThe port authority will dredge the harbour channel to admit larger ships. " * 3


def article(text: str, source: str) -> Article:
    return Article(
        id=content_id(text), title=text.split("\n")[0], source=source, text=text, ingested_at=datetime.now(UTC)
    )


def open_store(tmp_path: Path, embedder: MiniLMEmbedder) -> ChunkStore:
    return ChunkStore(persistent_client(tmp_path / "chroma"), "claimdesk", embedder, tmp_path / "bm25")


def test_store_reopens_without_rebuild_and_detects_a_lost_segment(tmp_path: Path) -> None:
    emb = MiniLMEmbedder()
    store = open_store(tmp_path, emb)
    store.bm25()  # an empty base
    a, b = article(ALPHA, "a.txt"), article(BETA, "b.txt")
    store.add_article(a, chunk_article(a, 200))
    store.add_article(b, chunk_article(b, 200))
    assert len(store.keywords.segments.segment_names()) == 2  # one segment per write, no base rewritten

    reopened = open_store(tmp_path, emb)
    assert reopened.keywords.current is not None and len(reopened.keywords.current) == store.count()
    assert reopened.bm25().search("patents court", 3)[0][0] in {c.id for c in store.chunks(b.id)}

    # A crash between the Chroma write and its segment: Chroma is ahead, so the index is not trusted.
    newest = store.keywords.segments.segment_names()[-1]
    (store.keywords.segments.seg_dir / newest).unlink()
    crashed = open_store(tmp_path, emb)
    assert crashed.keywords.current is None
    assert crashed.bm25().search("patents court", 3)  # rebuilt from Chroma
    assert open_store(tmp_path, emb).keywords.current is not None


def test_two_writers_see_each_others_writes_without_a_rebuild(tmp_path: Path) -> None:
    emb = MiniLMEmbedder()
    ui, cli = open_store(tmp_path, emb), open_store(tmp_path, emb)
    a, b, c = article(ALPHA, "a.txt"), article(BETA, "b.txt"), article(GAMMA, "c.txt")
    ui.add_article(a, chunk_article(a, 200))
    ui.bm25()
    base = ui.index_dir / "base.npz"
    base_stamp = base.stat().st_mtime_ns

    cli.keywords.expire()
    assert cli.bm25().search("dividend", 3)  # the UI's write, applied from its segment
    cli.add_article(b, chunk_article(b, 200))
    cli.add_article(c, chunk_article(c, 200))
    cli.delete_article(a.id)

    ui.keywords.expire()
    assert ui.bm25().search("harbour dredge", 3)[0][0] in {ch.id for ch in cli.chunks(c.id)}
    assert ui.bm25().search("dividend board", 3) == []
    assert len(ui.bm25()) == ui.count()
    assert base.stat().st_mtime_ns == base_stamp  # nobody rebuilt


def test_writes_outside_the_index_are_caught_by_the_count_check(tmp_path: Path) -> None:
    emb = MiniLMEmbedder()
    store = open_store(tmp_path, emb)
    a = article(ALPHA, "a.txt")
    store.add_article(a, chunk_article(a, 200))
    store.bm25()
    store.chunk_col.add(
        ids=["x1"],
        embeddings=[emb.embed(["x"])[0]],
        documents=[BETA],
        metadatas=[{"article_id": "raw", "index": 0, "start": 0, "end": len(BETA), "title": "", "source": ""}],
    )
    store.keywords.expire()
    assert store.bm25().search("patents", 3) == []  # first mismatch: a writer may be between its two steps
    store.keywords.expire()
    assert [cid for cid, _ in store.bm25().search("patents", 3)] == ["x1"]  # still differs: rebuilt


@pytest.mark.server  # starts a second Python process writing to the same store
def test_a_write_by_another_process_is_applied_from_its_segment(tmp_path: Path) -> None:
    import subprocess
    import sys
    import textwrap

    emb = MiniLMEmbedder()
    ui = open_store(tmp_path, emb)
    a = article(ALPHA, "a.txt")
    ui.add_article(a, chunk_article(a, 200))
    base_stamp = (ui.index_dir / "base.npz").stat().st_mtime_ns
    root = Path(__file__).resolve().parent.parent
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(root)!r})
        from datetime import UTC, datetime
        from pathlib import Path
        from retrieval.chunking import chunk_article
        from retrieval.embeddings import MiniLMEmbedder
        from retrieval.models import Article, content_id
        from retrieval.store import ChunkStore, persistent_client

        text = {GAMMA!r}
        store = ChunkStore(
            persistent_client(Path({str(tmp_path / "chroma")!r})), "claimdesk", MiniLMEmbedder(),
            Path({str(tmp_path / "bm25")!r}),
        )
        art = Article(id=content_id(text), title="Harbour", source="c.txt", text=text, ingested_at=datetime.now(UTC))
        assert store.add_article(art, chunk_article(art, 200)) == "added"
        assert store.delete_article({a.id!r})
        """
    )
    query = np.asarray(emb.embed_query("port authority dredging the harbour channel"))
    assert ui.dense_ids(query, 1)[0][0] in {c.id for c in ui.chunks(a.id)}  # this process's vectors are loaded
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    ui.keywords.expire()
    assert ui.bm25().search("harbour dredge", 3)
    assert ui.bm25().search("dividend board", 3) == []
    assert len(ui.bm25()) == ui.count()
    assert (ui.index_dir / "base.npz").stat().st_mtime_ns == base_stamp  # applied, not rebuilt
    # The other process's vectors too: embedded Chroma kept answering from this process's own, stale vector index.
    (gamma,) = [info.id for info in ui.article_infos()]
    assert {ui.get_chunk_rows([cid])[cid][1]["article_id"] for cid, _ in ui.dense_ids(query, 2)} == {gamma}


def test_a_segment_that_cannot_be_written_never_fails_the_write(tmp_path: Path) -> None:
    emb = MiniLMEmbedder()
    store = open_store(tmp_path, emb)
    seg_dir = store.keywords.segments.seg_dir
    if seg_dir.exists():
        seg_dir.rmdir()
    seg_dir.write_text("not a directory")  # every segment write now fails with an OSError
    a = article(ALPHA, "a.txt")
    assert store.add_article(a, chunk_article(a, 200)) == "added"
    assert store.bm25().search("dividend", 3)  # this process's index has it
    seg_dir.unlink()
    reopened = open_store(tmp_path, emb)
    assert reopened.keywords.current is None  # the lost segment is detected against Chroma's ids
    assert reopened.bm25().search("dividend", 3)
