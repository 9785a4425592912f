"""Eight processes write reviews to one SQLite file at once: no write is lost and every conflict is reported."""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from app.config import Settings
from app.errors import ConflictError
from app.models import Claim, Provenance, claim_id_for, utcnow
from app.store import ReviewStore
from retrieval.models import Article, content_id

PROCESSES = 8
WRITES = 200
CLAIMS = 6  # few claims shared by all processes, so conflicts really happen


def _worker(
    db_path: str,
    scale: dict[str, int | None],
    claim_ids: list[str],
    number: int,
    barrier: Any,
    results: Any,
) -> None:
    """Save WRITES reviews; on a conflict reload and retry, counting it. Reports its tallies on `results`."""
    rng = random.Random(number)
    actor = f"worker-{number}"
    saved: Counter[str] = Counter()
    conflicts: Counter[str] = Counter()
    stale_but_not_newer = 0
    labels = list(scale)
    try:
        store = ReviewStore(Path(db_path), rating_scale=scale)
        barrier.wait(timeout=60)  # start writing together
        for i in range(WRITES):
            cid = rng.choice(claim_ids)
            while True:
                review = store.get_review(cid)
                change = review.model_copy(
                    update={"notes": f"{actor}:{i}", "verdict": rng.choice(labels), "status": "in_progress"}
                )
                # Widen the load -> save window a little so other processes get in between.
                time.sleep(rng.random() * 0.002)
                try:
                    store.save_review(change, actor=actor)
                except ConflictError as exc:
                    conflicts[cid] += 1
                    if exc.current is None or exc.current.version <= review.version:  # type: ignore[attr-defined]
                        stale_but_not_newer += 1
                    continue
                saved[cid] += 1
                break
        store.close()
        results.put({"saved": dict(saved), "conflicts": dict(conflicts), "bogus": stale_but_not_newer})
    except BaseException as exc:  # report instead of hanging the parent
        results.put({"error": repr(exc)})


def _seed(settings: Settings) -> list[str]:
    text = "Concurrency article\n\n" + " ".join(f"Sentence number {i} states a checkable fact." for i in range(CLAIMS))
    article = Article(id=content_id(text), title="Concurrency article", source="test", text=text, ingested_at=utcnow())
    claims = []
    for i in range(CLAIMS):
        quote = f"Sentence number {i} states a checkable fact."
        start = text.index(quote)
        claims.append(
            Claim(
                id=claim_id_for(article.id, start, start + len(quote)),
                article_id=article.id,
                quote=quote,
                start=start,
                end=start + len(quote),
                statement=quote,
                checkworthiness=0.5,
                provenance=Provenance(extractor="scorer", model="none"),
            )
        )
    with ReviewStore.open(settings) as store:  # create the schema once, before the workers race to open it
        store.upsert_article(article)
        store.save_claims(article.id, claims)
    return [c.id for c in claims]


def test_eight_processes_lose_no_write_and_report_every_conflict(settings: Settings) -> None:
    claim_ids = _seed(settings)
    scale = settings.ratings()
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(str(settings.db_path), scale, claim_ids, n, barrier, results))
        for n in range(PROCESSES)
    ]
    started = time.monotonic()
    for p in procs:
        p.start()
    reports = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    elapsed = time.monotonic() - started
    assert [r.get("error") for r in reports] == [None] * PROCESSES

    saved: Counter[str] = Counter()
    conflicts: Counter[str] = Counter()
    for r in reports:
        saved.update(r["saved"])
        conflicts.update(r["conflicts"])
        assert r["bogus"] == 0  # every ConflictError carried a newer stored state
    assert sum(saved.values()) == PROCESSES * WRITES
    assert sum(conflicts.values()) > 0, "the test did not produce any conflict"

    with ReviewStore.open(settings) as store:
        for cid in claim_ids:
            events = store.history(cid)
            kept = [e for e in events if e.action == "review_saved"]
            refused = [e for e in events if e.action == "review_conflict"]
            review = store.get_review(cid)
            # no lost write: the version counts every successful save, and so does the history
            assert review.version == saved[cid]
            assert len(kept) == saved[cid]
            assert [e.changes["version"] for e in kept] == list(range(1, saved[cid] + 1))
            # the last recorded save is what is stored
            assert kept[-1].changes["diff"].get("notes", {}).get("new", review.notes) == review.notes
            assert kept[-1].actor == review.reviewer
            # every conflict the processes saw is one the store recorded, and no more
            assert len(refused) == conflicts[cid]
    print(f"{PROCESSES}x{WRITES} writes, {sum(conflicts.values())} conflicts, {elapsed:.1f}s")
