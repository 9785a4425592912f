"""The facade the UI (and later the CLI) calls: one object that opens the corpus, review store and extractor lazily.

Nothing slow happens on import or construction; each component opens on first use and is kept for the life of
the object, so the Streamlit app caches one Workbench per settings and reruns stay cheap. The review queues it
shares between sessions live in `app.review_queue`, the earlier versions' decisions in `app.earlier_versions`,
turning a review form into a Review in `app.review_submission`, and which passages count as evidence in
`app.evidence`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.config import Settings
from app.earlier_versions import earlier_drafts, earlier_reviews
from app.errors import ExtractionError, RetrievalError, StoreError, WorkbenchError
from app.evidence import fused_by_rank, is_the_quote
from app.highlight import Highlight, claim_highlights
from app.models import Article, CitedEvidence, Claim, Draft, Evidence, ExtractionRun, HistoryEvent, Review
from app.page_reading import article_body_html, quote_context_html
from app.repeated_claims import DecidedSentences, decided_elsewhere, reviews_elsewhere, split_verdicts
from app.review_queue import QueueFilter, SharedQueues
from app.review_submission import Rejection, form_review, reject_unstarted
from retrieval.pages import page_at, page_name

if TYPE_CHECKING:
    from app.corpus import Corpus, IngestReport, SourceOutcome
    from app.extraction import ExtractionResult
    from app.reports import Report, ReportOptions
    from app.store import ArticleSummary, DashboardStats, ReviewStore
    from app.store_queries import QueueKey

__all__ = ["Workbench"]

ProgressCallback = Callable[[int, int], None]
IngestProgress = Callable[[int, int, str], None]

UPLOAD_TYPES = ("txt", "md", "html", "htm", "pdf")


class Workbench:
    """Corpus + review store + extraction behind one object built from Settings."""

    def __init__(
        self,
        settings: Settings,
        *,
        corpus: Corpus | None = None,
        store: ReviewStore | None = None,
        scorer: Any = None,
        llms: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self._corpus = corpus
        self._store = store
        self._scorer: Any = scorer
        # Pre-built LLM handles by spec (tests and benchmarks inject fakes here); others load on first use.
        self._llms: dict[str, Any] = dict(llms or {})
        self._lock = threading.RLock()  # Streamlit runs sessions on threads; open each component once.
        # Review queues by filters, shared by every session of this server (see shared_queue).
        self._queues = SharedQueues()
        # Decided sentences with their keys, read again after the review store changes (see app.repeated_claims).
        self._decided = DecidedSentences()

    @property
    def upload_limit_mb(self) -> int:
        """The uploader's per-file limit in Streamlit's megabytes (MiB), rounded up from the ingest size cap so a
        file the uploader lets through but ingest refuses still gets ingest's own message."""
        return max(1, -(-self.settings.max_source_bytes // 2**20))

    # ---- components -------------------------------------------------------------------------------------
    @property
    def corpus(self) -> Corpus:
        """The document corpus (Chroma + BM25), opened on first use."""
        with self._lock:
            if self._corpus is None:
                from app.corpus import Corpus

                self._corpus = Corpus.open(self.settings)
            return self._corpus

    @property
    def store(self) -> ReviewStore:
        """The review store (SQLite), opened on first use."""
        with self._lock:
            if self._store is None:
                from app.store import ReviewStore

                self._store = ReviewStore.open(self.settings)
            return self._store

    def close(self) -> None:
        """Close the review store if it was opened (the corpus needs no closing)."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def scorer(self) -> Any:
        """The check-worthiness scorer, loaded once."""
        if self._scorer is None:
            embedder = self.corpus.embedder  # reuse the corpus's MiniLM session instead of loading a second one
            with self._lock:
                if self._scorer is None:
                    from app.checkworthiness import CheckworthinessScorer

                    self._scorer = CheckworthinessScorer.load(
                        embedder=embedder, threshold=self.settings.extraction_threshold
                    )
        return self._scorer

    def llm(self, spec: str | None) -> Any:
        """The LLM for `spec` ("none" -> None, scorer only); each model loads once."""
        key = spec or self.settings.llm
        if key == "none":
            return None
        with self._lock:
            if key not in self._llms:
                from app.llm import build_llm

                self._llms[key] = build_llm(self.settings, spec=key)
            return self._llms[key]

    def llm_choices(self) -> list[str]:
        """LLM choices for extraction: the configured one first, then "none" (scorer only, fast)."""
        return list(dict.fromkeys([self.settings.llm, *self._llms, "none"]))

    def ratings(self) -> dict[str, int | None]:
        """The verdict scale: label -> ClaimReview rating."""
        return self.settings.ratings()

    # ---- articles ---------------------------------------------------------------------------------------
    def articles(self) -> list[ArticleSummary]:
        """Articles with claim counts and review progress."""
        return self.store.articles()

    def replaced_versions(self) -> dict[str, tuple[str, datetime | None]]:
        """Earlier versions: article id -> (the newer version's id, when it replaced it). One light read, where
        only this is wanted (the article list counts every claim and review)."""
        return self.store.replaced_versions()

    def get_article(self, article_id: str) -> Article | None:
        """One article with its text, from the review store (mirrored at ingest) or else the corpus."""
        article = self.store.get_article(article_id)
        if article is None:
            try:
                article = self.corpus.get_article(article_id)
            except RetrievalError:
                return None
            self.store.upsert_article(article)
        return article

    def _mirror_unchanged(self, outcomes: Sequence[SourceOutcome]) -> None:
        # The corpus only reports new or replaced articles; an unchanged one may still be missing from the
        # review store (e.g. a fresh review database over an existing corpus), so fill those gaps here.
        for outcome in outcomes:
            if outcome.status in ("unchanged", "rechunked") and outcome.article_id:
                copy = self.get_article(outcome.article_id)
                if copy is not None and outcome.pages_recorded:
                    # A PDF mirrored before its pages (or their labels) were recorded: the corpus has just done so.
                    with contextlib.suppress(RetrievalError):
                        self.store.upsert_article(self.corpus.get_article(copy.id))

    def _mirror(self, on_article: Callable[[Article, str], None] | None) -> Callable[[Article, str], None]:
        def mirror(article: Article, status: str) -> None:
            self.store.upsert_article(article)
            if status == "replaced":
                # The corpus removed its other versions of this source (an upload never replaces anything: two
                # files of one name are two articles), so the review store marks its copies of them earlier.
                self.store.mark_current(article.id)
            if on_article is not None:
                on_article(article, status)

        return mirror

    def ingest_paths(
        self,
        sources: Sequence[str],
        progress: IngestProgress | None = None,
        on_article: Callable[[Article, str], None] | None = None,
        *,
        private_urls: bool = True,
    ) -> IngestReport:
        """Ingest files, folders or URLs; every article stored in the corpus is mirrored into the review store."""
        report = self.corpus.ingest(
            list(sources), progress=progress, on_article=self._mirror(on_article), private_urls=private_urls
        )
        self._mirror_unchanged(report.outcomes)
        return report

    def ingest_urls(self, urls: Sequence[str], progress: IngestProgress | None = None) -> list[SourceOutcome]:
        """Ingest web pages; anything that is not an http(s) URL is refused (the UI must not read server files),
        and so are addresses on this machine or a private network unless settings.allow_private_urls (a workbench
        shared on the network must not fetch internal pages for its visitors)."""
        from app.corpus import SourceOutcome

        wanted = [u.strip() for u in urls if u.strip()]
        web = [u for u in wanted if u.lower().startswith(("http://", "https://"))]
        refused = [
            SourceOutcome(u, "failed", message="not an http(s) URL; upload files with the file picker instead")
            for u in wanted
            if u not in web
        ]
        private = self.settings.allow_private_urls
        outcomes = self.ingest_paths(web, progress=progress, private_urls=private).outcomes if web else []
        return refused + outcomes

    def ingest_upload(self, name: str, data: bytes) -> SourceOutcome:
        """Ingest one uploaded file's bytes (name decides the format); the article is mirrored into the store."""
        outcome = self.corpus.ingest_bytes(name, data, on_article=self._mirror(None))
        self._mirror_unchanged([outcome])
        if outcome.status == "added" and outcome.article_id:
            # An upload has no path to tell a new version from another file of the same name: say so.
            base = name.replace("\\", "/").rsplit("/", 1)[-1]
            namesakes = [
                a.source
                for a in self.store.articles()
                if a.id != outcome.article_id and a.replaced_by is None and a.source.rsplit("/", 1)[-1] == base
            ]
            if namesakes:
                note = (
                    f"the library already has an article from a file named {base} ({', '.join(namesakes[:3])}); "
                    "an upload is always a new article, never a new version of one: if it is one, delete the older "
                    "article, or ingest the file with `claimdesk ingest PATH`, which replaces it"
                )
                outcome.message = f"{outcome.message}; {note}" if outcome.message else note
        return outcome

    def ingest_new_version(self, article_id: str, name: str, data: bytes) -> SourceOutcome:
        """Ingest an uploaded file as the new version of a stored article: recorded under that article's source,
        it replaces the current text in the corpus, and the review store marks the old version earlier."""
        from app.corpus import SourceOutcome

        current = next((a for a in self.store.articles() if a.id == article_id), None)
        if current is None:
            return SourceOutcome(name, "failed", message=f"no article {article_id} in the library")
        outcome = self.corpus.ingest_bytes(name, data, on_article=self._mirror(None), version_of=current.source)
        self._mirror_unchanged([outcome])
        if outcome.status == "unchanged" and outcome.article_id == article_id:
            outcome.message = "the same text as the article's current version: nothing changed"
        return outcome

    def chunking_notice(self) -> str | None:
        """Why ingest chunks otherwise than this workspace's settings (a shared collection's size, or another
        claimdesk version's chunker there), or None."""
        return self.corpus.chunking_notice()

    def ingest_uploads(
        self, files: Sequence[tuple[str, bytes]], progress: IngestProgress | None = None
    ) -> list[SourceOutcome]:
        """Ingest several uploads, one outcome each; a failing file never stops the others."""
        outcomes = []
        for i, (name, data) in enumerate(files):
            if progress is not None:
                progress(i, len(files), name)
            outcomes.append(self.ingest_upload(name, data))
        if progress is not None:
            progress(len(files), len(files), "")
        return outcomes

    def delete_article(self, article_id: str, actor: str = "ui") -> tuple[int, int]:
        """Delete an article from the corpus and the review store (claims and reviews with it).

        Returns (claims removed, reviews removed); StoreError when neither knows the article."""
        in_corpus = self.corpus.delete(article_id)
        try:
            return self.store.delete_article(article_id, actor=actor)
        except StoreError:
            # Not mirrored in the review store (e.g. ingested before the store existed): the corpus decides.
            if not in_corpus:
                raise
        return 0, 0

    # ---- claims -----------------------------------------------------------------------------------------
    def extract(
        self, article_id: str, llm_spec: str | None = None, progress: ProgressCallback | None = None
    ) -> ExtractionResult:
        """Extract claims from an article and store them with the run; "none" = check-worthiness scorer only."""
        from app.extraction import build_extractor

        article = self.get_article(article_id)
        if article is None:
            raise StoreError(f"Article {article_id} is not in the store; ingest it again from the Library page.")
        extractor = build_extractor(self.settings, self.llm(llm_spec), self.scorer())
        try:
            result = extractor.extract(article, progress=progress)
        except ExtractionError as exc:
            # Nothing lost: claims validated before the model gave up still reach the reviewer.
            kept = [c for c in exc.kept if isinstance(c, Claim)]
            run = exc.run if isinstance(exc.run, ExtractionRun) else None
            if kept or run is not None:
                self.store.save_claims(article_id, kept, run=run)  # the failed run is recorded too
            if kept:
                raise ExtractionError(
                    f"{exc} {len(kept)} claim(s) validated before it gave up were saved.",
                    attempts=exc.attempts,
                    last_output=exc.last_output,
                    kept=exc.kept,
                ) from exc
            raise
        self.store.save_claims(article_id, result.claims, run=result.run)
        return result

    def claims_with_reviews(self, article_id: str) -> list[tuple[Claim, Review]]:
        """An article's claims and their reviews, most check-worthy first."""
        pairs = self.store.queue(article_id=article_id)
        return sorted(pairs, key=lambda p: (-p[0].checkworthiness, p[0].start))

    def queue(
        self,
        *,
        article_id: str | None = None,
        status: str | None = None,
        verdict: str | None = None,
        claim_type: str | None = None,
    ) -> list[tuple[Claim, Review]]:
        """Claims to review, filtered, most check-worthy first (the store's order: check-worthiness, then article,
        place in it and id)."""
        return self.store.queue(article_id=article_id, status=status, verdict=verdict, claim_type=claim_type)

    def shared_queue(self, filters: QueueFilter | None = None) -> list[str]:
        """The claim ids of `queue` for these filters, in its order, kept for every session of this Workbench (see
        SharedQueues.shared_queue). A new list each call: callers may change theirs."""
        return self._queues.shared_queue(self.store, filters)

    def queue_since(self, earlier: list[QueueKey], revision: int, filters: QueueFilter | None = None) -> list[QueueKey]:
        """The queue now, from `earlier`, the same filters' queue read at `revision`, patched with only the claims
        whose review changed when nothing else did (see SharedQueues.queue_since)."""
        return self._queues.queue_since(self.store, earlier, revision, filters)

    def forget_queues(self) -> None:
        """Drop the kept queues: the next shared_queue reads the store afresh."""
        self._queues.forget_queues()

    def claims_and_reviews(self, claim_ids: Collection[str]) -> dict[str, tuple[Claim, Review]]:
        """These claims (of any version) with their reviews, by id; a claim deleted since is not there."""
        return {
            claim.id: (claim, review) for claim, review in self.store.queue(claim_ids=claim_ids, include_replaced=True)
        }

    def get_claim(self, claim_id: str) -> Claim | None:
        """One claim by id."""
        return self.store.get_claim(claim_id)

    def get_review(self, claim_id: str) -> Review:
        """The current review of a claim (version 0 when nobody has saved one)."""
        return self.store.get_review(claim_id)

    def earlier_reviews(self, claim: Claim) -> list[tuple[ArticleSummary, Claim, Review]]:
        """Reviews of the same sentence in earlier versions of the claim's article, exact matches first, then newest
        first; only shown, never applied (see app.earlier_versions)."""
        return earlier_reviews(self.store, claim)

    def reviews_elsewhere(self, claim: Claim) -> list[tuple[ArticleSummary, Claim, Review]]:
        """Reviews of the same sentence in other articles (a wire copy, a repeated quote), exact matches first;
        only shown, never applied (see app.repeated_claims)."""
        return reviews_elsewhere(self.store, claim, self._decided)

    def decided_elsewhere(self, claims: Sequence[Claim]) -> set[str]:
        """Ids of those claims whose sentence was decided in another article (see app.repeated_claims)."""
        return decided_elsewhere(self.store, claims, self._decided)

    def split_verdicts(self) -> list[list[tuple[ArticleSummary, Claim, Review]]]:
        """Sentences reviewed in several articles with different verdicts (see app.repeated_claims)."""
        return split_verdicts(self.store, self._decided)

    def earlier_drafts(self, claim: Claim, reviewer: str) -> list[tuple[ArticleSummary, Claim, Draft]]:
        """`reviewer`'s unsaved drafts on the same sentence in earlier versions of the claim's article, exact
        matches first."""
        return earlier_drafts(self.store, claim, reviewer)

    def keep_draft(self, draft: Draft) -> None:
        """Keep a reviewer's unsaved form for a claim across reloads (see ReviewStore.save_draft)."""
        self.store.save_draft(draft)

    def drafts(self, reviewer: str) -> list[Draft]:
        """A reviewer's unsaved drafts, most recent first."""
        return self.store.drafts(reviewer)

    def drop_draft(self, claim_id: str, reviewer: str) -> None:
        """Forget a reviewer's draft of a claim."""
        self.store.delete_draft(claim_id, reviewer)

    def history(self, claim_id: str) -> list[HistoryEvent]:
        """The claim's append-only history, oldest first."""
        return self.store.history(claim_id)

    # ---- rendering helpers (escaped HTML; the pages only place it) ---------------------------------------
    def article_view(self, article_id: str) -> str:
        """The article as escaped HTML with every claim's quote highlighted by status or verdict."""
        article = self.get_article(article_id)
        if article is None:
            raise StoreError(f"Article {article_id} is not in the store; ingest it again from the Library page.")
        pairs = self.store.queue(article_id=article_id)
        return article_body_html(article, claim_highlights(pairs, self.ratings()))

    def quote_in_context(self, claim: Claim, review: Review | None = None, *, paragraphs_before: int = 0) -> str:
        """The claim's paragraph, after the `paragraphs_before` paragraphs that precede it (what a claim that needs
        context leans on: "in response" to what?), as escaped HTML with the quote highlighted."""
        article = self.get_article(claim.article_id)
        if article is None:
            return ""
        [mark] = claim_highlights([(claim, review)], self.ratings())
        focus = Highlight(mark.start, mark.end, mark.category, mark.title)
        return quote_context_html(article, focus, before=paragraphs_before)

    def quote_page(self, claim: Claim) -> str | None:
        """The PDF page the claim's quote begins on, as the Review page names it ("page 3 of the PDF", or "page 12 as
        printed, page 14 of the PDF" when the PDF labels its pages); None for an article without pages."""
        article = self.get_article(claim.article_id)
        page = page_at(article.page_starts, claim.start) if article is not None else None
        if article is None or page is None:
            return None
        name = page_name(article.page_labels, page)
        return f"page {page} of the PDF" if name == str(page) else f"page {name} as printed, page {page} of the PDF"

    # ---- evidence ---------------------------------------------------------------------------------------
    @staticmethod
    def default_query(claim: Claim, review: Review | None = None) -> str:
        """The evidence query for a claim: the reviewer's wording if edited, else the model's statement."""
        if review is not None and review.edited_statement:
            return review.edited_statement
        return claim.statement

    def evidence_for(self, claim: Claim, query: str | None = None, k: int = 6) -> tuple[list[Evidence], list[Evidence]]:
        """Evidence for a claim: (passages in its own article, passages elsewhere in the corpus)."""
        text = (query or "").strip() or claim.statement
        own = [claim.article_id]
        inside = self.corpus.search(text, k=k, only_article_ids=own)
        inside = [ev for ev in inside if not is_the_quote(ev, claim)]
        article = self.get_article(claim.article_id)
        if article is None or not article.title.strip() or text != self.default_query(claim, self.get_review(claim.id)):
            return inside, self.corpus.search(text, k=k, exclude_article_ids=own)
        # The claim's own words often do not name its story ("He said the company offered one week per year"), and
        # other stories sharing its names, roles or figures came first. A search with the article's title added,
        # fused with the plain one by rank, keeps the passages of the same story on top. Not for a query the
        # reviewer typed: that one is searched as written.
        plain = self.corpus.search(text, k=2 * k, exclude_article_ids=own)
        titled = self.corpus.search(f"{text} {article.title}", k=2 * k, exclude_article_ids=own)
        elsewhere = fused_by_rank([titled, plain])[:k]
        return inside, elsewhere

    # ---- reviews ----------------------------------------------------------------------------------------
    def save_review(self, review: Review, actor: str) -> Review:
        """Save a review; raises ConflictError (with `.current`) when someone else saved a newer version."""
        return self.store.save_review(review, actor=actor)

    def submit_review(
        self,
        claim: Claim,
        *,
        base: Review,
        reviewer: str,
        verdict: str | None,
        notes: str = "",
        statement: str | None = None,
        cited: Sequence[Evidence | CitedEvidence] = (),
        not_checkable: bool = False,
        claimant: str | None = None,
    ) -> Review:
        """Turn a reviewer's form into a Review on top of `base` (the version they started from) and save it.

        `claimant` is what the form's claimant box says (None: the form has none, keep `base`'s). Returns `base`
        itself, unsaved, when the form says exactly what `base` says."""
        reviewer = reviewer.strip()
        if not reviewer:
            raise WorkbenchError("Enter your name as reviewer before saving, so the history shows who decided.")
        if verdict is not None and verdict not in self.ratings():
            raise WorkbenchError(f"Unknown verdict {verdict!r}; pick one from the configured rating scale.")
        review = form_review(
            claim,
            base=base,
            reviewer=reviewer,
            verdict=verdict,
            notes=notes,
            statement=statement,
            cited=cited,
            not_checkable=not_checkable,
            claimant=claimant,
        )
        if review is base:
            return base
        return self.save_review(review, actor=reviewer)

    def reject_claims(self, claim_ids: Sequence[str], reviewer: str) -> Rejection:
        """Mark those of `claim_ids` that nobody has started not checkable, in one go (see reject_unstarted)."""
        reviewer = reviewer.strip()
        if not reviewer:
            raise WorkbenchError("Enter your name as reviewer first, so the history shows who decided.")
        pairs = self.store.queue(claim_ids=list(claim_ids), include_replaced=True)
        return reject_unstarted(pairs, reviewer, lambda review: self.save_review(review, actor=reviewer))

    # ---- dashboard and reports --------------------------------------------------------------------------
    def stats(self) -> DashboardStats:
        """Counts by status and verdict, and progress per article."""
        return self.store.stats()

    def report(self, options: ReportOptions) -> Report:
        """The report `options` ask for, built once so it can be rendered in every format."""
        from app.reports import build_report

        return build_report(self.store, options, publisher_name=self.settings.publisher_name)

    def render(self, report: Report, fmt: str) -> str:
        """`report` in `fmt` (md | html | csv | json | claimreview); ExportError if impossible."""
        from app.reports import export

        return export(report, fmt, settings=self.settings)  # type: ignore[arg-type]

    def revision(self) -> int:
        """Grows with every change to claims, reviews and articles: a prepared report older than it is stale."""
        return self.store.revision()

    def export(self, fmt: str, options: ReportOptions | None = None) -> str:
        """A report of the review store in `fmt` (md | html | csv | json | claimreview); ExportError if impossible."""
        from app.reports import ReportOptions

        return self.render(self.report(options or ReportOptions()), fmt)
