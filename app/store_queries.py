"""The review store's list and count reads: the review queue (claims with their reviews, filtered, in queue order, or
only each claim's sort key), article summaries with their claims counted by review state, the replaced versions, and
the dashboard's counts.

`app.store.ReviewStore` owns one `StoreQueries` over its connection and keeps the public methods; a page's lists
change here, the store's writes and their transactions in `app.store`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from app.errors import StoreError
from app.models import Claim, Review
from app.store_schema import ArticleSummary, DashboardStats

__all__ = ["STATUSES", "QueueKey", "StoreQueries"]


STATUSES: tuple[str, ...] = ("unreviewed", "in_progress", "reviewed")


# Claims whose article is not a replaced version (claims of articles the store has no record of count as current).
_NOT_REPLACED = "c.article_id NOT IN (SELECT id FROM articles WHERE replaced_by IS NOT NULL)"
_QUEUE_ORDER = " ORDER BY c.checkworthiness DESC, c.article_id, c.start, c.id"

# A claim's place in the review queue, as its sort key: (-check-worthiness, article id, start, claim id).
QueueKey = tuple[float, str, int, str]


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class StoreQueries:
    """The store's reads over claims, reviews and articles that lists, queues and the dashboard show."""

    def __init__(
        self,
        read: Callable[..., list[sqlite3.Row]],
        canonical_verdict: Callable[[str | None], str | None],
        rating_scale: dict[str, int | None],
    ) -> None:
        # The store's locked reader, its verdict spelling and its rating scale (the same dict).
        self._read = read
        self.canonical_verdict = canonical_verdict
        self.rating_scale = rating_scale

    def articles(self) -> list[ArticleSummary]:
        """Every stored article with its claim counts, most recently ingested first."""
        rows = self._read(
            """
            SELECT a.id, a.title, a.source, a.published, a.ingested_at, a.replaced_by, a.replaced_at,
                   COUNT(c.id) AS claim_count,
                   SUM(CASE WHEN c.id IS NOT NULL AND COALESCE(r.status, 'unreviewed') = 'unreviewed'
                       THEN 1 ELSE 0 END) AS unreviewed,
                   SUM(CASE WHEN r.status = 'in_progress' THEN 1 ELSE 0 END) AS in_progress,
                   SUM(CASE WHEN r.status = 'reviewed' THEN 1 ELSE 0 END) AS reviewed,
                   SUM(CASE WHEN r.not_checkable = 1 THEN 1 ELSE 0 END) AS not_checkable,
                   (SELECT COUNT(*) FROM drafts d JOIN claims dc ON dc.id = d.claim_id
                    WHERE dc.article_id = a.id) AS drafts
            FROM articles a
            LEFT JOIN claims c ON c.article_id = a.id
            LEFT JOIN reviews r ON r.claim_id = c.id
            GROUP BY a.id
            ORDER BY a.ingested_at DESC, a.title
            """
        )
        out = []
        for r in rows:
            ingested = _dt(r["ingested_at"])
            assert ingested is not None  # NOT NULL column
            out.append(
                ArticleSummary(
                    id=r["id"],
                    title=r["title"],
                    source=r["source"],
                    published=_dt(r["published"]),
                    ingested_at=ingested,
                    claim_count=int(r["claim_count"]),
                    unreviewed=int(r["unreviewed"] or 0),
                    in_progress=int(r["in_progress"] or 0),
                    reviewed=int(r["reviewed"] or 0),
                    not_checkable=int(r["not_checkable"] or 0),
                    replaced_by=r["replaced_by"],
                    replaced_at=_dt(r["replaced_at"]),
                    drafts=int(r["drafts"] or 0),
                )
            )
        return out

    def replaced_versions(self) -> dict[str, tuple[str, datetime | None]]:
        """Article id -> (the id of the newer version that replaced it, when) for every replaced version."""
        rows = self._read("SELECT id, replaced_by, replaced_at FROM articles WHERE replaced_by IS NOT NULL")
        return {r["id"]: (r["replaced_by"], _dt(r["replaced_at"])) for r in rows}

    def decided_sentences(self) -> list[tuple[str, str, str]]:
        """(claim id, article id, quote) of every claim of a current version that has a review other than
        "unreviewed" (a saved verdict, a note, an edit): what a repeated sentence elsewhere may be matched with."""
        rows = self._read(
            f"""
            SELECT c.id, c.article_id, json_extract(c.data, '$.quote') AS quote
            FROM claims c JOIN reviews r ON r.claim_id = c.id
            WHERE r.status != 'unreviewed' AND {_NOT_REPLACED}
            """
        )
        return [(r["id"], r["article_id"], r["quote"] or "") for r in rows]

    def queue(
        self,
        *,
        article_id: str | None = None,
        status: str | None = None,
        verdict: str | None = None,
        claim_type: str | None = None,
        include_replaced: bool = False,
        claim_ids: Collection[str] | None = None,
    ) -> list[tuple[Claim, Review]]:
        """Claims with their reviews, filtered; most check-worthy first. status may also be "not_checkable".
        Without an article id, claims of versions replaced by a newer one are left out unless `include_replaced`;
        `claim_ids` keeps only those claims (what changed since a queue was read, see
        ReviewStore.reviews_changed_since)."""
        where, params = self._queue_where(article_id, status, verdict, claim_type, include_replaced, claim_ids)
        if where is None:
            return []
        sql = "SELECT c.id AS id, c.data AS claim, r.data AS review FROM claims c LEFT JOIN reviews r ON r.claim_id = c.id"
        return [
            (
                Claim.model_validate_json(r["claim"]),
                Review.model_validate_json(r["review"]) if r["review"] else Review(claim_id=r["id"]),
            )
            for r in self._read(sql + where + _QUEUE_ORDER, params)
        ]

    def queue_keys(
        self,
        *,
        article_id: str | None = None,
        status: str | None = None,
        verdict: str | None = None,
        claim_type: str | None = None,
        include_replaced: bool = False,
        claim_ids: Collection[str] | None = None,
    ) -> list[QueueKey]:
        """The queue `queue` gives, as each claim's sort key (the claim id last) without reading the claims: a
        page that shows a few claims of thousands reads and validates only those."""
        where, params = self._queue_where(article_id, status, verdict, claim_type, include_replaced, claim_ids)
        if where is None:
            return []
        sql = "SELECT c.id, c.checkworthiness, c.article_id, c.start FROM claims c LEFT JOIN reviews r ON r.claim_id = c.id"
        rows = self._read(sql + where + _QUEUE_ORDER, params)
        return [(-worth, article, start, claim) for claim, worth, article, start in rows]

    def _queue_where(
        self,
        article_id: str | None,
        status: str | None,
        verdict: str | None,
        claim_type: str | None,
        include_replaced: bool,
        claim_ids: Collection[str] | None,
    ) -> tuple[str | None, list[Any]]:
        """The queue's WHERE clause ("" for none) and its parameters; None when `claim_ids` is empty."""
        where: list[str] = []
        params: list[Any] = []
        if claim_ids is not None:
            ids = sorted(claim_ids)
            if not ids:
                return None, []
            where.append(f"c.id IN ({', '.join('?' * len(ids))})")
            params.extend(ids)
        if article_id is not None:
            where.append("c.article_id = ?")
            params.append(article_id)
        elif not include_replaced:
            where.append(_NOT_REPLACED)
        if status == "not_checkable":
            where.append("r.not_checkable = 1")
        elif status is not None:
            if status not in STATUSES:
                raise StoreError(f"Unknown status {status!r}. Valid: {', '.join(STATUSES)}, not_checkable.")
            where.append("COALESCE(r.status, 'unreviewed') = ?")
            params.append(status)
        if verdict is not None:
            where.append("r.verdict = ?")
            params.append(self.canonical_verdict(verdict))
        if claim_type is not None:
            where.append("c.claim_type = ?")
            params.append(claim_type)
        return (" WHERE " + " AND ".join(where) if where else ""), params

    def stats(self) -> DashboardStats:
        """Claim counts by status and verdict, overall and per article (current versions only; the claims of
        replaced versions are counted apart)."""
        by_status = dict.fromkeys(STATUSES, 0)
        for r in self._read(
            "SELECT COALESCE(r.status, 'unreviewed') AS s, COUNT(*) AS n FROM claims c "
            f"LEFT JOIN reviews r ON r.claim_id = c.id WHERE {_NOT_REPLACED} GROUP BY s"
        ):
            by_status[r["s"]] = int(r["n"])
        # Finished reviews only, as reports count them: a verdict on a review still in progress is a draft.
        by_verdict = dict.fromkeys(self.rating_scale, 0)
        drafted = 0
        for r in self._read(
            "SELECT r.verdict AS v, r.status = 'reviewed' AS final, COUNT(*) AS n FROM reviews r "
            f"JOIN claims c ON c.id = r.claim_id WHERE r.verdict IS NOT NULL AND {_NOT_REPLACED} GROUP BY v, final"
        ):
            if r["final"]:
                by_verdict[r["v"]] = int(r["n"])
            else:
                drafted += int(r["n"])
        earlier = self._read(f"SELECT COUNT(*) AS n FROM claims c WHERE NOT {_NOT_REPLACED}")
        return DashboardStats(
            by_status=by_status,
            by_verdict=by_verdict,
            per_article=[a for a in self.articles() if a.replaced_by is None],
            total_claims=sum(by_status.values()),
            earlier_version_claims=int(earlier[0]["n"]),
            draft_verdicts=drafted,
        )
