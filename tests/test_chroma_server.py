"""Ingest and search through Corpus against a real `chroma run` server on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from helpers_http import free_port

from app.config import Settings, get_settings
from app.corpus import Corpus

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _wait_for_heartbeat(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited early with code {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("chroma run did not answer its heartbeat in time")


@pytest.mark.server
def test_ingest_and_search_through_chroma_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chroma = Path(sys.executable).parent / "chroma"
    port = free_port()
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_heartbeat(port, proc)
        monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
        monkeypatch.setenv("CHROMA_PORT", str(port))
        get_settings.cache_clear()
        settings: Settings = get_settings()
        assert settings.use_chroma_server

        corpus = Corpus.open(settings)
        report = corpus.ingest([str(SEEDS)])
        assert report.counts["added"] == 1
        hits = corpus.search("US banks barred from buying Russian government bonds", 3)
        assert "The Biden administration also barred US banks" in hits[0].text
        assert not (tmp_path / "data" / "chroma").exists()  # nothing went to the embedded store

        # A second client (another process in real life) sees the same data; re-ingest adds nothing.
        other = Corpus.open(settings)
        assert [a.id for a in other.articles()] == [hits[0].article_id]
        assert [i.title for i in other.article_infos()] == [other.articles()[0].title]
        assert other.ingest([str(SEEDS)]).counts["unchanged"] == 1

        # The CLI will not delete from a shared corpus without --force: others' reviews are not visible here.
        from typer.testing import CliRunner

        from app.cli import app

        refused = CliRunner().invoke(app, ["delete", hits[0].article_id])
        assert refused.exit_code == 1 and "shared Chroma server" in str(refused.exception)
        assert [a.id for a in other.articles()] == [hits[0].article_id]

        # Workspaces on one server chunk alike: another data directory whose CLAIMDESK_CHUNK_SIZE differs
        # ingests at the size the collection recorded (the first ingest's), and re-chunks nobody's texts back.
        assert corpus.store.recorded_chunking()[0] == 600
        small = Corpus.open(settings.model_copy(update={"data_dir": tmp_path / "small", "chunk_size": 200}))
        again = small.ingest([str(SEEDS)])
        assert again.counts["unchanged"] == 1 and again.counts["rechunked"] == 0, again.outcomes
        notice = small.chunking_notice() or ""
        assert "chunked at 600 characters" in notice and "reindex --force" in notice
        long_story = tmp_path / "small" / "story.txt"
        long_story.write_text(
            "Budget row\n\n" + " ".join(f"Sentence {i} says the council spent {i} million." for i in range(60))
        )
        assert small.ingest([str(long_story)]).counts["added"] == 1
        (story,) = [a for a in small.articles() if a.source.endswith("story.txt")]
        assert max(len(c.text) for c in small.chunks(story.id)) > 200  # chunked at 600, not at its own 200
        assert corpus.chunking_notice() is None and not corpus.stale_chunks(story)

        # `reindex --force` at another chunk size re-chunks the shared articles and makes it the collection's size;
        # the first client's BM25 follows, and what it ingests next is chunked at the new size.
        monkeypatch.setenv("CLAIMDESK_CHUNK_SIZE", "200")
        get_settings.cache_clear()
        redone = CliRunner().invoke(app, ["reindex", "--force"])
        assert redone.exit_code == 0, redone.output
        assert "2 article(s): 2 re-chunked at 200 characters" in redone.stdout
        assert corpus.store.recorded_chunking()[0] == 200
        smaller = Corpus.open(get_settings())
        article = next(a for a in smaller.articles() if a.id == hits[0].article_id)
        corpus.store.keywords.expire()  # skip the 2 s throttle instead of sleeping
        corpus._shared = None  # and the 5 s one on the collection's chunk size
        assert not smaller.stale_chunks(article) and not corpus.stale_chunks(article)
        assert "chunked at 200 characters" in (corpus.chunking_notice() or "")  # corpus's own setting is 600
        hits = corpus.search("US banks barred from buying Russian government bonds", 3)
        assert "The Biden administration also barred US banks" in hits[0].text and len(hits[0].text) <= 200
        other.delete(story.id)

        # The CLI says so when a workspace's own setting is overridden.
        monkeypatch.setenv("CLAIMDESK_CHUNK_SIZE", "300")
        get_settings.cache_clear()
        told = CliRunner().invoke(app, ["ingest", str(long_story)])
        assert told.exit_code == 0, told.output
        assert "chunked at 200 characters, so ingest chunks at 200 too: CLAIMDESK_CHUNK_SIZE=300" in told.stdout
        other.delete(next(a.id for a in other.articles() if a.source.endswith("story.txt")))

        # An article whose chunks are not the collection's size is re-chunked at it, and the note says whose size.
        other.store.record_chunking(250)  # (as another desk's `reindex --force` starts)
        corpus._shared = None  # skip the 5 s the size is trusted for
        [seed] = [o for o in corpus.ingest([str(SEEDS)]).outcomes if o.status != "skipped"]
        assert seed.status == "rechunked", seed
        assert "re-chunked at 250 characters (the shared collection's chunk size)" in (seed.message or "")

        # A workspace running another claimdesk version, whose splitter cuts other spans, keeps the stored chunks
        # instead of re-chunking them its way (and this version re-chunking them back), and says so.
        import retrieval.chunking as chunking

        ours, our_spans = chunking.CHUNKER, chunking.chunk_spans

        def other_spans(text: str, size: int) -> list[tuple[int, int]]:
            (a, b), *rest = our_spans(text, size)
            cut = text.index(" ", a + (b - a) // 2)
            return [(a, cut), (cut + 1, b), *rest]

        # (a collection from before chunkers were recorded gets this version's at its next ingest)
        other.store.chunk_col.modify(metadata={"claimdesk_chunk_size": 250})
        assert other.store.recorded_chunking() == (250, None)
        corpus.ingest([str(SEEDS)])
        assert other.store.recorded_chunking() == (250, ours)
        monkeypatch.setattr(chunking, "CHUNKER", "sentences-0")
        monkeypatch.setattr(chunking, "chunk_spans", other_spans)
        older = Corpus.open(settings.model_copy(update={"data_dir": tmp_path / "older"}))
        assert older.other_chunker == ours and older.stale_chunks(older.articles()[0]) is False
        kept = older.ingest([str(SEEDS)])
        assert kept.counts["unchanged"] == 1 and kept.counts["rechunked"] == 0, kept.outcomes
        assert f"chunked by another claimdesk version (chunker {ours!r})" in (older.chunking_notice() or "")
        monkeypatch.setattr(chunking, "CHUNKER", ours)
        monkeypatch.setattr(chunking, "chunk_spans", our_spans)
        assert corpus.other_chunker is None and not corpus.stale_chunks(older.articles()[0])  # nothing to redo

        # Deleting through one client is seen by the other's BM25 after its staleness check.
        assert other.delete(hits[0].article_id)
        corpus.store.keywords.expire()  # skip the 2 s throttle instead of sleeping
        assert corpus.search("Russian government bonds", 3) == []
        assert len(corpus.store.bm25()) == 0

        # PDF pages go through the server: a PDF stored without them (by an earlier claimdesk) gets them on its
        # chunks and record when ingested again, and the other client's search gives each passage its pages.
        from helpers_pdf import pdf_with_pages

        from retrieval.loaders import load_bytes

        pdf = pdf_with_pages([["Harbour audit", "The harbour fund held 41 million pounds."], ["Its wall cost more."]])
        old = load_bytes("audit.pdf", pdf, max_bytes=10**6).model_copy(update={"page_starts": ()})
        assert other.ingest_articles([old]).counts["added"] == 1
        again = corpus.ingest_bytes("audit.pdf", pdf)
        assert again.status == "unchanged" and "page numbers recorded" in (again.message or "")
        (hit,) = other.search("harbour fund 41 million pounds", 1)
        assert (hit.article_id, hit.page, hit.page_end) == (old.id, 1, 2)
        assert len(other.get_article(old.id).page_starts) == 2
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
