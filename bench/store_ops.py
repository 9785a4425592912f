"""Review-store timings: saving claims and reviews, the review queue, dashboard stats, history.

Usage: .venv/bin/python bench/store_ops.py [--articles 20] [--claims 50] [--runs 7]
Prints a table of median milliseconds per operation on a fresh SQLite file in a temp directory.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings
from app.models import Claim, Provenance, claim_id_for, utcnow
from app.store import ReviewStore
from retrieval.models import Article, content_id


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--claims", type=int, default=50, help="claims per article")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    store = ReviewStore(Path(tempfile.mkdtemp()) / "bench.sqlite3", rating_scale=Settings().ratings())
    corpus: list[tuple[Article, list[Claim]]] = []
    for a in range(args.articles):
        sentences = [f"Sentence {i} of article {a} states that {i * 7} people attended." for i in range(args.claims)]
        text = f"Title {a}\n\n" + " ".join(sentences)
        article = Article(
            id=content_id(text), title=f"Title {a}", source=f"bench/{a}.txt", text=text, ingested_at=utcnow()
        )
        store.upsert_article(article)
        claims = []
        for i, sentence in enumerate(sentences):
            start = text.index(sentence)
            claims.append(
                Claim(
                    id=claim_id_for(article.id, start, start + len(sentence)),
                    article_id=article.id,
                    quote=sentence,
                    start=start,
                    end=start + len(sentence),
                    statement=sentence,
                    checkworthiness=(i % 10) / 10,
                    provenance=Provenance(extractor="scorer", model="none"),
                )
            )
        corpus.append((article, claims))

    rows: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    for article, claims in corpus:
        store.save_claims(article.id, claims)
    rows.append((f"save_claims, per {args.claims}-claim article", (time.perf_counter() - t0) * 1000 / args.articles))

    saves = []
    for _article, claims in corpus:
        for claim in claims[:10]:
            t1 = time.perf_counter()
            review = store.get_review(claim.id)
            store.save_review(review.model_copy(update={"verdict": "True", "status": "reviewed"}), actor="bench")
            saves.append(time.perf_counter() - t1)
    rows.append(("get_review + save_review (median)", statistics.median(saves) * 1000))

    first_article, first_claims = corpus[0]
    total = args.articles * args.claims
    for name, fn in (
        (f"queue() over {total} claims", lambda: store.queue()),
        ("queue(article_id=...)", lambda: store.queue(article_id=first_article.id)),
        ("stats()", store.stats),
        ("history(claim)", lambda: store.history(first_claims[0].id)),
        (f"claims() over {total} claims", store.claims),
    ):
        rows.append((f"{name} (median of {args.runs})", _median_ms(fn, args.runs)))
    store.close()

    print(f"{'operation':48s} {'ms':>9s}")
    for name, ms in rows:
        print(f"{name:48s} {ms:9.2f}")


if __name__ == "__main__":
    main()
