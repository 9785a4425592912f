"""Scorer-only extraction time on long documents: how it grows with article length and with the number of claims.

Builds documents from the hand-labelled articles in bench/labelled (their bodies one after another, the whole
collection repeated --copies times: 1 copy is ~91k characters, a long report), then times `extract` with the
scorer alone (no LLM) at CLAIMDESK_MAX_CLAIMS 40 (the default) and 400. Prints one row per document and limit,
medians of --reps runs, and the time per claim.

    .venv/bin/python bench/extraction_long.py --copies 1 4 --reps 3
    .venv/bin/python bench/extraction_long.py --root /tmp/old-checkout    # another checkout's code, side by side

--root imports claimdesk from another checkout (the same bench, that code): run both in turn to compare.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--limits", type=int, nargs="+", default=[40, 400])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout whose code is timed")
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))

    from app.checkworthiness import CheckworthinessScorer
    from app.config import Settings
    from app.extraction import build_extractor
    from retrieval.models import Article, content_id

    bodies = [
        p.read_text(encoding="utf-8").split("\n", 1)[1].strip()
        for p in sorted((HERE / "bench" / "labelled").glob("set*/articles/*.txt"))
    ]
    scorer = CheckworthinessScorer.load(threshold=Settings(data_dir=Path("/nonexistent")).extraction_threshold)
    print(f"code: {args.root.resolve()}; {len(bodies)} labelled articles per copy; medians of {args.reps} runs")
    print(f"{'document':<28} {'max claims':>10} {'claims':>7} {'seconds':>8} {'ms / claim':>11}")
    for copies in args.copies:
        text = f"Collected reports, {copies} copies\n\n" + "\n\n".join(bodies * copies) + "\n"
        article = Article(
            id=content_id(text),
            title=text.split("\n", 1)[0],
            source="long.txt",
            text=text,
            ingested_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        for limit in args.limits:
            settings = Settings(data_dir=Path("/nonexistent"), max_claims=limit)
            extractor = build_extractor(settings, None, scorer)
            times, n = [], 0
            for _ in range(args.reps):
                t0 = time.perf_counter()
                n = len(extractor.extract(article).claims)
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            print(f"{f'{len(text):,} characters':<28} {limit:>10} {n:>7} {med:>8.2f} {1000 * med / max(n, 1):>11.1f}")


if __name__ == "__main__":
    main()
