"""ChunkStore on a real embedded Chroma in tmp_path, and its BM25 index staying in step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from retrieval.chunking import CHUNKER, chunk_article
from retrieval.embeddings import MiniLMEmbedder
from retrieval.errors import StoreUnavailable
from retrieval.models import Article, content_id
from retrieval.store import ChunkStore, http_client, persistent_client

SEED = Path(__file__).resolve().parent.parent / "seeds" / "china-russia-sanctions.txt"


def make_article(text: str, source: str, title: str = "T") -> Article:
    return Article(id=content_id(text), title=title, source=source, text=text, ingested_at=datetime.now(UTC))


def open_store(tmp_path: Path, embedder: MiniLMEmbedder | None = None) -> ChunkStore:
    return ChunkStore(
        persistent_client(tmp_path / "chroma"), "claimdesk", embedder or MiniLMEmbedder(), tmp_path / "bm25"
    )


def add(store: ChunkStore, article: Article, size: int = 200) -> str:
    return store.add_article(article, chunk_article(article, size))


class FailingEmbedder(MiniLMEmbedder):
    """Our embedder whose model call fails (the store must leave nothing behind)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("model crashed")


class WrongWidthEmbedder(MiniLMEmbedder):
    """Our embedder producing vectors Chroma rejects, so the write fails after embedding succeeded."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.ones((len(texts), 7), dtype=np.float32)


ALPHA = "Alpha Corp reported record profits. " * 3 + "The board approved a dividend of two dollars."
BETA = "Beta Inc lost a court case over patents. Judges ruled the patents invalid in March."


def test_add_is_idempotent_and_embeds_nothing_twice(tmp_path: Path) -> None:
    emb = MiniLMEmbedder()
    store = open_store(tmp_path, emb)
    art = make_article(SEED.read_text(encoding="utf-8"), "seed.txt")
    assert add(store, art) == "added"
    n, embedded = store.count(), emb.texts_embedded
    assert n > 1
    assert add(store, art) == "unchanged"
    assert store.count() == n
    assert emb.texts_embedded == embedded


def test_roundtrip_article_and_chunks(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    art = make_article(ALPHA, "alpha.txt", title="Alpha")
    add(store, art, 100)
    got = store.get_article(art.id)
    assert got is not None and got.text == ALPHA and got.title == "Alpha" and got.source == "alpha.txt"
    chunks = store.chunks(art.id)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(ALPHA[c.start : c.end] == c.text for c in chunks)
    assert [a.id for a in store.articles()] == [art.id]
    assert store.get_article("nope") is None


def test_same_source_new_content_replaces(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    old = make_article(ALPHA, "news.txt")
    new = make_article(BETA, "news.txt")
    add(store, old)
    assert add(store, new) == "replaced"
    assert store.get_article(old.id) is None
    assert store.chunks(old.id) == []
    assert [a.id for a in store.articles()] == [new.id]
    assert store.count() == len(store.chunks(new.id))


def test_delete_removes_everything(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    a, b = make_article(ALPHA, "a.txt"), make_article(BETA, "b.txt")
    add(store, a)
    add(store, b)
    assert store.delete_article(a.id) is True
    assert store.delete_article(a.id) is False
    assert store.get_article(a.id) is None and store.chunks(a.id) == []
    assert store.count() == len(store.chunks(b.id))


def test_embedding_failure_writes_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path, FailingEmbedder())
    with pytest.raises(RuntimeError, match="model crashed"):
        add(store, make_article(ALPHA, "a.txt"))
    assert store.count() == 0 and store.articles() == []


def test_write_failure_after_embedding_leaves_nothing(tmp_path: Path) -> None:
    add(open_store(tmp_path), make_article(ALPHA, "a.txt"))  # fixes the collection's dimension at 384
    store = open_store(tmp_path, WrongWidthEmbedder())
    before = store.count()
    beta = make_article(BETA, "b.txt")
    with pytest.raises(Exception):  # noqa: B017 - Chroma's own dimension error type is not our contract
        add(store, beta)
    assert store.count() == before
    assert store.get_article(beta.id) is None and store.chunks(beta.id) == []


def test_bm25_consistent_after_ingest_delete_reingest_and_restart(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    a, b = make_article(ALPHA, "a.txt"), make_article(BETA, "b.txt")
    add(store, a)
    add(store, b)
    hits = store.bm25().search("patents court", 5)
    assert hits and all(cid in {c.id for c in store.chunks(b.id)} for cid, _ in hits)

    store.delete_article(b.id)
    assert store.bm25().search("patents court", 5) == []
    assert len(store.bm25()) == store.count()

    add(store, b)
    assert store.bm25().search("patents", 5)

    # restart: the saved index is reused when its fingerprint matches Chroma
    reopened = open_store(tmp_path)
    assert reopened.keywords.current is not None
    assert len(reopened.bm25()) == store.count()
    assert reopened.bm25().search("dividend", 5)


def test_listing_over_many_pages_finds_every_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import retrieval.keyword_index as keyword_index_module

    store = open_store(tmp_path)
    add(store, make_article(SEED.read_text(encoding="utf-8"), "seed.txt"), size=120)
    add(store, make_article(ALPHA, "a.txt"), size=60)
    n = store.count()
    monkeypatch.setattr(keyword_index_module, "_PAGE", 3)  # texts: many pages, the last one partial or empty
    monkeypatch.setattr(keyword_index_module, "_ID_PAGE", 2)
    assert n > 6
    ids, metas, docs = store.keywords.all_chunk_rows(["documents", "metadatas"])
    assert len(ids) == len(set(ids)) == len(metas) == len(docs) == n
    assert sorted(store.keywords.all_chunk_rows([])[0]) == sorted(ids)
    reopened = open_store(tmp_path)
    assert reopened.keywords.current is not None  # the saved index verified against the paged id listing
    assert len(reopened.rebuild_bm25()) == n


def test_bm25_rebuilt_when_another_writer_changed_chroma(tmp_path: Path) -> None:
    first = open_store(tmp_path)
    add(first, make_article(ALPHA, "a.txt"))
    first.bm25()  # saved with the fingerprint of {alpha}
    other = open_store(tmp_path)
    beta = make_article(BETA, "b.txt")
    # write through Chroma directly, so the saved BM25 index does not know about beta
    other.chunk_col.add(
        ids=["x1"],
        documents=[BETA],
        metadatas=[{"article_id": beta.id, "index": 0, "start": 0, "end": len(BETA), "title": "", "source": ""}],
    )
    reopened = open_store(tmp_path)
    assert reopened.keywords.current is None  # fingerprint mismatch detected on open
    assert [cid for cid, _ in reopened.bm25().search("patents", 5)] == ["x1"]


def test_tokenize_stems_so_inflections_match() -> None:
    from retrieval.bm25 import BM25Index, tokenize

    assert tokenize("US banks barred from buying Russia's government bonds") == [
        "us", "bank", "bar", "buy", "russia", "govern", "bond"
    ]  # fmt: skip
    idx = BM25Index.build(["a", "b"], ["A", "B"], ["The bank bought a bond.", "Rain fell on the hills."])
    assert [cid for cid, _ in idx.search("banks buying bonds", 5)] == ["a"]


@pytest.mark.parametrize(
    ("spellings", "token"),
    [
        (["$4.2bn", "4.2 billion", "4,200 million", "4200000000"], "4200000000"),
        (["$48m", "48 million", "48,000,000"], "48000000"),
        (["1,150", "1150"], "1150"),  # was "1" and "150", matching "1,200" and "150"
        (["3.1", "3.10"], "3.1"),  # was "3" and "1"
    ],
)
def test_one_figure_is_one_keyword_however_news_writes_it(spellings: list[str], token: str) -> None:
    from retrieval.bm25 import BM25Index, tokenize

    for spelling in spellings:
        assert token in tokenize(f"The council spent {spelling} on roads."), spelling
    assert tokenize("58%") == tokenize("58 percent") == ["58", "percent"]
    assert tokenize("the 1990s, 5 m away, COVID-19") == ["1990s", "5", "m", "away", "covid", "19"]
    idx = BM25Index.build(
        ["wire", "herald", "other"],
        ["A", "B", "C"],
        [
            "Riverton passed a $4.2bn budget.",
            "Riverton passed a 4,200 million dollar budget.",
            "Riverton spent 4 200 2.",
        ],
    )
    assert {cid for cid, _ in idx.search("budget of 4.2 billion", 2)} == {"wire", "herald"}


def _rewrite_base_meta(path: Path, **changes: str | None) -> None:
    import json

    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    arrays["meta"] = np.array(json.dumps(meta))
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def test_bm25_index_from_another_tokenizer_is_rebuilt_on_open(tmp_path: Path) -> None:
    import json

    from retrieval.bm25 import TOKENIZER_VERSION

    store = open_store(tmp_path)
    add(store, make_article(ALPHA, "a.txt"))
    store.bm25()
    base = store.index_dir / "base.npz"
    with np.load(base, allow_pickle=False) as npz:
        assert json.loads(str(npz["meta"]))["tokenizer"] == TOKENIZER_VERSION
    # An index saved by another tokenizer; its chunk ids still match Chroma.
    _rewrite_base_meta(base, tokenizer=None)
    reopened = open_store(tmp_path)
    assert reopened.keywords.current is None
    assert reopened.bm25().search("dividends approving", 5)
    with np.load(base, allow_pickle=False) as npz:
        assert json.loads(str(npz["meta"]))["tokenizer"] == TOKENIZER_VERSION
    assert open_store(tmp_path).keywords.current is not None  # the rebuilt one is reused
    # An index over chunk text without titles (before INDEX_TEXT_VERSION) is rebuilt too.
    _rewrite_base_meta(base, text_version="")
    assert open_store(tmp_path).keywords.current is None


def test_index_text_puts_the_title_on_a_first_line_once() -> None:
    from retrieval.store import index_text

    assert index_text("Zorblat merger", "It was signed in May.", 40) == "Zorblat merger\nIt was signed in May."
    assert index_text("Zorblat merger", "Zorblat merger\nThe deal...", 0) == "Zorblat merger\nThe deal..."
    assert index_text("  ", "Body.", 0) == "Body."


def test_title_is_indexed_with_every_chunk_but_never_stored(tmp_path: Path) -> None:
    emb = MiniLMEmbedder()
    store = open_store(tmp_path, emb)
    text = "The two firms agreed terms on Monday. " * 4 + "It was signed in May by both boards. " * 4
    art = make_article(text, "z.txt", title="Zorblat merger")
    chunks = chunk_article(art, 120)
    assert len(chunks) > 2 and not any("zorblat" in c.text.lower() for c in chunks)
    store.add_article(art, chunks)
    assert emb.texts_embedded == len(chunks)  # one embedding pass, one text per chunk
    assert {cid for cid, _ in store.bm25().search("zorblat", 50)} == {c.id for c in chunks}
    stored = store.chunks(art.id)
    assert [c.text for c in stored] == [text[c.start : c.end] for c in stored] == [c.text for c in chunks]
    # the stored vectors are those of "title\nchunk", not of the bare chunk
    got = store.chunk_col.get(ids=[chunks[-1].id], include=["embeddings"])
    with_title = emb.embed([f"Zorblat merger\n{chunks[-1].text}"])[0]
    assert np.allclose(np.asarray(got["embeddings"][0]), with_title, atol=1e-5)


def test_unreachable_server_names_host_and_port() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}"):
        http_client("127.0.0.1", port)


def test_a_server_that_never_answers_fails_within_seconds_and_a_url_is_not_a_host() -> None:
    import socket
    import time

    from retrieval.chroma_rows import CONNECT_TIMEOUT_S

    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port} is not reachable"):
            http_client("127.0.0.1", port)
        assert time.monotonic() - started < CONNECT_TIMEOUT_S * 3 + 5
    with pytest.raises(StoreUnavailable, match="not a URL"):
        http_client("http://127.0.0.1", 8000)


def test_chunks_of_an_article_without_its_record_are_never_evidence(tmp_path: Path) -> None:
    from retrieval.search import HybridSearcher

    store = open_store(tmp_path)
    kept = make_article("Harbour news\n\nThe Ferncastle harbour handled 41,000 containers in May.", "kept.txt")
    cut = make_article("Wind farm\n\nSaltmarsh wind farm near Ferncastle was approved with 12 turbines.", "cut.txt")
    add(store, kept)
    add(store, cut)
    # what a killed ingest, or a server that failed between the chunk write and the record write, leaves
    store.article_col.delete(ids=[cut.id])
    reopened = open_store(tmp_path)
    searcher = HybridSearcher(reopened)
    for hits in (
        searcher.search("Ferncastle turbines wind farm", k=5),
        searcher.search_bm25("Ferncastle turbines", k=5),
        searcher.search_dense("wind farm turbines approved", k=5),
    ):
        assert hits and {h.article_id for h in hits} == {kept.id}
    cut_chunks = [cid for cid, aid in reopened.bm25().article_of().items() if aid == cut.id]
    assert cut_chunks and searcher.passages(cut_chunks) == []  # cannot be cited either


def test_an_unchanged_reingest_removes_a_second_live_version_of_its_source(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    one = make_article("Bridge\n\nVersion ONE said repairs cost 5 million.", "news/race.txt")
    two = make_article("Bridge\n\nVersion TWO corrected the cost to 2 million.", "news/race.txt")
    # what two ingests of the changed file at the same moment leave: each missed the other's version
    add(store, one)
    store.add_article(two, chunk_article(two, 200), replace_same_source=False)
    assert {a.id for a in store.articles()} == {one.id, two.id}
    assert add(store, two) == "unchanged"  # the file now holds version two: the ingest run then cleans up
    assert store.drop_other_versions({two.source: two.id}) == 1
    assert [a.id for a in store.articles()] == [two.id]
    assert set(store.bm25().article_of().values()) == {two.id}


def test_a_collection_someone_else_made_under_the_name_is_refused(tmp_path: Path) -> None:
    client = persistent_client(tmp_path / "chroma")
    theirs = client.get_or_create_collection("teamx", embedding_function=None)
    theirs.add(ids=["r1"], embeddings=[[0.1] * 384], documents=["their row"], metadatas=[{"owner": "teamX"}])
    narrow = client.get_or_create_collection("narrow", embedding_function=None)
    narrow.add(ids=["r1"], embeddings=[[0.1, 0.2, 0.3]], documents=["their row"], metadatas=[{"article_id": "x"}])
    for name in ("teamx", "narrow"):
        with pytest.raises(StoreUnavailable, match=r"not made by claimdesk.*CLAIMDESK_COLLECTION"):
            ChunkStore(client, name, MiniLMEmbedder(), tmp_path / "bm25")
    assert theirs.count() == 1  # nothing written into it


def test_two_workspaces_files_with_one_relative_name_do_not_replace_each_other(tmp_path: Path) -> None:
    client = persistent_client(tmp_path / "chroma")  # one shared corpus (a Chroma server in real life)
    ana = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "a-bm25", workspace="ana")
    bo = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "b-bm25", workspace="bo")
    mayor = make_article("Mayor resigns\n\nThe mayor of Quillhaven resigned on Tuesday.", "articles/today.txt")
    harvest = make_article("Harvest\n\nThe saffron harvest fell by half this year.", "articles/today.txt")
    assert add(ana, mayor) == "added"
    assert add(bo, harvest) == "added"  # another workspace's file of the same name: not a new version of Ana's
    assert {a.id for a in ana.articles()} == {mayor.id, harvest.id}
    edited = make_article("Mayor resigns\n\nThe mayor of Quillhaven resigned on Tuesday night.", "articles/today.txt")
    assert add(ana, edited) == "replaced"  # Ana's own edit replaces only her version
    assert {a.id for a in bo.articles()} == {edited.id, harvest.id}


def test_a_moved_project_folder_stays_one_workspace_on_a_shared_server(tmp_path: Path) -> None:
    import hashlib
    import socket

    from app.corpus import workspace_id

    client = persistent_client(tmp_path / "chroma")  # one shared corpus (a Chroma server in real life)
    data_dir = tmp_path / "desk" / ".claimdesk"
    before = workspace_id(data_dir)
    # the id a data directory always had (machine and path), now kept in it
    assert before == hashlib.sha256(f"{socket.gethostname()}:{data_dir}".encode()).hexdigest()[:16]
    assert (data_dir / "workspace-id").read_text(encoding="utf-8").splitlines()[0] == before
    ana = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "a-bm25", workspace=before)
    mayor = make_article("Mayor resigns\n\nThe mayor of Quillhaven resigned on Tuesday.", "articles/today.txt")
    assert add(ana, mayor) == "added"

    (tmp_path / "desk").rename(tmp_path / "desk-2026")  # the project folder moved
    after = workspace_id(tmp_path / "desk-2026" / ".claimdesk")
    assert after == before and workspace_id(tmp_path / "other" / ".claimdesk") != before
    moved = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "m-bm25", workspace=after)
    edited = make_article("Mayor resigns\n\nThe mayor of Quillhaven resigned on Tuesday night.", "articles/today.txt")
    assert add(moved, edited) == "replaced"  # still her file: not a second live version beside the old one
    assert {a.id for a in moved.articles()} == {edited.id}


def test_a_copied_data_directory_becomes_a_workspace_of_its_own(tmp_path: Path) -> None:
    import shutil

    from app.corpus import workspace_id

    client = persistent_client(tmp_path / "chroma")  # one shared corpus (a Chroma server in real life)
    original = tmp_path / "desk" / ".claimdesk"
    ana_id = workspace_id(original)
    shutil.copytree(tmp_path / "desk", tmp_path / "desk-bo")  # Bo starts from a copy of Ana's project folder
    bo_id = workspace_id(tmp_path / "desk-bo" / ".claimdesk")
    assert bo_id != ana_id and workspace_id(original) == ana_id  # both keep theirs from now on
    assert workspace_id(tmp_path / "desk-bo" / ".claimdesk") == bo_id
    ana = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "a-bm25", workspace=ana_id)
    bo = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "b-bm25", workspace=bo_id)
    assert add(ana, make_article("Mayor resigns\n\nThe mayor resigned on Tuesday.", "articles/today.txt")) == "added"
    assert add(bo, make_article("Port reopens\n\nThe port reopened on Friday.", "articles/today.txt")) == "added"
    assert len(ana.articles()) == 2  # Bo's today.txt did not replace Ana's

    # A copy whose original is gone was a move: it keeps the id (and so does a file from before paths were kept).
    shutil.copytree(tmp_path / "desk", tmp_path / "desk-new")
    shutil.rmtree(tmp_path / "desk")
    assert workspace_id(tmp_path / "desk-new" / ".claimdesk") == ana_id
    old_style = tmp_path / "old" / ".claimdesk"
    old_style.mkdir(parents=True)
    (old_style / "workspace-id").write_text("0123456789abcdef\n", encoding="utf-8")
    assert workspace_id(old_style) == "0123456789abcdef"
    assert (old_style / "workspace-id").read_text(encoding="utf-8").splitlines() == ["0123456789abcdef", str(old_style)]


def test_another_data_directory_sees_a_replacement_with_as_many_chunks(tmp_path: Path) -> None:
    client = persistent_client(tmp_path / "chroma")  # one corpus, two data directories (two users of a server)
    writer = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "a-bm25")
    reader = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "b-bm25")
    old = make_article("Lagoon\n\nGlowing pelicans were spotted near Vantorra lagoon.", "lagoon.md")
    add(writer, old)
    reader.keywords.expire()
    assert reader.bm25().search("Vantorra", 5)
    new = make_article("Lagoon\n\nGlowing herons of Zanzibarite were seen near Vantorra lagoon.", "lagoon.md")
    assert add(writer, new) == "replaced"
    assert len(reader.bm25()) == len(writer.bm25())  # as many chunks: the count alone cannot tell
    reader.keywords.expire()  # skip the 2 s throttle
    hits = reader.bm25().search("Zanzibarite", 5)
    assert hits and {reader.bm25().article_of()[cid] for cid, _ in hits} == {new.id}


def test_the_collection_keeps_its_chunking_beside_other_metadata_and_ignores_a_size_out_of_range(
    tmp_path: Path,
) -> None:
    client = persistent_client(tmp_path / "chroma")
    store = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "bm25")
    assert store.recorded_chunking() == (None, None)
    store.chunk_col.modify(metadata={"kept": "yes"})
    store.record_chunking(300)
    other = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "other-bm25")  # another process, in effect
    assert other.recorded_chunking() == (300, CHUNKER)
    reopened = ChunkStore(client, "shared", MiniLMEmbedder(), tmp_path / "third-bm25")
    assert reopened.chunk_col.metadata == {"kept": "yes", "claimdesk_chunk_size": 300, "claimdesk_chunker": CHUNKER}
    assert add(store, make_article("Budget\n\nThe council spent 4 million.", "a.txt")) == "added"
    assert other.recorded_chunking() == (300, CHUNKER)  # a write's change marker goes elsewhere and leaves them
    for garbage in (1, 99_999, "600", True):
        store.chunk_col.modify(metadata={"claimdesk_chunk_size": garbage})
        assert other.recorded_chunking()[0] is None, garbage
    for garbage in (7, "", "x" * 41):
        store.chunk_col.modify(metadata={"claimdesk_chunker": garbage})
        assert other.recorded_chunking()[1] is None, garbage
