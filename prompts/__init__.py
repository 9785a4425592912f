"""Prompt files loaded by name: front matter (name, version, description) plus system and user parts.

A prompt file looks like::

    ---
    name: cascade_rewrite
    version: 1
    description: one line
    ---
    === system ===        (optional)
    ...
    === user ===
    ... {placeholders} ...

Bodies are LangChain f-string templates: `{name}` is a variable, `{{`/`}}` are literal braces.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.prompts import ChatPromptTemplate

PROMPT_DIR = Path(__file__).resolve().parent
_SECTION = re.compile(r"^=== (system|user) ===[ \t]*$", re.MULTILINE)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class PromptError(ValueError):
    """A prompt file is missing or malformed (a packaging or editing mistake, not a user error)."""


@dataclass(frozen=True)
class Prompt:
    """One versioned prompt: its parts and the sha256 of the file they came from."""

    name: str
    version: str
    description: str
    system: str
    user: str
    sha256: str

    def chat_template(self) -> ChatPromptTemplate:
        """This prompt as a LangChain chat template (system message, then the user message)."""
        return to_chat_template(self)


def _parse(name: str, raw: str) -> Prompt:
    if not raw.startswith("---\n"):
        raise PromptError(f"prompt {name!r} must start with a '---' front matter block")
    head, sep, body = raw[4:].partition("\n---\n")
    if not sep:
        raise PromptError(f"prompt {name!r} has an unterminated front matter block")
    meta: dict[str, str] = {}
    for line in head.splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    for key in ("name", "version", "description"):
        if not meta.get(key):
            raise PromptError(f"prompt {name!r} front matter lacks {key!r}")
    if meta["name"] != name:
        raise PromptError(f"prompt file {name!r} declares name {meta['name']!r}")
    parts: dict[str, str] = {}
    marks = list(_SECTION.finditer(body))
    for i, m in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        parts[m.group(1)] = body[m.end() : stop].strip("\n")
    if "user" not in parts or len(marks) != len(parts):
        raise PromptError(f"prompt {name!r} needs one '=== user ===' part and at most one '=== system ===' part")
    return Prompt(
        name=name,
        version=meta["version"],
        description=meta["description"],
        system=parts.get("system", ""),
        user=parts["user"],
        sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
    )


@lru_cache(maxsize=32)
def load_prompt(name: str) -> Prompt:
    """Load prompts/<name>.md; raises PromptError when it is missing or malformed."""
    if not _NAME.match(name):
        raise PromptError(f"invalid prompt name {name!r}")
    path = PROMPT_DIR / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"no prompt file {path}")
    return _parse(name, path.read_text(encoding="utf-8"))


def to_chat_template(prompt: Prompt) -> ChatPromptTemplate:
    """Turn a prompt into a ChatPromptTemplate with a system and a user message."""
    from langchain_core.prompts import ChatPromptTemplate

    messages = [("system", prompt.system)] if prompt.system else []
    return ChatPromptTemplate.from_messages([*messages, ("human", prompt.user)])


def available_prompts() -> list[str]:
    """Names of the prompt files shipped in this package."""
    return sorted(p.stem for p in PROMPT_DIR.glob("*.md"))
