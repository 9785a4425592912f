"""How the review store saves an extraction's claims: new ones stored, unreviewed claims of the same article that a
new claim replaces on an overlapping span superseded (a scorer's triage claim, an earlier run's wording of the same
facts) or refreshed in place, and the run and its history recorded.

`app.store.ReviewStore.save_claims` checks the claims against their article and calls `write_claims` inside its
write transaction; the rules for what a re-run keeps, replaces or leaves alone change here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.history import append_event, claim_extracted
from app.models import Claim, ExtractionRun, alike_statements, same_statement
from app.store_schema import SaveClaimsResult

__all__ = ["write_claims"]


def _substance(claim: Claim) -> dict[str, Any]:
    """What a claim says and where it came from, without the time it was made."""
    return claim.model_dump(exclude={"provenance": {"created_at"}})


def write_claims(
    conn: sqlite3.Connection,
    article_id: str,
    claims: Sequence[Claim],
    *,
    run: ExtractionRun | None,
    actor: str,
    now: datetime,
) -> SaveClaimsResult:
    """Store new claims of one article (idempotent by Claim.id), the run and history, in the caller's write
    transaction; `now` is the time of the save."""
    added = unchanged = upgraded = 0
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
        superseded = _supersede_overlapping(conn, claim, stored, batch, actor=actor, at=now)
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
                now.isoformat(),
                claim.model_dump_json(),
            ),
        )
        if cur.rowcount == 0:
            if _refresh_unreviewed_claim(conn, claim, stored.get(claim.id)):
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
            (article_id, run.started_at.isoformat(), run.model_dump_json()),
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


def _refresh_unreviewed_claim(conn: sqlite3.Connection, claim: Claim, current: tuple[Claim, bool] | None) -> bool:
    """Replace a stored claim nobody has reviewed by a new extraction of the same span that says something
    different: a model's rewrite of a scorer-only claim, or a later extractor's corrected claimant or type.
    A scorer-only run never replaces a model's claim, and a claim with a review keeps what the reviewer saw.
    `current` is the stored claim with whether it is reviewed (write_claims' map of the article's claims)."""
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
