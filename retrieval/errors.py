"""Errors raised by the retrieval layer (it must not import app/)."""

from __future__ import annotations


class RetrievalLayerError(Exception):
    """Base for retrieval failures; app/ re-raises these as WorkbenchError subclasses."""


class SourceError(RetrievalLayerError):
    """A source (file, folder entry, URL) could not be turned into an article."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class StoreUnavailable(RetrievalLayerError):
    """The vector store (embedded or server) could not be reached or opened."""


class EmbeddingModelMissing(RetrievalLayerError):
    """The offline embedding model or its tokenizer is not installed."""
