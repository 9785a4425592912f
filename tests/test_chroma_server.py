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

        # `reindex --force` at another chunk size re-chunks the shared article; the first client's BM25 follows.
        monkeypatch.setenv("CLAIMDESK_CHUNK_SIZE", "200")
        get_settings.cache_clear()
        redone = CliRunner().invoke(app, ["reindex", "--force"])
        assert redone.exit_code == 0, redone.output
        assert "1 article(s): 1 re-chunked at 200 characters" in redone.stdout
        smaller = Corpus.open(get_settings())
        (article,) = smaller.articles()
        corpus.store._bm25_checked = 0.0  # skip the 2 s throttle instead of sleeping
        assert not smaller.stale_chunks(article) and corpus.stale_chunks(article)  # corpus still wants 600
        hits = corpus.search("US banks barred from buying Russian government bonds", 3)
        assert "The Biden administration also barred US banks" in hits[0].text and len(hits[0].text) <= 200

        # Deleting through one client is seen by the other's BM25 after its staleness check.
        assert other.delete(hits[0].article_id)
        corpus.store._bm25_checked = 0.0  # skip the 2 s throttle instead of sleeping
        assert corpus.search("Russian government bonds", 3) == []
        assert len(corpus.store.bm25()) == 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
