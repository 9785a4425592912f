"""CLI command `export`: write a verified-claim report as Markdown, HTML, CSV, JSON or ClaimReview JSON-LD.

When no claim matches (nothing reviewed yet, or filters too narrow) the command writes nothing and exits 1
with a hint: an empty report a journalist forwards by mistake is worse than a clear message, and an existing
file at the output path is left as it was. Likewise a refused ClaimReview export writes nothing.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from app.errors import ExportError

if TYPE_CHECKING:
    from app.reports import ExportFormat

__all__ = ["Format", "register", "write_output"]


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


def write_output(text: str, output: str, fmt: str = "") -> str:
    """Write `text` (UTF-8, line endings as rendered; CSV files get a BOM) to a file, or stdout for '-'."""
    from app.reports import file_bytes

    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return "stdout"
    path = Path(output).expanduser()
    if path.is_dir():
        raise ExportError(f"{path} is a directory; give a file name, e.g. -o {path / 'report.html'}.")
    if not path.parent.is_dir():
        raise ExportError(f"Directory {path.parent} does not exist; create it or choose another -o path.")
    # Write beside the target, then rename: a failed export never leaves half a report behind.
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(file_bytes(text, fmt))
        # mkstemp makes the file private (0600); a report gets the mode a new file would (or the one it replaces).
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}; check the path and permissions.") from exc
    return str(path)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


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
    ) -> None:
        """Write a report of reviewed claims (per article with --article, else the whole corpus).

        Writes nothing and exits 1 when no claim matches; ClaimReview refuses claims without a verdict.
        """
        from app.config import get_settings
        from app.reports import ReportOptions, build_report, export
        from app.store import ReviewStore

        settings = get_settings()
        options = ReportOptions(
            only_reviewed=not all_claims,
            article_ids=list(article) if article else None,
            verdicts=list(verdict) if verdict else None,
            date_from=_day(since),
            date_to=_day(until),
        )
        if options.date_from and options.date_to and options.date_from > options.date_to:
            raise ExportError(f"--since {options.date_from} is after --until {options.date_to}; swap them.")
        with ReviewStore.open(settings) as store:
            report = build_report(store, options, publisher_name=settings.publisher_name)
            # The store's claims of each reported article, read once per article (not once per claim).
            flagged = {c.id for a in report.articles for c in store.claims(a.id) if c.needs_context}
            leaning = [
                c.claim_id
                for a in report.articles
                for c in a.claims
                if c.claim_id in flagged and not c.not_checkable and c.statement == c.original_statement
            ]
        if report.claim_count == 0:
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
        where = write_output(text, output, fmt.value)
        if leaning:
            shown = ", ".join(leaning[:10]) + (" ..." if len(leaning) > 10 else "")
            typer.echo(
                f"Note: {len(leaning)} exported claim(s) are flagged 'needs context' and their statement was never "
                f"edited, so it may not stand alone: {shown}. Edit them in the workbench (or `claimdesk review "
                "--statement`) before publishing.",
                err=True,
            )
        articles = len(report.articles)
        typer.echo(
            f"Wrote {claims} claim{'s' if claims != 1 else ''}{note} from {articles} "
            f"article{'s' if articles != 1 else ''} as {fmt.value} to {where}.",
            # With -o - the report owns stdout; the receipt goes to stderr so pipes stay clean.
            err=output == "-",
        )
