"""Calls bounded from outside: for clients that have no timeout of their own, or one that is not enough."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["call_with_deadline"]


def call_with_deadline(fn: Callable[[], T], seconds: float, *, message: str, name: str = "claimdesk-call") -> T:
    """`fn()`, or TimeoutError(message) when it has not returned after `seconds`. It runs in a daemon thread that is
    left behind on timeout, so a call that never returns cannot block the caller or keep the process alive; an
    exception it raises is raised here."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["out"] = fn()
        except BaseException as exc:  # handed back to the calling thread below
            box["exc"] = exc

    worker = threading.Thread(target=target, daemon=True, name=name)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(message)
    if "exc" in box:
        raise box["exc"]
    out: T = box["out"]
    return out
