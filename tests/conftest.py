"""Shared fixtures: every test gets its own data directory and a clean, key-less environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "china-russia-sanctions.txt"

_SCRUB = (
    "CHROMA_HOST",
    "CHROMA_PORT",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OLLAMA_BASE_URL",
)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the data directory at tmp_path, drop keys and server settings, ignore any local .env."""
    import os

    for name in list(os.environ):
        if name.startswith("CLAIMDESK_") or name in _SCRUB:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLAIMDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # so a developer's ./.env is not read
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# A publisher that is not the configured placeholder, and where its HTML report goes (ClaimReview needs both).
PUBLISHER_ENV = {
    "CLAIMDESK_PUBLISHER_NAME": "Example Fact Desk",
    "CLAIMDESK_PUBLISHER_URL": "https://checks.example.net",
    "CLAIMDESK_REPORT_URL": "https://checks.example.net/reports/latest.html",
}


@pytest.fixture
def publisher(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Publisher settings in the environment, as a desk sets them before publishing; request it before
    `settings`."""
    for name, value in PUBLISHER_ENV.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return PUBLISHER_ENV


@pytest.fixture
def settings() -> Settings:
    """Settings for this test (data dir under tmp_path)."""
    return get_settings()


@pytest.fixture
def seed_text() -> str:
    """The seed article's text."""
    return SEED.read_text(encoding="utf-8")
