"""The only module that reads the environment: settings from environment variables and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.errors import ConfigurationError

DEFAULT_RATING_SCALE = "True=5;Mostly true=4;Half true=3;Mostly false=2;False=1;Misleading=2;Unverifiable="
# Placeholders, not a publisher: ClaimReview refuses them and Markdown/HTML exports warn (README, "Publishing").
DEFAULT_PUBLISHER_NAME = "claimdesk"
DEFAULT_PUBLISHER_URL = "https://factcheck.example.org"


# Below the scorer's F1-best threshold on ClaimBuster groundtruth (0.42; 0.346 for the earlier regression scorer,
# with which 0.2 raised the cascade's Factcheck-Bench recall from 34% to 52%); with the fine-tuned scorer 0.2 gives
# 53% recall with 81% of statements matching a gold claim, and its best threshold on later debates is 0.15-0.2
# (README, "Check-worthiness scorer").
DEFAULT_EXTRACT_THRESHOLD = 0.2


class Settings(BaseSettings):
    """Every setting claimdesk reads; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="CLAIMDESK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        # `VAR=` (a line of .env.example uncommented, a blank export) means "not set": the default, not an error
        # ("CLAIMDESK_LLM_THREADS=" failed to parse as an integer).
        env_ignore_empty=True,
    )

    # storage
    data_dir: Path = Field(Path(".claimdesk"), description="Where the Chroma store, SQLite and model live.")
    chroma_mode: Literal["auto", "embedded", "server"] = Field(
        "auto", description="auto = server when CHROMA_HOST is set, else embedded."
    )
    chroma_host: str | None = Field(None, validation_alias=AliasChoices("CHROMA_HOST", "CLAIMDESK_CHROMA_HOST"))
    chroma_port: int = Field(8000, validation_alias=AliasChoices("CHROMA_PORT", "CLAIMDESK_CHROMA_PORT"))
    collection: str = Field("claimdesk", description="Chroma collection name.")

    # ingest
    chunk_size: int = Field(600, ge=100, le=8000, description="Target chunk length in characters.")
    max_source_bytes: int = Field(20_000_000, ge=1000, description="Size cap for one file or URL.")
    url_timeout: float = Field(15.0, gt=0, description="Seconds before a URL fetch gives up.")
    allow_private_urls: bool = Field(
        False,
        description="Let the workbench's URL box fetch loopback and private-network addresses (the CLI always may).",
    )

    # models
    llm: str = Field(
        "local",
        description="local | none | openai:MODEL | anthropic:MODEL | ollama:MODEL | openai-compatible:MODEL",
    )
    llm_base_url: str | None = Field(
        None, description="LLM API base URL: openai-compatible (required), openai/anthropic gateways, ollama."
    )
    local_model_path: Path | None = Field(None, description="Use this GGUF instead of the packaged Qwen model.")
    llm_threads: int = Field(0, ge=0, description="CPU threads for the local model (0 = all cores).")
    llm_parallel: int = Field(
        1, ge=1, le=8, description="Concurrent LLM calls per extraction (the local model's llama.cpp slots)."
    )
    llm_speculative: str = Field(
        "none", description="Local model n-gram speculative decoding: none, ngram_mod, ngram_simple[:n[:max_draft]]."
    )
    llm_timeout: float = Field(120.0, gt=0, description="Seconds per LLM call before it is abandoned.")
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries after an invalid model output.")
    extraction_strategy: Literal["auto", "cascade", "whole-article"] = "auto"
    cascade_statements: Literal["rules", "model"] = Field(
        "rules",
        description="Cascade with a small model: rules = it names claimant and type, statements are the sentences "
        "with rule-checked fixes (fast, nothing invented); model = it rewrites every sentence (about 2x slower).",
    )
    checkworthiness_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description=f"Check-worthiness a sentence needs to become a claim; empty = {DEFAULT_EXTRACT_THRESHOLD}, "
        "recall-leaning (`eval checkworthiness` keeps the scorer's trained threshold unless --threshold).",
    )
    max_claims: int = Field(
        40, ge=1, description="At most this many claims per article, the most check-worthy (every strategy)."
    )

    # review and reports
    rating_scale: str = Field(DEFAULT_RATING_SCALE, description="Label=rating pairs separated by ';'.")
    publisher_name: str = Field(
        DEFAULT_PUBLISHER_NAME,
        description="Fact-checking organisation named in reports and as ClaimReview's author (default: a placeholder).",
    )
    publisher_url: str = Field(
        DEFAULT_PUBLISHER_URL, description="The publishing organisation's site, ClaimReview's author URL (placeholder)."
    )
    report_url: str | None = Field(
        None,
        description="Where the HTML report will be published; each ClaimReview's url is it with #claim-<claim id>, "
        "the claim's anchor in that report (ClaimReview refuses while it is unset).",
    )

    # provider keys (read without the CLAIMDESK_ prefix, as the providers name them)
    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    anthropic_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("ANTHROPIC_API_KEY"))
    ollama_base_url: str = Field(
        "http://127.0.0.1:11434",
        validation_alias=AliasChoices("OLLAMA_BASE_URL", "CLAIMDESK_OLLAMA_BASE_URL"),
    )

    @field_validator(
        "chroma_host",
        "llm_base_url",
        "local_model_path",
        "checkworthiness_threshold",
        "openai_api_key",
        "anthropic_api_key",
        "report_url",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        """`VAR=` (as left by uncommenting a line of .env.example) means "not set", not an invalid value."""
        return None if isinstance(v, str) and not v.strip() else v

    @property
    def use_chroma_server(self) -> bool:
        """Whether to talk to a Chroma server instead of the embedded store."""
        if self.chroma_mode == "server":
            return True
        return self.chroma_mode == "auto" and self.chroma_host is not None

    @property
    def chroma_path(self) -> Path:
        """Directory of the embedded Chroma store."""
        return self.data_dir / "chroma"

    @property
    def db_path(self) -> Path:
        """SQLite file of the review store."""
        return self.data_dir / "claimdesk.sqlite3"

    @property
    def extraction_threshold(self) -> float:
        """The check-worthiness a sentence needs to become a claim (CLAIMDESK_CHECKWORTHINESS_THRESHOLD or 0.2)."""
        if self.checkworthiness_threshold is not None:
            return self.checkworthiness_threshold
        return DEFAULT_EXTRACT_THRESHOLD

    @property
    def model_dir(self) -> Path:
        """Where the joined local GGUF model is written."""
        return self.data_dir / "models"

    def ratings(self) -> dict[str, int | None]:
        """The verdict scale as label -> ClaimReview rating (any whole number), None where no rating applies."""
        out: dict[str, int | None] = {}
        for part in self.rating_scale.split(";"):
            if not part.strip():
                continue
            label, _, value = part.partition("=")
            out[label.strip()] = int(value) if value.strip() else None
        return out


def publisher_placeholders(publisher_name: str, publisher_url: str) -> list[str]:
    """The publisher settings (by environment variable) whose value is still the placeholder default."""
    given = (
        ("CLAIMDESK_PUBLISHER_NAME", publisher_name, DEFAULT_PUBLISHER_NAME),
        ("CLAIMDESK_PUBLISHER_URL", publisher_url, DEFAULT_PUBLISHER_URL),
    )
    return [
        name for name, value, default in given if value.strip().rstrip("/").casefold() == default.rstrip("/").casefold()
    ]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process (tests call `get_settings.cache_clear()`)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            problems.append(f"{_env_name(field)}: {err['msg']}")
        raise ConfigurationError(
            "Invalid setting(s) in the environment or .env: " + "; ".join(problems) + " (see .env.example)."
        ) from None


def _env_name(field: str) -> str:
    """The environment variable that feeds a Settings field."""
    info = Settings.model_fields.get(field)
    choices = getattr(info.validation_alias, "choices", None) if info else None
    return str(choices[0]) if choices else f"CLAIMDESK_{field.upper()}"
