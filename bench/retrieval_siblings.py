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

from retrieval.ranking import fused_scores  # noqa: E402

LAMBDAS = (0.05, 0.1, 0.2, 0.3)


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


def variants(prep: R.Prepared) -> R.VariantScores:
    title = {a: prep.dataset.corpus[docs[0]].title.strip().lower() or a for a, docs in prep.doc_ids.items() if docs}
    group = {c: title.get(a, a) for c, a in prep.article_of.items()}
    own = R.with_own_cosines(prep)  # (the product's fusion: every candidate with its own cosine)
    out: R.VariantScores = {"product": {}}
    for q in prep.tune + prep.test:
        base = fused_scores(*own[q])
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

    def titles(prep: R.Prepared) -> str:
        names = [prep.dataset.corpus[d].title for docs in prep.doc_ids.values() for d in docs[:1]]
        return f"{len(names)} documents, {len(set(names))} titles"

    R.variant_table("Sibling passages", args, variants, titles)


if __name__ == "__main__":
    main()
