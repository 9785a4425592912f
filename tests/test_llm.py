"""The model factory and provider adapters, against a loopback server replaying recorded provider responses."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fakes import QueueChatModel

from app.config import Settings
from app.errors import ConfigurationError, ModelError, ModelUnavailableError
from app.llm import LLMHandle, build_llm, handle_from_chat_model, parse_spec
from app.local_model import LocalChatModel

RECORDINGS = Path(__file__).parent / "recordings"
SECRET = "sk-test-SECRET-0123456789abcdef"
SCHEMA: dict[str, Any] = {
    "title": "ClaimList",
    "type": "object",
    "properties": {
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"quote": {"type": "string"}, "claim_type": {"type": "string"}},
                "required": ["quote", "claim_type"],
            },
        }
    },
    "required": ["claims"],
}
EXPECTED = {"claims": [{"quote": "China's exports to Russia rose 12% in 2023", "claim_type": "statistic"}]}


def _recording(name: str) -> Any:
    return json.loads((RECORDINGS / name).read_text(encoding="utf-8"))


class Replay:
    """A loopback HTTP server that answers provider endpoints from tests/recordings and records each request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        self.raw: tuple[int, bytes, str] | None = None  # serve exactly this (status, body, content type)
        self.completion: dict[str, Any] | None = None  # serve this chat completion instead of the recording
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                replay.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                time.sleep(replay.delay)
                if replay.raw is not None:
                    self._send(*replay.raw)
                elif replay.completion is not None:
                    self._send(200, json.dumps(replay.completion).encode())
                elif replay.status != 200:
                    self._send(replay.status, json.dumps(_recording("openai_error_401.json")).encode())
                elif self.path.endswith("/chat/completions"):
                    self._send(200, json.dumps(_recording("openai_chat_completion.json")).encode())
                elif self.path.endswith("/v1/messages"):
                    self._send(200, json.dumps(_recording("anthropic_messages.json")).encode())
                elif self.path == "/api/chat":
                    lines = [json.dumps(c) for c in _recording("ollama_chat.json")["chunks"]]
                    self._send(200, ("\n".join(lines) + "\n").encode(), "application/x-ndjson")
                else:
                    self._send(404, b'{"error": "not recorded"}')

            def _send(self, status: int, payload: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up (timeout test)
                    self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replay() -> Iterator[Replay]:
    server = Replay()
    yield server
    server.close()


def _settings(**values: Any) -> Settings:
    return Settings(**values)


# --- spec parsing and configuration errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("local", ("local", "")),
        ("none", ("none", "")),
        ("openai:gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("anthropic:claude-3-5-haiku-latest", ("anthropic", "claude-3-5-haiku-latest")),
        ("ollama:qwen2.5:3b", ("ollama", "qwen2.5:3b")),
        ("openai-compatible:qwen", ("openai-compatible", "qwen")),
        (" OpenAI:gpt-4o ", ("openai", "gpt-4o")),
    ],
)
def test_parse_spec_accepts_every_form(spec: str, expected: tuple[str, str]) -> None:
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec", ["gpt-4o", "huggingface:x", "local:foo", "", "azure:gpt-4o"])
def test_unknown_spec_lists_valid_forms(spec: str) -> None:
    with pytest.raises(ConfigurationError, match=r"openai:MODEL \| anthropic:MODEL"):
        parse_spec(spec)


def test_spec_without_model_says_so() -> None:
    with pytest.raises(ConfigurationError, match="names no model; use openai:MODEL"):
        build_llm(_settings(), "openai:")


def test_none_returns_no_model() -> None:
    assert build_llm(_settings(llm="none")) is None


def test_local_is_the_default_and_weak() -> None:
    handle = build_llm(_settings())
    assert handle is not None
    assert (handle.spec, handle.model_id, handle.strong) == ("local", "qwen2.5-coder-1.5b-instruct-q4_k_m", False)
    assert isinstance(handle.chat_model, LocalChatModel)


def test_local_model_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CLAIMDESK_LOCAL_MODEL_PATH"):
        build_llm(_settings(local_model_path=tmp_path / "missing.gguf"))


def test_local_model_path_must_be_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("not a model")
    with pytest.raises(ConfigurationError, match="not a GGUF model file"):
        build_llm(_settings(local_model_path=fake))


def test_local_model_path_names_the_model(tmp_path: Path) -> None:
    fake = tmp_path / "phi-3-mini.Q4.gguf"
    fake.write_bytes(b"GGUF" + bytes(60))
    handle = build_llm(_settings(local_model_path=fake))
    assert handle is not None and handle.model_id == "phi-3-mini.Q4"


@pytest.mark.parametrize(
    ("spec", "variable"), [("openai:gpt-4o-mini", "OPENAI_API_KEY"), ("anthropic:claude-x", "ANTHROPIC_API_KEY")]
)
def test_missing_key_names_the_variable(spec: str, variable: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        build_llm(_settings(), spec)
    assert str(info.value) == f"Set {variable} in .env or the environment, or use CLAIMDESK_LLM=local."


def test_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("CLAIMDESK_LLM", "openai:gpt-4o-mini")
    handle = build_llm(Settings())
    assert handle is not None and handle.strong and handle.model_id == "gpt-4o-mini"


def test_openai_compatible_needs_a_base_url() -> None:
    with pytest.raises(ConfigurationError, match="CLAIMDESK_LLM_BASE_URL"):
        build_llm(_settings(), "openai-compatible:qwen")


def test_openai_compatible_needs_no_key() -> None:
    handle = build_llm(_settings(llm_base_url="http://127.0.0.1:9/v1"), "openai-compatible:qwen")
    assert handle is not None and not handle.strong


def test_ollama_uses_its_base_url() -> None:
    handle = build_llm(_settings(ollama_base_url="http://127.0.0.1:9"), "ollama:qwen2.5")
    assert handle is not None and handle.spec == "ollama:qwen2.5" and not handle.strong
    assert handle.chat_model.base_url == "http://127.0.0.1:9"  # type: ignore[attr-defined]


@pytest.mark.parametrize("spec", ["openai:gpt-4o-mini", "anthropic:claude-x", "openai-compatible:qwen"])
def test_keys_never_in_repr_or_str(spec: str) -> None:
    settings = _settings(openai_api_key=SECRET, anthropic_api_key=SECRET, llm_base_url="http://127.0.0.1:9/v1")
    handle = build_llm(settings, spec)
    assert handle is not None
    for text in (repr(handle), str(handle), repr(handle.chat_model), str(handle.chat_model), repr(settings)):
        assert SECRET not in text
    assert repr(handle).startswith("LLMHandle(spec=")


# --- provider adapters against recorded responses ------------------------------------------------------------


def test_openai_adapter_sends_schema_and_returns_json_text(replay: Replay) -> None:
    settings = _settings(openai_api_key=SECRET, llm_base_url=replay.url + "/v1")
    handle = build_llm(settings, "openai:gpt-4o-mini")
    assert handle is not None
    text = handle.json_runnable(SCHEMA, max_tokens=300).invoke("Extract the claims.")
    assert json.loads(text) == EXPECTED
    (request,) = replay.requests
    assert request["path"] == "/v1/chat/completions"
    fmt = request["body"]["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"] == {"name": "ClaimList", "schema": SCHEMA, "strict": False}
    assert request["body"]["model"] == "gpt-4o-mini"
    assert request["body"]["max_completion_tokens"] == 300
    assert request["headers"]["authorization"] == f"Bearer {SECRET}"


def test_openai_compatible_adapter_uses_placeholder_key(replay: Replay) -> None:
    handle = build_llm(_settings(llm_base_url=replay.url + "/v1"), "openai-compatible:local-qwen")
    assert handle is not None
    text = handle.json_runnable(SCHEMA).invoke([("system", "You extract claims."), ("human", "Text.")])
    assert json.loads(text) == EXPECTED
    body = replay.requests[0]["body"]
    assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert body["messages"][0] == {"role": "system", "content": "You extract claims."}
    assert replay.requests[0]["headers"]["authorization"] == "Bearer not-needed"


def test_anthropic_adapter_forces_a_tool_with_the_schema(replay: Replay) -> None:
    handle = build_llm(
        _settings(anthropic_api_key=SECRET, llm_base_url=replay.url), "anthropic:claude-3-5-haiku-latest"
    )
    assert handle is not None
    text = handle.json_runnable(SCHEMA, max_tokens=256).invoke("Extract the claims.")
    assert json.loads(text) == EXPECTED
    (request,) = replay.requests
    assert request["path"] == "/v1/messages"
    body = request["body"]
    assert body["tools"][0]["name"] == "record_output"
    assert body["tools"][0]["input_schema"] == SCHEMA
    assert body["tool_choice"] == {"type": "tool", "name": "record_output"}
    assert body["max_tokens"] == 256
    headers = request["headers"]
    assert SECRET in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))


def test_ollama_adapter_sends_format_schema(replay: Replay) -> None:
    handle = build_llm(_settings(ollama_base_url=replay.url), "ollama:qwen2.5:3b")
    assert handle is not None
    text = handle.json_runnable(SCHEMA, max_tokens=200).invoke("Extract the claims.")
    assert json.loads(text) == EXPECTED
    (request,) = replay.requests
    assert request["path"] == "/api/chat"
    assert request["body"]["format"] == SCHEMA
    assert request["body"]["model"] == "qwen2.5:3b"
    assert request["body"]["options"]["num_predict"] == 200
    assert request["body"]["options"]["temperature"] == 0


def test_provider_error_becomes_model_error_without_the_key(replay: Replay) -> None:
    replay.status = 401
    handle = build_llm(_settings(openai_api_key=SECRET, llm_base_url=replay.url + "/v1"), "openai:gpt-4o-mini")
    assert handle is not None
    with pytest.raises(ModelError) as info:
        handle.json_runnable(SCHEMA).invoke("Extract the claims.")
    message = str(info.value)
    assert "AuthenticationError" in message and "OPENAI_API_KEY" in message
    assert isinstance(info.value, ModelUnavailableError)  # no retry mends a refused key: the run stops
    assert SECRET not in message and "SECRET-0123" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize(
    ("status", "body", "ctype", "unavailable", "says"),
    [
        (404, b'{"error": {"message": "model not found"}}', "application/json", True, "CLAIMDESK_LLM_BASE_URL"),
        (200, b"<html><body>Sign in to the proxy</body></html>", "text/html", True, "HTML page"),
        (429, b'{"error": {"message": "slow down"}}', "application/json", False, "busy"),
        (503, b'{"error": {"message": "overloaded"}}', "application/json", False, "busy"),
    ],
)
def test_provider_failures_say_what_to_do(
    replay: Replay, status: int, body: bytes, ctype: str, unavailable: bool, says: str
) -> None:
    replay.raw = (status, body, ctype)
    settings = _settings(openai_api_key=SECRET, llm_base_url=replay.url + "/v1")
    handle = build_llm(settings, "openai-compatible:m")
    assert handle is not None
    with pytest.raises(ModelError) as info:
        handle.json_runnable(SCHEMA).invoke("Extract the claims.")
    assert isinstance(info.value, ModelUnavailableError) == unavailable and says in str(info.value)
    assert len(replay.requests) <= 2  # the client retries a rate limit or an outage once, nothing else


def test_an_unreachable_server_is_named() -> None:
    settings = _settings(llm_base_url="http://127.0.0.1:9/v1")  # the discard port: nothing listens
    handle = build_llm(settings, "openai-compatible:m")
    assert handle is not None
    with pytest.raises(ModelUnavailableError, match=r"Cannot reach .* at http://127.0.0.1:9/v1"):
        handle.json_runnable(SCHEMA).invoke("Extract the claims.")


def test_a_refusal_and_a_cut_off_answer_are_named(replay: Replay) -> None:
    handle = build_llm(_settings(openai_api_key=SECRET, llm_base_url=replay.url + "/v1"), "openai:gpt-4o-mini")
    assert handle is not None
    completion = _recording("openai_chat_completion.json")
    refused = json.loads(json.dumps(completion))
    refused["choices"][0]["message"].update(content=None, refusal="I can't help with that.")
    replay.completion = refused
    with pytest.raises(ModelError, match="refused to answer: I can't help with that"):
        handle.json_runnable(SCHEMA).invoke("Extract the claims.")
    cut = json.loads(json.dumps(completion))
    cut["choices"][0]["finish_reason"] = "length"
    replay.completion = cut
    with pytest.raises(ModelError, match="cut off at its token limit"):
        handle.json_runnable(SCHEMA).invoke("Extract the claims.")


def test_hosted_call_times_out(replay: Replay) -> None:
    replay.delay = 2.0
    handle = build_llm(_settings(openai_api_key=SECRET, llm_base_url=replay.url + "/v1", llm_timeout=0.3), "openai:m")
    assert handle is not None
    started = time.perf_counter()
    with pytest.raises(ModelError, match="Timeout"):
        handle.json_runnable(SCHEMA).invoke("Extract the claims.")
    assert time.perf_counter() - started < 1.9  # one transport retry at most, each bounded by llm_timeout


def test_json_runnable_async_path(replay: Replay) -> None:
    handle = build_llm(_settings(openai_api_key=SECRET, llm_base_url=replay.url + "/v1"), "openai:gpt-4o-mini")
    assert handle is not None
    text = asyncio.run(handle.json_runnable(SCHEMA).ainvoke("Extract the claims."))
    assert json.loads(text) == EXPECTED


# --- wrapping any chat model -----------------------------------------------------------------------------------


def test_handle_from_chat_model_binds_schema_and_returns_raw_text() -> None:
    fake = QueueChatModel(responses=['{"claims": [', "not json"])
    handle = handle_from_chat_model(fake)
    assert isinstance(handle, LLMHandle) and (handle.spec, handle.model_id, handle.strong) == ("fake", "fake", False)
    runnable = handle.json_runnable(SCHEMA, max_tokens=64)
    assert runnable.invoke("a") == '{"claims": ['  # invalid JSON is returned, not raised: the caller retries
    assert runnable.invoke("b") == "not json"
    assert fake.call_kwargs[0]["json_schema"] == SCHEMA and fake.call_kwargs[0]["max_tokens"] == 64


def test_handle_from_chat_model_accepts_provider_specs() -> None:
    handle = handle_from_chat_model(QueueChatModel(), spec="openai:gpt-4o", model_id="gpt-4o", strong=True)
    assert handle.provider == "openai" and handle.strong


def test_a_provider_retry_is_announced(replay: Replay) -> None:
    from app.llm import retry_notices

    replay.raw = (429, b'{"error": {"message": "slow down"}}', "application/json")
    handle = build_llm(_settings(openai_api_key=SECRET, llm_base_url=replay.url + "/v1"), "openai:gpt-4o-mini")
    assert handle is not None
    said: list[str] = []
    with retry_notices(said.append), pytest.raises(ModelError, match="busy"):
        handle.json_runnable(SCHEMA).invoke("Extract the claims.")
    assert len(replay.requests) == 2
    assert len(said) == 1 and said[0].startswith("OpenAI: the server is busy or did not answer; retrying in ")
    with pytest.raises(ModelError):  # outside the block nothing is said, and the logger's level is back
        handle.json_runnable(SCHEMA).invoke("Extract the claims.")
    assert len(said) == 1 and logging.getLogger("openai._base_client").level == logging.NOTSET
