"""Check-worthiness over time: train on ClaimBuster debates before 2016, measure on the 2016 debates.

Run:  .venv/bin/python bench/checkworthiness_temporal.py

A stand-in for "unseen newer debates" (none with these labels are available here). Every row is one variant of
the scorer, fitted on the crowdsourced sentences of 1960-2012 and scored on the 2,745 sentences of 2016 (728
positive, crowd labels Verdict == 1). Columns: F1 at the best threshold on 2016 (an upper bound), and at fixed
thresholds, because a threshold chosen on older data is what unseen data gets. Embeddings are the product's
MiniLM vectors, cached by bench/train_checkworthiness.py.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import train_checkworthiness as T  # noqa: E402

from app.checkworthiness_features import dense_matrix  # noqa: E402


def main() -> None:
    with open(T.EVAL_DIR / "claimbuster" / "crowdsourced.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["Text"] for r in rows]
    verdict = np.array([int(r["Verdict"]) for r in rows])
    years = np.array([int(r["File_id"][:4]) for r in rows])
    y = (verdict == 1).astype(int)
    emb = T.embed(texts)
    test = np.where(years == 2016)[0]

    def linear(config: dict[str, float | int | bool], keep: np.ndarray | None = None) -> Callable[[], np.ndarray]:
        def fit() -> np.ndarray:
            train = np.where((years < 2016) & (keep if keep is not None else True))[0]
            model = T.Model({**T.CONFIG, **config}).fit([texts[i] for i in train], y[train], emb[train])
            return model.predict([texts[i] for i in test], emb[test])

        return fit

    def nonlinear(kind: str) -> Callable[[], np.ndarray]:
        def fit() -> np.ndarray:
            from sklearn.ensemble import HistGradientBoostingClassifier
            from sklearn.neural_network import MLPClassifier

            train = np.where(years < 2016)[0]
            dense = dense_matrix(texts)
            dense = (dense - dense[train].mean(0)) / (dense[train].std(0) + 1e-6)
            x = np.c_[emb * 3, dense]
            clf = (
                MLPClassifier(hidden_layer_sizes=(128,), alpha=1e-2, early_stopping=True, random_state=0)
                if kind == "mlp"
                else HistGradientBoostingClassifier(max_iter=300, random_state=0)
            )
            return np.asarray(clf.fit(x[train], y[train]).predict_proba(x[test])[:, 1])

        return fit

    variants: dict[str, Callable[[], np.ndarray]] = {
        "shipped config (TF-IDF min_df 50 + cues + MiniLM, C=1)": linear({}),
        "without TF-IDF n-grams": linear({"tfidf_weight": 0.0}),
        "min_df 100": linear({"min_df": 100}),
        "C = 0.3 (stronger regularisation)": linear({"C": 0.3}),
        "C = 3": linear({"C": 3.0}),
        "trained without the UFS sentences (CFS vs NFS only)": linear({}, keep=verdict != 0),
        "trained on 1988-2012 only": linear({}, keep=years >= 1988),
        "trained on 2000-2012 only": linear({}, keep=years >= 2000),
        "MLP (128 hidden) on MiniLM + cues": nonlinear("mlp"),
        "gradient boosting on MiniLM + cues": nonlinear("hgb"),
    }
    print(
        f"train: {int((years < 2016).sum())} sentences 1960-2012; test: {len(test)} sentences of 2016 "
        f"({int(y[test].sum())} positive)\n"
    )
    print("| variant | F1 at best threshold (threshold) | F1 at 0.35 | F1 at 0.5 | fit s |")
    print("|---|---|---|---|---|")
    for name, fit in variants.items():
        started = time.perf_counter()
        p = fit()
        best, threshold = T.best_threshold(y[test], p)
        print(
            f"| {name} | {best:.3f} ({threshold:.2f}) | {T.prf(y[test], p, 0.35)[2]:.3f} "
            f"| {T.prf(y[test], p, 0.5)[2]:.3f} | {time.perf_counter() - started:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()  # no options: --help explains the run and the data it reads
    main()
