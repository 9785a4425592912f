"""Check-worthiness scorer: which sentences state checkable facts (fast, no LLM, onnxruntime and numpy at run time).

The shipped score comes from MiniLM fine-tuned for the task: low-rank adapters merged into the packaged int8
MiniLM's weights (app/data/checkworthiness_adapter.npz, retrieval.embeddings.AdaptedMiniLM) and a linear head on
the pooled sentence vector. The weights file app/data/checkworthiness.json also holds a logistic regression over
TF-IDF n-grams, structural cues (numbers, comparatives, attribution, opinion markers, ...) and MiniLM sentence
embeddings, and how much of each to use ("adapter.mix"; 1 = the fine-tuned encoder alone, as shipped, because it
generalised better over time and to tweets; see the README). Both files are written by the bench/ training
scripts, which name the data they were trained on.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.checkworthiness_features import DENSE_NAMES, dense_matrix, tfidf_rows
from app.errors import ConfigurationError, IngestError, ModelError
from retrieval.sentences import split_sentences

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

WEIGHTS_PATH = Path(__file__).parent / "data" / "checkworthiness.json"
ADAPTER_PATH = Path(__file__).parent / "data" / "checkworthiness_adapter.npz"
FORMAT_VERSION = 2


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence of an article with its offsets (`text == article[start:end]`) and a 0-1 score."""

    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class _Weights:
    vocabulary: dict[str, int]
    idf: np.ndarray
    tfidf_coef: np.ndarray
    dense_mean: np.ndarray
    dense_scale: np.ndarray
    dense_coef: np.ndarray
    embedding_coef: np.ndarray | None
    intercept: float
    threshold: float
    meta: dict[str, Any]
    adapter_mix: float = 0.0  # weight of the fine-tuned encoder's logit; 0: the logistic regression alone


@dataclass(frozen=True)
class _FineTuned:
    """MiniLM fine-tuned for check-worthiness (bench/train_checkworthiness_adapter.py): merged low-rank adapters
    and a linear head on the pooled unit vector times `scale`."""

    encoder: Any  # retrieval.embeddings.AdaptedMiniLM
    head: np.ndarray
    bias: float
    scale: float

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        try:
            vectors = self.encoder.embed(list(texts)).astype(np.float64)
        except Exception as exc:  # any failure of the fine-tuned encoder is a model failure to the user
            raise ModelError(f"The fine-tuned check-worthiness encoder failed: {exc}") from exc
        return (vectors * self.scale) @ self.head + self.bias


def _read_adapter(path: Path, sha256: str | None = None) -> _FineTuned:
    """The fine-tuned encoder from its adapter file; `sha256` (from the weights) must match when given, because the
    threshold was chosen for that adapter."""
    import hashlib
    import io

    from retrieval.embeddings import AdaptedMiniLM
    from retrieval.minilm_graph import lora_deltas

    try:
        raw = path.read_bytes()
        if sha256 is not None and hashlib.sha256(raw).hexdigest() != sha256:
            raise ConfigurationError(
                f"Check-worthiness adapter at {path} is not the one its weights were trained with; re-create both "
                "with `python bench/train_checkworthiness_adapter.py` then `python bench/train_checkworthiness.py`."
            )
        with np.load(io.BytesIO(raw)) as data:
            arrays = {k: data[k] for k in data.files}
        rank, alpha, scale, max_length = (float(v) for v in arrays.pop("config"))
        head, bias = arrays.pop("head.weight").astype(np.float64), float(arrays.pop("head.bias")[0])
        deltas = lora_deltas(arrays, alpha / rank)
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"Check-worthiness adapter not found at {path}; run `python bench/train_checkworthiness_adapter.py`."
        ) from exc
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigurationError(
            f"Check-worthiness adapter at {path} is unreadable ({exc}); "
            "re-create it with `python bench/train_checkworthiness_adapter.py`."
        ) from exc
    return _FineTuned(AdaptedMiniLM(deltas, max_length=int(max_length)), head, bias, scale)


def _read_weights(path: Path) -> _Weights:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"Check-worthiness weights not found at {path}; run `python bench/train_checkworthiness.py`."
        ) from exc
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"Check-worthiness weights at {path} are unreadable ({exc}); "
            "re-create them with `python bench/train_checkworthiness.py`."
        ) from exc
    if raw.get("format") != FORMAT_VERSION or tuple(raw.get("dense_names", ())) != DENSE_NAMES:
        raise ConfigurationError(
            f"Check-worthiness weights at {path} do not match this code version; "
            "re-create them with `python bench/train_checkworthiness.py`."
        )
    vocab_list: list[str] = raw["vocabulary"]
    emb = raw.get("embedding_coef")
    return _Weights(
        vocabulary={gram: i for i, gram in enumerate(vocab_list)},
        idf=np.asarray(raw["idf"], dtype=np.float64),
        tfidf_coef=np.asarray(raw["tfidf_coef"], dtype=np.float64),
        dense_mean=np.asarray(raw["dense_mean"], dtype=np.float64),
        dense_scale=np.asarray(raw["dense_scale"], dtype=np.float64),
        dense_coef=np.asarray(raw["dense_coef"], dtype=np.float64),
        embedding_coef=None if emb is None else np.asarray(emb, dtype=np.float64),
        intercept=float(raw["intercept"]),
        threshold=float(raw["threshold"]),
        meta={k: raw.get(k) for k in ("trained_on", "embedding_model", "metrics", "config", "adapter")},
        adapter_mix=float((raw.get("adapter") or {}).get("mix", 0.0)),
    )


def _probabilities(logits: np.ndarray) -> list[float]:
    return [1.0 / (1.0 + math.exp(-float(z))) for z in np.clip(logits, -50.0, 50.0)]


class CheckworthinessScorer:
    """Scores sentences 0-1 for check-worthiness; `threshold` was chosen on ClaimBuster's groundtruth set."""

    threshold: float

    def __init__(
        self,
        weights: _Weights,
        embedder: Embeddings | None,
        threshold: float | None = None,
        fine_tuned: _FineTuned | None = None,
    ) -> None:
        if weights.adapter_mix and fine_tuned is None:
            raise ConfigurationError(
                "These check-worthiness weights mix in a fine-tuned encoder; load them with load()."
            )
        self._w = weights
        self._embedder = embedder
        self._fine_tuned = fine_tuned
        self.threshold = weights.threshold if threshold is None else float(threshold)
        self.meta = weights.meta

    @classmethod
    def load(
        cls,
        embedder: Embeddings | None = None,
        threshold: float | None = None,
        path: Path | None = None,
        adapter_path: Path | None = None,
    ) -> CheckworthinessScorer:
        """Load the committed weights; creates a MiniLMEmbedder when the weights use embeddings and none is given,
        and the fine-tuned encoder when the weights mix one in (its adapter file sits beside the weights)."""
        weights = _read_weights(path or WEIGHTS_PATH)
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ConfigurationError(f"Check-worthiness threshold must be between 0 and 1, got {threshold}.")
        if weights.embedding_coef is not None and embedder is None and weights.adapter_mix < 1.0:
            from retrieval.embeddings import MiniLMEmbedder

            embedder = MiniLMEmbedder()
        fine_tuned = None
        if weights.adapter_mix:
            spec = weights.meta.get("adapter") or {}
            default = (path or WEIGHTS_PATH).parent / str(spec.get("file", ADAPTER_PATH.name))
            fine_tuned = _read_adapter(adapter_path or default, spec.get("sha256"))
        return cls(weights, embedder, threshold, fine_tuned)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        assert self._embedder is not None
        try:
            direct = getattr(self._embedder, "embed", None)
            # MiniLMEmbedder.embed returns one normalised numpy matrix; other LangChain embedders give lists.
            vectors = direct(list(texts)) if callable(direct) else self._embedder.embed_documents(list(texts))
        except Exception as exc:  # any embedder failure is a model failure to the user
            raise ModelError(f"Embedding sentences for check-worthiness failed: {exc}") from exc
        matrix = np.asarray(vectors, dtype=np.float64)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.clip(norms, 1e-12, None)

    def score_texts(self, texts: Sequence[str]) -> list[float]:
        """Probability (0-1) that each text is a check-worthy factual claim."""
        if not texts:
            return []
        w = self._w
        if self._fine_tuned is not None and w.adapter_mix >= 1.0:
            return _probabilities(self._fine_tuned.logits(texts))
        logits = np.full(len(texts), w.intercept)
        for i, row in enumerate(tfidf_rows(texts, w.vocabulary, w.idf)):
            if row:
                cols = np.fromiter(row.keys(), dtype=np.int64, count=len(row))
                vals = np.fromiter(row.values(), dtype=np.float64, count=len(row))
                logits[i] += float(vals @ w.tfidf_coef[cols])
        logits += ((dense_matrix(texts) - w.dense_mean) / w.dense_scale) @ w.dense_coef
        if w.embedding_coef is not None:
            logits += self._embed(texts) @ w.embedding_coef
        if self._fine_tuned is not None:
            logits = (1.0 - w.adapter_mix) * logits + w.adapter_mix * self._fine_tuned.logits(texts)
        return _probabilities(logits)

    def score_article(self, text: str) -> list[ScoredSentence]:
        """Every sentence of `text` (a headline line is its own sentence) with offsets and score, in order."""
        sentences = split_sentences(text)
        scores = self.score_texts([s.text for s in sentences])
        return [ScoredSentence(s.start, s.end, s.text, score) for s, score in zip(sentences, scores, strict=True)]

    def worthy(self, text: str) -> list[ScoredSentence]:
        """The sentences of `text` scoring at or above the threshold, in article order."""
        return [s for s in self.score_article(text) if s.score >= self.threshold]


@dataclass(frozen=True)
class Evaluation:
    """Precision, recall and F1 of the positive (check-worthy) class at one threshold."""

    n: int
    positives: int
    predicted: int
    precision: float
    recall: float
    f1: float
    threshold: float


_LABELS = {"yes": True, "no": False}


def _unescape(field: str) -> str:
    """Undo the CSV quoting that QUOTE_NONE leaves in place (a wrapped field with doubled inner quotes)."""
    inner = field[1:-1]
    if len(field) >= 2 and field[0] == field[-1] == '"' and '"' not in inner.replace('""', ""):
        return inner.replace('""', '"')
    return field


def read_labelled_tsv(path: Path) -> tuple[list[str], list[bool]]:
    """Texts and Yes/No labels of a CheckThat!-layout TSV (columns Sentence_id, Text, class_label).

    Read with QUOTE_NONE (stray quotes are common in these files); a field that is exactly one CSV-quoted value
    is unescaped, because the CheckThat! 2024 files wrap ~40% of the ClaimBuster sentences that way.
    """
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = [c for c in ("Text", "class_label") if c not in (reader.fieldnames or [])]
            if missing:
                raise IngestError(
                    f"{path} lacks the column(s) {', '.join(missing)}; expected a tab-separated file with the "
                    "header Sentence_id, Text, class_label."
                )
            texts: list[str] = []
            labels: list[bool] = []
            for line, row in enumerate(reader, start=2):
                label = (row.get("class_label") or "").strip().lower()
                if label not in _LABELS or row.get("Text") is None:
                    raise IngestError(
                        f"{path} line {line}: class_label must be Yes or No (got {row.get('class_label')!r}); "
                        "fix the file or check it is tab-separated."
                    )
                texts.append(_unescape(row["Text"]))
                labels.append(_LABELS[label])
    except FileNotFoundError as exc:
        raise IngestError(f"No such file: {path}; pass a CheckThat!-layout TSV with --data.") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise IngestError(f"Cannot read {path} ({exc}); pass a UTF-8, tab-separated file.") from exc
    if not texts:
        raise IngestError(f"{path} has no labelled rows; nothing to evaluate.")
    return texts, labels


def evaluate(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> Evaluation:
    """Score-vs-label metrics of the positive class, predicting positive when score >= threshold."""
    predicted = [s >= threshold for s in scores]
    tp = sum(1 for p, y in zip(predicted, labels, strict=True) if p and y)
    n_pred = sum(predicted)
    n_pos = sum(labels)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_pos if n_pos else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Evaluation(len(labels), n_pos, n_pred, precision, recall, f1, threshold)
