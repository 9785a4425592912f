"""Benchmark the shipped check-worthiness scorer (run: python bench/checkworthiness.py).

Prints, per data set, n, positives, precision, recall and F1 at the shipped threshold, the best F1 any threshold
would reach (for information only: it peeks at the labels), and the F1 of flagging every sentence (a floor); then
F1 at a few other thresholds.
Then the scoring speed: load time, the seed article (median of repeated runs) and sentences/s in bulk.
Data sets (read-only, ../shared/eval or CLAIMDESK_EVAL_DIR):
  - checkthat2024_task1_en dev: the same sentences as claimbuster/groundtruth.csv (in-distribution; the threshold
    was chosen on it, so this row is optimistic);
  - checkthat2019_task1 documents from 2017-2019 (unseen: speeches and press conferences after ClaimBuster's
    2016 cut-off, labelled by whether factcheck.org checked the line - a stricter notion, few positives);
  - checkthat2020_task1_tweets dev_v2 (unseen: COVID-19 tweets, a different genre).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import train_checkworthiness as data

from app.checkworthiness import CheckworthinessScorer, evaluate, read_labelled_tsv

SEED = Path(__file__).resolve().parent.parent / "seeds" / "china-russia-sanctions.txt"


def main() -> None:
    """Score each data set with the product scorer and print the tables."""
    started = time.perf_counter()
    scorer = CheckworthinessScorer.load()
    scorer.score_texts(["Warm-up sentence so the ONNX session is built."])
    load_s = time.perf_counter() - started

    sets = {
        "checkthat2024 dev (in-distribution)": read_labelled_tsv(
            data.EVAL_DIR / "checkthat2024_task1_en" / "CT24_checkworthy_english_dev.tsv"
        ),
        "checkthat2019 2017-2019 docs (unseen)": data.load_checkthat2019(),
        "checkthat2020 tweets dev (unseen)": data.load_checkthat2020("dev_v2"),
    }
    print(f"threshold {scorer.threshold:.4f} (chosen on claimbuster/groundtruth.csv)\n")
    header = f"{'data set':40} {'n':>6} {'pos':>5} {'P':>6} {'R':>6} {'F1':>6} {'bestF1@t':>12} {'all-yes F1':>10}"
    print(header)
    print("-" * len(header))
    bulk_n = 0
    bulk_s = 0.0
    by_set = {}
    for name, (texts, labels) in sets.items():
        t0 = time.perf_counter()
        scores = scorer.score_texts(texts)
        by_set[name] = (np.asarray(labels).astype(int), np.asarray(scores))
        bulk_s += time.perf_counter() - t0
        bulk_n += len(texts)
        r = evaluate(scores, [bool(y) for y in labels], scorer.threshold)
        best_f1, best_t = data.best_threshold(np.asarray(labels), np.asarray(scores))
        floor = 2 * r.positives / (r.n + r.positives)
        print(
            f"{name:40} {r.n:6d} {r.positives:5d} {r.precision:6.3f} {r.recall:6.3f} {r.f1:6.3f} "
            f"{best_f1:6.3f}@{best_t:.2f} {floor:10.3f}"
        )

    # Would another cut-off serve unseen data better? (The model trained before 2016 peaked near 0.15-0.2 on 2016.)
    cuts = (0.1, 0.2, 0.3, scorer.threshold, 0.5, 0.6)
    print(f"\nF1 by threshold\n{'data set':40} " + " ".join(f"{t:>6.2f}" for t in cuts))
    for name, (y, p) in by_set.items():
        print(f"{name:40} " + " ".join(f"{data.prf(y, p, t)[2]:6.3f}" for t in cuts))

    article = SEED.read_text(encoding="utf-8")
    runs = []
    for _ in range(7):
        t0 = time.perf_counter()
        scored = scorer.score_article(article)
        runs.append(time.perf_counter() - t0)
    med = statistics.median(runs)
    print("\nspeed (this machine; other jobs may share the CPU)")
    print(f"  load + first call            {load_s:8.2f} s")
    print(f"  seed article ({len(scored)} sentences)  {med * 1000:8.1f} ms median of {len(runs)}")
    print(f"  seed article throughput      {len(scored) / med:8.0f} sentences/s")
    print(f"  bulk (all rows above)        {bulk_n / bulk_s:8.0f} sentences/s")


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()  # no options: --help explains the run and the data it reads
    main()
