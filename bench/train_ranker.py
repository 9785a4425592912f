"""Train the shipped search ranker (retrieval/data/ranker.json) on the TUNE halves of SciFact and Climate-FEVER.

Data: /work/shared/eval/scifact/beir/ (corpus.jsonl, queries_train.jsonl, qrels_train.tsv) and
/work/shared/eval/climate_fever/beir/ (corpus.jsonl, queries.jsonl, qrels.tsv), TUNE half of the judged queries
only (retrieval.evaluation.split_query_ids); the TEST halves are never read here. Candidates and features are
exactly what HybridSearcher.search sees: the BM25 and dense top-`depth` chunk lists of each query (cached by
bench/retrieval_quality.py) turned into rows by retrieval.ranking.candidate_features. A chunk is labelled
relevant when its article holds a judged-relevant document.

Two fits are compared by 2-fold cross-validation over the tune queries (never the test half): pointwise
logistic regression and pairwise logistic regression (relevant minus non-relevant rows of the same query). Each
data set weighs the same however many rows it has. The winner is refitted on all tune queries and written.

    .venv/bin/python bench/train_ranker.py                 # writes retrieval/data/ranker.json
    .venv/bin/python bench/train_ranker.py --out /tmp/r.json
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.retrieval_quality import (
    DATASETS,
    Prepared,
    data_arguments,
    learned,
    load_candidates,
    prepare,
    score_with,
)
from retrieval.ranking import RANKER_PATH, LinearRanker, candidate_features


def rows(prep: Prepared, queries: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per query: feature rows of its candidates and 0/1 labels."""
    assert prep.candidates is not None
    out = []
    for qid in queries:
        ids, x = candidate_features(*prep.candidates[qid], prep.article_of)
        judged = prep.dataset.qrels[qid]
        y = np.array(
            [any(judged.get(d, 0) > 0 for d in prep.doc_ids.get(prep.article_of.get(c, c), ())) for c in ids],
            dtype=np.int64,
        )
        out.append((x, y))
    return out


def fit(data: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]], mode: str, c: float) -> LinearRanker:
    """Fit on per-data-set lists of per-query (rows, labels); every data set gets the same total weight."""
    from sklearn.linear_model import LogisticRegression

    xs, ys, ws = [], [], []
    rng = np.random.default_rng(7)
    for per_query in data:
        if mode == "pointwise":
            x = np.vstack([q[0] for q in per_query])
            y = np.concatenate([q[1] for q in per_query])
        else:
            diffs = []
            for qx, qy in per_query:
                pos, neg = np.flatnonzero(qy == 1), np.flatnonzero(qy == 0)
                if not len(pos) or not len(neg):
                    continue
                # every positive against 30 random negatives of the same query
                for p in pos:
                    sample = rng.choice(neg, size=min(30, len(neg)), replace=False)
                    diffs.append(qx[p] - qx[sample])
            d = np.vstack(diffs)
            x = np.vstack([d, -d])
            y = np.concatenate([np.ones(len(d)), np.zeros(len(d))])
        xs.append(x)
        ys.append(y)
        ws.append(np.full(len(y), 1.0 / len(y)))
    model = LogisticRegression(C=c, max_iter=2000, fit_intercept=mode == "pointwise")
    model.fit(np.vstack(xs), np.concatenate(ys), sample_weight=np.concatenate(ws) * sum(len(y) for y in ys))
    bias = float(model.intercept_[0]) if mode == "pointwise" else 0.0
    return LinearRanker(tuple(float(w) for w in model.coef_[0]), bias)


def fold(qid: str) -> int:
    """Fixed 2-fold split of the tune queries for choosing the fit."""
    return hashlib.sha256(f"ranker-cv:{qid}".encode()).digest()[0] % 2


def main() -> None:
    """Choose the fit by 2-fold CV on the tune halves, refit on all tune queries, write the weights."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data_arguments(parser)
    parser.add_argument("--chunk-size", type=int, default=600)
    parser.add_argument("--depth", type=int, default=300)
    parser.add_argument("--out", type=Path, default=RANKER_PATH)
    args = parser.parse_args()

    preps = []
    for name in DATASETS:
        prep = prepare(name, args.eval_dir, args.cache_dir, args.chunk_size)
        load_candidates(prep, args.depth, args.cache_dir)
        preps.append(prep)

    choices = [(mode, c) for mode in ("pointwise", "pairwise") for c in (0.1, 1.0, 10.0)]
    results = []
    for mode, c in choices:
        cv = []
        for held in (0, 1):
            train = [rows(p, [q for q in p.tune if fold(q) != held]) for p in preps]
            ranker = fit(train, mode, c)
            cv.append([score_with(p, learned(ranker), [q for q in p.tune if fold(q) == held])[0] for p in preps])
        per_set = np.mean(cv, axis=0)
        results.append((float(per_set.mean()), mode, c, per_set))
        print(
            f"{mode:<10} C={c:<5} CV nDCG@10 "
            + " ".join(f"{p.name}={v:.4f}" for p, v in zip(preps, per_set, strict=True))
        )
    results.sort(key=lambda r: -r[0])
    _, mode, c, _ = results[0]
    ranker = fit([rows(p, p.tune) for p in preps], mode, c)
    about = {
        "trained_on": "TUNE halves of SciFact train and Climate-FEVER (bench/train_ranker.py)",
        "fit": f"{mode} logistic regression, C={c}",
        "chunk_size": args.chunk_size,
        "depth": args.depth,
    }
    args.out.write_text(ranker.to_json(**about) + "\n", encoding="utf-8")
    print(f"chosen: {mode} C={c}; weights -> {args.out}")
    for p in preps:
        print(f"  {p.name} tune nDCG@10 {score_with(p, learned(ranker), p.tune)[0]:.4f}")


if __name__ == "__main__":
    main()
