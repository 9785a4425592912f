"""Fine-tune the query side of the dense retriever: LoRA adapters on MiniLM for claims, evidence vectors unchanged.

Run:  .venv/bin/python bench/train_query_adapter.py                       (train on the tune halves, print a table)
      .venv/bin/python bench/train_query_adapter.py --out retrieval/data/query_adapter.npz

Data used (read-only, from ../shared/eval): the TUNE halves (retrieval.evaluation.split_query_ids) of the SciFact
train queries and of Climate-FEVER's judged claims, against their whole corpora as the product indexes them
(bench/retrieval_quality.py's cached chunk vectors: 600-character chunks, "title + chunk", the packaged int8 MiniLM).
A quarter of each tune half is kept back to choose the number of epochs; every `test` number is on the TEST half,
which training never sees.

Only the query encoder changes, so stored evidence vectors stay valid (nothing is re-embedded) and a search costs
the same one query embedding. Loss: softmax over the whole corpus of cosine x `--temperature`, with every chunk of
a relevant document counted as a positive (log-sum-exp over them). The base is the packaged int8 MiniLM dequantized
and LoRA is as in bench/train_checkworthiness_adapter.py, so retrieval.embeddings.AdaptedMiniLM runs what was trained.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import retrieval_quality as RQ  # noqa: E402
from train_checkworthiness_adapter import RANK, adapter_weights, build_model, pooled, save  # noqa: E402

from retrieval.embeddings import _tokenizer  # noqa: E402
from retrieval.ranking import fused_scores  # noqa: E402

MAX_LENGTH = 128  # claims are one sentence


def evaluate(prep: RQ.Prepared, qids: list[str], qvecs: np.ndarray) -> tuple[float, float]:
    """(dense-only nDCG@10, product score-fusion nDCG@10) with the given query vectors (rows follow qids)."""
    assert prep.candidates is not None
    dense_total = fused_total = 0.0
    for qid, q in zip(qids, qvecs, strict=True):
        dense = RQ.dense_hits(prep, q, 100)
        bm25 = prep.candidates[qid][0]
        judged = prep.dataset.qrels[qid]
        dense_total += RQ.ndcg_at_k(RQ.doc_ranking(dict(dense), prep), judged, 10)
        fused_total += RQ.ndcg_at_k(RQ.doc_ranking(fused_scores(bm25, dense), prep), judged, 10)
    n = max(1, len(qids))
    return dense_total / n, fused_total / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(RQ.DATASETS), choices=list(RQ.DATASETS))
    RQ.data_arguments(parser)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--temperature", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--all-tune", action="store_true", help="train on the whole tune halves (no valid quarter)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import torch  # after parsing: --help works without it (pip install torch to train)

    torch.manual_seed(0)
    rng = random.Random(1)
    preps = []
    for name in args.datasets:
        prep = RQ.prepare(name, args.eval_dir, args.cache_dir, 600)
        RQ.load_candidates(prep, 100, args.cache_dir)
        preps.append(prep)
    train, valid = RQ.hold_back_quarter(preps, rng, keep_all=args.all_tune)
    tokenizer = _tokenizer(MAX_LENGTH)
    encoder, _, adapters = build_model(RANK)
    params = [p for m in adapters.values() for p in (m.A, m.B)]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    corpus = {p.name: torch.tensor(p.vectors) for p in preps}
    rows = {p.name: {c: i for i, c in enumerate(p.chunk_ids)} for p in preps}
    items = [(p, q, [rows[p.name][c] for c in RQ.relevant_chunk_ids(p, q)]) for p in preps for q in train[p.name]]
    items = [it for it in items if it[2]]

    def encode(texts: list[str]) -> torch.Tensor:
        return pooled(encoder, [e.ids for e in tokenizer.encode_batch(texts)])

    def query_vectors(prep: RQ.Prepared, qids: list[str]) -> np.ndarray:
        encoder.eval()
        with torch.no_grad():
            out = (
                np.concatenate(
                    [
                        encode([prep.dataset.queries[q] for q in qids[i : i + 64]]).numpy()
                        for i in range(0, len(qids), 64)
                    ]
                )
                if qids
                else np.zeros((0, 384))
            )
        encoder.train()
        return out

    def report(epoch: int) -> None:
        cells = []
        for prep in preps:
            for half, qids in (("valid", valid[prep.name]), ("test", prep.test)):
                if not qids:
                    continue
                d, f = evaluate(prep, qids, query_vectors(prep, qids))
                cells.append(f"{prep.name[:7]} {half} dense {d:.4f} fused {f:.4f}")
        print(f"epoch {epoch:>2}: " + " | ".join(cells), flush=True)

    print(f"training on {len(items)} claims; temperature {args.temperature}, lr {args.lr}")
    report(0)
    started = time.perf_counter()
    encoder.train()
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(items)
        by_set: dict[str, list] = {}
        for it in items:
            by_set.setdefault(it[0].name, []).append(it)
        batches = [v[i : i + args.batch] for v in by_set.values() for i in range(0, len(v), args.batch)]
        rng.shuffle(batches)
        for batch in batches:
            prep = batch[0][0]
            q = encode([prep.dataset.queries[qid] for _, qid, _ in batch])
            logits = (q @ corpus[prep.name].T) * args.temperature
            lse_all = torch.logsumexp(logits, dim=1)
            loss = torch.stack(
                [lse_all[k] - torch.logsumexp(logits[k, pos], dim=0) for k, (_, _, pos) in enumerate(batch)]
            ).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad()
        print(f"  ({time.perf_counter() - started:.0f}s, last loss {loss.item():.3f})", file=sys.stderr)
        report(epoch)
    if args.out:
        save(adapter_weights(adapters), args.out, MAX_LENGTH, scale=0.0)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
