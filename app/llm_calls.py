"""LLM calls: the model seam extraction codes against and one JSON call with bounded retries.

`call_json` calls a model, parses its JSON into a pydantic model and feeds the validation error back on invalid
output; `CallBreaker` stops a run when calls fail in a row; the rest turns outcomes into a run's record
(`failure_line`, `raise_if_all_failed`, `salvage_items`) and a claim's provenance. Used by the cascade
(app/extraction_cascade.py) and the whole-article chain (app/extraction_windows.py).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from app.errors import ExtractionError, ModelUnavailableError
from app.models import Claim, ExtractionRun, Provenance
from prompts import Prompt, load_prompt
from retrieval.deadline import call_with_deadline

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable

__all__ = [
    "BACKSTOP_GRACE",
    "CALLS_FAILED_IN_A_ROW",
    "CallBreaker",
    "CallOutcome",
    "JsonLLM",
    "call_json",
    "failure_line",
    "prompt_provenance",
    "raise_if_all_failed",
    "salvage_items",
    "schema_of",
]

M = TypeVar("M", bound=BaseModel)


class JsonLLM(Protocol):
    """The part of app.llm.LLMHandle extraction uses: a runnable that returns the model's raw JSON text."""

    @property
    def model_id(self) -> str: ...
    @property
    def strong(self) -> bool: ...
    def json_runnable(self, schema: dict[str, Any], *, max_tokens: int = 512) -> Runnable[Any, str]: ...
    def prefill(self, messages: list[BaseMessage]) -> str: ...


# --- one JSON call with bounded retries -------------------------------------------------------------------


@dataclass
class CallOutcome(Generic[M]):
    """What a retried call ended with: the parsed value, or the last error and raw output when it gave up."""

    value: M | None
    attempts: int
    last_raw: str | None = None
    error: str | None = None
    raws: list[str] = field(default_factory=list)
    call_failed: bool = False  # the call itself failed (timeout, provider error), not the answer's validation


# Calls that fail one after another (timeouts, a rate limit, an outage) before the run stops: a hung provider
# otherwise costs CLAIMDESK_LLM_TIMEOUT per sentence of every article (hours for a cascade over a folder).
CALLS_FAILED_IN_A_ROW = 3


class CallBreaker:
    """Counts model calls that failed in a row across one extractor's articles and stops the run at the limit."""

    def __init__(self, limit: int = CALLS_FAILED_IN_A_ROW) -> None:
        self.limit = limit
        self.in_a_row = 0
        self._lock = threading.Lock()

    def record(self, outcome: CallOutcome[Any]) -> None:
        """Note a call's outcome; ModelUnavailableError when `limit` calls in a row failed."""
        with self._lock:
            self.in_a_row = self.in_a_row + 1 if outcome.call_failed else 0
            if self.in_a_row >= self.limit:
                self.in_a_row = 0
                raise ModelUnavailableError(
                    f"{self.limit} model calls in a row failed (the last: {outcome.error}); stopped instead of "
                    "trying every remaining sentence. Try again later, raise CLAIMDESK_LLM_TIMEOUT if the model is "
                    "only slow, or use --llm none."
                )


def _as_text(output: object) -> str:
    content = getattr(output, "content", output)
    if isinstance(content, list):  # content blocks from some chat models
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


# Providers enforce CLAIMDESK_LLM_TIMEOUT themselves (and stop generating cleanly); this backstop only catches
# one that hangs past it. Abandoning a call early would leave it running and holding the local model's lock.
BACKSTOP_GRACE = 10.0


def _invoke_with_timeout(runnable: Runnable[Any, Any], messages: list[BaseMessage], timeout: float) -> str:
    # A daemon thread per call: a hung provider cannot block the caller past timeout + BACKSTOP_GRACE.
    out = call_with_deadline(
        lambda: runnable.invoke(messages),
        timeout + BACKSTOP_GRACE,
        message=f"the model did not answer within {timeout:g} s (CLAIMDESK_LLM_TIMEOUT)",
        name="claimdesk-llm-call",
    )
    return _as_text(out)


def _short_error(exc: Exception, limit: int = 700) -> str:
    if isinstance(exc, ValidationError):
        lines = [f"- {'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()[:8]]
        text = "\n".join(lines)
    else:
        text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def call_json(
    runnable: Runnable[Any, Any],
    messages: list[BaseMessage],
    model: type[M],
    *,
    max_retries: int,
    timeout: float,
    check: Callable[[M], None] | None = None,
    breaker: CallBreaker | None = None,
) -> CallOutcome[M]:
    """Call the model, parse its JSON into `model`; on invalid output feed the error back and retry.

    A failed call is not retried here (the provider's client already retried a rate limit or an outage); one no
    retry can mend (ModelUnavailableError: a refused key, an unreachable server) and the `breaker`'s limit of
    failures in a row raise, stopping the run."""
    from langchain_core.messages import AIMessage, HumanMessage

    feedback = load_prompt("retry_feedback")
    history = list(messages)
    outcome: CallOutcome[M] = CallOutcome(value=None, attempts=0)
    for _ in range(max_retries + 1):
        outcome.attempts += 1
        try:
            raw = _invoke_with_timeout(runnable, history, timeout)
        except ModelUnavailableError:
            raise
        except Exception as exc:  # a provider failure or timeout: retrying the same call rarely helps
            outcome.error = f"model call failed: {_short_error(exc)}"
            outcome.call_failed = True
            if breaker is not None:
                breaker.record(outcome)
            return outcome
        outcome.last_raw = raw
        outcome.raws.append(raw)
        try:
            value = model.model_validate_json(_strip_fences(raw))
            if check is not None:
                check(value)
        except (ValidationError, ValueError) as exc:
            outcome.error = _short_error(exc)
            history += [AIMessage(content=raw), HumanMessage(content=feedback.user.format(error=outcome.error))]
            continue
        outcome.value = value
        outcome.error = None
        if breaker is not None:
            breaker.record(outcome)
        return outcome
    if breaker is not None:
        breaker.record(outcome)  # it answered, if not in shape: the provider is up
    return outcome


_FENCE = re.compile(r"```(?:json)?[ \t]*\n?(.*?)\s*```", re.S | re.I)


def _strip_fences(raw: str) -> str:
    # Hosted models without a JSON mode sometimes wrap the object in a Markdown fence ("```json", "```JSON"),
    # with a sentence before or after it.
    m = _FENCE.search(raw)
    return m.group(1) if m else raw


def salvage_items(raw: str | None, key: str, item: type[M]) -> tuple[list[M], int]:
    """The valid items of `raw`'s list under `key` when the whole answer failed validation (one bad claim must not
    cost the good ones next to it); returns them and how many items were invalid. Nothing when it is not JSON."""
    import json

    try:
        data = json.loads(_strip_fences(raw or ""))
    except ValueError:
        return [], 0
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return [], 0
    valid: list[M] = []
    for candidate in items:
        try:
            valid.append(item.model_validate(candidate))
        except ValidationError:
            continue
    return valid, len(items) - len(valid)


def failure_line(where: str, outcome: CallOutcome[Any]) -> str:
    """One line for ExtractionRun.failures."""
    error = " ".join((outcome.error or "unknown error").split())
    return f"{where}: gave up after {outcome.attempts} attempt(s): {error}"


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema handed to the model (field descriptions are prompt text)."""
    return json.loads(json.dumps(model.model_json_schema()))


def prompt_provenance(kind: str, llm: JsonLLM, prompt: Prompt) -> Provenance:
    """Provenance for claims made by `llm` with `prompt`."""
    return Provenance.model_validate(
        {
            "extractor": kind,
            "model": llm.model_id,
            "prompt_name": prompt.name,
            "prompt_version": prompt.version,
            "prompt_hash": prompt.sha256,
        }
    )


def raise_if_all_failed(run: ExtractionRun, calls: int, gave_up: int, attempts: int, kept: list[Claim]) -> None:
    """When every model call gave up, the extraction failed: say so, but hand back what was kept."""
    if calls and gave_up == calls:
        last = run.failures[-1] if run.failures else "no detail"
        advice = (
            "Try again later, or use --llm none."
            if "model call failed" in last
            else "Try again, raise CLAIMDESK_LLM_MAX_RETRIES (retries of answers that do not validate), or use "
            "--llm none."
        )
        raise ExtractionError(
            f"The model gave up on all {calls} call(s) for article {run.article_id} ({last}). {advice}",
            attempts=attempts,
            last_output=run.last_raw_output,
            kept=list(kept),
            run=run,
        )
