"""Fine-tune MiniLM as a claim-evidence cross-encoder reranker with low-rank adapters (experiment + trainer).

Run:  .venv/bin/python bench/train_reranker.py --datasets climate_fever            (train on the tune half, print test)
      .venv/bin/python bench/train_reranker.py --datasets scifact climate_fever --out retrieval/data/reranker.npz

Data used (read-only, from ../shared/eval): the TUNE halves (retrieval.evaluation.split_query_ids) of the SciFact
train queries and of Climate-FEVER's judged claims, with the candidates the product's hybrid search finds for them
(bench/retrieval_quality.py's cached lists, score fusion). A quarter of the tune queries is kept back to choose how
many candidates to rerank and how much of the fused score to keep; every number printed for `test` is on the TEST
half, which training never sees.

The model reads "claim [SEP] evidence" (the product's tokenizer, token types 0, as the product's graph runs it) and a
linear head on the mean-pooled unit vector gives a relevance logit; the loss is a softmax over one relevant and
`--negatives` non-relevant candidates of the same claim. The base is the packaged int8 MiniLM dequantized (its first
`--layers` layers), LoRA as in bench/train_checkworthiness_adapter.py. The table scores each claim's candidates twice:
with the trained torch model and through the product's fused onnxruntime graph (retrieval.minilm_graph.build_fused_graph:
adapters merged, weights re-quantized to int8, the same layers), and the last lines time that graph per claim.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import retrieval_quality as RQ  # noqa: E402
from train_checkworthiness_adapter import (  # noqa: E402
    ALPHA,
    RANK,
    SCALE,
    adapter_weights,
    build_model,
    log_progress,
    pooled,
    save,
    take_step,
    warmup_linear,
)

from retrieval.embeddings import _tokenizer  # noqa: E402
from retrieval.ranking import fused_scores  # noqa: E402


def fused_top(prep: RQ.Prepared, qid: str, n: int) -> list[tuple[str, float]]:
    """The product's top-n chunks (score fusion) for a query, best first."""
    assert prep.candidates is not None
    scores = fused_scores(*prep.candidates[qid])
    top = sorted(scores, key=lambda c: (-scores[c], c))[:n]
    return [(c, scores[c]) for c in top]


def groups(prep: RQ.Prepared, qids: list[str], depth: int) -> list[tuple[str, list[str], list[str]]]:
    """(query text, relevant chunk texts, non-relevant chunk texts among the top `depth`) per query."""
    text = dict(zip(prep.chunk_ids, prep.texts, strict=True))
    out = []
    for qid in qids:
        rel = set(RQ.relevant_chunk_ids(prep, qid))
        top = [c for c, _ in fused_top(prep, qid, depth)]
        pos = [c for c in top if c in rel]
        # relevant chunks the search missed still teach the model what evidence looks like (at most 3 per query)
        pos += sorted(rel - set(pos))[: max(0, 3 - len(pos))]
        neg = [c for c in top if c not in rel]
        if pos and neg:
            out.append((prep.dataset.queries[qid], [text[c] for c in pos], [text[c] for c in neg]))
    return out


class Trainer:
    def __init__(self, max_length: int, seed: int, layers: int = 6) -> None:
        import torch

        torch.manual_seed(seed)
        self.rng = random.Random(seed)
        self.tokenizer = _tokenizer(max_length)
        self.encoder, self.head, adapters = build_model(RANK)
        # a truncated encoder (its first `layers` layers) reranks more pairs within the latency budget
        self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
        self.layers = layers
        self.adapters = {k: m for k, m in adapters.items() if int(k.split(".")[2]) < layers}

    def forward(self, pairs: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
        rows = [e.ids for e in self.tokenizer.encode_batch(pairs)]
        return self.head(pooled(self.encoder, rows) * SCALE).squeeze(-1)

    def fit(self, data: list[tuple[str, list[str], list[str]]], epochs: float, lr: float, negatives: int) -> None:
        import torch

        items = [(q, p, neg) for q, pos, neg in data for p in pos]
        params = [p for m in self.adapters.values() for p in (m.A, m.B)]
        opt = torch.optim.AdamW(
            [{"params": params, "lr": lr}, {"params": self.head.parameters(), "lr": 1e-3}], weight_decay=0.01
        )
        per_step = 2  # claims per optimiser step
        steps = max(1, int(len(items) / per_step * epochs))
        sched = warmup_linear(opt, steps)
        self.encoder.train()
        step, started = 0, time.perf_counter()
        while step < steps:
            self.rng.shuffle(items)
            for lo in range(0, len(items) - per_step + 1, per_step):
                loss = torch.zeros(())
                for q, p, neg in items[lo : lo + per_step]:
                    chosen = self.rng.sample(neg, min(negatives, len(neg)))
                    logits = self.forward([(q, p)] + [(q, n) for n in chosen])
                    loss = loss + torch.nn.functional.cross_entropy(
                        logits.unsqueeze(0), torch.zeros(1, dtype=torch.long)
                    )
                take_step(loss / per_step, params, opt, sched)
                step += 1
                log_progress(step, steps, loss.item() / per_step, started, every=50)
                if step >= steps:
                    break
        self.encoder.eval()

    def score(self, query: str, texts: list[str]) -> np.ndarray:
        import torch

        with torch.no_grad():
            return self.forward([(query, t) for t in texts]).numpy().astype(np.float64)

    def weights(self) -> dict[str, np.ndarray]:
        return adapter_weights(self.adapters, self.head)

    def onnx_scorer(self):  # type: ignore[no-untyped-def]
        """score(query, texts) through the product's fused onnx graph of this model (adapters merged, weights
        re-quantized to int8 per column, only the trained layers)."""
        from retrieval.embeddings import _names, _open_session, _pooled
        from retrieval.minilm_graph import build_fused_graph, lora_deltas, model_paths

        w = self.weights()
        deltas = lora_deltas({k: v for k, v in w.items() if not k.startswith("head.")}, ALPHA / RANK)
        graph = build_fused_graph(model_paths()[0], True, deltas, num_layers=self.layers)
        session = _open_session(graph.SerializeToString(), 2)
        names = _names(session)
        head, bias = w["head.weight"].astype(np.float64), float(w["head.bias"][0])

        def score(query: str, texts: list[str]) -> np.ndarray:
            rows = [e.ids for e in self.tokenizer.encode_batch([(query, t) for t in texts])]
            return _pooled(session, names, rows).astype(np.float64) * SCALE @ head + bias

        return score


def rerank_ndcg(prep: RQ.Prepared, qids: list[str], ce: dict[str, np.ndarray], n: int, mix: float) -> float:
    """Mean nDCG@10 when the top n fused chunks are reordered by ce + mix * fused/sd (the rest keep their order)."""
    total = 0.0
    for qid in qids:
        top = fused_top(prep, qid, 100)
        head, tail = top[:n], top[n:]
        fused = np.array([s for _, s in head])
        z = (fused - fused.mean()) / (fused.std() + 1e-9)
        final = ce[qid][:n] + mix * z
        # tail chunks rank after every reranked one
        scores = {c: 1000.0 + float(f) for (c, _), f in zip(head, final, strict=True)}
        scores |= {c: s for c, s in tail}
        total += RQ.ndcg_at_k(RQ.doc_ranking(scores, prep), prep.dataset.qrels[qid], 10)
    return total / max(1, len(qids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["climate_fever"], choices=list(RQ.DATASETS))
    RQ.data_arguments(parser)
    parser.add_argument("--depth", type=int, default=30, help="candidates per claim to learn from and rerank")
    parser.add_argument("--negatives", type=int, default=15)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--layers", type=int, default=6, help="keep only MiniLM's first N layers (faster)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    preps = []
    for name in args.datasets:
        prep = RQ.prepare(name, args.eval_dir, args.cache_dir, 600)
        RQ.load_candidates(prep, 100, args.cache_dir)
        preps.append(prep)
    train, valid = RQ.hold_back_quarter(preps, random.Random(1))
    data = [g for prep in preps for g in groups(prep, train[prep.name], args.depth)]
    print(f"training on {len(data)} claims ({sum(len(p) for _, p, _ in data)} relevant pairs)", file=sys.stderr)
    trainer = Trainer(args.max_length, 0, args.layers)
    started = time.perf_counter()
    trainer.fit(data, args.epochs, args.lr, args.negatives)
    minutes = (time.perf_counter() - started) / 60
    text_of = {p.name: dict(zip(p.chunk_ids, p.texts, strict=True)) for p in preps}
    print(f"trained in {minutes:.1f} min; depth {args.depth}, {args.layers} layers")
    depth = args.depth
    cuts = sorted({n for n in (10, 15, 20) if n < depth} | {depth})  # how many of the top chunks are reordered
    mixes = (0, 0.5, 1, 2, 3)
    print(
        f"{'data set':<14} {'half':<6} {'scorer':<10} {'fused':>7} "
        + " ".join(f"{f'n{n} m{m}':>9}" for n in cuts for m in mixes)
    )
    onnx_int8 = trainer.onnx_scorer()  # built once: scored below, then timed
    scorers = [("torch", trainer.score), ("onnx-int8", onnx_int8)]
    for prep in preps:
        for half, qids in (("valid", valid[prep.name]), ("test", prep.test)):
            for label, scorer in scorers:
                ce: dict[str, np.ndarray] = {}
                ms = []
                for qid in qids:
                    top = fused_top(prep, qid, depth)
                    t0 = time.perf_counter()
                    ce[qid] = scorer(prep.dataset.queries[qid], [text_of[prep.name][c] for c, _ in top])
                    ms.append((time.perf_counter() - t0) * 1000)
                base = rerank_ndcg(prep, qids, {q: np.zeros(depth) for q in qids}, depth, 1.0)
                cells = [rerank_ndcg(prep, qids, ce, n, m) for n in cuts for m in mixes]
                print(
                    f"{prep.name:<14} {half:<6} {label:<10} {base:>7.4f} "
                    + " ".join(f"{c:>9.4f}" for c in cells)
                    + f"   (ms/claim for {depth}: {statistics.median(ms):.0f})",
                    flush=True,
                )
    for prep in preps:
        for n in cuts:
            ms = []
            for qid in prep.test:
                texts = [text_of[prep.name][c] for c, _ in fused_top(prep, qid, n)]
                t0 = time.perf_counter()
                onnx_int8(prep.dataset.queries[qid], texts)
                ms.append((time.perf_counter() - t0) * 1000)
            print(
                f"{prep.name}: int8 onnx, {args.layers} layers, {n} pairs per claim: median "
                f"{statistics.median(ms):.0f} ms, p95 {RQ.percentile(ms, 95):.0f} ms"
            )

    if args.out:
        save(trainer.weights(), args.out, args.max_length)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
