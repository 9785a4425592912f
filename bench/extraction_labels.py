"""Claim extraction scored against hand-labelled sentences (bench/labelled/): which sentences become claims, who the
claimant is, and whether each expression only the article explains is resolved in the statement or flagged.

Run:  .venv/bin/python bench/extraction_labels.py [--llm none|local|SPEC] [--set set1|set2|set3|set4|all]
      [--split test|dev|all]
      [--undated] [--show claimant,short,reference,extra,missed]
Data: bench/labelled/ (see its README). Each claim is matched to the labelled sentence it overlaps most.
  check-worthy   precision / recall of the sentences that became claims against the labels' check-worthy ones
  claimant       wrong when the claim's claimant is not the label's (or one of its aliases; none for the outlet)
  short          right, but by fewer words than the label's own form ("Marsh" for "Helen Marsh")
  references     each labelled expression of a check-worthy sentence ("he", "the council", "on Tuesday"):
                 resolved when the statement names what it refers to (a day: gives that day), flagged when the
                 claim is marked needs_context, else missed; a false flag is needs_context on a sentence with none
  type, time     agreement with the label's claim type and time reference (the labels' own conventions)
--split test is set1's even half, which no rule was developed on; set3 and set4 were written after the rules and are
measured only, never developed on; --undated drops the publication dates.
Prints a Markdown table, one row per set.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.checkworthiness import CheckworthinessScorer  # noqa: E402
from app.config import Settings  # noqa: E402
from app.extraction import Extractor, build_extractor  # noqa: E402
from app.llm import build_llm  # noqa: E402
from app.models import Claim  # noqa: E402
from retrieval.loaders import load_bytes  # noqa: E402

LABELLED = ROOT / "bench" / "labelled"
TEST_HALF = {"g02_council", "g04_earnings", "g06_science", "g08_tech", "g10_education", "g12_feature"}


def norm(text: str | None) -> str:
    """Lower case, punctuation and articles dropped: how names are compared."""
    text = re.sub(r"[^\w' ]", " ", (text or "").lower().replace("’", "'"))
    return " ".join(re.sub(r"\b(?:the|a|an)\b", " ", text).split())


def same_claimant(found: str | None, gold: str | None, aliases: list[str]) -> bool:
    """Whether an extracted claimant names the labelled one (a surname, a fuller or shorter form of it)."""
    if not gold:
        return not found
    if not found:
        return False
    f = norm(found)
    for g in map(norm, [gold, *aliases]):
        if not g:
            continue
        if f == g or (len(f) > 3 and f == g.split()[-1]) or (len(g) > 3 and g in f) or (f in g and len(f.split()) >= 2):
            return True
    return False


def shorter_claimant(found: str | None, gold: str | None, aliases: list[str]) -> bool:
    """Whether a claimant that names the labelled one does so by less than the article gives: a bare surname or a
    short form ("Marsh", "Ms Marsh" for "Helen Marsh"): fewer words than the label's own form (its aliases are what
    is accepted, often the surname itself, not how a report should name them)."""
    if not found or not gold or not same_claimant(found, gold, aliases):
        return False
    return len(norm(re.sub(r"^(?:Mr|Mrs|Ms|Miss)\.?\s+", "", found)).split()) < len(norm(gold).split())


def resolved(reference: dict[str, Any], statement: str, sentence: str) -> bool:
    """Whether the statement names what a labelled expression refers to (a date as the rules write it)."""
    referent = reference.get("referent")
    if not referent:
        return False
    if re.fullmatch(r"\d{4}-\d\d-\d\d(?:/\d{4}-\d\d-\d\d)?", referent):
        return referent.split("/")[0] in statement  # a day, or a span by its first day ("week of 2025-03-03")
    day = re.search(r"\d{4}-\d\d-\d\d", referent)
    if day:  # "the afternoon of 2025-07-20", "until at least 2025-07-25": the day is what only the article gives
        return day.group(0) in statement and day.group(0) not in sentence
    r, st, se = norm(referent), norm(statement), norm(sentence)
    if r and r in st:
        return True  # (also when the sentence itself names it: "Railnet said its spending", labelled "its")
    last = r.split()[-1] if r else ""
    word = re.compile(rf"\b{re.escape(last)}\b")
    return len(last) > 3 and bool(word.search(st)) and not word.search(se)


@dataclass
class Tally:
    """Counts for one set."""

    name: str
    articles: int = 0
    gold_checkworthy: int = 0
    claims: int = 0
    hit: int = 0
    extra: int = 0
    missed: int = 0
    claimants: int = 0
    claimants_wrong: int = 0
    claimants_short: int = 0
    references: int = 0
    references_resolved: int = 0
    references_flagged: int = 0
    references_missed: int = 0
    flags: int = 0
    false_flags: int = 0
    types_agree: int = 0
    times: int = 0
    times_agree: int = 0
    seconds: list[float] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)


def score(tally: Tally, name: str, text: str, labels: list[dict[str, Any]], claims: list[Claim]) -> None:
    """Add one article's claims to the tally."""
    spans: list[tuple[int, int] | None] = []
    pos = 0
    for label in labels:
        at = text.find(label["sentence"], pos)
        at = text.find(label["sentence"]) if at < 0 else at
        spans.append((at, at + len(label["sentence"])) if at >= 0 else None)
        pos = at + len(label["sentence"]) if at >= 0 else pos
    matched: dict[int, Claim] = {}
    for claim in claims:
        overlaps = [
            (min(claim.end, sp[1]) - max(claim.start, sp[0]), i) for i, sp in enumerate(spans) if sp is not None
        ]
        best = max(overlaps, default=(0, -1))
        if best[0] > 0:
            matched.setdefault(best[1], claim)
    tally.articles += 1
    tally.claims += len(matched)
    for i, label in enumerate(labels):
        tally.gold_checkworthy += label["checkworthy"]
        claim = matched.get(i)
        if claim is None:
            if label["checkworthy"]:
                tally.missed += 1
                tally.shown.append(f"missed  {name}: {label['sentence'][:110]}")
            continue
        if not label["checkworthy"]:
            tally.extra += 1
            tally.shown.append(f"extra  {name}: {label['sentence'][:110]}")
            continue
        tally.hit += 1
        tally.claimants += 1
        if not same_claimant(claim.claimant, label["claimant"], label.get("claimant_aliases", [])):
            tally.claimants_wrong += 1
            tally.shown.append(
                f"claimant  {name}: {claim.claimant!r} for {label['claimant']!r} | {label['sentence'][:90]}"
            )
        elif shorter_claimant(claim.claimant, label["claimant"], label.get("claimant_aliases", [])):
            tally.claimants_short += 1
            tally.shown.append(f"short  {name}: {claim.claimant!r} for {label['claimant']!r}")
        references = [r for r in label["references"] if r.get("text")]
        if claim.needs_context:
            tally.flags += 1
            tally.false_flags += not references
        for reference in references:
            tally.references += 1
            if resolved(reference, claim.statement, label["sentence"]):
                tally.references_resolved += 1
            elif claim.needs_context:
                tally.references_flagged += 1
            else:
                tally.references_missed += 1
                tally.shown.append(
                    f"reference  {name}: {reference['text']!r} -> {reference.get('referent')!r} | {claim.statement[:90]}"
                )
        tally.types_agree += claim.claim_type == label["claim_type"]
        if label.get("time_reference"):
            tally.times += 1
            # each expression the claim reads ("on Monday (2024-11-18); in 2022"), without the date it adds
            gold = norm(label["time_reference"])
            found = [norm(part.split(" (")[0]) for part in (claim.time_reference or "").split("; ")]
            tally.times_agree += any(f and (gold in f or f in gold) for f in found)


def run_set(directory: Path, extractor: Extractor, split: str, dated: bool) -> Tally:
    """Extract every article of one labelled set and score it."""
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    tally = Tally(directory.name)
    for path in sorted((directory / "articles").glob("*.txt")):
        name = path.stem
        if directory.name == "set1" and split != "all" and (name in TEST_HALF) != (split == "test"):
            continue
        article = load_bytes(str(path), path.read_bytes(), max_bytes=10**8)
        published = meta.get(name, {}).get("published")
        if dated and published:
            article = article.model_copy(update={"published": datetime.fromisoformat(published).replace(tzinfo=UTC)})
        labels = [
            json.loads(line) for line in (directory / "labels" / f"{name}.jsonl").read_text().splitlines() if line
        ]
        started = time.perf_counter()
        claims = extractor.extract(article).claims
        tally.seconds.append(time.perf_counter() - started)
        score(tally, name, article.text, labels, claims)
    return tally


def pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f}%)" if d else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm", default="none", help="none (scorer only), local, or a CLAIMDESK_LLM spec")
    parser.add_argument("--set", default="all", choices=["set1", "set2", "set3", "set4", "all"])
    parser.add_argument("--split", default="all", choices=["test", "dev", "all"], help="set1's halves (set2-set4: all)")
    parser.add_argument("--undated", action="store_true", help="leave the articles without a publication date")
    parser.add_argument("--show", default="", help="comma list of: claimant, short, reference, extra, missed")
    parser.add_argument("--data-dir", default=str(ROOT / ".claimdesk"))
    args = parser.parse_args()
    settings = Settings(data_dir=Path(args.data_dir))
    scorer = CheckworthinessScorer.load(threshold=settings.extraction_threshold)
    extractor = build_extractor(settings, build_llm(settings, spec=args.llm), scorer)
    sets = ["set1", "set2", "set3", "set4"] if args.set == "all" else [args.set]
    if args.split == "test":
        sets = ["set1"]
    tallies = [run_set(LABELLED / s, extractor, args.split, not args.undated) for s in sets]
    show = {s.strip() for s in args.show.split(",") if s.strip()}
    for tally in tallies:
        for line in tally.shown:
            if line.split()[0] in show:
                print(line)
    print(f"\n`--llm {args.llm}`, split {args.split}, {'undated' if args.undated else 'dated'}\n")
    print(
        "| set | articles | check-worthy P / R | claimants wrong | right but shorter | references missed "
        "(resolved / flagged) | false flags | types agree | time refs agree | s per article |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t in tallies:
        precision = t.hit / max(1, t.hit + t.extra)
        recall = t.hit / max(1, t.hit + t.missed)
        seconds = sorted(t.seconds)[len(t.seconds) // 2] if t.seconds else 0.0
        print(
            f"| {t.name} | {t.articles} | {precision:.3f} / {recall:.3f} | {pct(t.claimants_wrong, t.claimants)} | "
            f"{t.claimants_short} | "
            f"{pct(t.references_missed, t.references)} ({t.references_resolved} / {t.references_flagged}) | "
            f"{t.false_flags} of {t.flags} | {pct(t.types_agree, t.claimants)} | {pct(t.times_agree, t.times)} | "
            f"{seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
