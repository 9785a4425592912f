"""Settings: defaults, environment parsing, and `.env.example` kept in step with the Settings class."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Settings, get_settings

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def _env_names() -> set[str]:
    """Every environment variable Settings reads (the first alias, or CLAIMDESK_<FIELD>)."""
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.add(str(choices[0]))
        else:
            names.add(f"CLAIMDESK_{name.upper()}")
    return names


def _documented() -> dict[str, str]:
    """Variables named in .env.example, mapped to the comment line just above each."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    out: dict[str, str] = {}
    for i, line in enumerate(lines):
        m = re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=", line)
        if m:
            comment = lines[i - 1] if i else ""
            out[m.group(1)] = comment
    return out


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    documented = _documented()
    assert set(documented) == _env_names(), (
        f"missing from .env.example: {sorted(_env_names() - set(documented))}; "
        f"unknown there: {sorted(set(documented) - _env_names())}"
    )


def test_every_documented_setting_has_a_one_line_comment() -> None:
    for name, comment in _documented().items():
        assert comment.startswith("# ") and not re.match(r"^#\s*[A-Z_]+=", comment), name


def test_defaults_need_no_key(tmp_path: Path) -> None:
    s = get_settings()
    assert s.llm == "local"
    assert s.openai_api_key is None and s.anthropic_api_key is None
    assert not s.use_chroma_server
    assert s.db_path.parent == s.data_dir
    assert s.checkworthiness_threshold is None and s.extraction_threshold == 0.2


def test_chroma_host_switches_to_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", "8123")
    get_settings.cache_clear()
    s = get_settings()
    assert s.use_chroma_server and s.chroma_port == 8123


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CLAIMDESK_LLM=none\nCLAIMDESK_CHUNK_SIZE=900\n", encoding="utf-8")
    s = Settings()
    assert s.llm == "none" and s.chunk_size == 900


def test_settings_left_empty_in_dotenv_mean_not_set(tmp_path: Path) -> None:
    # What uncommenting .env.example's optional lines without filling them in gives
    (tmp_path / ".env").write_text(
        "CLAIMDESK_CHECKWORTHINESS_THRESHOLD=\nCLAIMDESK_LOCAL_MODEL_PATH=\nCLAIMDESK_LLM_BASE_URL= \n"
        "OPENAI_API_KEY=\nCHROMA_HOST=\nCLAIMDESK_LLM_THREADS=\nCLAIMDESK_CHUNK_SIZE=\nCLAIMDESK_MAX_CLAIMS=\n",
        encoding="utf-8",
    )
    s = Settings()
    assert s.checkworthiness_threshold is None and s.extraction_threshold == 0.2
    assert s.local_model_path is None and s.llm_base_url is None and s.openai_api_key is None
    assert not s.use_chroma_server
    # settings with a default take it (an empty integer failed to parse)
    default = Settings.model_fields
    assert (s.llm_threads, s.chunk_size, s.max_claims) == (
        default["llm_threads"].default,
        default["chunk_size"].default,
        default["max_claims"].default,
    )


def test_invalid_value_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMDESK_CHUNK_SIZE", "5")
    with pytest.raises(ValidationError):
        Settings()


def test_rating_scale_parses_labels_and_missing_ratings() -> None:
    ratings = Settings(rating_scale="Correct=5;Wrong=1;Satire=").ratings()
    assert ratings == {"Correct": 5, "Wrong": 1, "Satire": None}
    default = get_settings().ratings()
    assert default["True"] == 5 and default["False"] == 1 and default["Unverifiable"] is None


def test_keys_do_not_leak_into_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-123")
    get_settings.cache_clear()
    s = get_settings()
    assert "sk-secret-value-123" not in repr(s) and "sk-secret-value-123" not in str(s.model_dump())


def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.errors import ConfigurationError

    monkeypatch.setenv("CLAIMDESK_CHUNK_SIZE", "not-a-number")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="CLAIMDESK_CHUNK_SIZE"):
        get_settings()
