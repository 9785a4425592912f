"""Benchmark the embedded llama.cpp runtime (xllamacpp): load, prompt eval, generation, prompt-cache reuse.

Run:  .venv/bin/python bench/llm_runtime.py [--data-dir .claimdesk] [--threads 1 2] [--reps 3]
Prints a Markdown table of medians over --reps runs. The machine's load average is printed too: on a busy
2-core box llama.cpp's thread barriers make every extra thread expensive, so compare runs at similar load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.local_model import LocalRuntime, default_threads, resolve_model_path, schema_constraint  # noqa: E402

SEED = ROOT / "seeds" / "china-russia-sanctions.txt"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"quote": {"type": "string"}, "checkable": {"type": "boolean"}},
                "required": ["quote", "checkable"],
            },
        }
    },
    "required": ["claims"],
}


def _messages(head: str, question: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You extract checkable claims from news articles.\n\nARTICLE:\n" + head},
        {"role": "user", "content": question},
    ]


def _call(runtime: LocalRuntime, request: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    out = runtime.chat({"temperature": 0, **request}, timeout=1800)
    out["wall"] = time.perf_counter() - started
    return out


def _load_once(path: Path, threads: int) -> float:
    """Cold-process load time, one fresh interpreter per load."""
    # Keep the runtime referenced and os._exit: destroying a just-started xllamacpp Server can hang forever
    # (its terminate() races the server loop's start), so nothing in claimdesk ever drops one.
    code = (
        "import os, sys, time; from pathlib import Path; from app.local_model import LocalRuntime; "
        "t = time.perf_counter(); r = LocalRuntime(Path(sys.argv[1]), threads=int(sys.argv[2])); "
        "print(time.perf_counter() - t, flush=True); os._exit(0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(threads)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def bench(path: Path, threads: int, reps: int, head: str) -> dict[str, float]:
    """Medians for one thread count (run in its own process, see main)."""
    loads = [_load_once(path, threads) for _ in range(reps)]
    runtime = LocalRuntime(path, threads=threads)
    _call(runtime, {"messages": _messages("warm-up", "Say OK."), "max_tokens": 2})

    pp, tg, uncached, cached, cache_n = [], [], [], [], []
    for i in range(reps):
        q = f"Question {i}: which sentence mentions a number? Quote it."
        cold = _call(runtime, {"messages": _messages(head, q), "max_tokens": 64, "cache_prompt": False})
        t = cold["timings"]
        pp.append(t["prompt_per_second"])
        tg.append(t["predicted_per_second"])
        uncached.append(t["prompt_ms"] / 1000)
        # Same article head, new question: only the suffix should be evaluated.
        warm = _call(runtime, {"messages": _messages(head, q + " Answer briefly."), "max_tokens": 1})
        cached.append(warm["timings"]["prompt_ms"] / 1000)
        cache_n.append(warm["timings"]["cache_n"])

    json_rows: dict[str, list[float]] = {"flex_tokens": [], "flex_s": [], "compact_tokens": [], "compact_s": []}
    for i in range(reps):
        for label, compact in (("flex", False), ("compact", True)):
            msgs = _messages(head, f"List up to three checkable claims as JSON (run {i}).")
            out = _call(runtime, {"messages": msgs, "max_tokens": 200, **schema_constraint(SCHEMA, compact=compact)})
            json_rows[f"{label}_tokens"].append(out["timings"]["predicted_n"])
            json_rows[f"{label}_s"].append(out["timings"]["predicted_ms"] / 1000)

    med = statistics.median
    return {
        "threads": threads,
        "load_s": med(loads),
        "prompt_tokens": cold["timings"]["prompt_n"],
        "pp_tps": med(pp),
        "tg_tps": med(tg),
        "uncached_s": med(uncached),
        "cached_s": med(cached),
        "cache_n": med(cache_n),
        **{k: med(v) for k, v in json_rows.items()},
    }


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".claimdesk")
    parser.add_argument("--model", type=Path, default=None, help="another GGUF instead of the packaged model")
    parser.add_argument("--threads", type=int, nargs="*", default=None, help="thread counts (default: 1 and all)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--head-chars", type=int, default=1500, help="article characters in the shared prefix")
    args = parser.parse_args()

    import xllamacpp

    settings = Settings(data_dir=args.data_dir, local_model_path=args.model)
    started = time.perf_counter()
    path = resolve_model_path(settings)
    resolve_s = time.perf_counter() - started
    head = SEED.read_text(encoding="utf-8")[: args.head_chars]
    thread_counts = args.threads or sorted({1, default_threads()})
    if not args.worker:
        print(f"model: {path.name}  xllamacpp {xllamacpp.__version__}  cores: {default_threads()}")
        print(f"join/verify (resolve_model_path): {resolve_s:.2f}s  load average before: {os.getloadavg()[0]:.2f}")
    if args.worker:
        print(json.dumps(bench(path, thread_counts[0], args.reps, head)), flush=True)
        os._exit(0)  # skip xllamacpp's Server destructor, which can hang at exit
    print(f"medians of {args.reps} runs; each row is a separate process\n")
    print(
        "| threads | load s | prompt tok | prompt eval tok/s | generation tok/s | uncached prompt s "
        "| cached-prefix prompt s (cached tok) | speed-up | JSON flex tok / s | JSON compact tok / s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    for n in thread_counts:  # one process per thread count, so each measures a cold start
        cmd = [sys.executable, __file__, "--worker", "--threads", str(n), "--reps", str(args.reps)]
        cmd += ["--data-dir", str(args.data_dir), "--head-chars", str(args.head_chars)]
        if args.model:
            cmd += ["--model", str(args.model)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(f"| {n} | failed: {out.stderr.strip().splitlines()[-1:]} |", flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {r['threads']} | {r['load_s']:.2f} | {r['prompt_tokens']} | {r['pp_tps']:.1f} | {r['tg_tps']:.1f} "
            f"| {r['uncached_s']:.2f} | {r['cached_s']:.2f} ({r['cache_n']:.0f}) "
            f"| {r['uncached_s'] / max(r['cached_s'], 1e-6):.1f}x "
            f"| {r['flex_tokens']:.0f} / {r['flex_s']:.2f} | {r['compact_tokens']:.0f} / {r['compact_s']:.2f} |",
            flush=True,
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
