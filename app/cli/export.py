"""CLI command `export`: write a verified-claim report as Markdown, HTML, CSV, JSON or ClaimReview JSON-LD.

When no claim matches (nothing reviewed yet, or filters too narrow) the command writes nothing and exits 1
with a hint: an empty report a journalist forwards by mistake is worse than a clear message, and an existing
file at the output path is left as it was. Likewise a refused ClaimReview export writes nothing.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from app.errors import ExportError, WorkbenchError

if TYPE_CHECKING:
    from app.config import Settings
    from app.reports import ExportFormat

__all__ = ["Format", "Written", "extension_mismatch", "is_stdout", "register", "write_output"]


class Format(StrEnum):
    """Export formats offered on the command line."""

    md = "md"
    html = "html"
    csv = "csv"
    json = "json"
    claimreview = "claimreview"


def _umask() -> int:
    """The process's umask (reading it means setting it; a CLI process has no other thread writing files)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Names of this process's standard output: writing "through" them with a rename would replace the /dev/stdout
# symlink (or the /proc entry) with a regular file instead of writing to the terminal or pipe.
_STDOUT_NAMES = frozenset({"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})

# Extensions that name one format (or, for JSON, the two JSON formats): a mismatch is worth a warning.
_EXTENSION_FORMATS: dict[str, tuple[str, ...]] = {
    ".md": ("md",),
    ".markdown": ("md",),
    ".html": ("html",),
    ".htm": ("html",),
    ".csv": ("csv",),
    ".json": ("json", "claimreview"),
    ".jsonld": ("claimreview", "json"),
}


def is_stdout(output: str) -> bool:
    """Whether `-o output` means standard output: '-', /dev/stdout, /dev/fd/1 or /proc/self/fd/1."""
    return output == "-" or os.path.normpath(output) in _STDOUT_NAMES


def extension_mismatch(output: str, fmt: str) -> str | None:
    """The file's extension when it names another format than `fmt` (`-f html -o report.csv`), else None."""
    if is_stdout(output):
        return None
    suffix = Path(output).suffix.lower()
    formats = _EXTENSION_FORMATS.get(suffix)
    return suffix if formats is not None and fmt not in formats else None


@dataclass(frozen=True)
class Written:
    """Where a report went: 'stdout' or the path given, and the existing file it replaced (if any)."""

    where: str
    replaced: str | None = None


def _not_a_file(path: Path, mode: int) -> ExportError:
    kind = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return ExportError(
        f"{path} is {kind}; nothing was written. Give a regular file with -o, or -o - for standard output."
    )


def write_output(text: str, output: str, fmt: str = "") -> Written:
    """Write `text` (UTF-8, line endings as rendered; CSV files get a BOM) to a file, or stdout for '-'.

    A symlink is followed: the file it points to is replaced, the link stays. An existing target that is not a
    regular file (directory, device, FIFO, socket) is refused; renaming over it would replace it, not write to it.
    """
    from app.reports import file_bytes

    if is_stdout(output):
        sys.stdout.write(text)
        sys.stdout.flush()
        return Written("stdout")
    path = Path(output).expanduser()
    target = Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:  # a symlink loop, a path through a file, no permission
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}; check the path.") from exc
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise ExportError(f"{path} is a directory; give a file name, e.g. -o {path / 'report.html'}.")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise _not_a_file(path, existing.st_mode)
    if not target.parent.is_dir():
        raise ExportError(f"Directory {target.parent} does not exist; create it or choose another -o path.")
    # Write beside the target, then rename: a failed export never leaves half a report behind.
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(file_bytes(text, fmt))
        # mkstemp makes the file private (0600); a report gets the mode a new file would (or the one it replaces).
        os.chmod(tmp, existing.st_mode & 0o777 if existing is not None else 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}; check the path and permissions.") from exc
    return Written(str(path), str(target) if existing is not None else None)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _in_corpus(settings: Settings, article_id: str) -> bool:
    """Whether the corpus holds `article_id` (asked only when the review store does not know it)."""
    from app.corpus import Corpus

    if not settings.use_chroma_server and not settings.chroma_path.exists():
        return False  # nothing ingested here: do not create an empty store just to ask
    try:
        return any(info.id == article_id for info in Corpus.open(settings).article_infos())
    except WorkbenchError:
        return False  # the corpus cannot say (server down): the review store's answer stands


def _no_claims_yet(article_id: str) -> ExportError:
    return ExportError(
        f"Article {article_id} has no claims yet: run `claimdesk extract {article_id}` first; nothing was written."
    )


def _nothing_to_export(all_claims: bool, filtered: bool) -> ExportError:
    if filtered:
        return ExportError(
            "No claims match these filters; nothing was written. Check the --article, --verdict, --since and "
            "--until values (`claimdesk claims` lists claims and their reviews)."
        )
    if all_claims:
        return ExportError("There are no claims to export; ingest articles and extract claims first.")
    return ExportError(
        "No reviewed claims to export; nothing was written. Review claims first (`claimdesk review CLAIM_ID "
        "--verdict LABEL --reviewer NAME`), or pass --all-claims to include unreviewed ones."
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""

    @app.command("export")
    def export_cmd(
        fmt: Format = typer.Option(..., "--format", "-f", help="md | html | csv | json | claimreview."),
        output: str = typer.Option(..., "--output", "-o", help="File to write, or '-' for standard output."),
        article: list[str] | None = typer.Option(None, "--article", help="Only this article id (repeatable)."),
        all_claims: bool = typer.Option(False, "--all-claims", help="Include claims not yet reviewed."),
        verdict: list[str] | None = typer.Option(None, "--verdict", help="Only this verdict label (repeatable)."),
        since: datetime | None = typer.Option(
            None, "--since", formats=["%Y-%m-%d"], help="Reviewed on or after this day (YYYY-MM-DD, UTC)."
        ),
        until: datetime | None = typer.Option(
            None, "--until", formats=["%Y-%m-%d"], help="Reviewed on or before this day (YYYY-MM-DD, UTC)."
        ),
        include_earlier: bool = typer.Option(
            False,
            "--include-earlier",
            help="Also claims of earlier versions of re-ingested articles, marked as such (ClaimReview refuses them).",
        ),
    ) -> None:
        """Write a report of reviewed claims (per article with --article, else the whole corpus).

        Writes nothing and exits 1 when no claim matches; ClaimReview refuses claims without a verdict.
        """
        from app.config import get_settings
        from app.reports import ReportOptions, build_report, export, publisher_notice
        from app.store import ReviewStore

        settings = get_settings()
        options = ReportOptions(
            only_reviewed=not all_claims,
            article_ids=list(article) if article else None,
            verdicts=list(verdict) if verdict else None,
            date_from=_day(since),
            date_to=_day(until),
            include_earlier=include_earlier,
        )
        if options.date_from and options.date_to and options.date_from > options.date_to:
            raise ExportError(f"--since {options.date_from} is after --until {options.date_to}; swap them.")
        with ReviewStore.open(settings) as store:
            for article_id in options.article_ids or ():
                if store.get_article(article_id) is None and _in_corpus(settings, article_id):
                    raise _no_claims_yet(article_id)  # ingested, never extracted (before ingest filled the store)
            report = build_report(store, options, publisher_name=settings.publisher_name)
            # The store's claims of each reported article, read once per article (not once per claim).
            stored = {a.id: store.claims(a.id) for a in report.articles}
            flagged = {c.id for claims in stored.values() for c in claims if c.needs_context}
            leaning = [
                c.claim_id
                for a in report.articles
                for c in a.claims
                if c.claim_id in flagged and not c.not_checkable and c.statement == c.original_statement
            ]
            from app.repeated_claims import split_verdicts

            exported = {c.claim_id for a in report.articles for c in a.claims}
            split = [g for g in split_verdicts(store) if any(claim.id in exported for _, claim, _ in g)]
        earlier = (
            f"{report.earlier_left_out} matching claim(s) of earlier versions of re-ingested articles were left out "
            "(their quotes are text the source no longer has); add --include-earlier to export them, marked as such."
            if report.earlier_left_out
            else ""
        )
        if report.claim_count == 0:
            if earlier:
                typer.echo(f"Note: {earlier}", err=True)
            for article_id in options.article_ids or ():
                if not stored.get(article_id):
                    raise _no_claims_yet(article_id)
            filtered = bool(options.verdicts or options.date_from or options.date_to)
            raise _nothing_to_export(all_claims, filtered)
        text = export(report, cast("ExportFormat", fmt.value), settings=settings)
        claims = report.claim_count
        note = ""
        if fmt is Format.claimreview:
            # Claims rejected as not checkable are not fact checks, so ClaimReview leaves them out.
            published = len(json.loads(text))
            if published == 0:
                raise ExportError(
                    "Every matching claim is marked not checkable, so there is no ClaimReview to publish; "
                    "nothing was written."
                )
            if published != claims:
                note = f" ({claims - published} not-checkable left out)"
            claims = published
        elif report.earlier_claim_count:
            note = f" ({report.earlier_claim_count} of earlier versions, counted apart in its summary)"
        written = write_output(text, output, fmt.value)
        to_stdout = written.where == "stdout"
        if leaning:
            shown = ", ".join(leaning[:10]) + (" ..." if len(leaning) > 10 else "")
            typer.echo(
                f"Note: {len(leaning)} exported claim(s) are flagged 'needs context' and their statement was never "
                f"edited, so it may not stand alone: {shown}. Edit them in the workbench (or `claimdesk review "
                "--statement`) before publishing.",
                err=True,
            )
        if earlier:
            typer.echo(f"Note: {earlier}", err=True)
        for group in split:
            # One sentence decided differently in two articles: the report publishes both (see the Dashboard).
            decided = "; ".join(f"{r.decision} in {s.title!r} (claim {c.id})" for s, c, r in group)
            typer.echo(f"Warning: the same sentence has different verdicts: {decided}.", err=True)
        if fmt in (Format.md, Format.html):
            notice = publisher_notice(settings.publisher_name)
            if notice:
                typer.echo(f"Warning: {notice}", err=True)
        mismatch = extension_mismatch(output, fmt.value)
        if mismatch is not None:
            typer.echo(
                f"Warning: {written.where} ends in {mismatch}, but the report in it is {fmt.value} (as --format asked).",
                err=True,
            )
        articles = len(report.articles)
        typer.echo(
            f"Wrote {claims} claim{'s' if claims != 1 else ''}{note} from {articles} "
            f"article{'s' if articles != 1 else ''} as {fmt.value} to {written.where}.",
            # With -o - the report owns stdout; the receipt goes to stderr so pipes stay clean.
            err=to_stdout,
        )
        if written.replaced is not None:
            typer.echo(f"Replaced existing {written.replaced}.", err=True)
