"""The review store: articles, claims, reviews and an append-only history in one SQLite file (WAL).

Reviews use optimistic concurrency: a save succeeds only when it carries the stored version, checked and written
inside one `BEGIN IMMEDIATE` transaction, so two processes can never both win. All SQL lives here, in
`app.store_schema` (tables, migrations) and `app.history` (events); a server database could replace SQLite by
reimplementing these three modules behind the same `ReviewStore` API.
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
from app.history import REVIEW_ACTIONS, append_event, claim_extracted, read_events, record_conflict, record_review
from app.models import (
    Claim,
    Draft,
    ExtractionRun,
    HistoryEvent,
    Review,
    alike_statements,
    clean_typed_text,
    same_statement,
    utcnow,
)
from app.store_schema import ArticleSummary, DashboardStats, SaveClaimsResult, connect, migrate
from retrieval.models import Article

if TYPE_CHECKING:
    from app.config import Settings

__all__ = ["STATUSES", "ArticleSummary", "DashboardStats", "QueueKey", "ReviewStore", "SaveClaimsResult"]

STATUSES: tuple[str, ...] = ("unreviewed", "in_progress", "reviewed")


# Claims whose article is not a replaced version (claims of articles the store has no record of count as current).
_NOT_REPLACED = "c.article_id NOT IN (SELECT id FROM articles WHERE replaced_by IS NOT NULL)"
_QUEUE_ORDER = " ORDER BY c.checkworthiness DESC, c.article_id, c.start, c.id"

# A claim's place in the review queue, as its sort key: (-check-worthiness, article id, start, claim id).
QueueKey = tuple[float, str, int, str]


def _iso(value: datetime) -> str:
    return value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _substance(claim: Claim) -> dict[str, Any]:
    """What a claim says and where it came from, without the time it was made."""
    return claim.model_dump(exclude={"provenance": {"created_at"}})


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
        added = unchanged = upgraded = 0
        now = utcnow()
        with self._write() as conn:
            # The article's stored claims, read once (not once per claim saved) and kept current below, each with
            # whether someone has worked on it: a saved review, or a reviewer's unsaved draft kept for them (a
            # re-run that superseded or rewrote such a claim took the draft with it).
            stored = {
                claim_id: (Claim.model_validate_json(data), bool(worked_on))
                for claim_id, data, worked_on in conn.execute(
                    "SELECT c.id, c.data, r.claim_id IS NOT NULL "
                    "OR EXISTS (SELECT 1 FROM drafts d WHERE d.claim_id = c.id) FROM claims c "
                    "LEFT JOIN reviews r ON r.claim_id = c.id WHERE c.article_id = ?",
                    (article_id,),
                )
            }
            batch = {c.id for c in claims}
            for claim in claims:
                superseded = self._supersede_overlapping(conn, claim, stored, batch, actor=actor, at=now)
                if superseded is None:  # a scorer claim beside a model's claim on the same text: the model's stays
                    unchanged += 1
                    continue
                cur = conn.execute(
                    "INSERT OR IGNORE INTO claims (id, article_id, start, checkworthiness, claim_type, created_at, "
                    "data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        claim.id,
                        article_id,
                        claim.start,
                        claim.checkworthiness,
                        claim.claim_type,
                        _iso(now),
                        claim.model_dump_json(),
                    ),
                )
                if cur.rowcount == 0:
                    if self._refresh_unreviewed_claim(conn, claim, stored.get(claim.id)):
                        stored[claim.id] = (claim, False)
                        upgraded += 1
                        claim_extracted(conn, claim, actor=actor, at=now)
                    else:
                        unchanged += 1
                    continue
                stored[claim.id] = (claim, False)
                if superseded:
                    upgraded += 1
                else:
                    added += 1
                claim_extracted(conn, claim, actor=actor, at=now)
            run_changes: dict[str, Any] = {"added": added, "unchanged": unchanged, "upgraded": upgraded}
            if run is not None:
                conn.execute(
                    "INSERT INTO extraction_runs (article_id, started_at, data) VALUES (?, ?, ?)",
                    (article_id, _iso(run.started_at), run.model_dump_json()),
                )
                run_changes.update(
                    strategy=run.strategy,
                    model=run.model,
                    prompt_hash=run.prompt_hash,
                    claims_kept=run.claims_kept,
                    discarded_ungrounded=run.discarded_ungrounded,
                    failures=len(run.failures),
                )
            append_event(
                conn, claim_id=None, article_id=article_id, actor=actor, action="extraction_saved", changes=run_changes
            )
        return SaveClaimsResult(added=added, unchanged=unchanged, upgraded=upgraded)

    @staticmethod
    def _supersede_overlapping(
        conn: sqlite3.Connection,
        claim: Claim,
        stored: dict[str, tuple[Claim, bool]],
        batch: set[str],
        *,
        actor: str,
        at: datetime,
    ) -> bool | None:
        """Remove unreviewed claims of the same article that `claim` (a model's) replaces on an overlapping span: a
        scorer triage claim on the sentence a model now quotes (whole or a clause of it), a model's claim with the
        same statement on a slightly different span, or a model claim of an earlier run (not in `batch`, this
        save's claims) stating mostly the same facts: a re-run that quotes the clause instead of the sentence, or
        words it differently, would otherwise leave both in the queue. Reviewed claims always stay. True when one was removed; None when
        `claim` itself is a scorer claim overlapping a model's claim (it is not stored). `stored` is the article's
        claims by id with whether each is reviewed; removed claims leave it."""
        removed = False
        for claim_id, (old, reviewed) in list(stored.items()):
            if claim_id == claim.id or not (old.start < claim.end and claim.start < old.end):
                continue
            old_scorer = old.provenance.extractor == "scorer"
            new_scorer = claim.provenance.extractor == "scorer"
            if new_scorer and not old_scorer:
                return None
            # an earlier run's claim stating mostly the same facts: a re-run quoting the clause, or wording it anew
            rerun = claim_id not in batch and alike_statements(old.statement, claim.statement)
            if reviewed or new_scorer or not (old_scorer or rerun or same_statement(old.statement, claim.statement)):
                continue
            conn.execute("DELETE FROM claims WHERE id = ?", (claim_id,))
            del stored[claim_id]
            append_event(
                conn,
                claim_id=claim_id,
                article_id=claim.article_id,
                actor=actor,
                action="claim_superseded",
                changes={"by": claim.id, "span": [old.start, old.end], "new_span": [claim.start, claim.end]},
                at=at,
            )
            removed = True
        return removed

    @staticmethod
    def _refresh_unreviewed_claim(conn: sqlite3.Connection, claim: Claim, current: tuple[Claim, bool] | None) -> bool:
        """Replace a stored claim nobody has reviewed by a new extraction of the same span that says something
        different: a model's rewrite of a scorer-only claim, or a later extractor's corrected claimant or type.
        A scorer-only run never replaces a model's claim, and a claim with a review keeps what the reviewer saw.
        `current` is the stored claim with whether it is reviewed (save_claims' map of the article's claims)."""
        if current is None:
            return False
        stored, reviewed = current
        if claim.provenance.extractor == "scorer" and stored.provenance.extractor != "scorer":
            return False
        if _substance(stored) == _substance(claim):
            return False  # the same extraction again: only its time differs
        if reviewed:
            return False
        conn.execute(
            "UPDATE claims SET checkworthiness = ?, claim_type = ?, data = ? WHERE id = ?",
            (claim.checkworthiness, claim.claim_type, claim.model_dump_json(), claim.id),
        )
        return True

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
        """Claims with their reviews, filtered; most check-worthy first. status may also be "not_checkable".
        Without an article id, claims of versions replaced by a newer one are left out unless `include_replaced`;
        `claim_ids` keeps only those claims (what changed since a queue was read, see reviews_changed_since)."""
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
