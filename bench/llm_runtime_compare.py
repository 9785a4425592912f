"""Side by side: the two llama.cpp bindings on the same GGUF, prompt and schema (xllamacpp vs llama-cpp-python).

Run:  .venv/bin/python bench/llm_runtime_compare.py --llama-cpp-python /path/to/python [--threads 2] [--reps 3]

llama-cpp-python is not a claimdesk dependency: it has no prebuilt Linux wheel and builds from source. Build it
into a separate environment and pass that environment's interpreter:

    python3.11 -m venv /tmp/lcpp
    CMAKE_ARGS=-DGGML_NATIVE=OFF /tmp/lcpp/bin/pip install llama-cpp-python==0.3.36

Each measurement runs in a fresh process, and the two bindings alternate (A B A B ...), so both see the same
machine load. Every request starts with a new run number, so no prompt cache helps either side. Measured the
same way for both (wall clocks around the binding's own call, streamed tokens timed as they arrive):
  load         constructing the model object (weights mmapped, context allocated)
  prompt       a 1-token answer to the ~300-token prompt (the seed head and a question): prompt evaluation
  generation   tokens/s between the first and the last streamed token of a 64-token free-text answer
  JSON answer  the cascade's closed answer shape {"claimant", "claim_type"} under each binding's JSON-schema
               grammar, for one seed sentence (the work claimdesk's cascade does per sentence)
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
SEED = ROOT / "seeds" / "china-russia-sanctions.txt"
SENTENCE = "The U.S. Treasury barred American banks from buying Russian government bonds."
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "claimant": {"type": ["string", "null"]},
        "claim_type": {"type": "string", "enum": ["statistic", "quotation", "event", "causal", "policy", "other"]},
    },
    "required": ["claimant", "claim_type"],
    "additionalProperties": False,
}


def _messages(run: int, head: str, question: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": f"Run {run}. You extract checkable claims from news articles.\n\n{head}"},
        {"role": "user", "content": question},
    ]


def _xllamacpp_calls(path: str, threads: int) -> tuple[float, Any]:
    """(load seconds, chat(request) -> iterator of stream chunks) for xllamacpp, as claimdesk configures it."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = path
    params.n_ctx = 4096
    params.n_parallel = 1
    params.kv_unified = False
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = -1
    params.warmup = False
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    started = time.perf_counter()
    server = xllamacpp.Server(params)
    load = time.perf_counter() - started

    def chat(request: dict[str, Any]) -> Any:
        chunks: list[Any] = []
        stamps: list[float] = []

        def on_chunk(chunk: Any) -> bool:
            chunk = json.loads(chunk) if isinstance(chunk, str) else chunk
            stamps.append(time.perf_counter())
            chunks.append(chunk)
            return False

        server.handle_chat_completions({**request, "stream": True}, on_chunk)
        return chunks, stamps

    chat.server = server  # type: ignore[attr-defined]  # keep it alive: destroying it early can hang
    return load, chat


def _llama_cpp_python_calls(path: str, threads: int) -> tuple[float, Any]:
    import llama_cpp

    started = time.perf_counter()
    llm = llama_cpp.Llama(model_path=path, n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False)
    load = time.perf_counter() - started

    def chat(request: dict[str, Any]) -> Any:
        kwargs: dict[str, Any] = {
            "messages": request["messages"],
            "max_tokens": request["max_tokens"],
            "temperature": 0,
            "stream": True,
        }
        if "json_schema" in request:
            kwargs["response_format"] = {"type": "json_object", "schema": request["json_schema"]}
        chunks: list[Any] = []
        stamps: list[float] = []
        for chunk in llm.create_chat_completion(**kwargs):
            stamps.append(time.perf_counter())
            chunks.append(chunk)
        return chunks, stamps

    return load, chat


def worker(binding: str, path: str, threads: int, run: int) -> dict[str, Any]:
    """One process, one binding: load, then the three requests."""
    make = _xllamacpp_calls if binding == "xllamacpp" else _llama_cpp_python_calls
    load, chat = make(path, threads)
    head = SEED.read_text(encoding="utf-8")[:1500]
    out: dict[str, Any] = {"binding": binding, "load_s": load}
    # Prompt evaluation: wall time of a one-token answer.
    started = time.perf_counter()
    chat({"messages": _messages(run, head, "Which sentence has a number? Quote it."), "max_tokens": 1})
    out["prompt_s"] = time.perf_counter() - started
    # Generation: streamed token arrival (same prefix as above is cached by both; only decoding is timed).
    chunks, stamps = chat(
        {"messages": _messages(run, head, "Summarise the article in three sentences."), "max_tokens": 64}
    )
    times = [t for c, t in zip(chunks, stamps, strict=True) if _has_content(c)]
    out["gen_tokens"] = len(times)
    # xllamacpp also reports llama.cpp's own decode speed: a cross-check that one chunk is one token.
    engine = [c["timings"]["predicted_per_second"] for c in chunks if isinstance(c.get("timings"), dict)]
    out["engine_tps"] = engine[-1] if engine else None
    out["gen_tps"] = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    # The cascade's per-sentence work: a short answer under a JSON-schema grammar.
    question = f"Sentence: {SENTENCE}\nWho claims it (null if the article itself) and what kind of claim is it?"
    started = time.perf_counter()
    chunks, _ = chat(
        {"messages": _messages(run + 1000, head, question), "max_tokens": 40, "json_schema": ANSWER_SCHEMA}
    )
    out["json_s"] = time.perf_counter() - started
    text = "".join(_content(c) for c in chunks)
    try:
        json.loads(text)
        out["json_ok"] = True
    except ValueError:
        out["json_ok"] = False
    out["json_text"] = text
    return out


def _content(chunk: dict[str, Any]) -> str:
    return "".join((c.get("delta") or {}).get("content") or "" for c in chunk.get("choices") or [])


def _has_content(chunk: dict[str, Any]) -> bool:
    return bool(_content(chunk))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llama-cpp-python", dest="lcpp_python", required=False, help="interpreter that has llama_cpp")
    parser.add_argument(
        "--model", default=str(ROOT / ".claimdesk" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--worker", choices=["xllamacpp", "llama-cpp-python"], help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.model, args.threads, args.run)), flush=True)
        os._exit(0)  # skip binding destructors (xllamacpp's can hang right after start)
    if not args.lcpp_python:
        parser.error("--llama-cpp-python PYTHON is required (see the module docstring for the build)")
    interpreters = {"xllamacpp": sys.executable, "llama-cpp-python": args.lcpp_python}
    versions = {}
    for name, python in interpreters.items():
        module = name.replace("-", "_").replace("llama_cpp_python", "llama_cpp")
        code = f"import {module}; print({module}.__version__)"
        versions[name] = subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()
    print(f"model: {Path(args.model).name}  threads: {args.threads}  reps: {args.reps}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"load average before: {os.getloadavg()[0]:.2f}\n", flush=True)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in interpreters}
    for rep in range(args.reps):
        for name, python in interpreters.items():
            cmd = [python, __file__, "--worker", name, "--model", args.model, "--threads", str(args.threads)]
            done = subprocess.run([*cmd, "--run", str(rep)], capture_output=True, text=True, cwd=ROOT)
            if done.returncode != 0:
                sys.exit(f"{name} worker failed: {done.stderr.strip()[-2000:]}")
            rows[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"  rep {rep + 1} {name}: {json.dumps(rows[name][-1])}", file=sys.stderr, flush=True)
    med = statistics.median
    print("| binding | load s | prompt (~300 tok) s | generation tok/s | JSON answer s | valid JSON |")
    print("|---|---|---|---|---|---|")
    for name, runs in rows.items():
        print(
            f"| {name} {versions[name]} | {med(r['load_s'] for r in runs):.2f} | {med(r['prompt_s'] for r in runs):.2f} "
            f"| {med(r['gen_tps'] for r in runs):.1f} | {med(r['json_s'] for r in runs):.2f} "
            f"| {sum(r['json_ok'] for r in runs)}/{len(runs)} |"
        )
    x, lc = rows["xllamacpp"], rows["llama-cpp-python"]
    print(
        f"\nratios (llama-cpp-python / xllamacpp, medians): prompt {med(r['prompt_s'] for r in lc) / med(r['prompt_s'] for r in x):.2f}x time, "
        f"generation {med(r['gen_tps'] for r in lc) / med(r['gen_tps'] for r in x):.2f}x speed, "
        f"JSON answer {med(r['json_s'] for r in lc) / med(r['json_s'] for r in x):.2f}x time"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
