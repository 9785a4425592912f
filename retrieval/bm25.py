"""An incremental BM25 keyword index over chunk texts: exact bm25s scores, add/remove in time of the change."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal

import numpy as np
import Stemmer

_TOKEN = re.compile(r"\d+\.\d+(?![a-z\d])|[a-z0-9]+(?:['’][a-z]+)?")

# A short list on purpose: BM25's idf already discounts common words; this only drops pure function words.
STOPWORDS = frozenset(
    """
    a an and are as at be been but by for from had has have he her his i if in into is it its of on or our
    she so than that the their them then there these they this those to was we were what when where which
    who will with would you your
    """.split()
)


# Saved with every index: an index built by another tokenizer is rebuilt on open, never mixed with new queries.
TOKENIZER_VERSION = "lower-stop-snowball_en-figures-2"

# bm25s's scores (method "lucene"): idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf part tf / (k1 * norm + tf) with
# norm = 1 - b + b * length / average length. k1 and b are not bm25s's defaults (1.5, 0.75): bench/bm25_params.py
# chose them by the mean fused nDCG@10 of the SciFact and Climate-FEVER tune halves; on the test halves the product's
# fusion went 0.892 -> 0.901 and 0.421 -> 0.430 (weaker length normalisation suits claims against passages).
K1 = 1.2
B = 0.3

# Postings added since the last compaction are merged into the main arrays once they reach this share of them.
_TAIL_SHARE = 0.25
_TAIL_MIN = 50_000
# Per-term scores are cached between writes, up to this many postings (8 bytes each).
_CACHE_POSTINGS = 4_000_000

# PyStemmer objects must not be shared between threads (the Streamlit UI searches from several).
_STEMMERS = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    stemmer: Stemmer.Stemmer | None = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = Stemmer.Stemmer("english")
        _STEMMERS.english = stemmer
    return stemmer


# A figure as news writes it: thousands commas and a decimal point inside, an optional magnitude after it ("4.2bn",
# "4.2 billion", "4,200 million", "$48m", "12k"; a short one only when attached, so "5 m" stays five metres).
_FIGURE = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:(bn|mn|m|tn|k)\b|\s?(billion|million|trillion|thousand)\b|(?!\w))"
)
_MAGNITUDE = {
    "k": 10**3, "thousand": 10**3, "m": 10**6, "mn": 10**6, "million": 10**6, "bn": 10**9, "billion": 10**9,
    "tn": 10**12, "trillion": 10**12,
}  # fmt: skip


def _figure_token(m: re.Match[str]) -> str:
    """One spelling per value: "4.2bn", "4.2 billion" and "4,200 million" all read " 4200000000 "; "1,150" reads
    " 1150 " (it had been "1" and "150", matching "1,200" and "150"); "3.1" stays one token. A magnitude word is kept
    after the value, so "billion" still matches by itself."""
    digits, short, word = m.group(1), m.group(2), m.group(3)
    value = Decimal(digits.replace(",", ""))
    magnitude = _MAGNITUDE.get((short or word or "").lower())
    if magnitude:
        value *= magnitude
    text = format(value.normalize(), "f")
    return f" {text} {word or ''} "


def tokenize(text: str) -> list[str]:
    """Lower-case Snowball-stemmed word tokens without stopwords (possessive 's dropped); figures in one spelling
    per value (see _figure_token) and "%" as "percent"."""
    out = []
    text = _FIGURE.sub(_figure_token, text.lower().replace("%", " percent "))
    for tok in _TOKEN.findall(text):
        if tok.endswith(("'s", "’s")):
            tok = tok[:-2]
        if tok and tok not in STOPWORDS:
            out.append(tok)
    # Stemming lets "banks"/"bank" and "barred"/"bar" match: +0.02 nDCG@10 on SciFact and Climate-FEVER.
    return list(_stemmer().stemWords(out)) if out else out


def fingerprint(chunk_ids: Iterable[str]) -> str:
    """Order-independent fingerprint of a set of chunk ids."""
    h = hashlib.sha256()
    for cid in sorted(chunk_ids):
        h.update(cid.encode())
        h.update(b"\n")
    return h.hexdigest()


def _csc(terms: np.ndarray, rows: np.ndarray, tfs: np.ndarray, n_terms: int) -> tuple[np.ndarray, ...]:
    """Postings grouped by term (rows ascending within a term when they arrive ascending)."""
    order = np.argsort(terms, kind="stable")
    ptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=n_terms), out=ptr[1:])
    return ptr, rows[order], tfs[order]


class BM25Index:
    """BM25 over chunks with per-query article filters, updated in place by add() and remove().

    Rows are append-only; removal only marks rows dead, and compaction drops them. N, df and avgdl are taken
    from the live rows at query time, so scores equal those of bm25s rebuilt on the live chunks.
    """

    def __init__(self) -> None:
        self.tokenizer: str = TOKENIZER_VERSION
        self.text_version: str = ""
        self._lock = threading.RLock()
        self._vocab: dict[str, int] = {}
        self._terms: list[str] = []
        self._ids: list[str] = []
        self._row_article: list[str] = []
        self._lengths = np.zeros(0, dtype=np.int32)
        self._alive = np.zeros(0, dtype=bool)
        self._n_rows = 0
        self._live = 0
        self._dead = 0
        self._total_len = 0
        self._rows_of: dict[str, list[int]] = {}
        self._row_of_chunk: dict[str, int] = {}
        self._article_of: dict[str, str] = {}
        self._ptr = np.zeros(1, dtype=np.int64)
        self._post_rows = np.zeros(0, dtype=np.int32)
        self._post_tf = np.zeros(0, dtype=np.float32)
        self._tail: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._tail_size = 0
        self._tail_csc: tuple[np.ndarray, ...] | None = None
        self._norm: np.ndarray | None = None
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._cached = 0

    def _invalidate(self) -> None:
        # Any write changes N, avgdl or a df, and so every cached score.
        self._norm = None
        self._cache = {}
        self._cached = 0

    def __len__(self) -> int:
        return self._live

    @property
    def fingerprint(self) -> str:
        """Fingerprint of the live chunk ids (compare with the store's)."""
        return fingerprint(self._article_of)

    def live_ids(self) -> list[str]:
        """Ids of every live chunk."""
        return list(self._article_of)

    def article_of(self) -> dict[str, str]:
        """Chunk id -> article id for every indexed chunk (kept up to date; do not modify)."""
        return self._article_of

    def positions(self, article_ids: Collection[str]) -> np.ndarray:
        """Row numbers of the live chunks of `article_ids`."""
        found = [self._rows_of[a] for a in article_ids if a in self._rows_of]
        if not found:
            return np.array([], dtype=np.int64)
        return np.fromiter((r for rows in found for r in rows), dtype=np.int64)

    def article_ids(self) -> list[str]:
        """Ids of the articles with live chunks."""
        return list(self._rows_of)

    def has_article(self, article_id: str) -> bool:
        """Whether any live chunk belongs to `article_id`."""
        return bool(self._rows_of.get(article_id))

    def chunk_ids_for(self, article_ids: Collection[str]) -> list[str]:
        """Ids of the indexed chunks belonging to `article_ids`."""
        return [self._ids[i] for a in article_ids for i in self._rows_of.get(a, ())]

    @classmethod
    def build(
        cls, ids: Sequence[str], article_ids: Sequence[str], texts: Sequence[str], *, text_version: str = ""
    ) -> BM25Index:
        """Index `texts` (parallel to `ids` and `article_ids`); `text_version` names how the caller made them."""
        idx = cls()
        idx.text_version = text_version
        idx.add(ids, article_ids, texts)
        idx.compact()
        return idx

    # ---- updates ----------------------------------------------------------------------------------
    def _grow(self, extra: int) -> None:
        need = self._n_rows + extra
        if need > len(self._lengths):
            cap = max(need, 2 * len(self._lengths), 1024)
            self._lengths = np.resize(self._lengths, cap)
            alive = np.zeros(cap, dtype=bool)
            alive[: self._n_rows] = self._alive[: self._n_rows]
            self._alive = alive

    def add(self, ids: Sequence[str], article_ids: Sequence[str], texts: Sequence[str]) -> None:
        """Index new chunks; a chunk id already present is replaced (so replaying an add is harmless)."""
        tokenized = [Counter(tokenize(t)) for t in texts]
        with self._lock:
            self._drop_rows([self._row_of_chunk[c] for c in ids if c in self._row_of_chunk])
            self._grow(len(ids))
            rows: list[int] = []
            terms: list[int] = []
            tfs: list[int] = []
            vocab = self._vocab
            for k, (cid, aid, counts) in enumerate(zip(ids, article_ids, tokenized, strict=True)):
                row = self._n_rows + k
                length = sum(counts.values())
                self._lengths[row] = length
                self._alive[row] = True
                self._total_len += length
                self._ids.append(cid)
                self._row_article.append(aid)
                self._rows_of.setdefault(aid, []).append(row)
                self._row_of_chunk[cid] = row
                self._article_of[cid] = aid
                for term, tf in counts.items():
                    tid = vocab.get(term)
                    if tid is None:
                        tid = vocab[term] = len(self._terms)
                        self._terms.append(term)
                    rows.append(row)
                    terms.append(tid)
                    tfs.append(tf)
            self._n_rows += len(ids)
            self._live += len(ids)
            if rows:
                self._tail.append((np.array(terms, np.int64), np.array(rows, np.int32), np.array(tfs, np.float32)))
                self._tail_size += len(rows)
            self._tail_csc = None
            self._invalidate()
            if self._tail_size > max(_TAIL_MIN, _TAIL_SHARE * len(self._post_rows)):
                self.compact()

    def _drop_rows(self, rows: Sequence[int]) -> None:
        touched: dict[str, set[int]] = {}
        for row in rows:
            if not self._alive[row]:
                continue
            self._alive[row] = False
            self._total_len -= int(self._lengths[row])
            cid = self._ids[row]
            self._row_of_chunk.pop(cid, None)
            self._article_of.pop(cid, None)
            touched.setdefault(self._row_article[row], set()).add(row)
        for aid, gone in touched.items():
            self._live -= len(gone)
            self._dead += len(gone)
            left = [r for r in self._rows_of.get(aid, ()) if r not in gone]
            if left:
                self._rows_of[aid] = left
            else:
                self._rows_of.pop(aid, None)
        if touched:
            self._invalidate()

    def remove(self, article_ids: Collection[str]) -> int:
        """Drop every chunk of `article_ids`; returns how many were indexed."""
        with self._lock:
            rows = [r for a in article_ids for r in self._rows_of.get(a, ())]
            self._drop_rows(rows)
            if self._dead > max(1000, self._n_rows // 4):
                self.compact()
            return len(rows)

    def _all_postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        main_terms = np.repeat(np.arange(len(self._ptr) - 1, dtype=np.int64), np.diff(self._ptr))
        parts = [(main_terms, self._post_rows, self._post_tf), *self._tail]
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )

    def compact(self) -> None:
        """Merge the added postings into the main arrays and drop removed rows (renumbering the rest)."""
        with self._lock:
            terms, rows, tfs = self._all_postings()
            alive = self._alive[: self._n_rows]
            if self._dead:
                keep = alive[rows]
                terms, rows, tfs = terms[keep], rows[keep], tfs[keep]
                new_row = (np.cumsum(alive) - 1).astype(np.int32)
                rows = new_row[rows]
                old_rows = np.flatnonzero(alive)
                self._ids = [self._ids[r] for r in old_rows]
                self._row_article = [self._row_article[r] for r in old_rows]
                self._lengths = self._lengths[old_rows].copy()
                self._n_rows = len(old_rows)
                self._alive = np.ones(self._n_rows, dtype=bool)
                self._dead = 0
                self._row_of_chunk = {cid: i for i, cid in enumerate(self._ids)}
                self._rows_of = {}
                for i, aid in enumerate(self._row_article):
                    self._rows_of.setdefault(aid, []).append(i)
            # Main rows precede tail rows and each part is row-ordered, so a stable sort keeps rows ascending.
            self._ptr, self._post_rows, self._post_tf = _csc(terms, rows, tfs, len(self._terms))
            self._tail = []
            self._tail_size = 0
            self._tail_csc = None
            self._invalidate()

    # ---- queries ----------------------------------------------------------------------------------
    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        rows: np.ndarray = self._post_rows[0:0]
        tfs: np.ndarray = self._post_tf[0:0]
        if tid + 1 < len(self._ptr):
            lo, hi = self._ptr[tid], self._ptr[tid + 1]
            rows, tfs = self._post_rows[lo:hi], self._post_tf[lo:hi]
        if self._tail:
            if self._tail_csc is None:
                self._tail_csc = _csc(
                    np.concatenate([p[0] for p in self._tail]),
                    np.concatenate([p[1] for p in self._tail]),
                    np.concatenate([p[2] for p in self._tail]),
                    len(self._terms),
                )
            ptr, trows, ttfs = self._tail_csc
            if tid + 1 < len(ptr) and ptr[tid + 1] > ptr[tid]:
                lo, hi = ptr[tid], ptr[tid + 1]
                rows = np.concatenate([rows, trows[lo:hi]])
                tfs = np.concatenate([tfs, ttfs[lo:hi]])
        if self._dead and len(rows):
            keep = self._alive[rows]
            rows, tfs = rows[keep], tfs[keep]
        return rows, tfs

    def _contribution(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows holding term `tid` and its BM25 score there; cached until the next write changes N, df or avgdl."""
        hit = self._cache.get(tid)
        if hit is not None:
            return hit
        if self._norm is None:
            avgdl = self._total_len / self._live
            self._norm = (K1 * ((1 - B) + B * self._lengths[: self._n_rows] / avgdl)).astype(np.float32)
        rows, tfs = self._postings(tid)
        df = len(rows)
        idf = np.float32(np.log(1 + (self._live - df + 0.5) / (df + 0.5)))
        got = (rows, idf * (tfs / (self._norm[rows] + tfs)))
        if self._cached + df > _CACHE_POSTINGS:
            self._cache.clear()
            self._cached = 0
        self._cache[tid] = got
        self._cached += df
        return got

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for `query` (dead rows score 0); what bm25s would give on the live chunks."""
        with self._lock:
            out = np.zeros(self._n_rows, dtype=np.float32)
            if not self._live:
                return out
            # Repeated query terms count once per occurrence, as in bm25s.
            for term, times in Counter(tokenize(query)).items():
                tid = self._vocab.get(term)
                if tid is None:
                    continue
                rows, contrib = self._contribution(tid)
                if len(rows):
                    out[rows] += contrib if times == 1 else times * contrib
            return out

    def search(
        self,
        query: str,
        n: int,
        *,
        exclude_article_ids: Collection[str] = (),
        only_article_ids: Collection[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Top `n` (chunk id, score) pairs with a positive score, filters applied before ranking."""
        if n <= 0:
            return []
        with self._lock:
            scores = self.scores(query)
            if only_article_ids is not None:
                mask = np.zeros(len(scores), dtype=bool)
                mask[self.positions(only_article_ids)] = True
                scores[~mask] = 0.0
            if exclude_article_ids:
                scores[self.positions(exclude_article_ids)] = 0.0
            positive = np.flatnonzero(scores > 0)
            if positive.size > n:
                part = np.argpartition(-scores[positive], n - 1)[:n]
                positive = positive[part]
            top = positive[np.argsort(-scores[positive], kind="stable")]
            return [(self._ids[i], float(scores[i])) for i in top]

    # ---- persistence helpers (see retrieval.bm25_segments) -----------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The compacted index as plain arrays (for np.savez)."""
        with self._lock:
            self.compact()
            return {
                "terms": np.array(self._terms, dtype=str),
                "ids": np.array(self._ids, dtype=str),
                "article_ids": np.array(self._row_article, dtype=str),
                "lengths": self._lengths[: self._n_rows],
                "ptr": self._ptr,
                "rows": self._post_rows,
                "tf": self._post_tf,
            }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], *, text_version: str = "") -> BM25Index:
        """An index from `to_arrays` output."""
        idx = cls()
        idx.text_version = text_version
        idx._terms = [str(t) for t in arrays["terms"]]
        idx._vocab = {t: i for i, t in enumerate(idx._terms)}
        idx._ids = [str(c) for c in arrays["ids"]]
        idx._row_article = [str(a) for a in arrays["article_ids"]]
        idx._n_rows = idx._live = len(idx._ids)
        idx._lengths = np.asarray(arrays["lengths"], dtype=np.int32).copy()
        idx._alive = np.ones(idx._n_rows, dtype=bool)
        idx._total_len = int(idx._lengths.sum())
        idx._ptr = np.asarray(arrays["ptr"], dtype=np.int64)
        idx._post_rows = np.asarray(arrays["rows"], dtype=np.int32)
        idx._post_tf = np.asarray(arrays["tf"], dtype=np.float32)
        if len(idx._ptr) != len(idx._terms) + 1 or len(idx._row_article) != idx._n_rows:
            raise ValueError("inconsistent BM25 arrays")
        idx._row_of_chunk = {cid: i for i, cid in enumerate(idx._ids)}
        idx._article_of = dict(zip(idx._ids, idx._row_article, strict=True))
        for i, aid in enumerate(idx._row_article):
            idx._rows_of.setdefault(aid, []).append(i)
        return idx
