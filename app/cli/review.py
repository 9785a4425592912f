"""CLI commands: `review` (set a verdict, cite evidence, note, edit or reject a claim), `reject` (several claims
nobody has started, not checkable together) and `history`."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import typer

from app.errors import StoreError
from app.grounding import echo_note

if TYPE_CHECKING:
    from app.config import Settings
    from app.models import CitedEvidence, HistoryEvent, Review
    from app.store import ArticleSummary, ReviewStore
    from retrieval.models import Chunk

__all__ = [
    "ChunkSource",
    "StoredArticleChunks",
    "apply_change",
    "format_event",
    "open_corpus",
    "register",
    "resolve_evidence",
]


class ChunkSource(Protocol):
    """Anything that lists an article's chunks (the corpus; a fake in tests)."""

    def chunks(self, article_id: str) -> Sequence[Chunk]:
        """The chunks of one article, in order."""
        ...


class StoredArticleChunks:
    """Chunks recomputed from the store's copy of an article: the ingest ids, while chunk_size is unchanged."""

    def __init__(self, store: ReviewStore, chunk_size: int) -> None:
        self._store = store
        self._chunk_size = chunk_size

    def chunks(self, article_id: str) -> Sequence[Chunk]:
        """The article's chunks, or none when the store has no copy of it."""
        from retrieval.chunking import chunk_article

        article = self._store.get_article(article_id)
        return chunk_article(article, self._chunk_size) if article is not None else []


def open_corpus(settings: Settings) -> ChunkSource | None:
    """The corpus the evidence ids point into (None in a build without app.corpus); the one place to switch."""
    try:
        from app.corpus import Corpus
    except ImportError:
        return None
    source: ChunkSource = Corpus.open(settings)
    return source


def _find(
    wanted: list[str], found: dict[str, CitedEvidence], summaries: dict[str, ArticleSummary], source: ChunkSource
) -> None:
    from app.models import CitedEvidence

    for article_id, summary in summaries.items():
        if len(found) == len(wanted):
            return
        for chunk in source.chunks(article_id):
            if chunk.id in wanted and chunk.id not in found:
                found[chunk.id] = CitedEvidence(
                    chunk_id=chunk.id,
                    article_id=chunk.article_id,
                    title=summary.title,
                    source=summary.source,
                    text=chunk.text,
                    start=chunk.start,
                    end=chunk.end,
                    page=chunk.page,
                    page_end=chunk.page_end,
                    page_label=chunk.page_label,
                    page_end_label=chunk.page_end_label,
                )


def resolve_evidence(
    chunk_ids: Sequence[str],
    *,
    store: ReviewStore,
    source: ChunkSource,
    fallback: Callable[[], ChunkSource | None] | None = None,
) -> list[CitedEvidence]:
    """Find each chunk id among the stored articles' chunks and freeze its text, title and source.

    `source` is tried first; `fallback` (opened only if needed, e.g. the corpus) for ids it does not know.
    """
    from app.models import CitedEvidence

    wanted = list(dict.fromkeys(chunk_ids))
    found: dict[str, CitedEvidence] = {}
    every = store.articles()
    summaries = {a.id: a for a in every if a.replaced_by is None}
    _find(wanted, found, summaries, source)
    if len(found) < len(wanted) and fallback is not None:
        other = fallback()
        if other is not None:
            try:
                _find(wanted, found, summaries, other)
                # Passages of articles that were ingested but never extracted (so not in the store): by id.
                lookup = getattr(other, "passages", None)
                if callable(lookup):
                    for ev in lookup([cid for cid in wanted if cid not in found]):
                        found[ev.chunk_id] = CitedEvidence.from_evidence(ev)
            finally:
                close = getattr(other, "close", None)
                if callable(close):
                    close()
    missing = [cid for cid in wanted if cid not in found]
    if missing:
        # A passage of an earlier version of a changed source is text that source no longer has.
        earlier: dict[str, CitedEvidence] = {}
        _find(missing, earlier, {a.id: a for a in every if a.replaced_by is not None}, source)
        if earlier:
            stale = next(iter(earlier.values()))
            raise StoreError(
                f"Evidence {stale.chunk_id} is a passage of an earlier version of {stale.source}, replaced by a "
                "newer version: cite the current version's passage instead (`claimdesk search`)."
            )
        raise StoreError(
            f"Unknown evidence chunk id(s): {', '.join(missing)}. Cite chunk ids shown by `claimdesk search` "
            "for an ingested article."
        )
    return [found[cid] for cid in wanted]


def apply_change(
    review: Review,
    *,
    verdict: str | None,
    evidence: Sequence[CitedEvidence],
    note: str | None,
    reviewer: str,
    status: str | None,
    statement: str | None,
    not_checkable: bool,
    checkable: bool = False,
) -> Review:
    """The loaded review with the command's changes applied (same version, so the save is checked).

    A verdict and "not checkable" exclude each other, as in the workbench: marking a claim not checkable clears its
    verdict, and a claim marked not checkable gets a verdict only together with `checkable` (restoring it)."""
    if verdict is not None and not_checkable:
        raise StoreError("A claim is either not checkable or has a verdict; give --verdict or --not-checkable.")
    if verdict is not None and review.not_checkable and not checkable:
        raise StoreError(
            f"Claim {review.claim_id} is marked not checkable; add --checkable to restore it and give it a verdict."
        )
    cited = list(review.evidence)
    have = {e.chunk_id for e in cited}
    cited.extend(e for e in evidence if e.chunk_id not in have)
    if status is None:
        # A verdict or a rejection finishes the review; anything else only moves it along.
        decided = verdict is not None or not_checkable
        status = "reviewed" if decided else ("in_progress" if review.status == "unreviewed" else review.status)
    update: dict[str, Any] = {"evidence": cited, "reviewer": reviewer, "status": status}
    if verdict is not None:
        update["verdict"] = verdict
    if note is not None:
        update["notes"] = note
    if statement is not None:
        update["edited_statement"] = statement
    if not_checkable:
        update["not_checkable"] = True
        update["verdict"] = None
    elif checkable:
        update["not_checkable"] = False
        if verdict is None and review.not_checkable:
            update["status"] = "in_progress"  # restored, not yet decided
    return review.model_copy(update=update)


def format_event(event: HistoryEvent) -> str:
    """One readable line: time, actor, action, changes; a cited passage follows on its own indented lines (title,
    source and its text, which the one-line summary would cut)."""
    changes = event.changes
    passages = changes.get("passages") if event.action == "evidence_cited" else None
    if not isinstance(passages, list) or not passages:
        return f"{event.at:%Y-%m-%d %H:%M:%S}  {event.actor}  {event.action}  {event.summary()}"
    lines = [f"{event.at:%Y-%m-%d %H:%M:%S}  {event.actor}  {event.action}  {len(passages)} passage(s)"]
    from retrieval.pages import page_suffix

    def number(value: object) -> int | None:
        return value if isinstance(value, int) else None

    def name(value: object) -> str | None:
        return value if isinstance(value, str) else None

    for p in passages:
        if isinstance(p, dict):
            pages = page_suffix(
                number(p.get("page")),
                number(p.get("page_end")),
                name(p.get("page_label")),
                name(p.get("page_end_label")),
            )
            lines.append(f"    [{p.get('chunk_id')}] {p.get('title') or ''}{pages} <{p.get('source') or ''}>")
            lines.append(textwrap.indent(textwrap.fill(str(p.get("text") or ""), 100), "      "))
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""

    @app.command("review")
    def review_cmd(
        claim_id: str = typer.Argument(..., help="Claim id (see `claimdesk claims`)."),
        reviewer: str = typer.Option(..., "--reviewer", help="Your name, recorded in the history."),
        verdict: str | None = typer.Option(None, "--verdict", help="A label of the rating scale."),
        evidence: list[str] | None = typer.Option(None, "--evidence", help="Chunk id to cite (repeatable)."),
        note: str | None = typer.Option(None, "--note", help="Reviewer notes (replace the current notes)."),
        status: str | None = typer.Option(
            None, "--status", help="reviewed | in_progress (default: reviewed when a verdict is given)."
        ),
        statement: str | None = typer.Option(None, "--statement", help="Your wording of the claim."),
        claimant: str | None = typer.Option(
            None,
            "--claimant",
            help='Who makes the claim, if the extracted claimant is wrong ("" when nobody is named).',
        ),
        not_checkable: bool = typer.Option(False, "--not-checkable", help="Reject the claim as not checkable."),
        checkable: bool = typer.Option(False, "--checkable", help="Undo --not-checkable (restore the claim)."),
    ) -> None:
        """Save a verdict, cited evidence and notes for one claim."""
        from app.config import get_settings
        from app.store import ReviewStore

        if not reviewer.strip():
            raise typer.BadParameter("give your name; it is recorded in the history", param_hint="--reviewer")
        if statement is not None and not statement.strip():
            raise typer.BadParameter(
                "the statement is blank; leave --statement out to keep the extracted one", param_hint="--statement"
            )
        if status is not None and status not in ("reviewed", "in_progress"):
            raise StoreError(f"Unknown status {status!r}. Use --status reviewed or --status in_progress.")
        settings = get_settings()
        with ReviewStore.open(settings) as store:
            label = store.canonical_verdict(verdict)
            claim = store.get_claim(claim_id)
            if claim is None:
                raise StoreError(f"No claim with id {claim_id!r}; `claimdesk claims` lists the stored claims.")
            newer = store.replaced_versions().get(claim.article_id)
            if newer is not None:
                typer.echo(
                    f"Note: claim {claim_id} belongs to an earlier version of its article, replaced by {newer[0]}"
                    f"{f' on {newer[1]:%Y-%m-%d}' if newer[1] else ''}; its quote is text the source no longer has, "
                    "and its review stays out of reports unless earlier versions are included.",
                    err=True,
                )
            cited = (
                resolve_evidence(
                    evidence,
                    store=store,
                    source=StoredArticleChunks(store, settings.chunk_size),
                    fallback=lambda: open_corpus(settings),
                )
                if evidence
                else []
            )
            from app.report_formats import OWN_ARTICLE  # (jinja2 and the report models: not on every command's start)
            from app.review_submission import same_decision

            for ev in cited:
                if ev.article_id == claim.article_id:
                    own = f'is from the claim\'s own article; reports list it as "{OWN_ARTICLE}"'
                    typer.echo(f"Note: evidence {ev.chunk_id} {own}.", err=True)
                elif echo := echo_note(claim.quote, ev.text):
                    typer.echo(f"Note: evidence {ev.chunk_id}: {echo}", err=True)
            current = store.get_review(claim_id)
            change = apply_change(
                current,
                verdict=label,
                evidence=cited,
                note=note,
                reviewer=reviewer,
                status=status,
                statement=statement,
                not_checkable=not_checkable,
                checkable=checkable,
            )
            if claimant is not None:
                from app.models import edited_claimant

                change = change.model_copy(update={"edited_claimant": edited_claimant(claim, claimant)})
            if same_decision(current, change):
                # (saving it again would only add a version and a history line crediting it to this reviewer)
                typer.echo(f"Nothing to change: claim {claim_id} already says this (version {current.version}).")
                return
            saved = store.save_review(change, actor=reviewer)
            from app.repeated_claims import reviews_elsewhere

            elsewhere = reviews_elsewhere(store, claim)
        extra = " (not checkable)" if saved.not_checkable else ""
        typer.echo(
            f"Saved review of {claim_id} (version {saved.version}): status={saved.status}, "
            f"verdict={saved.verdict or '-'}{extra}, {len(saved.evidence)} evidence cited."
        )
        # The same sentence decided in another article (a wire copy, a quoted release): say so, and when the
        # decisions differ.
        for summary, other, review in elsewhere[:3]:
            differs = (review.verdict, review.not_checkable) != (saved.verdict, saved.not_checkable)
            typer.echo(
                f"Note: the same sentence is reviewed in {summary.title!r} ({summary.id}, claim {other.id}): "
                f"{review.decision}, by {review.reviewer or 'unknown reviewer'}"
                + (" - not what was saved here." if differs else "."),
                err=True,
            )

    @app.command("reject")
    def reject_cmd(
        claim_ids: list[str] = typer.Argument(..., help="Claim ids (see `claimdesk claims`)."),
        reviewer: str = typer.Option(..., "--reviewer", help="Your name, recorded in the history."),
    ) -> None:
        """Mark claims nobody has started not checkable, together (triage of opinions and colour).

        A claim someone started or decided is left as it is; `claimdesk review ID --checkable` restores one."""
        from app.config import get_settings
        from app.review_submission import reject_unstarted
        from app.store import ReviewStore

        name = reviewer.strip()
        if not name:
            raise typer.BadParameter("give your name; it is recorded in the history", param_hint="--reviewer")
        with ReviewStore.open(get_settings()) as store:
            pairs = store.queue(claim_ids=claim_ids, include_replaced=True)
            found = {claim.id for claim, _ in pairs}
            unknown = [c for c in dict.fromkeys(claim_ids) if c not in found]
            if unknown:  # before anything is saved: a mistyped id must not leave half a batch done
                raise StoreError(
                    f"No claim with id {unknown[0]!r}{f' (and {len(unknown) - 1} more)' if len(unknown) > 1 else ''}; "
                    "`claimdesk claims` lists the stored claims. Nothing was saved."
                )
            result = reject_unstarted(pairs, name, lambda review: store.save_review(review, actor=name))
        typer.echo(result.message())
        for claim_id in result.left:
            typer.echo(f"Left {claim_id}: it had been started or decided (`claimdesk history {claim_id}`).", err=True)
        for claim_id in result.conflicts:
            typer.echo(f"Left {claim_id}: another reviewer saved it meanwhile.", err=True)

    @app.command("history")
    def history_cmd(
        claim_id: str = typer.Argument(..., help="Claim id, or an article id for everything recorded about it."),
        as_json: bool = typer.Option(False, "--json", help="Print the events as JSON."),
    ) -> None:
        """Show who changed a claim (or an article and its claims), what and when (oldest first)."""
        from app.config import get_settings
        from app.store import ReviewStore

        with ReviewStore.open(get_settings()) as store:
            events = store.history(claim_id) or store.article_history(claim_id)
        if not events:
            raise StoreError(
                f"No history for {claim_id!r}; `claimdesk claims ARTICLE_ID` lists the stored claims and "
                "`claimdesk articles` the articles."
            )
        if as_json:
            typer.echo(json.dumps([e.model_dump(mode="json") for e in events], indent=2, ensure_ascii=False))
            return
        for event in events:
            typer.echo(format_event(event))
