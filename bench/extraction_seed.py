"""Benchmark claim extraction on the seed article: scorer alone (first claims) vs the cascade with the embedded LLM.

Run:  .venv/bin/python bench/extraction_seed.py [--data-dir .claimdesk] [--reps 3] [--llm local] [--threads N]
Prints a Markdown table of medians over --reps runs (the model is loaded once, before the timed runs; its load
time is a separate row). Targets: first claims <= 5 s, cascade total <= 30 s, >= 10 claims, 100% grounded.
The load average is printed: on a busy 2-core machine llama.cpp slows down sharply, so compare at similar load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.checkworthiness import CheckworthinessScorer  # noqa: E402
from app.config import Settings  # noqa: E402
from app.errors import ExtractionError  # noqa: E402
from app.extraction import ExtractionResult, build_extractor  # noqa: E402
from app.llm import build_llm  # noqa: E402
from app.models import Claim, ExtractionRun  # noqa: E402
from retrieval.models import Article, content_id  # noqa: E402

SEED = ROOT / "seeds" / "china-russia-sanctions.txt"


def seed_article() -> Article:
    """The seed article as the corpus would hold it."""
    text = SEED.read_text(encoding="utf-8")
    return Article(
        id=content_id(text), title=text.split("\n", 1)[0], source=SEED.name, text=text, ingested_at=datetime.now(UTC)
    )


def grounded_share(result: ExtractionResult, article: Article) -> float:
    """Share of claims whose quote is exactly the article text at their offsets."""
    if not result.claims:
        return 0.0
    ok = sum(article.text[c.start : c.end] == c.quote for c in result.claims)
    return ok / len(result.claims)


def main() -> None:
    """Time scorer-only and cascade extraction; print one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".claimdesk"))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--llm", default="local")
    parser.add_argument("--show", action="store_true", help="print the cascade's claims once")
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0 = all cores; 1 on a busy box)")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir, llm_threads=args.threads)
    article = seed_article()

    # Cold start of the scorer-only path: what a user waits for before the first claims appear.
    t0 = time.perf_counter()
    scorer = CheckworthinessScorer.load(threshold=settings.checkworthiness_threshold)
    scorer_only = build_extractor(settings, None, scorer)
    first = scorer_only.extract(article)
    cold_first = time.perf_counter() - t0
    warm: list[float] = []
    for _ in range(args.reps):
        t = time.perf_counter()
        first = scorer_only.extract(article)
        warm.append(time.perf_counter() - t)

    t = time.perf_counter()
    llm = build_llm(settings, spec=args.llm)
    if llm is None:
        raise SystemExit("--llm none has no cascade to measure")
    runtime = getattr(llm.chat_model, "runtime", None)
    if callable(runtime):
        runtime()  # join/verify/load the GGUF now so it is not charged to the first extraction
    load = time.perf_counter() - t
    cascade = build_extractor(settings, llm, scorer, strategy="cascade")
    totals: list[float] = []
    firsts: list[float] = []
    result: ExtractionResult | None = None
    for _ in range(args.reps):
        seen: list[float] = []
        t = time.perf_counter()
        try:
            result = cascade.extract(article, on_claim=lambda _c, t=t, seen=seen: seen.append(time.perf_counter() - t))
        except ExtractionError as exc:  # every call gave up: report what was kept rather than crash
            kept = [c for c in exc.kept if isinstance(c, Claim)]
            failures = [str(exc)] * len(kept)  # one per sentence, as the run would have recorded them
            run = ExtractionRun(article_id=article.id, strategy="cascade", model=llm.model_id, failures=failures)
            result = ExtractionResult(claims=kept, run=run)
        totals.append(time.perf_counter() - t)
        firsts.append(seen[0] if seen else float("nan"))
    assert result is not None
    if args.show:
        for c in sorted(result.claims, key=lambda c: c.start):
            print(f"- [{c.checkworthiness:.2f} {c.claim_type}] {c.statement}  (claimant={c.claimant})")
        for line in dict.fromkeys(result.run.failures):
            print("  failure:", line)

    med = statistics.median
    print(f"\nSeed article: {len(article.text)} chars; llm={llm.model_id}; threads={args.threads or 'all'}; reps={args.reps}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")  # fmt: skip
    print("| measure | scorer only | cascade (LLM) | ratio cascade/scorer | target |")
    print("|---|---|---|---|---|")
    print(f"| first claims, cold (s) | {cold_first:.2f} | {load:.1f} load + {med(firsts):.2f} | - | <= 5 |")
    print(f"| total, warm, median (s) | {med(warm):.3f} | {med(totals):.1f} | {med(totals) / med(warm):.0f}x | <= 30 |")
    print(f"| first claim, warm, median (s) | {med(warm):.3f} | {med(firsts):.2f} | - | - |")
    print(f"| claims | {len(first.claims)} | {len(result.claims)} | - | >= 10 |")
    print(
        f"| grounded share | {grounded_share(first, article):.0%} | {grounded_share(result, article):.0%} | - | 100% |"
    )
    print(f"| sentences gave up (kept as written) | - | {len(result.run.failures)} | - | - |")
    print(f"| per-sentence rewrite, median (s) | - | {med(totals) / max(1, len(result.claims)):.2f} | - | - |")


if __name__ == "__main__":
    main()
