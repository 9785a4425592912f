"""The review store: articles, claims, reviews and an append-only history in one SQLite file (WAL).

Reviews use optimistic concurrency: a save succeeds only when it carries the stored version, checked and written
inside one `BEGIN IMMEDIATE` transaction, so two processes can never both win. All SQL lives here, in
`app.store_schema` (tables, migrations), `app.history` (events), `app.store_claims` (saving an extraction's claims)
and `app.store_queries` (the queue, article summaries and dashboard counts, read through the store's
`StoreQueries`); a server database could replace SQLite by reimplementing these modules behind the same
`ReviewStore` API.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import ConflictError, StoreError
from app.history import REVIEW_ACTIONS, append_event, read_events, record_conflict, record_review
from app.models import Claim, Draft, ExtractionRun, HistoryEvent, Review, clean_typed_text, utcnow
from app.store_claims import write_claims
from app.store_queries import STATUSES, QueueKey, StoreQueries
from app.store_schema import ArticleSummary, DashboardStats, SaveClaimsResult, connect, migrate
from retrieval.models import Article

if TYPE_CHECKING:
    from app.config import Settings

__all__ = ["ArticleSummary", "DashboardStats", "ReviewStore", "SaveClaimsResult"]


def _iso(value: datetime) -> str:
    return value.isoformat()


class ReviewStore:
    """Reviews, claims and their history in SQLite; safe to share between threads and processes."""

    def __init__(self, db_path: Path, *, rating_scale: dict[str, int | None]) -> None:
        self.db_path = Path(db_path)
        self.rating_scale: dict[str, int | None] = dict(rating_scale)
        # One connection per store, shared by Streamlit's threads under this lock.
        self._lock = threading.RLock()
        self._conn = connect(self.db_path)
        try:
            migrate(self._conn, self.db_path)
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreError(f"Could not prepare the review database at {self.db_path}: {exc}.") from exc
        # The list and count reads (queue, article summaries, dashboard counts) over this connection.
        self._queries = StoreQueries(self._read, self.canonical_verdict, self.rating_scale)

    @classmethod
    def open(cls, settings: Settings) -> ReviewStore:
        """Open the store configured by `settings` (its db_path and rating scale)."""
        return cls(settings.db_path, rating_scale=settings.ratings())

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the database write lock from its first statement."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(
                    f"The review database is busy ({exc}); another process holds it. Try again in a moment."
                ) from exc
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StoreError(f"The review database refused the change ({exc}); nothing was saved.") from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        # SQLite may already have rolled back by itself (e.g. disk full); a second ROLLBACK would raise.
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                cur = self._conn.execute(sql, tuple(params))
                cur.row_factory = sqlite3.Row
                return list(cur.fetchall())
            except sqlite3.OperationalError as exc:
                raise StoreError(f"Could not read the review database ({exc}); try again in a moment.") from exc

    # -- articles -----------------------------------------------------------------------------------------

    def upsert_article(self, article: Article, *, actor: str = "system") -> None:
        """Store a copy of an ingested article (insert, or update its title/source/dates)."""
        with self._write() as conn:
            row = conn.execute("SELECT data FROM articles WHERE id = ?", (article.id,)).fetchone()
            published = _iso(article.published) if article.published else None
            values = (article.title, article.source, published, _iso(article.ingested_at), article.model_dump_json())
            if row is None:
                conn.execute(
                    "INSERT INTO articles (title, source, published, ingested_at, data, id) VALUES (?, ?, ?, ?, ?, ?)",
                    (*values, article.id),
                )
                changes = {"title": article.title, "source": article.source, "chars": len(article.text)}
                append_event(
                    conn, claim_id=None, article_id=article.id, actor=actor, action="article_added", changes=changes
                )
                return
            old = Article.model_validate_json(row[0])
            diff = {
                name: {"old": getattr(old, name), "new": getattr(article, name)}
                for name in ("title", "source", "published", "content_type")
                if getattr(old, name) != getattr(article, name)
            }
            conn.execute(
                "UPDATE articles SET title = ?, source = ?, published = ?, ingested_at = ?, data = ? WHERE id = ?",
                (*values, article.id),
            )
            if diff:
                append_event(
                    conn, claim_id=None, article_id=article.id, actor=actor, action="article_updated", changes=diff
                )

    def get_article(self, article_id: str) -> Article | None:
        """The stored copy of an article, or None."""
        rows = self._read("SELECT data FROM articles WHERE id = ?", (article_id,))
        return Article.model_validate_json(rows[0]["data"]) if rows else None

    def articles(self) -> list[ArticleSummary]:
        """Every stored article with its claim counts, most recently ingested first."""
        return self._queries.articles()

    def replaced_versions(self) -> dict[str, tuple[str, datetime | None]]:
        """Article id -> (the id of the newer version that replaced it, when) for every replaced version."""
        return self._queries.replaced_versions()

    def decided_sentences(self) -> list[tuple[str, str, str]]:
        """(claim id, article id, quote) of the current versions' claims that have a review (see StoreQueries)."""
        return self._queries.decided_sentences()

    def mark_current(self, article_id: str, *, actor: str = "system") -> list[str]:
        """Record that the stored article `article_id` is the current version of its source (the corpus holds it):
        every other stored version of that source is marked replaced by it, and it is no longer marked replaced
        itself (a file put back to an earlier text). Their claims and reviews stay. Returns the ids newly marked
        replaced."""
        now = _iso(datetime.now(UTC))
        with self._write() as conn:
            row = conn.execute("SELECT source, replaced_by FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None:
                return []
            source, was_replaced_by = row
            if was_replaced_by is not None:
                conn.execute("UPDATE articles SET replaced_by = NULL, replaced_at = NULL WHERE id = ?", (article_id,))
                append_event(
                    conn, claim_id=None, article_id=article_id, actor=actor, action="article_current",
                    changes={"replaced_by": {"old": was_replaced_by, "new": None}},
                )  # fmt: skip
            older = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM articles WHERE source = ? AND id != ? AND replaced_by IS NOT ?",
                    (source, article_id, article_id),
                )
            ]
            for old_id in older:
                conn.execute(
                    "UPDATE articles SET replaced_by = ?, replaced_at = ? WHERE id = ?", (article_id, now, old_id)
                )
                append_event(
                    conn, claim_id=None, article_id=old_id, actor=actor, action="article_replaced",
                    changes={"replaced_by": article_id, "source": source},
                )  # fmt: skip
        return older

    def delete_article(self, article_id: str, *, actor: str) -> tuple[int, int]:
        """Remove an article, its claims, reviews and extraction runs; the history keeps a record of them.

        Returns (claims removed, reviews removed)."""
        with self._write() as conn:
            row = conn.execute("SELECT title, source FROM articles WHERE id = ?", (article_id,)).fetchone()
            n_claims = conn.execute("SELECT COUNT(*) FROM claims WHERE article_id = ?", (article_id,)).fetchone()[0]
            if row is None and n_claims == 0:
                raise StoreError(f"No article with id {article_id!r}; `claimdesk articles` lists the stored ones.")
            n_reviews = conn.execute(
                "SELECT COUNT(*) FROM reviews WHERE claim_id IN (SELECT id FROM claims WHERE article_id = ?)",
                (article_id,),
            ).fetchone()[0]
            changes = {
                "title": row[0] if row else None,
                "source": row[1] if row else None,
                "claims_removed": int(n_claims),
                "reviews_removed": int(n_reviews),
            }
            # Reviews go with their claims (ON DELETE CASCADE).
            conn.execute("DELETE FROM claims WHERE article_id = ?", (article_id,))
            conn.execute("DELETE FROM extraction_runs WHERE article_id = ?", (article_id,))
            conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
            append_event(
                conn, claim_id=None, article_id=article_id, actor=actor, action="article_deleted", changes=changes
            )
        return int(n_claims), int(n_reviews)

    # -- claims -------------------------------------------------------------------------------------------

    def save_claims(
        self,
        article_id: str,
        claims: Sequence[Claim],
        *,
        run: ExtractionRun | None = None,
        actor: str = "extractor",
    ) -> SaveClaimsResult:
        """Store new claims (idempotent by Claim.id: stored ones are kept as they are), the run and history."""
        for claim in claims:
            if claim.article_id != article_id:
                raise StoreError(
                    f"Claim {claim.id} belongs to article {claim.article_id}, not {article_id}; save it with its "
                    "own article."
                )
        article = self.get_article(article_id)
        if article is not None:
            for claim in claims:
                # Never let an ungrounded quote reach a reviewer, even if a caller skipped validation.
                if article.text[claim.start : claim.end] != claim.quote:
                    raise StoreError(
                        f"Claim {claim.id} quotes text that is not in article {article_id} at "
                        f"{claim.start}-{claim.end}; re-run extraction for this article."
                    )
        now = utcnow()
        with self._write() as conn:
            result = write_claims(conn, article_id, claims, run=run, actor=actor, now=now)
        return result

    def claims(self, article_id: str | None = None) -> list[Claim]:
        """Stored claims (of one article, or all), by checkworthiness descending, then position."""
        if article_id is None:
            rows = self._read("SELECT data FROM claims ORDER BY checkworthiness DESC, article_id, start, id")
        else:
            rows = self._read(
                "SELECT data FROM claims WHERE article_id = ? ORDER BY checkworthiness DESC, start, id", (article_id,)
            )
        return [Claim.model_validate_json(r["data"]) for r in rows]

    def get_claim(self, claim_id: str) -> Claim | None:
        """One stored claim, or None."""
        rows = self._read("SELECT data FROM claims WHERE id = ?", (claim_id,))
        return Claim.model_validate_json(rows[0]["data"]) if rows else None

    def extraction_runs(self, article_id: str) -> list[ExtractionRun]:
        """The recorded extraction runs of an article, oldest first."""
        rows = self._read("SELECT data FROM extraction_runs WHERE article_id = ? ORDER BY id", (article_id,))
        return [ExtractionRun.model_validate_json(r["data"]) for r in rows]

    # -- drafts -------------------------------------------------------------------------------------------

    def save_draft(self, draft: Draft) -> None:
        """Keep a reviewer's unsaved form for a claim (replacing their earlier draft of it). A draft of a claim that
        no longer exists is dropped: there is nothing it could be saved to."""
        if not draft.reviewer.strip():
            raise StoreError("A draft is kept under a reviewer's name; enter your name first.")
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM claims WHERE id = ?", (draft.claim_id,)).fetchone() is None:
                return
            conn.execute(
                "INSERT INTO drafts (claim_id, reviewer, updated_at, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (claim_id, reviewer) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data",
                (draft.claim_id, draft.reviewer, _iso(draft.updated_at), draft.model_dump_json()),
            )

    def drafts(self, reviewer: str) -> list[Draft]:
        """A reviewer's unsaved drafts, most recent first."""
        rows = self._read("SELECT data FROM drafts WHERE reviewer = ? ORDER BY updated_at DESC", (reviewer,))
        return [Draft.model_validate_json(r["data"]) for r in rows]

    def delete_draft(self, claim_id: str, reviewer: str) -> None:
        """Forget a reviewer's draft of a claim (saved or discarded); nothing happens when there is none."""
        with self._write() as conn:
            conn.execute("DELETE FROM drafts WHERE claim_id = ? AND reviewer = ?", (claim_id, reviewer))

    # -- reviews ------------------------------------------------------------------------------------------

    def get_review(self, claim_id: str) -> Review:
        """The current review of a claim; an unreviewed version-0 review when none was saved."""
        rows = self._read("SELECT data FROM reviews WHERE claim_id = ?", (claim_id,))
        return Review.model_validate_json(rows[0]["data"]) if rows else Review(claim_id=claim_id)

    def canonical_verdict(self, label: str | None) -> str | None:
        """The scale's spelling of a verdict label (case-insensitive); StoreError listing valid labels if unknown."""
        if label is None:
            return None
        if label in self.rating_scale:
            return label
        folded = {k.casefold(): k for k in self.rating_scale}
        found = folded.get(label.strip().casefold())
        if found is None:
            valid = ", ".join(self.rating_scale) or "(the rating scale is empty; set CLAIMDESK_RATING_SCALE)"
            raise StoreError(f"Unknown verdict {label!r}. Valid verdicts: {valid}.")
        return found

    def save_review(self, review: Review, *, actor: str) -> Review:
        """Save a review if `review.version` is the stored version; returns the stored review (version + 1).

        A stale version raises ConflictError carrying the stored review; the rejected attempt is kept in the
        history ("review_conflict") so no reviewer's work silently disappears.
        """
        verdict = self.canonical_verdict(review.verdict)
        if review.status not in STATUSES:
            raise StoreError(f"Unknown status {review.status!r}. Valid statuses: {', '.join(STATUSES)}.")
        if review.status == "reviewed" and verdict is None and not review.not_checkable:
            # A finished review with no verdict would be published as "Reviewed by ... Verdict: Unreviewed".
            raise StoreError(
                "A finished review needs a verdict (or 'not checkable'); give one, or save it as in progress "
                "(--status in_progress) until you have it."
            )
        actor = clean_typed_text(actor)  # the name also goes into the history, as typed it could carry controls
        attempt = review.model_copy(update={"verdict": verdict, "reviewer": actor})
        conflict: ConflictError | None = None
        with self._write() as conn:
            row = conn.execute("SELECT data FROM claims WHERE id = ?", (review.claim_id,)).fetchone()
            if row is None:
                raise StoreError(f"No claim with id {review.claim_id!r}; `claimdesk claims` lists the stored claims.")
            claim = Claim.model_validate_json(row[0])
            stored_row = conn.execute("SELECT data FROM reviews WHERE claim_id = ?", (review.claim_id,)).fetchone()
            stored = Review.model_validate_json(stored_row[0]) if stored_row else Review(claim_id=claim.id)
            now = utcnow()
            if review.version != stored.version:
                # Commit the record of the refused attempt, then raise outside the transaction.
                record_conflict(conn, claim, stored, attempt, actor=actor, at=now)
                when = stored.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC") if stored.updated_at else "an unknown time"
                conflict = ConflictError(
                    f"Claim {claim.id} was changed by {stored.reviewer or 'someone'} at {when} (now version "
                    f"{stored.version}, you had {review.version}); reload it and apply your change again.",
                    current=stored,
                )
            else:
                new = self._write_review(conn, claim, stored, attempt, insert=stored_row is None, at=now)
                record_review(conn, claim, stored, new, actor=actor, at=now)
        if conflict is not None:
            raise conflict
        return new

    @staticmethod
    def _write_review(
        conn: sqlite3.Connection, claim: Claim, stored: Review, attempt: Review, *, insert: bool, at: datetime
    ) -> Review:
        new = Review.model_validate(  # re-validate: model_copy skips validation
            {
                **attempt.model_dump(),
                "version": stored.version + 1,
                "created_at": stored.created_at or at,
                "updated_at": at,
            }
        )
        params = (
            new.status,
            new.verdict,
            int(new.not_checkable),
            new.reviewer,
            new.version,
            _iso(at),
            new.model_dump_json(),
        )
        if insert:
            conn.execute(
                "INSERT INTO reviews (status, verdict, not_checkable, reviewer, version, updated_at, data, "
                "claim_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*params, claim.id),
            )
            return new
        cur = conn.execute(
            "UPDATE reviews SET status = ?, verdict = ?, not_checkable = ?, reviewer = ?, version = ?, "
            "updated_at = ?, data = ? WHERE claim_id = ? AND version = ?",
            (*params, claim.id, stored.version),
        )
        if cur.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; refuse rather than lose a write
            raise ConflictError(f"Claim {claim.id} changed while saving; reload it.", current=stored)
        return new

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
        """Claims with their reviews, filtered; most check-worthy first (see StoreQueries.queue)."""
        return self._queries.queue(
            article_id=article_id,
            status=status,
            verdict=verdict,
            claim_type=claim_type,
            include_replaced=include_replaced,
            claim_ids=claim_ids,
        )

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
        """The queue `queue` gives, as each claim's sort key, without reading the claims (see
        StoreQueries.queue_keys)."""
        return self._queries.queue_keys(
            article_id=article_id,
            status=status,
            verdict=verdict,
            claim_type=claim_type,
            include_replaced=include_replaced,
            claim_ids=claim_ids,
        )

    # -- history and stats --------------------------------------------------------------------------------

    def reviews_changed_since(self, revision: int) -> set[str] | None:
        """The claims whose review changed after `revision` (see revision), or None when something else changed
        too (an extraction, an article added, replaced or deleted): then a queue read before must be read again."""
        rows = self._read("SELECT claim_id, action FROM history WHERE id > ?", [revision])
        if any(r["action"] not in REVIEW_ACTIONS or r["claim_id"] is None for r in rows):
            return None
        return {str(r["claim_id"]) for r in rows}

    def revision(self) -> int:
        """A number that grows with every change to the store (the last history entry's id; 0 when empty)."""
        rows = self._read("SELECT COALESCE(MAX(id), 0) AS n FROM history")
        return int(rows[0]["n"])

    def history(self, claim_id: str) -> list[HistoryEvent]:
        """A claim's history, oldest first."""
        with self._lock:
            return read_events(self._conn, claim_id=claim_id)

    def article_history(self, article_id: str) -> list[HistoryEvent]:
        """Everything recorded about an article and its claims, oldest first."""
        with self._lock:
            return read_events(self._conn, article_id=article_id)

    def stats(self) -> DashboardStats:
        """Claim counts by status and verdict, overall and per article (current versions only)."""
        return self._queries.stats()
