"""BM25 parameters and title weight: a grid of k1, b and how often the title is indexed, alone and in the product's
score fusion, on SciFact and Climate-FEVER.

Run:  .venv/bin/python bench/bm25_params.py [--datasets scifact climate_fever] [--depth 100]

Each row rebuilds the product's BM25 index (retrieval.bm25, k1 and b set for that row) over the chunks
bench/retrieval_quality.py prepares ("title + chunk", 600 characters; cached vectors), with the title line kept
once (the product), dropped, or written twice (a field boost). The dense list is the same for every row. nDCG@10 is
printed for both halves of the judged queries (retrieval.evaluation.split_query_ids); the row with the best fused
score on the TUNE half is then named with its TEST score, beside bm25s's defaults (k1 1.5, b 0.75, title once, the
product's until this grid) and the product's settings (retrieval.bm25.K1 and B). With more than one data set, the
row with the best mean fused tune score over them follows: that is how the product's k1 and b were chosen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import retrieval_quality as RQ  # noqa: E402

import retrieval.bm25 as bm25_module  # noqa: E402
from retrieval.ranking import fused_scores  # noqa: E402

K1S = (0.9, 1.2, 1.5, 2.0)
BS = (0.3, 0.5, 0.75, 0.9)
TITLES = (1, 0, 2)  # times the title line is indexed: the product's once, none, twice
DEFAULTS = (1.5, 0.75, 1)  # bm25s's k1 and b, title once
PRODUCT = (bm25_module.K1, bm25_module.B, 1)


def titled(prep: RQ.Prepared, times: int) -> list[str]:
    """The chunk texts with their title line (index_text's first line) written `times` times."""
    out = []
    for text in prep.texts:
        first, _, rest = text.partition("\n")
        out.append("\n".join([first] * times + [rest]))
    return out


def grid(prep: RQ.Prepared, depth: int) -> dict[tuple[float, float, int], tuple[float, float, float, float]]:
    """(k1, b, title times) -> nDCG@10 of (bm25 tune, fused tune, bm25 test, fused test)."""
    dense = {q: RQ.dense_hits(prep, prep.query_vectors[q], depth) for q in prep.tune + prep.test}
    article_ids = [prep.article_of[c] for c in prep.chunk_ids]
    saved = bm25_module.K1, bm25_module.B
    rows = {}
    try:
        for times in TITLES:
            texts = titled(prep, times)
            for k1 in K1S:
                for b in BS:
                    bm25_module.K1, bm25_module.B = k1, b  # read when the index computes its length norms
                    index = bm25_module.BM25Index.build(prep.chunk_ids, article_ids, texts)
                    cells: list[float] = []
                    for half in (prep.tune, prep.test):
                        alone, fused = {}, {}
                        for q in half:
                            hits = index.search(prep.dataset.queries[q], depth)
                            alone[q] = RQ.doc_ranking(dict(hits), prep)
                            fused[q] = RQ.doc_ranking(fused_scores(hits, dense[q]), prep)
                        cells += [RQ.metrics(prep, alone)[0], RQ.metrics(prep, fused)[0]]
                    rows[(k1, b, times)] = (cells[0], cells[1], cells[2], cells[3])
                    print(f"[{prep.name}] k1={k1} b={b} title x{times}: done", file=sys.stderr)
    finally:
        bm25_module.K1, bm25_module.B = saved
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(RQ.DATASETS), choices=list(RQ.DATASETS))
    RQ.data_arguments(parser)
    parser.add_argument("--depth", type=int, default=100, help="chunks per list per query (the product's 100)")
    args = parser.parse_args()

    results = {}
    for name in args.datasets:
        prep = RQ.prepare(name, args.eval_dir, args.cache_dir, 600)
        rows = results[name] = grid(prep, args.depth)
        print(f"\n{name}: nDCG@10 ({len(prep.tune)} tune / {len(prep.test)} test queries, depth {args.depth})\n")
        print("| k1 | b | title | BM25 tune | fused tune | BM25 test | fused test |")
        print("|---|---|---|---|---|---|---|")
        for (k1, b, times), cells in rows.items():
            mark = (
                " (product)" if (k1, b, times) == PRODUCT else " (bm25s defaults)" if (k1, b, times) == DEFAULTS else ""
            )
            print(f"| {k1} | {b} | x{times}{mark} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
        best = max(rows, key=lambda key: rows[key][1])
        print(
            f"\n{name}: best fused on tune k1={best[0]} b={best[1]} title x{best[2]}: test {rows[best][3]:.4f} "
            f"(bm25s defaults {rows[DEFAULTS][3]:.4f}, product {rows[PRODUCT][3]:.4f})"
        )
    if len(results) > 1:
        keys = list(next(iter(results.values())))
        joint = max(keys, key=lambda key: sum(rows[key][1] for rows in results.values()))
        tests = ", ".join(f"{name} {rows[DEFAULTS][3]:.4f} -> {rows[joint][3]:.4f}" for name, rows in results.items())
        print(f"\nbest mean fused tune over {', '.join(results)}: k1={joint[0]} b={joint[1]} title x{joint[2]}")
        print(f"fused test, bm25s defaults -> that row: {tests}")


if __name__ == "__main__":
    main()
