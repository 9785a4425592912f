"""The workbench's errors: one base class, a few kinds, messages written for the user."""

from __future__ import annotations


class WorkbenchError(Exception):
    """An expected failure; its message tells the user what happened and what to do next."""


class ConfigurationError(WorkbenchError):
    """A setting is missing or invalid (names the exact variable to set)."""


class IngestError(WorkbenchError):
    """A source could not be read or stored; nothing of it was written."""


class RetrievalError(WorkbenchError):
    """Evidence search or the vector store failed."""


class ExtractionError(WorkbenchError):
    """Claim extraction gave up; carries attempts, the last raw output and the claims already validated."""

    def __init__(
        self,
        message: str,
        *,
        attempts: int = 0,
        last_output: str | None = None,
        kept: list[object] | None = None,
        run: object | None = None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_output = last_output
        self.kept = kept or []
        self.run = run  # the ExtractionRun that failed (its failures and last output), to be recorded


class ModelError(WorkbenchError):
    """The language model could not be loaded or called."""


class ModelUnavailableError(ModelError):
    """The model cannot answer any call of this run (a refused key, an unknown model, an unreachable server, or
    calls failing one after another): retrying or moving to the next article would only repeat it."""


class StoreError(WorkbenchError):
    """The review store refused or failed an operation."""


class ConflictError(StoreError):
    """Someone else saved this claim first; carries the newer state."""

    def __init__(self, message: str, *, current: object | None = None) -> None:
        super().__init__(message)
        self.current = current


class ExportError(WorkbenchError):
    """A report could not be written (e.g. a claim lacks what ClaimReview requires)."""
