"""One factory for every language model: the embedded GGUF model, hosted providers and OpenAI-compatible servers."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from app.config import Settings
from app.errors import ConfigurationError, ModelError, ModelUnavailableError, WorkbenchError

VALID_SPECS = "local | none | openai:MODEL | anthropic:MODEL | ollama:MODEL | openai-compatible:MODEL"
PROVIDERS = ("local", "none", "openai", "anthropic", "ollama", "openai-compatible")
_TOOL_NAME = "record_output"
_PLACEHOLDER_KEY = "not-needed"  # OpenAI-compatible servers rarely check keys, but the client insists on one
_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-*]{6,}|sk-ant-[A-Za-z0-9_\-*]{6,})")


def parse_spec(spec: str) -> tuple[str, str]:
    """Split `provider:MODEL`; raises ConfigurationError listing the valid forms."""
    provider, sep, model = spec.strip().partition(":")
    provider = provider.strip().lower()
    model = model.strip()
    if provider in ("local", "none") and not sep:
        return provider, ""
    if provider in PROVIDERS and provider not in ("local", "none") and model:
        return provider, model
    if provider in PROVIDERS and provider not in ("local", "none"):
        raise ConfigurationError(
            f"Model spec {spec!r} (from --llm or CLAIMDESK_LLM) names no model; use {provider}:MODEL "
            f"(valid: {VALID_SPECS})."
        )
    raise ConfigurationError(
        f"Model spec {spec!r} (from --llm or CLAIMDESK_LLM) is not a known model spec. Use one of: {VALID_SPECS}."
    )


def _text_of(message: BaseMessage) -> str:
    """The answer's text (a JSON answer some OpenAI-compatible servers send as a tool call: its arguments)."""
    content = message.content
    text = (
        content
        if isinstance(content, str)
        else "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content if b)
    )
    if not text.strip() and isinstance(message, AIMessage) and message.tool_calls:
        return json.dumps(message.tool_calls[0]["args"], ensure_ascii=False)
    return text


def _hosted_text(message: BaseMessage) -> str:
    """A hosted model's answer text. A refusal, or an answer cut off at the token limit, is a ModelError saying so:
    a retry gets the same, and the parse error it would otherwise give names neither."""
    meta = getattr(message, "response_metadata", None) or {}
    refusal = (getattr(message, "additional_kwargs", None) or {}).get("refusal")
    if refusal or meta.get("stop_reason") == "refusal":
        raise ModelError(f"The model refused to answer: {' '.join(str(refusal or 'no reason given').split())[:200]}")
    text = _text_of(message)
    reason = meta.get("finish_reason") or meta.get("done_reason") or meta.get("stop_reason")
    if reason in ("length", "max_tokens"):
        raise ModelError(
            f"The model's answer was cut off at its token limit ({reason}) after {len(text)} characters; a model "
            "with a longer output limit would fit it."
        )
    return text


def _tool_args_text(message: BaseMessage) -> str:
    """Anthropic answers through a forced tool call: return its arguments as the JSON document."""
    if (getattr(message, "response_metadata", None) or {}).get("stop_reason") == "refusal":
        return _hosted_text(message)  # raises, naming the refusal
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            return json.dumps(call["args"], ensure_ascii=False)
        for bad in message.invalid_tool_calls:
            return str(bad.get("args") or "")  # unparseable args go back raw so the caller can retry
    return _text_of(message)


def _schema_name(schema: dict[str, Any]) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "output"))
    return name[:64] or "output"


@dataclass
class LLMHandle:
    """A configured chat model plus what the extraction chain needs to know about it."""

    spec: str
    model_id: str
    strong: bool
    chat_model: BaseChatModel = field(repr=False)

    @property
    def provider(self) -> str:
        """The spec's provider prefix (`local`, `openai`, ...; anything else is treated like `local`)."""
        return self.spec.partition(":")[0]

    def json_runnable(self, schema: dict[str, Any], *, max_tokens: int = 512) -> Runnable[LanguageModelInput, str]:
        """A runnable returning the model's raw JSON text, constrained by `schema` where the provider can."""
        provider = self.provider
        model = self.chat_model
        inner: Runnable[LanguageModelInput, str]
        if provider in ("openai", "openai-compatible"):
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": _schema_name(schema), "schema": schema, "strict": False},
            }
            inner = model.bind(response_format=response_format, max_tokens=max_tokens) | RunnableLambda(_hosted_text)
        elif provider == "ollama":
            options = {k: getattr(model, k, None) for k in ("temperature", "num_ctx", "seed")}
            options = {k: v for k, v in options.items() if v is not None}
            options["num_predict"] = max_tokens
            inner = model.bind(format=schema, options=options) | RunnableLambda(_hosted_text)
        elif provider == "anthropic":
            tool = {
                "name": _TOOL_NAME,
                "description": "Record the answer. Its input must follow the schema exactly.",
                "input_schema": schema,
            }
            bound = model.bind_tools([tool], tool_choice=_TOOL_NAME).bind(max_tokens=max_tokens)
            inner = bound | RunnableLambda(_tool_args_text)
        else:  # the embedded model, and test doubles that stand in for it
            inner = model.bind(json_schema=schema, max_tokens=max_tokens) | RunnableLambda(_text_of)
        return _guarded(inner, self.spec, self._secrets(), _base_url(self.chat_model))

    def prefill(self, messages: list[BaseMessage]) -> str:
        """Ready a fixed prompt prefix (system prompt) before the calls that share it.

        The embedded model restores the prefix's saved state from disk, or computes and saves it once; for
        hosted models this does nothing ("off"): their providers cache prompts on their side.
        """
        from app.local_model import LocalChatModel

        if isinstance(self.chat_model, LocalChatModel):
            return self.chat_model.prefill(messages)
        return "off"

    def _secrets(self) -> list[str]:
        secrets: list[str] = []
        for attr in ("openai_api_key", "anthropic_api_key", "api_key"):
            value = getattr(self.chat_model, attr, None)
            if value is not None and hasattr(value, "get_secret_value"):
                secrets.append(str(value.get_secret_value()))
        return [s for s in secrets if s and s != _PLACEHOLDER_KEY]


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return _KEYLIKE.sub("[redacted]", text)


# The provider SDKs retry a rate limit or an outage once, waiting as the server's Retry-After asks (up to a minute),
# and say so only in an INFO log line: a progress bar otherwise stood still with no word.
_RETRY_LOGGERS = {"openai._base_client": "OpenAI", "anthropic._base_client": "Anthropic"}


class _RetryRelay(logging.Handler):
    def __init__(self, say: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.say = say

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith("Retrying request"):
            return
        seconds = next((a for a in record.args or () if isinstance(a, float)), None)
        provider = _RETRY_LOGGERS.get(record.name, "The provider")
        wait = f" in {seconds:.0f} s" if seconds is not None else ""
        with contextlib.suppress(Exception):  # a notice must never break the call it reports on
            self.say(f"{provider}: the server is busy or did not answer; retrying{wait} (once).")


@contextlib.contextmanager
def retry_notices(say: Callable[[str], None]) -> Iterator[None]:
    """Call `say` with one line whenever a hosted provider's client waits to retry a request."""
    relay = _RetryRelay(say)
    loggers = [logging.getLogger(name) for name in _RETRY_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(relay)
        if lg.getEffectiveLevel() > logging.INFO:
            lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(relay)
            lg.setLevel(level)


def provider_error(exc: Exception, spec: str, base_url: str | None, secrets: list[str]) -> ModelError:
    """A provider's exception as one plain line with advice that fits it, keys scrubbed. What no retry can mend
    (a refused key, an unknown model or address, an unreachable server, an answer that is not the API's JSON) is a
    ModelUnavailableError, which stops the whole run instead of repeating the call for every sentence and article."""
    name = type(exc).__name__
    detail = " ".join(_scrub(f"{name}: {exc}", secrets)[:300].split())
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    where = base_url or "the provider's default address"
    if "LengthFinishReason" in name:
        return ModelError(f"The model's answer for {spec!r} was cut off at its token limit ({detail[:120]}...).")
    if "ContentFilterFinishReason" in name:
        return ModelError(f"The provider's content filter stopped the answer for {spec!r} ({detail[:120]}...).")
    if "Timeout" in name:
        return ModelError(f"The model {spec!r} did not answer in time (CLAIMDESK_LLM_TIMEOUT): {detail}")
    if status in (401, 403) or "Authentication" in name or "PermissionDenied" in name:
        return ModelUnavailableError(
            f"The provider refused the key for {spec!r} ({detail}). Check the API key variable "
            "(OPENAI_API_KEY / ANTHROPIC_API_KEY), or use --llm local / --llm none."
        )
    if status == 404 or "NotFound" in name:
        return ModelUnavailableError(
            f"{where} does not know the model or path for {spec!r} ({detail}). Check the model name and "
            "CLAIMDESK_LLM_BASE_URL (an OpenAI-compatible server's URL usually ends in /v1)."
        )
    if "Connect" in name or isinstance(exc, ConnectionError):
        return ModelUnavailableError(
            f"Cannot reach the model server for {spec!r} at {where} ({detail}). Start it, or fix "
            "CLAIMDESK_LLM_BASE_URL / OLLAMA_BASE_URL, or use --llm none."
        )
    if isinstance(exc, (AttributeError, json.JSONDecodeError)):
        return ModelUnavailableError(
            f"The server at {where} did not answer {spec!r} with the API's JSON (an HTML page, a proxy or a wrong "
            f"path?): {detail}. Check CLAIMDESK_LLM_BASE_URL."
        )
    busy = " The provider is busy or failing (rate limit or outage): try again later, or use --llm none."
    return ModelError(f"The model {spec!r} failed: {detail}.{busy if status in (429, 500, 502, 503, 529) else ''}")


def _base_url(chat_model: BaseChatModel) -> str | None:
    for attr in ("openai_api_base", "anthropic_api_url", "base_url"):
        value = getattr(chat_model, attr, None)
        if isinstance(value, str) and value:
            return value
    return None


def _guarded(
    inner: Runnable[LanguageModelInput, str], spec: str, secrets: list[str], base_url: str | None = None
) -> Runnable[LanguageModelInput, str]:
    """Turn provider exceptions into ModelError with keys scrubbed and the original chain dropped."""

    def fail(exc: Exception) -> ModelError:
        return provider_error(exc, spec, base_url, secrets)

    def call(value: LanguageModelInput, config: RunnableConfig) -> str:
        try:
            return inner.invoke(value, config)
        except WorkbenchError:
            raise
        except Exception as exc:
            raise fail(exc) from None  # `from None`: a chained provider error could carry the key

    async def acall(value: LanguageModelInput, config: RunnableConfig) -> str:
        try:
            return await inner.ainvoke(value, config)
        except WorkbenchError:
            raise
        except Exception as exc:
            raise fail(exc) from None

    return RunnableLambda(call, afunc=acall, name=f"json[{spec}]")


def handle_from_chat_model(
    chat_model: BaseChatModel, *, spec: str = "fake", model_id: str = "fake", strong: bool = False
) -> LLMHandle:
    """Wrap any chat model (e.g. a test double) as a handle; unknown specs use the local JSON-schema binding."""
    return LLMHandle(spec=spec, model_id=model_id, strong=strong, chat_model=chat_model)


def _missing_key(variable: str) -> ConfigurationError:
    return ConfigurationError(f"Set {variable} in .env or the environment, or use CLAIMDESK_LLM=local.")


def build_llm(settings: Settings, spec: str | None = None) -> LLMHandle | None:
    """The model named by `spec` (default settings.llm); None for `none` (checkworthiness scorer only)."""
    spec = (spec if spec is not None else settings.llm).strip()
    provider, model = parse_spec(spec)
    retries = 1  # transport retries only; invalid outputs are retried by the extraction chain
    if provider == "none":
        return None
    if provider == "local":
        from app.local_model import LocalChatModel

        local = LocalChatModel.from_settings(settings)
        return LLMHandle(spec="local", model_id=local.model_id, strong=False, chat_model=local)
    if provider in ("openai", "openai-compatible"):
        key = settings.openai_api_key
        base_url = settings.llm_base_url
        if provider == "openai" and key is None:
            raise _missing_key("OPENAI_API_KEY")
        if provider == "openai-compatible" and not base_url:
            raise ConfigurationError(
                f"Set CLAIMDESK_LLM_BASE_URL to the server's OpenAI-compatible URL (e.g. http://127.0.0.1:8080/v1) "
                f"to use {spec}, or use CLAIMDESK_LLM=local."
            )
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        key = key or SecretStr(_PLACEHOLDER_KEY)
        chat = ChatOpenAI(
            model=model,
            api_key=key,
            base_url=base_url,
            temperature=0,
            timeout=settings.llm_timeout,
            max_retries=retries,
        )
        return LLMHandle(spec=f"{provider}:{model}", model_id=model, strong=provider == "openai", chat_model=chat)
    if provider == "anthropic":
        if settings.anthropic_api_key is None:
            raise _missing_key("ANTHROPIC_API_KEY")
        from langchain_anthropic import ChatAnthropic

        kwargs: dict[str, Any] = {"base_url": settings.llm_base_url} if settings.llm_base_url else {}
        chat_a = ChatAnthropic(
            model_name=model,
            api_key=settings.anthropic_api_key,
            temperature=0,
            timeout=settings.llm_timeout,
            max_retries=retries,
            stop=None,
            **kwargs,
        )
        return LLMHandle(spec=f"anthropic:{model}", model_id=model, strong=True, chat_model=chat_a)
    from langchain_ollama import ChatOllama

    chat_o = ChatOllama(
        model=model,
        base_url=settings.llm_base_url or settings.ollama_base_url,
        temperature=0,
        client_kwargs={"timeout": settings.llm_timeout},
    )
    return LLMHandle(spec=f"ollama:{model}", model_id=model, strong=False, chat_model=chat_o)
