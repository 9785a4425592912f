"""The append-only history of the review store: writing events inside a store transaction, and reading them.

Only the review store (`app.store`, `app.store_claims`) calls this module; it shares the store's connection and
transaction, so an event is written exactly when the change it describes is committed. The schema's triggers refuse
UPDATE and DELETE on history.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from app.models import Claim, HistoryEvent, Review, utcnow

__all__ = ["append_event", "claim_extracted", "read_events", "record_conflict", "record_review"]

# Review fields whose old -> new values go into the "review_saved" event.
_DIFF_FIELDS = ("status", "verdict", "notes", "reviewer", "edited_statement", "edited_claimant", "not_checkable")


def append_event(
    conn: sqlite3.Connection,
    *,
    claim_id: str | None,
    article_id: str | None,
    actor: str,
    action: str,
    changes: dict[str, Any],
    at: datetime | None = None,
) -> None:
    """Append one event (the caller owns the transaction)."""
    conn.execute(
        "INSERT INTO history (claim_id, article_id, at, actor, action, changes) VALUES (?, ?, ?, ?, ?, ?)",
        (claim_id, article_id, (at or utcnow()).isoformat(), actor, action, json.dumps(changes, default=str)),
    )


def claim_extracted(conn: sqlite3.Connection, claim: Claim, *, actor: str, at: datetime) -> None:
    """Record where a newly stored claim came from: extractor, model, prompt and the span it quotes."""
    prov = claim.provenance
    changes = {
        "extractor": prov.extractor,
        "model": prov.model,
        "prompt_name": prov.prompt_name,
        "prompt_version": prov.prompt_version,
        "prompt_hash": prov.prompt_hash,
        "statement": claim.statement,
        "quote": claim.quote,
        "span": [claim.start, claim.end],
        "checkworthiness": claim.checkworthiness,
    }
    append_event(
        conn,
        claim_id=claim.id,
        article_id=claim.article_id,
        actor=actor,
        action="claim_extracted",
        changes=changes,
        at=at,
    )


def record_review(
    conn: sqlite3.Connection, claim: Claim, old: Review, new: Review, *, actor: str, at: datetime
) -> None:
    """History for one review save: the diff, cited evidence, model context and reviewer-disagreement events."""
    diff: dict[str, Any] = {
        name: {"old": getattr(old, name), "new": getattr(new, name)}
        for name in _DIFF_FIELDS
        if getattr(old, name) != getattr(new, name)
    }
    old_ids = [e.chunk_id for e in old.evidence]
    new_ids = [e.chunk_id for e in new.evidence]
    if old_ids != new_ids:
        diff["evidence"] = {"old": old_ids, "new": new_ids}

    def emit(action: str, changes: dict[str, Any]) -> None:
        append_event(
            conn, claim_id=claim.id, article_id=claim.article_id, actor=actor, action=action, changes=changes, at=at
        )

    emit(
        "review_saved",
        {
            "version": new.version,
            "diff": diff,
            "evidence_ids": new_ids,
            "model": claim.provenance.model,
            "prompt_hash": claim.provenance.prompt_hash,
        },
    )
    # Reviewer disagreement with the model gets its own event kinds, so it can be counted and audited.
    if new.edited_statement is not None and new.edited_statement != old.edited_statement:
        emit(
            "statement_edited",
            {"model_statement": claim.statement, "old": old.edited_statement, "new": new.edited_statement},
        )
    if new.not_checkable != old.not_checkable:
        action = "rejected_not_checkable" if new.not_checkable else "restored_checkable"
        emit(action, {"model": claim.provenance.model, "prompt_hash": claim.provenance.prompt_hash})
    added = [i for i in new_ids if i not in old_ids]
    if added:
        # The passages as cited (text, title, source, span): the history alone still shows them after the cited
        # article, or this claim's review, is deleted.
        passages = [ev.model_dump(mode="json") for ev in new.evidence if ev.chunk_id in added]
        emit("evidence_cited", {"evidence_ids": added, "passages": passages})


def record_conflict(
    conn: sqlite3.Connection, claim: Claim, stored: Review, attempt: Review, *, actor: str, at: datetime
) -> None:
    """Keep a refused save (stale version): who tried, from which version, and what they would have changed."""
    attempted = {
        name: {"current": getattr(stored, name), "attempted": getattr(attempt, name)}
        for name in _DIFF_FIELDS
        if name != "reviewer" and getattr(stored, name) != getattr(attempt, name)
    }
    changes = {
        "attempted_version": attempt.version,
        "current_version": stored.version,
        "current_reviewer": stored.reviewer,
        "attempted": attempted,
        "attempted_evidence_ids": [e.chunk_id for e in attempt.evidence],
    }
    append_event(
        conn,
        claim_id=claim.id,
        article_id=claim.article_id,
        actor=actor,
        action="review_conflict",
        changes=changes,
        at=at,
    )


# The events a review save (or a refused one) writes: they change one claim's review and nothing else.
REVIEW_ACTIONS = frozenset(
    {"review_saved", "statement_edited", "rejected_not_checkable", "restored_checkable", "evidence_cited",
     "review_conflict"}
)  # fmt: skip

# What happened to a claim's article, shown in the claim's own history: a claim deleted with its article and
# extracted again after a re-ingest otherwise read as one unbroken story.
ARTICLE_LIFECYCLE = ("article_deleted", "article_replaced", "article_current")


def read_events(
    conn: sqlite3.Connection, *, claim_id: str | None = None, article_id: str | None = None
) -> list[HistoryEvent]:
    """Events of one claim (with its article's lifecycle events) or of one article, oldest first."""
    if claim_id is not None:
        marks = ",".join("?" * len(ARTICLE_LIFECYCLE))
        rows = conn.execute(
            "SELECT id, claim_id, article_id, at, actor, action, changes FROM history WHERE claim_id = ? "
            f"OR (claim_id IS NULL AND action IN ({marks}) AND article_id IN "
            "(SELECT DISTINCT article_id FROM history WHERE claim_id = ? AND article_id IS NOT NULL)) ORDER BY id",
            (claim_id, *ARTICLE_LIFECYCLE, claim_id),
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT id, claim_id, article_id, at, actor, action, changes FROM history WHERE article_id = ? ORDER BY id",
            (article_id,),
        ).fetchall()
    return [
        HistoryEvent(
            id=r[0],
            claim_id=r[1],
            article_id=r[2],
            at=datetime.fromisoformat(r[3]),
            actor=r[4],
            action=r[5],
            changes=json.loads(r[6]),
        )
        for r in rows
    ]
