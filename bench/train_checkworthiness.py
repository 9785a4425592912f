"""Train the check-worthiness scorer and write app/data/checkworthiness.json (run: python bench/train_checkworthiness.py).

Data used (read-only, from ../shared/eval or CLAIMDESK_EVAL_DIR):
  - trained on:        claimbuster/crowdsourced.csv  (label: Verdict == 1, check-worthy factual, vs the rest)
  - threshold chosen:  claimbuster/groundtruth.csv   (the threshold with the best F1 of the positive class)
The shipped score comes from MiniLM fine-tuned on the same sentences (app/data/checkworthiness_adapter.npz,
written first by bench/train_checkworthiness_adapter.py; see ADAPTER_MIX), and the threshold is chosen for it;
--no-adapter writes the regression alone. Nothing else is used for fitting. bench/checkworthiness.py measures the result on data never trained on
(CheckThat! 2019 documents from 2017-2019, CheckThat! 2020 COVID tweets).

Sentence embeddings come from retrieval.embeddings.MiniLMEmbedder, the same embedder the product uses; they are
cached under $TMPDIR/claimdesk-cw-cache so reruns take seconds instead of the ~20 minutes of 2-core embedding.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.checkworthiness import ADAPTER_PATH, FORMAT_VERSION, WEIGHTS_PATH, _read_adapter  # noqa: E402
from app.checkworthiness_features import DENSE_NAMES, dense_matrix, ngrams, tokens  # noqa: E402

EVAL_DIR = Path(os.environ.get("CLAIMDESK_EVAL_DIR", ROOT.parent / "shared" / "eval"))
CACHE_DIR = Path(tempfile.gettempdir()) / "claimdesk-cw-cache"
TRAIN_FILE = "claimbuster/crowdsourced.csv"
THRESHOLD_FILE = "claimbuster/groundtruth.csv"

# Weight of the fine-tuned encoder's logit against the regression's. Trained before 2016 and measured on 2016 (bench/
# train_checkworthiness_adapter.py --before 2016) the encoder alone was level with an even mix on the debates (AUC
# 0.913, best F1 0.726; mix 0.910 / 0.730; regression 0.885 / 0.687) and beat it on the COVID tweets (AUC 0.827 vs
# 0.726 for the mix and 0.649 for the regression), so it is used alone and the regression is not computed.
ADAPTER_MIX = 1.0

# Chosen by bench/train_checkworthiness.py --experiment (temporal split + unseen sets); see the README table.
CONFIG: dict[str, float | int | bool] = {
    "min_df": 50,  # rarer n-grams are debate-specific: dropping them helps unseen debates (see README)
    "max_features": 20000,
    "tfidf_weight": 1.0,
    "dense_weight": 1.0,
    "embedding_weight": 1.0,
    "use_embeddings": True,
    "C": 1.0,
}


# ---------------------------------------------------------------- data
def load_claimbuster(name: str) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts, labels (Verdict == 1) and debate file ids of claimbuster/<name>.csv."""
    with open(EVAL_DIR / "claimbuster" / f"{name}.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return (
        [r["Text"] for r in rows],
        np.array([int(r["Verdict"] == "1") for r in rows]),
        [r["File_id"] for r in rows],
    )


def load_checkthat2019(years: Sequence[str] = ("2017", "2018", "2019")) -> tuple[list[str], np.ndarray]:
    """CheckThat! 2019 task 1 lines of the documents from `years` (stage directions by SYSTEM dropped)."""
    texts: list[str] = []
    labels: list[int] = []
    for path in sorted(glob.glob(str(EVAL_DIR / "checkthat2019_task1" / "training" / "*.tsv"))):
        if Path(path).name[:4] not in years:
            continue
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if row[1] == "SYSTEM":  # "(APPLAUSE)" lines are not speech
                    continue
                texts.append(row[2])
                labels.append(int(row[3]))
    return texts, np.array(labels)


def load_checkthat2020(split: str = "dev_v2") -> tuple[list[str], np.ndarray]:
    """CheckThat! 2020 task 1 COVID-19 tweets (check_worthiness 0/1)."""
    path = EVAL_DIR / "checkthat2020_task1_tweets" / f"{split}.tsv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["tweet_text"] for r in rows], np.array([int(r["check_worthiness"]) for r in rows])


# ---------------------------------------------------------------- features
_EMBEDDER = None


def embed(texts: Sequence[str]) -> np.ndarray:
    """MiniLMEmbedder vectors for `texts`, cached on disk by content hash."""
    global _EMBEDDER
    if _EMBEDDER is None:
        from retrieval.embeddings import MiniLMEmbedder

        _EMBEDDER = MiniLMEmbedder()
    # The graph is part of the key: vectors from another embedder graph must not train today's weights.
    key = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:24]
    path = CACHE_DIR / f"minilm-{_EMBEDDER.graph}-{key}.npy"
    if path.exists():
        return np.load(path)
    t0 = time.time()
    unique = sorted(set(texts), key=len)  # similar lengths per batch -> less padding
    vectors = dict(zip(unique, _EMBEDDER.embed(unique), strict=True))
    out = np.stack([vectors[t] for t in texts]).astype(np.float32)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    print(f"  embedded {len(unique)} sentences in {time.time() - t0:.0f}s", file=sys.stderr)
    return out


def build_vocabulary(texts: Sequence[str], min_df: int, max_features: int) -> tuple[list[str], np.ndarray]:
    """N-grams in at least `min_df` texts (the most frequent `max_features`) and their smoothed idf."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(ngrams(tokens(text))))
    kept = sorted(gram for gram, c in df.most_common() if c >= min_df)
    if len(kept) > max_features:
        kept = sorted(g for g, _ in sorted(((g, df[g]) for g in kept), key=lambda x: (-x[1], x[0]))[:max_features])
    n = len(texts)
    idf = np.array([math.log((1 + n) / (1 + df[g])) + 1.0 for g in kept])
    return kept, idf


def tfidf_matrix(texts: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray):  # type: ignore[no-untyped-def]
    """Sparse TF-IDF exactly as app.checkworthiness_features.tfidf_rows computes it."""
    import scipy.sparse as sp

    from app.checkworthiness_features import tfidf_rows

    data: list[float] = []
    cols: list[int] = []
    ptr = [0]
    for row in tfidf_rows(texts, vocabulary, idf):
        cols.extend(row.keys())
        data.extend(row.values())
        ptr.append(len(cols))
    return sp.csr_matrix((data, cols, ptr), shape=(len(texts), len(vocabulary)))


class Model:
    """A fitted scorer in training form (sklearn), exportable to the run-time JSON."""

    def __init__(self, config: dict[str, float | int | bool]) -> None:
        self.config = config

    def features(self, texts: Sequence[str], emb: np.ndarray | None):  # type: ignore[no-untyped-def]
        import scipy.sparse as sp

        blocks = [tfidf_matrix(texts, self.vocab_index, self.idf) * float(self.config["tfidf_weight"])]
        dense = (dense_matrix(texts) - self.mean) / self.scale
        blocks.append(sp.csr_matrix(dense * float(self.config["dense_weight"])))
        if self.config["use_embeddings"]:
            assert emb is not None
            blocks.append(sp.csr_matrix(emb * float(self.config["embedding_weight"])))
        return sp.hstack(blocks).tocsr()

    def fit(self, texts: Sequence[str], y: np.ndarray, emb: np.ndarray | None) -> Model:
        from sklearn.linear_model import LogisticRegression

        self.vocab, self.idf = build_vocabulary(texts, int(self.config["min_df"]), int(self.config["max_features"]))
        self.vocab_index = {g: i for i, g in enumerate(self.vocab)}
        dense = dense_matrix(texts)
        self.mean = dense.mean(axis=0)
        self.scale = dense.std(axis=0) + 1e-6
        self.clf = LogisticRegression(C=float(self.config["C"]), max_iter=5000)
        self.clf.fit(self.features(texts, emb), y)
        return self

    def predict(self, texts: Sequence[str], emb: np.ndarray | None) -> np.ndarray:
        return self.clf.predict_proba(self.features(texts, emb))[:, 1]

    def export(
        self, threshold: float, metrics: dict[str, object], adapter: dict[str, object] | None = None
    ) -> dict[str, object]:
        """The run-time JSON: block weights folded into the coefficients, floats rounded to keep the file small."""
        coef = self.clf.coef_[0]
        nv, nd = len(self.vocab), len(DENSE_NAMES)

        def r(a: np.ndarray) -> list[float]:
            return [float(f"{x:.6g}") for x in a]

        return {
            "format": FORMAT_VERSION,
            "trained_on": [TRAIN_FILE],
            "threshold_chosen_on": THRESHOLD_FILE,
            "embedding_model": "all-MiniLM-L6-v2-int8 (retrieval.embeddings.MiniLMEmbedder)"
            if self.config["use_embeddings"]
            else None,
            "config": self.config,
            "metrics": metrics,
            "adapter": adapter,
            "threshold": round(float(threshold), 4),
            "intercept": float(self.clf.intercept_[0]),
            "dense_names": list(DENSE_NAMES),
            "dense_mean": r(self.mean),
            "dense_scale": r(self.scale / float(self.config["dense_weight"])),
            "dense_coef": r(coef[nv : nv + nd]),
            "embedding_coef": r(coef[nv + nd :] * float(self.config["embedding_weight"]))
            if self.config["use_embeddings"]
            else None,
            "vocabulary": self.vocab,
            "idf": r(self.idf),
            "tfidf_coef": r(coef[:nv] * float(self.config["tfidf_weight"])),
        }


# ---------------------------------------------------------------- metrics
def prf(y: np.ndarray, p: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """Precision, recall and F1 of the positive class at `threshold`."""
    pred = p >= threshold
    tp = int((pred & (y == 1)).sum())
    precision = tp / max(int(pred.sum()), 1)
    recall = tp / max(int((y == 1).sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(best F1, its threshold) over all cut points."""
    best = (0.0, 0.5)
    for t in np.unique(np.round(p, 4)):
        f1 = prf(y, p, float(t))[2]
        if f1 > best[0]:
            best = (f1, float(t))
    return best


def _emb(texts: Sequence[str], config: dict[str, float | int | bool]) -> np.ndarray | None:
    return embed(texts) if config["use_embeddings"] else None


def experiment(config: dict[str, float | int | bool], split_year: str = "2012") -> str:
    """One line: temporal generalisation (train on debates before split_year, test on the later ones; best-F1
    threshold, crowd labels) plus the unseen sets at the threshold chosen on groundtruth."""
    texts, y, files = load_claimbuster("crowdsourced")
    emb = _emb(texts, config)
    old = [i for i, f in enumerate(files) if f[:4] < split_year]
    new = [i for i, f in enumerate(files) if f[:4] >= split_year]
    m = Model(config).fit([texts[i] for i in old], y[old], None if emb is None else emb[old])
    temporal = best_threshold(y[new], m.predict([texts[i] for i in new], None if emb is None else emb[new]))[0]
    m = Model(config).fit(texts, y, emb)
    gt_texts, gt_y, _ = load_claimbuster("groundtruth")
    gt_f1, threshold = best_threshold(gt_y, m.predict(gt_texts, _emb(gt_texts, config)))
    parts = [f"temporal({split_year}+) F1*={temporal:.3f}", f"groundtruth F1*={gt_f1:.3f}@{threshold:.2f}"]
    for name, (t, yy) in (("ct2019", load_checkthat2019()), ("ct2020", load_checkthat2020())):
        p = m.predict(t, _emb(t, config))
        parts.append(f"{name} F1={prf(yy, p, threshold)[2]:.3f} best={best_threshold(yy, p)[0]:.3f}")
    return " | ".join(parts)


def main() -> None:
    """Fit on crowdsourced.csv, pick the threshold on groundtruth.csv, write the JSON weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--experiment", action="append", default=[], help="JSON config overrides; prints metrics")
    parser.add_argument("--split-year", default="2012", help="temporal split of --experiment")
    parser.add_argument(
        "--no-adapter", action="store_true", help="the regression alone, without the fine-tuned encoder"
    )
    args = parser.parse_args()
    if args.experiment:
        for overrides in args.experiment:
            print(overrides, experiment({**CONFIG, **json.loads(overrides)}, args.split_year), flush=True)
        return
    texts, y, _ = load_claimbuster("crowdsourced")
    model = Model(CONFIG).fit(texts, y, _emb(texts, CONFIG))
    gt_texts, gt_y, _ = load_claimbuster("groundtruth")
    gt_p = model.predict(gt_texts, _emb(gt_texts, CONFIG))
    adapter = None
    if not args.no_adapter:
        # The fine-tuned encoder's logit is averaged with the regression's (bench/train_checkworthiness_adapter.py
        # --before 2016 measures both and the mix); the threshold is then chosen for the mixed score.
        fine_tuned = _read_adapter(ADAPTER_PATH)
        logit = np.log(np.clip(gt_p, 1e-9, 1 - 1e-9) / np.clip(1 - gt_p, 1e-9, None))
        gt_p = 1 / (1 + np.exp(-((1 - ADAPTER_MIX) * logit + ADAPTER_MIX * fine_tuned.logits(gt_texts))))
        digest = hashlib.sha256(ADAPTER_PATH.read_bytes()).hexdigest()
        adapter = {"file": ADAPTER_PATH.name, "sha256": digest, "mix": ADAPTER_MIX, "trained_on": [TRAIN_FILE]}
    f1, threshold = best_threshold(gt_y, gt_p)
    precision, recall, _ = prf(gt_y, gt_p, threshold)
    metrics = {"groundtruth": {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    weights = model.export(threshold, metrics, adapter)
    args.out.write_text(json.dumps(weights, separators=(",", ":")) + "\n", encoding="utf-8")
    size = args.out.stat().st_size
    print(
        f"wrote {args.out} ({size / 1e6:.2f} MB); threshold {threshold:.4f}; groundtruth P/R/F1 "
        f"{precision:.3f}/{recall:.3f}/{f1:.3f}"
    )


if __name__ == "__main__":
    main()
