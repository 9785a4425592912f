"""The review queues a Workbench shares between sessions: `QueueFilter` (which claims a queue holds) and
`SharedQueues`, each filter set's queue order (one key per claim) read once per store revision and, after a save,
only patched with the claims whose review changed.
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.store import ReviewStore
    from app.store_queries import QueueKey

__all__ = ["QUEUE_PATCH_LIMIT", "SHARED_QUEUES", "QueueFilter", "SharedQueues"]


@dataclass(frozen=True)
class QueueFilter:
    """Which claims a review queue holds (None: any)."""

    article_id: str | None = None
    status: str | None = None
    verdict: str | None = None
    claim_type: str | None = None


# Filter sets whose review queue (its order: one key per claim) the Workbench keeps for all sessions.
SHARED_QUEUES = 4

# Above this many changed reviews, reading the whole queue again is as quick as patching it.
QUEUE_PATCH_LIMIT = 500


class SharedQueues:
    """Review queues by filters, shared by every session of a Workbench (the last SHARED_QUEUES filter sets)."""

    def __init__(self) -> None:
        # Review queues by filters, shared by every session of this server (see shared_queue).
        self._queues: OrderedDict[QueueFilter, tuple[int, list[QueueKey]]] = OrderedDict()
        self._queues_lock = threading.Lock()

    def shared_queue(self, store: ReviewStore, filters: QueueFilter | None = None) -> list[str]:
        """The claim ids of the store's queue for these filters, in its order, kept for every session of the
        Workbench: read once per store revision, and after a save only patched (queue_since); the last SHARED_QUEUES
        filter sets are kept. Only the order is read, not the claims, and the Review page reads the few it shows with
        claims_and_reviews: reading and validating every claim made its first visit after a start take 0.5-0.7 s
        at 18,761 claims. A new list each call: callers may change theirs."""
        filters = filters or QueueFilter()
        revision = store.revision()
        with self._queues_lock:
            kept = self._queues.get(filters)
        if kept is not None and kept[0] == revision:
            keys = kept[1]
        elif kept is not None:
            keys = self.queue_since(store, kept[1], kept[0], filters)
        else:
            keys = self._queue_keys(store, filters)
        with self._queues_lock:
            self._queues[filters] = (revision, keys)
            self._queues.move_to_end(filters)
            while len(self._queues) > SHARED_QUEUES:
                self._queues.popitem(last=False)
        return [key[-1] for key in keys]

    def queue_since(
        self, store: ReviewStore, earlier: list[QueueKey], revision: int, filters: QueueFilter | None = None
    ) -> list[QueueKey]:
        """The queue (as ReviewStore.queue_keys gives it) now, from `earlier`, the same filters' queue read at
        `revision`: when only reviews changed since (the usual case: someone saved), just those claims are read
        again and put in place, instead of every claim (a second or more per click in every open Review page at
        18,000 claims)."""
        filters = filters or QueueFilter()
        changed = store.reviews_changed_since(revision)
        if changed is None or len(changed) > QUEUE_PATCH_LIMIT:
            return self._queue_keys(store, filters)
        if not changed:
            return list(earlier)
        fresh = self._queue_keys(store, filters, changed)
        return list(heapq.merge([key for key in earlier if key[-1] not in changed], fresh))

    @staticmethod
    def _queue_keys(
        store: ReviewStore, filters: QueueFilter, claim_ids: Collection[str] | None = None
    ) -> list[QueueKey]:
        return store.queue_keys(
            article_id=filters.article_id,
            status=filters.status,
            verdict=filters.verdict,
            claim_type=filters.claim_type,
            claim_ids=claim_ids,
        )

    def forget_queues(self) -> None:
        """Drop the kept queues: the next shared_queue reads the store afresh (a kept queue named a claim that is
        gone although the store's revision did not move)."""
        with self._queues_lock:
            self._queues.clear()
