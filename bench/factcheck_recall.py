"""Recall of Factcheck-Bench gold claims by claim extraction: scorer only vs the cascade with the embedded LLM.

Run:  .venv/bin/python bench/factcheck_recall.py [--limit 30] [--llm local] [--threshold 0.75] [--data-dir .claimdesk]
      [--threads N]
Data: ../shared/eval/factcheck_gpt/factcheck-GPT-benchmark.jsonl, or under CLAIMDESK_EVAL_DIR (read in place, never copied): 30 ChatGPT
answers with human-written atomic gold claims. Each answer is one article (title = the question). A gold claim
counts as found when some extracted statement of the same document has MiniLM cosine >= --threshold with it.
Prints a Markdown table: recall, claims per document, the share of statements that match a gold claim,
the grounded share (quote == article text at its offsets) and seconds per document (median).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from app.checkworthiness import CheckworthinessScorer  # noqa: E402
from app.config import Settings  # noqa: E402
from app.errors import ExtractionError  # noqa: E402
from app.extraction import Extractor, build_extractor  # noqa: E402
from app.llm import build_llm  # noqa: E402
from app.models import Claim  # noqa: E402
from retrieval.embeddings import MiniLMEmbedder  # noqa: E402
from retrieval.models import Article, content_id  # noqa: E402

EVAL_DIR = Path(os.environ.get("CLAIMDESK_EVAL_DIR", ROOT.parent / "shared" / "eval"))
DATA = EVAL_DIR / "factcheck_gpt" / "factcheck-GPT-benchmark.jsonl"


@dataclass
class Doc:
    """One benchmark answer and its gold claims."""

    article: Article
    gold: list[str]


@dataclass
class Tally:
    """What one extractor achieved over the documents."""

    name: str
    found: int = 0
    gold: int = 0
    statements: int = 0
    matching_statements: int = 0
    grounded: int = 0
    failures: int = 0
    seconds: list[float] = field(default_factory=list)


def load_docs(limit: int) -> list[Doc]:
    """The first `limit` documents of the benchmark."""
    docs: list[Doc] = []
    if not DATA.is_file():
        sys.exit(f"{DATA} not found: put the evaluation sets in ../shared/eval or set CLAIMDESK_EVAL_DIR.")
    for line in DATA.read_text(encoding="utf-8").splitlines()[:limit]:
        row = json.loads(line)
        text = row["response"]
        gold = [c for s in row["sentences"].values() for c in s["claims"]]
        article = Article(
            id=content_id(text), title=row["prompt"], source="factcheck-gpt", text=text, ingested_at=datetime.now(UTC)
        )
        docs.append(Doc(article, gold))
    return docs


def run(name: str, extractor: Extractor, docs: list[Doc], embedder: MiniLMEmbedder, threshold: float) -> Tally:
    """Extract from every document and match statements against the gold claims."""
    tally = Tally(name)
    for i, doc in enumerate(docs, 1):
        t = time.perf_counter()
        try:
            result = extractor.extract(doc.article)
            claims, failures = result.claims, len(result.run.failures)
        except ExtractionError as exc:  # every call gave up; the sentences were kept as written
            claims = [c for c in exc.kept if isinstance(c, Claim)]
            failures = len(claims)
        tally.seconds.append(time.perf_counter() - t)
        statements = [c.statement for c in claims]
        tally.gold += len(doc.gold)
        tally.statements += len(statements)
        tally.failures += failures
        tally.grounded += sum(doc.article.text[c.start : c.end] == c.quote for c in claims)
        if statements:
            sims = embedder.embed(doc.gold) @ embedder.embed(statements).T  # unit vectors: dot = cosine
            tally.found += int((sims.max(axis=1) >= threshold).sum())
            tally.matching_statements += int((sims.max(axis=0) >= threshold).sum())
        print(f"  {name}: doc {i}/{len(docs)} {len(statements)} claims, {tally.seconds[-1]:.1f}s", file=sys.stderr)
    return tally


def main() -> None:
    """Measure and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=30, help="documents to use (the benchmark has 30)")
    parser.add_argument("--llm", default="local", help="model spec for the cascade; 'none' skips it")
    parser.add_argument("--threshold", type=float, default=0.75, help="cosine at which a gold claim counts as found")
    parser.add_argument("--data-dir", type=Path, default=Path(".claimdesk"))
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0 = all cores; 1 on a busy box)")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir, llm_threads=args.threads)
    docs = load_docs(args.limit)
    embedder = MiniLMEmbedder()
    scorer = CheckworthinessScorer.load(threshold=settings.extraction_threshold)

    tallies = [run("scorer only", build_extractor(settings, None, scorer), docs, embedder, args.threshold)]
    # Upper bound for sentence-level extraction: every sentence, as written (threshold 0).
    everything = CheckworthinessScorer.load(threshold=0.0)
    tallies.append(run("every sentence", build_extractor(settings, None, everything), docs, embedder, args.threshold))
    llm = build_llm(settings, spec=args.llm)
    if llm is not None:
        extractor = build_extractor(settings, llm, scorer, strategy="cascade")
        tallies.append(
            run(
                f"cascade ({llm.model_id}, statements: {settings.cascade_statements})",
                extractor,
                docs,
                embedder,
                args.threshold,
            )
        )

    print(f"\nFactcheck-Bench: {len(docs)} documents, {tallies[0].gold} gold claims; match = MiniLM cosine >= "
          f"{args.threshold}; scorer threshold {scorer.threshold:.3f}; load average {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    print("| extractor | recall of gold claims | claims/doc | statements matching gold | grounded | "
          "gave up | s/doc (median) | recall vs scorer only |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    base = tallies[0].found / max(1, tallies[0].gold)
    for t in tallies:
        recall = t.found / max(1, t.gold)
        print(
            f"| {t.name} | {recall:.1%} ({t.found}/{t.gold}) | {t.statements / len(docs):.1f} | "
            f"{t.matching_statements / max(1, t.statements):.1%} | {t.grounded / max(1, t.statements):.0%} | "
            f"{t.failures} | {statistics.median(t.seconds):.2f} | {recall / base if base else float('nan'):.2f}x |"
        )


if __name__ == "__main__":
    main()
