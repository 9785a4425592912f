"""Query expansion by the embedded LLM (HyDE-style) on Climate-FEVER: does a written "evidence" passage help?

Run:  .venv/bin/python bench/retrieval_expansion.py [--datasets climate_fever] [--data-dir .claimdesk]

For each judged query the embedded model (Qwen2.5-Coder-1.5B) writes two encyclopedia-style sentences with the
facts needed to check the claim. Variants: the dense query vector becomes normalise(q + beta * passage), and
optionally BM25 also reads the passage. Everything else is the product's search as bench/retrieval_quality.py
simulates it (cached chunk vectors of "title + chunk", 600-character chunks, the product's BM25 index, score
fusion, 100 candidates per list, documents ranked by their best chunk). beta is chosen on the tune half; every
column is nDCG@10 on the tune and test halves. Passages are cached in $TMPDIR/claimdesk-expansion-<set>.json; a
cold run makes one model call per judged query (about 2.6 s each on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import retrieval_quality as R  # noqa: E402

from app.config import Settings  # noqa: E402
from app.local_model import get_runtime, resolve_model_path  # noqa: E402
from retrieval.bm25 import BM25Index  # noqa: E402
from retrieval.embeddings import MiniLMEmbedder  # noqa: E402
from retrieval.ranking import fused_scores  # noqa: E402

PROMPT = (
    "Write two sentences of an encyclopedia article that give the facts needed to check the claim "
    "(support or refute it). Plain facts, no opinion, do not repeat the claim."
)
DEPTH = 100


def write_passages(runtime: Any, queries: dict[str, str], cache_path: Path) -> dict[str, str]:
    """One passage per query id, from the cache or the model."""
    cache: dict[str, str] = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    started, calls = time.perf_counter(), 0
    for text in queries.values():
        if text in cache:
            continue
        body = {
            "messages": [{"role": "system", "content": PROMPT}, {"role": "user", "content": "Claim: " + text}],
            "max_tokens": 70,
            "temperature": 0,
            "cache_prompt": True,
        }
        answer = runtime.post("/v1/chat/completions", body, timeout=300)
        cache[text] = answer["choices"][0]["message"]["content"]
        calls += 1
        if calls % 25 == 0:
            cache_path.write_text(json.dumps(cache))
            print(f"  {calls} passages, {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    cache_path.write_text(json.dumps(cache))
    if calls:
        print(f"  {calls} model calls, {(time.perf_counter() - started) / calls:.2f} s each", file=sys.stderr)
    return {qid: cache[text] for qid, text in queries.items()}


def measure(name: str, args: argparse.Namespace, runtime: Any, embedder: MiniLMEmbedder) -> None:
    """Print the rows of one data set."""
    prep = R.prepare(name, args.eval_dir, args.cache_dir, 600)
    queries = {q: prep.dataset.queries[q] for q in prep.tune + prep.test}
    passages = write_passages(runtime, queries, Path(tempfile.gettempdir()) / f"claimdesk-expansion-{name}.json")
    ids = list(passages)
    passage_vecs = dict(zip(ids, embedder.embed([passages[q] for q in ids]), strict=True))
    index = BM25Index.build(prep.chunk_ids, [prep.article_of[c] for c in prep.chunk_ids], prep.texts)

    def ndcg(qids: list[str], beta: float, bm25_reads_passage: bool) -> float:
        rankings = {}
        for q in qids:
            vec = prep.query_vectors[q] + beta * passage_vecs[q]
            vec = vec / np.linalg.norm(vec)
            text = queries[q] + (" " + passages[q] if bm25_reads_passage else "")
            bm25 = index.search(text, DEPTH)
            sims = prep.vectors @ vec
            top = np.argpartition(-sims, DEPTH - 1)[:DEPTH]
            top = top[np.argsort(-sims[top], kind="stable")]
            dense = [(prep.chunk_ids[i], float(sims[i])) for i in top]
            rankings[q] = R.doc_ranking(fused_scores(bm25, dense), prep)
        return R.metrics(prep, rankings)[0]

    rows = [("product search, no expansion", 0.0, False)]
    rows += [("passage mixed into the dense query", b, False) for b in (0.5, 1.0, 2.0)]
    rows += [("... and BM25 reads the passage too", b, True) for b in (0.5, 1.0, 2.0)]
    results = [
        (label, beta, both, ndcg(prep.tune, beta, both), ndcg(prep.test, beta, both)) for label, beta, both in rows
    ]
    chosen = max(results[1:], key=lambda r: r[3])
    for label, beta, _, tune, test in results:
        mark = " (chosen on tune)" if (label, beta) == (chosen[0], chosen[1]) else ""
        print(f"| {name} | {label}{mark} | {beta} | {tune:.3f} | {test:.3f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["climate_fever"], choices=list(R.DATASETS))
    R.data_arguments(parser)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".claimdesk", help="where the model is joined")
    args = parser.parse_args()
    runtime = get_runtime(resolve_model_path(Settings(data_dir=args.data_dir)))
    embedder = MiniLMEmbedder()
    print("| data set | variant | beta | tune nDCG@10 | test nDCG@10 |")
    print("|---|---|---|---|---|")
    for name in args.datasets:
        measure(name, args, runtime, embedder)


if __name__ == "__main__":
    main()
