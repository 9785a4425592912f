"""What the Review page pays to find a claim's sentence reviewed in another article (app/repeated_claims.py).

Run:  .venv/bin/python bench/repeated_claims.py [--reviewed 5000 20000] [--runs 7]

Builds a throw-away review store with N reviewed claims (10 per article; sentences of 10-25 words drawn from a
16-word vocabulary, the hard case: every sentence shares most of its words with thousands of others) and times
`reviews_elsewhere` for one claim (median of --runs) beside the store read it starts with, and the Dashboard's
`split_verdicts` over the whole store, each without and with the workbench's cache of the keys (`DecidedSentences`,
read again only when the store changed; here it has not). Columns: reviewed claims, the store read (ms), the one-claim
lookup and the Dashboard's check, uncached / cached (ms).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.models import Claim, Provenance, Review, claim_id_for  # noqa: E402
from app.repeated_claims import DecidedSentences, reviews_elsewhere, split_verdicts  # noqa: E402
from app.store import ReviewStore  # noqa: E402
from retrieval.models import Article, content_id  # noqa: E402
from retrieval.sentences import split_sentences  # noqa: E402

WORDS = "council harbour budget million dollars approved roads police vote mayor union strike rose fell percent year"


def build(path: Path, reviewed: int, rng: random.Random) -> Claim:
    """A store with `reviewed` reviewed claims; returns the last one."""
    store = ReviewStore(path, rating_scale={"False": 1, "True": 5})
    vocabulary = WORDS.split()
    claim: Claim | None = None
    for a in range(reviewed // 10):
        sentences = [
            " ".join(rng.choice(vocabulary) for _ in range(rng.randint(10, 25))).capitalize() + f" {a}-{i}."
            for i in range(10)
        ]
        text = f"Article {a}\n\n" + " ".join(sentences)
        article = Article(
            id=content_id(text), title=f"Article {a}", source=f"a{a}.txt", text=text, ingested_at=datetime.now(UTC)
        )
        store.upsert_article(article, actor="bench")
        claims = [
            Claim.model_validate(
                {
                    "id": claim_id_for(article.id, s.start, s.end),
                    "article_id": article.id,
                    "quote": s.text,
                    "start": s.start,
                    "end": s.end,
                    "statement": s.text,
                    "claim_type": "statistic",
                    "checkworthiness": 0.5,
                    "provenance": Provenance(extractor="scorer", model="bench", prompt_name="none", prompt_hash="-"),
                },
                context={"article_text": text},
            )
            for s in split_sentences(text)[1:]
        ]
        store.save_claims(article.id, claims)
        for c in claims:
            store.save_review(Review(claim_id=c.id, status="reviewed", verdict="False"), actor="bench")
        claim = claims[0]
    store.close()
    assert claim is not None
    return claim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviewed", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(1)
    print("| reviewed claims | store read (ms) | one claim's lookup (ms) | Dashboard check (ms) |")
    print("|---|---|---|---|")
    for n in args.reviewed:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "store.sqlite3"
            claim = build(path, n, rng)
            with ReviewStore(path, rating_scale={"False": 1, "True": 5}) as store:
                reads, lookups, checks, cached_lookups, cached_checks = [], [], [], [], []
                cache = DecidedSentences()
                cache.rows(store)
                for _ in range(args.runs):
                    t = time.perf_counter()
                    store.decided_sentences()
                    reads.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    reviews_elsewhere(store, claim)
                    lookups.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    split_verdicts(store)
                    checks.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    reviews_elsewhere(store, claim, cache)
                    cached_lookups.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    split_verdicts(store, cache)
                    cached_checks.append(time.perf_counter() - t)
            ms = [1000 * statistics.median(x) for x in (reads, lookups, cached_lookups, checks, cached_checks)]
            print(f"| {n:,} | {ms[0]:.1f} | {ms[1]:.1f} / {ms[2]:.1f} | {ms[3]:.1f} / {ms[4]:.1f} |")


if __name__ == "__main__":
    main()
