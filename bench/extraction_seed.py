"""Benchmark claim extraction on the seed article: scorer alone (first claims) vs the cascade with the embedded LLM.

Run:  .venv/bin/python bench/extraction_seed.py [--data-dir .claimdesk] [--reps 3] [--llm local] [--threads N]
                                                 [--parallel 1 2 4] [--spec none ngram_simple] [--prefill on off]
                                                 [--show] [--fresh-state]
Prints Markdown tables of medians over --reps runs: the scorer alone, then the cascade once per llama.cpp slot
count (--parallel), speculative decoding mode (--spec, see app/llama_runtime.parse_speculative) and answer start
(--prefill: the JSON answer's fixed first key put in the prompt, see app/local_model.prefilled_constraint, or
generated), side by side. Each model is loaded once, before the timed runs (its load time is a column).
The runs are interleaved (rep 1 of every slot count, then rep 2, ...) so a load spike hits them alike, and every
run sees the article as new: each rep's head carries a different publication date, so nothing but the system prompt
comes from the prompt cache (a repeated identical run would be served almost entirely from the RAM prompt cache).
Before the timed runs each runtime readies the system prompt's llama.cpp state as a new `claimdesk` process does:
restored from the data dir (saved there by the first run ever), or with --fresh-state computed as in that first run;
what it did and its time are a column, apart from the totals.
Targets: first claims <= 5 s, cascade total <= 30 s, >= 10 claims, 100% grounded.
The load average is printed: on a busy 2-core machine llama.cpp slows down sharply, so compare at similar load.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.checkworthiness import CheckworthinessScorer  # noqa: E402
from app.config import Settings  # noqa: E402
from app.errors import ExtractionError  # noqa: E402
from app.extraction import ExtractionResult, build_extractor  # noqa: E402
from app.llama_runtime import DEFAULT_SPECULATIVE, SUMMED_COUNTERS, get_runtime  # noqa: E402
from app.llm import build_llm  # noqa: E402
from app.local_model import resolve_model_path  # noqa: E402
from app.models import Claim, ExtractionRun  # noqa: E402
from retrieval.models import Article, content_id  # noqa: E402

SEED = ROOT / "seeds" / "china-russia-sanctions.txt"


def seed_article(published: datetime | None = None) -> Article:
    """The seed article as the corpus would hold it (`published` changes the head the model sees, not the text)."""
    text = SEED.read_text(encoding="utf-8")
    return Article(
        id=content_id(text),
        title=text.split("\n", 1)[0],
        source=SEED.name,
        text=text,
        published=published,
        ingested_at=datetime.now(UTC),
    )


def grounded_share(result: ExtractionResult, article: Article) -> float:
    """Share of claims whose quote is exactly the article text at their offsets."""
    if not result.claims:
        return 0.0
    ok = sum(article.text[c.start : c.end] == c.quote for c in result.claims)
    return ok / len(result.claims)


@dataclass
class Variant:
    """One slot count and speculative mode under test and what its runs measured."""

    parallel: int
    spec: str
    prefill: bool
    cascade: Any
    runtime: Any
    load: float
    state: str = "off"  # what readying the system prompt's llama.cpp state did: restored / saved / off
    state_seconds: float = 0.0
    totals: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)
    generated: list[int] = field(default_factory=list)
    evaluated: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    drafted: list[int] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)
    prompt_s: list[float] = field(default_factory=list)  # llama.cpp's own prompt-evaluation time per run
    generation_s: list[float] = field(default_factory=list)  # and its generation time
    result: ExtractionResult | None = None

    @property
    def name(self) -> str:
        """The variant's label in the tables."""
        return f"{self.parallel} / {self.spec} / {'prefill' if self.prefill else 'no prefill'}"


def _statements(result: ExtractionResult) -> list[tuple[int, str, str]]:
    """What the model wrote per claim (offset, type, statement): equal lists mean the variants decoded alike."""
    return sorted((c.start, c.claim_type, c.statement) for c in result.claims)


def _counters(runtime: Any) -> dict[str, float]:
    """The runtime's summed counters so far (all zero for a remote model)."""
    stats = getattr(runtime, "stats", None)
    return stats.snapshot() if stats is not None else dict.fromkeys(SUMMED_COUNTERS, 0.0)


def run_once(variant: Variant, article: Article, model_id: str) -> None:
    """One timed cascade extraction; appends its measures to the variant."""
    seen: list[float] = []
    before = _counters(variant.runtime)
    cpu = time.process_time()  # all threads of this process: steadier than wall time on a shared machine
    t = time.perf_counter()
    try:
        result = variant.cascade.extract(article, on_claim=lambda _c: seen.append(time.perf_counter() - t))
    except ExtractionError as exc:  # every call gave up: report what was kept rather than crash
        kept = [c for c in exc.kept if isinstance(c, Claim)]
        failures = [str(exc)] * len(kept)  # one per sentence, as the run would have recorded them
        run = ExtractionRun(article_id=article.id, strategy="cascade", model=model_id, failures=failures)
        result = ExtractionResult(claims=kept, run=run)
    variant.totals.append(time.perf_counter() - t)
    variant.cpu.append(time.process_time() - cpu)
    variant.firsts.append(seen[0] if seen else float("nan"))
    after = _counters(variant.runtime)
    ran = {name: after[name] - before[name] for name in SUMMED_COUNTERS}
    variant.requests.append(int(ran["requests"]))
    variant.evaluated.append(int(ran["prompt_tokens"]))
    variant.generated.append(int(ran["generated_tokens"]))
    variant.drafted.append(int(ran["drafted_tokens"]))
    variant.accepted.append(int(ran["accepted_tokens"]))
    variant.prompt_s.append(ran["prompt_ms"] / 1000)
    variant.generation_s.append(ran["generation_ms"] / 1000)
    variant.result = result


def load_runtime(chat_model: Any, settings: Settings, spec: str, state_dir: Path) -> Any:
    """Load the embedded model with speculative mode `spec` and make `chat_model` use it (None for remote LLMs)."""
    if not callable(getattr(chat_model, "runtime", None)):
        return None
    path = chat_model.model_path or resolve_model_path(settings)
    runtime = get_runtime(
        path,
        threads=chat_model.threads,
        n_ctx=chat_model.n_ctx,
        n_parallel=chat_model.parallel,
        speculative=spec,
        state_dir=state_dir,
    )
    # The chat model asks get_runtime for the configured mode on every call; pin this variant's runtime instead.
    object.__setattr__(chat_model, "runtime", lambda: runtime)
    return runtime


def main() -> None:
    """Time scorer-only and cascade extraction per slot count; print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".claimdesk"))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--llm", default="local")
    parser.add_argument("--show", action="store_true", help="print each slot count's claims (last rep)")
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0 = all cores; 1 on a busy box)")
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 2, 4], help="slot counts to compare")
    parser.add_argument(
        "--spec", nargs="+", default=None, help="speculative modes to compare (default: the configured one)"
    )
    parser.add_argument(
        "--prefill",
        nargs="+",
        choices=["on", "off"],
        default=["on"],
        help="start each JSON answer's fixed first key in the prompt (on, the default) or generate it (off)",
    )
    parser.add_argument(
        "--fresh-state",
        action="store_true",
        help="compute the system prompt's llama.cpp state as a first-ever run does, instead of restoring the "
        "one an earlier run saved in the data dir",
    )
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir, llm_threads=args.threads)
    article = seed_article()

    # Cold start of the scorer-only path: what a user waits for before the first claims appear.
    t0 = time.perf_counter()
    scorer = CheckworthinessScorer.load(threshold=settings.extraction_threshold)
    scorer_only = build_extractor(settings, None, scorer)
    first = scorer_only.extract(article)
    cold_first = time.perf_counter() - t0
    warm: list[float] = []
    for _ in range(args.reps):
        t = time.perf_counter()
        first = scorer_only.extract(article)
        warm.append(time.perf_counter() - t)

    variants: list[Variant] = []
    model_id = ""
    specs = args.spec or [DEFAULT_SPECULATIVE]
    for n, spec, prefill in itertools.product(args.parallel, specs, args.prefill):
        s = settings.model_copy(update={"llm_parallel": n})
        t = time.perf_counter()
        llm = build_llm(s, spec=args.llm)
        if llm is None:
            raise SystemExit("--llm none has no cascade to measure")
        model_id = llm.model_id
        if hasattr(llm.chat_model, "json_prefill"):
            object.__setattr__(llm.chat_model, "json_prefill", prefill == "on")
        states = Path(tempfile.mkdtemp()) if args.fresh_state else s.model_dir / "prompt-states"
        if prefill == "off":  # a runtime of its own (own prompt cache): get_runtime keys runtimes by state dir
            states = states / "no-prefill"
        runtime = load_runtime(llm.chat_model, s, spec, states)  # load now, not in the first extraction
        load = time.perf_counter() - t
        cascade = build_extractor(s, llm, scorer, strategy="cascade")
        v = Variant(n, spec, prefill == "on", cascade, runtime, load)
        if runtime is not None:  # what the first extraction of a process does first (timed apart from it)
            t = time.perf_counter()
            v.state = llm.prefill(cascade.prefix_messages())  # the chat model uses the pinned runtime
            v.state_seconds = time.perf_counter() - t
        variants.append(v)

    day = datetime(2021, 4, 1, tzinfo=UTC)
    for rep in range(args.reps):
        # A new head every rep: the article is new to the model each time. Every variant has its own runtime (own
        # prompt cache), so within a rep all see the same head and their outputs are comparable.
        day += timedelta(days=1)
        for v in variants:
            run_once(v, seed_article(published=day), model_id)
            print(
                f"{v.name} rep={rep + 1}: {v.totals[-1]:.1f} s total, {v.cpu[-1]:.1f} CPU s, "
                f"first claim {v.firsts[-1]:.2f} s, {v.generated[-1]} tokens generated, "
                f"{v.accepted[-1]}/{v.drafted[-1]} drafted accepted, {v.evaluated[-1]} prompt tokens evaluated, "
                f"llama.cpp prompt eval {v.prompt_s[-1]:.1f} s / generation {v.generation_s[-1]:.1f} s, load average {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
                flush=True,
            )

    med = statistics.median
    if args.show:
        for v in variants:
            assert v.result is not None
            print(f"\n{v.name}:")
            for c in sorted(v.result.claims, key=lambda c: c.start):
                print(f"- [{c.checkworthiness:.2f} {c.claim_type}] {c.statement}  (claimant={c.claimant})")
            for line in dict.fromkeys(v.result.run.failures):
                print("  failure:", line)

    print(f"\nSeed article: {len(article.text)} chars; llm={model_id}; threads={args.threads or 'all'}; reps={args.reps}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")  # fmt: skip
    print("| scorer only | median (s) | target |")
    print("|---|---|---|")
    print(f"| first claims, cold (incl. scorer load) | {cold_first:.2f} | <= 5 |")
    print(f"| total, warm | {med(warm):.3f} | - |")
    print(f"| claims / grounded | {len(first.claims)} / {grounded_share(first, article):.0%} | - |")
    print()
    base, base_cpu, ref = med(variants[0].totals), med(variants[0].cpu), variants[0]
    print(
        f"| cascade, n_parallel / spec / answer start | model load (s) | system prompt state (s) | first claim (s) | total (s) | "
        f"of which prompt eval / generation (s) | total vs {ref.name} | CPU s | "
        f"CPU vs {ref.name} | tokens generated | drafted accepted / drafted | prompt tokens evaluated | calls | "
        f"claims | grounded | gave up | statements same as {ref.name} |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for v in variants:
        assert v.result is not None and ref.result is not None
        total = med(v.totals)
        same = _statements(v.result) == _statements(ref.result)
        print(
            f"| {v.name} | {v.load:.1f} | {v.state} {v.state_seconds:.2f} | {med(v.firsts):.2f} | {total:.1f} | "
            f"{med(v.prompt_s):.1f} / {med(v.generation_s):.1f} | {total / base:.2f}x | "
            f"{med(v.cpu):.1f} | {med(v.cpu) / base_cpu:.2f}x | {med(v.generated):.0f} | "
            f"{med(v.accepted):.0f} / {med(v.drafted):.0f} | {med(v.evaluated):.0f} | {med(v.requests):.0f} | "
            f"{len(v.result.claims)} | {grounded_share(v.result, article):.0%} | {len(v.result.run.failures)} | "
            f"{'yes' if same else 'no'} |"
        )
    print(
        "\nTargets: first claim <= 5 s (the scorer's claims are shown first), total <= 30 s, >= 10 claims, 100% grounded."
    )
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: destroying xllamacpp servers can hang (see app/local_model.py)


if __name__ == "__main__":
    main()
