"""Does evidence gain from its neighbours? A passage whose article has other strong passages for the same claim.

Run:  .venv/bin/python bench/retrieval_siblings.py [--depth 100]

Everything is the product's search as bench/retrieval_quality.py simulates it (cached MiniLM vectors of "title +
chunk", 600-character chunks, the product's BM25, `--depth` candidates per list, every candidate with its own
cosine, score fusion 0.2 x (bm25 / top)^2 + 0.8 x cosine, documents ranked by their best chunk). Rows:
  product          the fusion as shipped
  max lam=L        each candidate's score plus L x the best score of another candidate of the same source article
                   (same title: a Climate-FEVER sentence's Wikipedia article; a SciFact abstract's other chunks)
  mean2 lam=L      the same with the mean of the two best other candidates of that article (0 for a missing one)
The product would group by article id, which is what the title stands for here. Fusion weights are the product's;
L is chosen on the tune halves, read on the test halves.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import retrieval_quality as R  # noqa: E402

LAMBDAS = (0.05, 0.1, 0.2, 0.3)


def ndcg(prep: R.Prepared, scores: dict[str, dict[str, float]], queries: list[str]) -> float:
    return R.metrics(prep, {q: R.doc_ranking(scores[q], prep) for q in queries})[0]


def exact(prep: R.Prepared, q: str, rows: dict[str, int]) -> dict[str, float]:
    """The product's fusion: every candidate with its own cosine."""
    assert prep.candidates is not None
    bm25, dense = prep.candidates[q]
    top = max((s for _, s in bm25), default=0.0) or 1.0
    keyword = {c: 0.2 * (s / top) ** 2 for c, s in bm25}
    ids = list(dict.fromkeys([c for c, _ in bm25] + [c for c, _ in dense]))
    cosine = prep.vectors[[rows[c] for c in ids]] @ prep.query_vectors[q]
    return {c: keyword.get(c, 0.0) + 0.8 * float(s) for c, s in zip(ids, cosine, strict=True)}


def with_siblings(scores: dict[str, float], group: dict[str, str], lam: float, pool: int) -> dict[str, float]:
    """Each score plus lam x the mean of the best `pool` scores of other candidates in its group."""
    members: dict[str, list[tuple[float, str]]] = {}
    for c, s in scores.items():
        members.setdefault(group[c], []).append((s, c))
    for m in members.values():
        m.sort(reverse=True)
    out = {}
    for c, s in scores.items():
        others = [v for v, o in members[group[c]] if o != c][:pool]
        out[c] = s + lam * sum(others) / pool
    return out


def variants(prep: R.Prepared) -> dict[str, dict[str, dict[str, float]]]:
    rows = {c: i for i, c in enumerate(prep.chunk_ids)}
    title = {a: prep.dataset.corpus[docs[0]].title.strip().lower() or a for a, docs in prep.doc_ids.items() if docs}
    group = {c: title.get(a, a) for c, a in prep.article_of.items()}
    out: dict[str, dict[str, dict[str, float]]] = {"product": {}}
    for q in prep.tune + prep.test:
        base = exact(prep, q, rows)
        out["product"][q] = base
        for lam in LAMBDAS:
            out.setdefault(f"max lam={lam}", {})[q] = with_siblings(base, group, lam, 1)
            out.setdefault(f"mean2 lam={lam}", {})[q] = with_siblings(base, group, lam, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    R.data_arguments(parser)
    parser.add_argument("--depth", type=int, default=100, help="candidates per list (the product's 100)")
    args = parser.parse_args()
    table: dict[str, list[float]] = {}
    shared = []
    for name in ("climate_fever", "scifact"):
        prep = R.prepare(name, args.eval_dir, args.cache_dir, 600)
        R.load_candidates(prep, args.depth, args.cache_dir)
        titles = [prep.dataset.corpus[d].title for docs in prep.doc_ids.values() for d in docs[:1]]
        shared.append(f"{name}: {len(titles)} documents, {len(set(titles))} titles")
        for row, scores in variants(prep).items():
            table.setdefault(row, []).extend([ndcg(prep, scores, prep.tune), ndcg(prep, scores, prep.test)])
    print(f"Sibling passages, depth {args.depth}; nDCG@10 ({'; '.join(shared)})")
    print(f"{'variant':<18} {'CF tune':>8} {'CF test':>8} {'SF tune':>8} {'SF test':>8}")
    for row, cells in table.items():
        print(f"{row:<18} " + " ".join(f"{v:>8.4f}" for v in cells))


if __name__ == "__main__":
    main()
