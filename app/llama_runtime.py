"""The llama.cpp runtime (xllamacpp's in-process server): one loaded model, parallel slots, per-process cache."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import ModelError

log = logging.getLogger(__name__)

DEFAULT_N_CTX = 4096
# Prompt-lookup speculative decoding: the extraction JSON mostly copies the sentence from the prompt, and checking a
# drafted run of tokens costs about one batched prompt step, so copied spans decode several tokens per step.
DEFAULT_SPECULATIVE = "none"
SPECULATIVE_TYPES = ("ngram_simple", "ngram_map_k", "ngram_mod")


def parse_speculative(spec: str) -> tuple[str, int, int]:
    """("none" or an n-gram type, lookup n-gram size, max drafted tokens) from "type[:n[:m]]", e.g. "ngram_simple:3:16"."""
    name, *sizes = spec.strip().lower().replace("-", "_").split(":")
    if name in ("", "none", "off"):
        return "none", 0, 0
    if name not in SPECULATIVE_TYPES or len(sizes) > 2 or not all(x.isdigit() and int(x) > 0 for x in sizes):
        raise ModelError(
            f"Unknown speculative decoding {spec!r}; use none or one of {', '.join(SPECULATIVE_TYPES)}, "
            "optionally with :lookup_size:max_draft (e.g. ngram_simple:3:16)."
        )
    n = int(sizes[0]) if sizes else 3
    m = int(sizes[1]) if len(sizes) > 1 else 16
    return name, n, m


def _apply_speculative(params: Any, spec: str) -> None:
    """Set llama.cpp's speculative decoding on `params` (xllamacpp.CommonParams) from a parse_speculative string."""
    import xllamacpp

    name, n, m = parse_speculative(spec)
    if name == "none":
        return
    sp = params.speculative
    sp.types = [getattr(xllamacpp.common_speculative_type, f"COMMON_SPECULATIVE_TYPE_{name.upper()}")]
    if name == "ngram_mod":
        sp.ngram_mod.n_match = n
        sp.ngram_mod.n_max = m
        sp.ngram_mod.n_min = 1
    else:
        cfg = getattr(sp, name)
        cfg.size_n = n  # tokens that must match the context before a draft is proposed
        cfg.size_m = m  # tokens drafted after the match
        cfg.min_hits = 1
    sp.draft.n_max = m
    sp.draft.n_min = 0


def default_threads() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


SUMMED_COUNTERS = (
    "requests",
    "prompt_tokens",
    "cached_tokens",
    "generated_tokens",
    "drafted_tokens",
    "accepted_tokens",
    "prompt_ms",
    "generation_ms",
)


@dataclass
class RuntimeStats:
    """Token counts and llama.cpp's times summed over a runtime's requests (for benchmarks: read, run, subtract)."""

    requests: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    generated_tokens: int = 0
    peak_in_flight: int = 0
    drafted_tokens: int = 0
    accepted_tokens: int = 0
    prompt_ms: float = 0.0  # llama.cpp's own time evaluating prompts
    generation_ms: float = 0.0  # and generating tokens
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, timings: dict[str, Any]) -> None:
        """Count one finished request's llama.cpp timings."""
        with self._lock:
            self.requests += 1
            self.prompt_tokens += int(timings.get("prompt_n", 0))
            self.cached_tokens += int(timings.get("cache_n", 0))
            self.generated_tokens += int(timings.get("predicted_n", 0))
            self.drafted_tokens += int(timings.get("draft_n", 0))  # present only with speculative decoding
            self.accepted_tokens += int(timings.get("draft_n_accepted", 0))
            self.prompt_ms += float(timings.get("prompt_ms", 0.0))
            self.generation_ms += float(timings.get("predicted_ms", 0.0))

    def snapshot(self) -> dict[str, float]:
        """Every summed counter so far, read together (subtract two snapshots to measure what ran between)."""
        with self._lock:
            return {name: getattr(self, name) for name in SUMMED_COUNTERS}


class LocalRuntime:
    """One loaded llama.cpp model (xllamacpp's in-process server) with `n_parallel` slots decoded as one batch.

    Keep it for the life of the process (see get_runtime): destroying a just-started xllamacpp Server can hang.
    """

    def __init__(
        self,
        path: Path,
        *,
        threads: int = 0,
        n_ctx: int = DEFAULT_N_CTX,
        n_parallel: int = 1,
        api_key: str | None = None,
        port: int = 0,
        speculative: str = DEFAULT_SPECULATIVE,
        state_dir: Path | None = None,
    ) -> None:
        import xllamacpp

        self.path = path
        self.state_dir = state_dir
        # xllamacpp always serves HTTP too; a random key keeps other local processes and web pages off it.
        self.api_key = api_key or secrets.token_urlsafe(24)
        self.threads = threads or default_threads()
        self.n_ctx = n_ctx
        self.n_parallel = max(1, n_parallel)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = n_ctx * self.n_parallel  # the total; every slot gets n_ctx of its own
        params.n_parallel = self.n_parallel
        # Separate per-slot caches: a unified cache clears idle slots, and llama.cpp never reloads an empty slot
        # from its RAM prompt cache, so each new slot would prefill the shared article head again.
        params.kv_unified = False
        if self.n_parallel > 1:
            # 0 = always take the least recently used slot, which saves its prompt to the RAM cache and loads the
            # longest matching one: that is how one slot's prefilled article head reaches the other slots.
            params.slot_prompt_similarity = 0.0
        params.cache_prompt = True
        params.cache_ram_mib = 1024
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.verbosity = -1  # llama.cpp logs every request to stderr otherwise
        params.warmup = False
        params.hostnames = ["127.0.0.1"]
        params.port = port
        params.api_keys = [self.api_key]
        # Saved prompt states (see prefill) go through llama.cpp's slot save/restore, which is an HTTP endpoint.
        params.endpoint_slots = state_dir is not None
        if state_dir is not None:
            params.slot_save_path = str(state_dir) + os.sep  # llama.cpp joins it to file names as a plain string
        self.speculative = speculative
        _apply_speculative(params, speculative)
        started = time.perf_counter()
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:
            raise ModelError(f"llama.cpp could not load {path}: {exc}. Check the file is a valid GGUF model.") from exc
        self._slots = threading.BoundedSemaphore(self.n_parallel)
        self._state = threading.Lock()
        self._busy = 0
        self._publish = False
        self._prefilled: dict[str, str] = {}
        self.stats = RuntimeStats()
        if self.n_parallel > 1:
            for slot in range(self.n_parallel):  # an empty slot never loads from the RAM cache (see above)
                self._tiny(slot)
        self.load_seconds = time.perf_counter() - started

    def _tiny(self, slot: int | None = None) -> None:
        """A one-token request: it fills `slot`, and its start saves every idle slot to the RAM prompt cache."""
        request: dict[str, Any] = {"prompt": ".", "n_predict": 1, "cache_prompt": True}
        if slot is not None:
            request["id_slot"] = slot
        self._server.handle_completions(request)

    def prefill(self, messages: list[dict[str, str]], *, timeout: float = 120.0) -> str:
        """Put the state of a fixed prompt prefix (a system prompt) into every slot, from disk when an earlier
        process saved it; otherwise compute it once and save it for the next process.

        Returns "restored", "saved", "cached" (done earlier in this process) or "off" (no state_dir). Any failure
        only costs the time it would have saved: the prefix is then computed by the first real request.
        """
        if self.state_dir is None:
            return "off"
        key = self._prefix_key(messages)
        if key in self._prefilled:
            return "cached"
        taken = 0
        try:
            for _ in range(self.n_parallel):  # no request may run while slots are replaced
                if not self._slots.acquire(timeout=timeout):
                    return "busy"
                taken += 1
            outcome = self._prefill_locked(messages, key)
        except Exception as exc:
            log.warning("could not restore or save the prompt state (%s); computing it instead", exc)
            outcome = "failed"
        finally:
            for _ in range(taken):
                self._slots.release()
        self._prefilled[key] = outcome
        return outcome

    def _prefix_key(self, messages: list[dict[str, str]]) -> str:
        import xllamacpp

        stat = self.path.stat()
        # A state loads only into the slot layout it was saved from (n_ctx, slots): they are part of its name.
        version = getattr(xllamacpp, "__version__", "?")
        ident = [self.path.name, stat.st_size, version, self.n_ctx, self.n_parallel, messages]
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:24]

    def _prefill_locked(self, messages: list[dict[str, str]], key: str) -> str:
        assert self.state_dir is not None
        self.state_dir.mkdir(parents=True, exist_ok=True)
        name = f"prefix-{key}.bin"
        path = self.state_dir / name
        if path.exists():
            try:
                for slot in range(self.n_parallel):
                    self._slot_action(slot, "restore", name)
                os.utime(path)  # pruning keeps the recently used states
                return "restored"
            except (OSError, ModelError) as exc:  # a damaged or foreign file: compute the state again below
                log.warning("saved prompt state %s could not be restored (%s); computing it again", name, exc)
                path.unlink(missing_ok=True)
        # One token on slot 0 computes the prefix; llama.cpp keeps it in the slot, which is then saved.
        self._server.handle_chat_completions(
            {"messages": messages, "max_tokens": 1, "temperature": 0, "cache_prompt": True, "id_slot": 0}
        )
        tmp = f"prefix-{key}.{os.getpid()}.tmp"
        try:
            self._slot_action(0, "save", tmp)
            os.replace(self.state_dir / tmp, path)
        finally:  # a failed save must not leave a partial file behind (only prefix-*.bin are pruned)
            (self.state_dir / tmp).unlink(missing_ok=True)
        _prune_states(self.state_dir, keep=path)
        for slot in range(1, self.n_parallel):
            self._slot_action(slot, "restore", name)
        return "saved"

    def _slot_action(self, slot: int, action: str, filename: str) -> None:
        answer = self.post(f"/slots/{slot}?action={action}", {"filename": filename}, timeout=60)
        if "error" in answer:
            raise ModelError(f"llama.cpp slot {action} failed: {answer['error']}")

    def post(self, path: str, body: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """POST `body` as JSON to the runtime's own HTTP endpoint (`path` such as "/v1/chat/completions") and
        return the JSON answer: the llama.cpp server's full response, e.g. with log-probabilities, which `chat`
        (streamed text only) does not give."""
        request = urllib.request.Request(
            f"{self.address}{path}",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    @property
    def address(self) -> str:
        """The loopback URL of the runtime's OpenAI-compatible HTTP endpoint."""
        return str(self._server.listening_address)

    def chat(self, request: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """Run one chat completion on a free slot; stops and raises ModelError once `timeout` seconds pass."""
        if not self._slots.acquire(timeout=timeout):
            raise ModelError(
                f"The local model stayed busy for {timeout:.0f}s; try again or raise CLAIMDESK_LLM_TIMEOUT."
            )
        try:
            with self._state:
                self._busy += 1
                self.stats.peak_in_flight = max(self.stats.peak_in_flight, self._busy)
                if self._busy == 1 and self._publish:
                    # The runtime was idle: the last request's slot holds the newest prompt (an article head).
                    # Publishing it now lets the next concurrent requests load it instead of prefilling it again.
                    self._publish = False
                    self._tiny()
            return self._stream(request, timeout)
        finally:
            with self._state:
                self._busy -= 1
                self._publish = self.n_parallel > 1 and self._busy == 0
            self._slots.release()

    def _stream(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        text: list[str] = []
        state: dict[str, Any] = {"finish_reason": None, "timed_out": False, "error": None}

        def on_chunk(chunk: Any) -> bool:
            if isinstance(chunk, str):
                chunk = json.loads(chunk)
            if "error" in chunk:
                state["error"] = chunk["error"]
                return True
            for choice in chunk.get("choices") or []:
                text.append((choice.get("delta") or {}).get("content") or "")
                state["finish_reason"] = choice.get("finish_reason") or state["finish_reason"]
            for key in ("usage", "timings"):
                if key in chunk:
                    state[key] = chunk[key]
            if time.monotonic() > deadline:
                state["timed_out"] = True
                return True  # returning True tells llama.cpp to stop generating
            return False

        result = self._server.handle_chat_completions({**request, "stream": True}, on_chunk)
        if isinstance(result, dict) and "error" in result:
            state["error"] = result["error"]
        if state["error"] is not None:
            err = state["error"]
            message = err.get("message", err) if isinstance(err, dict) else err
            raise ModelError(f"The local model refused the request: {message}")
        if state["timed_out"]:
            raise ModelError(
                f"The local model did not finish within {timeout:.0f}s (CLAIMDESK_LLM_TIMEOUT); "
                "raise it, lower the requested length, or use a faster provider."
            )
        self.stats.add(state.get("timings", {}))
        return {
            "content": "".join(text),
            "finish_reason": state["finish_reason"],
            "usage": state.get("usage", {}),
            "timings": state.get("timings", {}),
        }


MAX_SAVED_STATES = 8  # ~11 MB each for a 400-token prefix


def _prune_states(state_dir: Path, *, keep: Path) -> None:
    """Delete all but the most recently used saved prompt states (a changed prompt leaves its old state behind)."""
    states = sorted(state_dir.glob("prefix-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in states if p != keep][MAX_SAVED_STATES - 1 :]:
        old.unlink(missing_ok=True)


_RUNTIMES: dict[tuple[str, int, int, int, str, str], LocalRuntime] = {}
_RUNTIMES_LOCK = threading.Lock()


def get_runtime(
    path: Path,
    *,
    threads: int = 0,
    n_ctx: int = DEFAULT_N_CTX,
    n_parallel: int = 1,
    speculative: str = DEFAULT_SPECULATIVE,
    state_dir: Path | None = None,
) -> LocalRuntime:
    """The process-wide runtime for this model file, slot count and speculative mode (loaded once, then reused)."""
    key = (str(path.resolve()), threads, n_ctx, n_parallel, speculative, str(state_dir))
    with _RUNTIMES_LOCK:
        runtime = _RUNTIMES.get(key)
        if runtime is None:
            runtime = _RUNTIMES[key] = LocalRuntime(
                path,
                threads=threads,
                n_ctx=n_ctx,
                n_parallel=n_parallel,
                speculative=speculative,
                state_dir=state_dir,
            )
        return runtime
