"""The CLI on the edges a hurried user hits: deleting reviewed work, a replaced file's old claims, blank or
unknown arguments, an export that cannot be written. Real corpus and review store under tmp_path."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from app.errors import ExportError, RetrievalError, StoreError

runner = CliRunner()
TEXT = (
    "Town budget passes\n"
    "The council approved a budget of 4.2 million dollars on Monday. "
    "Unemployment in the town fell to 3.1 percent in 2023, the mayor said."
)


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def ingest_and_extract(path: Path, text: str = TEXT) -> str:
    """Ingest `text` from `path`, extract with the scorer alone; the article id."""
    path.write_text(text, encoding="utf-8")
    r = run("ingest", str(path))
    assert r.exit_code == 0, r.output
    article_id = r.stdout.split()[1]
    r = run("extract", article_id, "--llm", "none")
    assert r.exit_code == 0, r.output
    return article_id


def claim_ids(article_id: str) -> list[str]:
    import json

    r = run("claims", article_id, "--json")
    assert r.exit_code == 0, r.output
    return [c["id"] for c in json.loads(r.stdout)]


def test_delete_removes_the_article_from_corpus_and_review_store(tmp_path: Path) -> None:
    article_id = ingest_and_extract(tmp_path / "budget.txt")
    n = len(claim_ids(article_id))
    assert n >= 2

    r = run("delete", article_id)
    assert r.exit_code == 0, r.output
    assert f"Deleted article {article_id} ({n} claim(s), 0 review(s))." in r.stdout
    # nothing of it is left to list, export or re-extract
    r = run("claims", article_id)
    assert r.exit_code == 1 and isinstance(r.exception, StoreError)
    r = run("export", "--format", "csv", "--all-claims", "-o", "-")
    assert r.exit_code == 1 and "no claims to export" in str(r.exception)
    r = run("extract", "--all", "--llm", "none")
    assert r.exit_code == 1 and "No articles to extract from" in str(r.exception)

    r = run("delete", article_id)
    assert r.exit_code == 1 and isinstance(r.exception, StoreError)
    assert "claimdesk articles" in str(r.exception)


def test_delete_keeps_reviewed_work_unless_forced(tmp_path: Path) -> None:
    article_id = ingest_and_extract(tmp_path / "budget.txt")
    first = claim_ids(article_id)[0]
    assert run("review", first, "--verdict", "True", "--reviewer", "ana").exit_code == 0

    r = run("delete", article_id)
    assert r.exit_code == 1 and isinstance(r.exception, StoreError)
    assert "1 claim(s) with a review" in str(r.exception) and "--force" in str(r.exception)
    assert claim_ids(article_id)  # still there

    r = run("delete", article_id, "--force")
    assert r.exit_code == 0 and "1 review(s)" in r.stdout
    history = run("history", first)
    assert history.exit_code == 0  # the history keeps a record of what was deleted
    assert "article_deleted" in history.stdout or "claim_extracted" in history.stdout


def test_a_replaced_file_says_where_its_old_claims_are(tmp_path: Path) -> None:
    path = tmp_path / "budget.txt"
    old_id = ingest_and_extract(path)
    path.write_text(TEXT.replace("4.2 million", "5.0 million"), encoding="utf-8")
    r = run("ingest", str(path))
    assert r.exit_code == 0 and "1 replaced" in r.stdout
    assert f"the earlier version {old_id} of budget.txt is marked replaced" in r.stdout
    assert "leave the review queue and reports" in r.stdout and "`claimdesk extract " in r.stdout
    # the old claims still quote the old text exactly (the review store kept it)
    assert claim_ids(old_id)


def test_a_file_is_one_source_however_its_path_is_typed(tmp_path: Path) -> None:
    path = tmp_path / "notes" / "budget.txt"
    path.parent.mkdir()
    path.write_text(TEXT, encoding="utf-8")
    r = run("ingest", "notes/budget.txt")  # relative to the current folder, which holds the data directory
    assert r.exit_code == 0 and "<- notes/budget.txt" in r.stdout
    path.write_text(TEXT.replace("4.2 million", "5.0 million"), encoding="utf-8")
    r = run("ingest", str(path))  # the same file by its absolute path
    assert r.exit_code == 0 and "1 replaced" in r.stdout and "<- notes/budget.txt" in r.stdout
    path.write_text(TEXT.replace("4.2 million", "6.0 million"), encoding="utf-8")
    r = run("ingest", "./notes/../notes/budget.txt")
    assert r.exit_code == 0 and "1 replaced" in r.stdout
    listing = run("articles").stdout.splitlines()
    assert len(listing) == 2 and listing[1].endswith("<- notes/budget.txt")


def test_a_file_outside_the_workspace_is_named_by_its_absolute_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.setenv("CLAIMDESK_DATA_DIR", str(tmp_path / "desk" / "data"))
    from app.config import get_settings

    get_settings.cache_clear()
    (outside / "budget.txt").write_text(TEXT, encoding="utf-8")
    monkeypatch.chdir(outside)
    r = run("ingest", "budget.txt")
    assert r.exit_code == 0 and f"<- {outside / 'budget.txt'}" in r.stdout


def test_claims_of_an_ingested_article_not_yet_extracted(tmp_path: Path) -> None:
    path = tmp_path / "budget.txt"
    path.write_text(TEXT, encoding="utf-8")
    article_id = run("ingest", str(path)).stdout.split()[1]
    r = run("claims", article_id)
    assert r.exit_code == 0, r.output
    assert f"No claims for article {article_id} yet; run `claimdesk extract {article_id}`." in r.stdout
    r = run("claims", "0123456789abcdef")
    assert r.exit_code == 1 and "No article 0123456789abcdef in the corpus" in str(r.exception)


def test_empty_source_is_a_usage_error_not_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "stray.txt").write_text("Stray\nA file in the current folder.", encoding="utf-8")
    r = run("ingest", "")
    assert r.exit_code == 2 and "empty path" in r.output
    assert run("articles").stdout.startswith("No articles yet")


def test_search_with_an_unknown_article_filter_says_so(tmp_path: Path) -> None:
    path = tmp_path / "budget.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert run("ingest", str(path)).exit_code == 0
    for flag in ("--only-article", "--exclude-article"):
        r = run("search", "budget", flag, "nope")
        assert r.exit_code == 1 and isinstance(r.exception, RetrievalError)
        assert "No article with id 'nope' in the corpus" in str(r.exception)


def test_blank_reviewer_or_statement_is_refused(tmp_path: Path) -> None:
    article_id = ingest_and_extract(tmp_path / "budget.txt")
    first = claim_ids(article_id)[0]
    r = run("review", first, "--verdict", "True", "--reviewer", "   ")
    assert r.exit_code == 2 and "give your name" in r.output
    r = run("review", first, "--verdict", "True", "--reviewer", "ana", "--statement", "  ")
    assert r.exit_code == 2 and "statement is blank" in r.output
    assert "No history" not in run("history", first).output  # extraction's entry only; nothing saved
    assert "review_saved" not in run("history", first).stdout


def test_blank_review_fields_are_no_fields() -> None:
    from app.models import Review

    review = Review(claim_id="c1", reviewer="  ", edited_statement=" \n")
    assert review.reviewer is None and review.edited_statement is None
    assert Review(claim_id="c1", edited_statement="Ana's wording").statement_edited


def test_export_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    article_id = ingest_and_extract(tmp_path / "budget.txt")
    r = run("export", "--format", "md", "--all-claims", "-o", "/proc/claimdesk-report.md")
    assert r.exit_code == 1 and isinstance(r.exception, ExportError)
    assert "Could not write /proc/claimdesk-report.md" in str(r.exception)
    assert article_id


def test_exported_file_gets_the_usual_file_mode(tmp_path: Path) -> None:
    ingest_and_extract(tmp_path / "budget.txt")
    old = os.umask(0o022)
    try:
        out = tmp_path / "report.md"
        assert run("export", "--format", "md", "--all-claims", "-o", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644  # readable by colleagues, as any new file
        out.chmod(0o600)  # a replaced report keeps the mode its owner gave it
        assert run("export", "--format", "md", "--all-claims", "-o", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_an_unknown_model_spec_names_the_option_and_the_setting(tmp_path: Path) -> None:
    article_id = ingest_and_extract(tmp_path / "budget.txt")
    r = run("extract", article_id, "--llm", "bogus")
    assert r.exit_code == 1 and "Model spec 'bogus' (from --llm or CLAIMDESK_LLM)" in str(r.exception)


def _link(fd: Path) -> str | None:
    try:
        return os.readlink(fd)
    except OSError:  # closed while listed
        return None


def test_ctrl_c_says_interrupted() -> None:
    import signal
    import subprocess
    import sys
    import time

    cli = Path(sys.executable).parent / "claimdesk"
    # Reading the data from a pipe nobody writes to blocks inside the command, where Ctrl-C lands.
    proc = subprocess.Popen(
        [str(cli), "eval", "checkworthiness", "--data", "/dev/stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C reaches the command as from a terminal even when the tests run as a background job, whose shell
        # ignores SIGINT for it and so for every process it starts (the command then never saw the signal).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        # Signal once the command has opened the pipe again as its data file (a descriptor past 2 on the same
        # pipe as its stdin): it is then inside the command, past the imports, whatever this machine's load.
        fds = Path(f"/proc/{proc.pid}/fd")
        stdin = os.readlink(fds / "0")
        deadline = time.monotonic() + 60
        while not any(int(fd.name) > 2 and _link(fd) == stdin for fd in fds.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline, "the command never opened its data"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        # Waited for with its stdin still open, so a signal that never arrives shows as such (communicate() closed
        # it, and the command then failed on an empty file instead)
        proc.wait(timeout=30)
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "Interrupted."


def test_the_same_text_under_two_names_says_which_name_it_is_kept_under(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "b.txt").write_text(TEXT, encoding="utf-8")
    r = run("ingest", "a.txt", "b.txt")  # one run
    assert r.exit_code == 0 and "1 added, 1 unchanged" in r.stdout
    assert "<- b.txt  (the same text as a.txt, which it stays recorded under)" in r.stdout
    (tmp_path / "c.txt").write_text(TEXT, encoding="utf-8")
    r = run("ingest", "c.txt")  # a later run
    assert "<- c.txt  (the same text as a.txt, which it stays recorded under)" in r.stdout
    r = run("ingest", "a.txt")  # its own name: nothing to say
    assert r.exit_code == 0 and "same text" not in r.stdout


def test_evidence_from_an_article_never_extracted_can_be_cited(tmp_path: Path) -> None:
    article_id = ingest_and_extract(tmp_path / "budget.txt")
    minutes = tmp_path / "minutes.txt"
    minutes.write_text("Council minutes\nThe council approved the budget of 4.2 million dollars unanimously.", "utf-8")
    assert run("ingest", str(minutes)).exit_code == 0  # ingested, never extracted
    r = run("search", "council approved budget unanimously", "-k", "5")
    line = next(x for x in r.stdout.splitlines() if "Council minutes" in x)
    chunk_id = line.split("chunk ")[1].split("]")[0]
    first = claim_ids(article_id)[0]
    r = run("review", first, "--verdict", "True", "--reviewer", "dan", "--evidence", chunk_id)
    assert r.exit_code == 0, r.output
    assert "1 evidence cited" in r.stdout
    r = run("export", "--format", "md", "-o", "-")
    assert "unanimously" in r.stdout and "Council minutes" in r.stdout


def test_not_checkable_and_a_verdict_exclude_each_other(tmp_path: Path) -> None:
    import json

    article_id = ingest_and_extract(tmp_path / "budget.txt")
    first = claim_ids(article_id)[0]

    def stored() -> tuple[str | None, bool]:
        rows = json.loads(run("export", "--format", "json", "--all-claims", "-o", "-").stdout)
        claims = rows if isinstance(rows, list) else [c for a in rows["articles"] for c in a["claims"]]
        row = next(c for c in claims if c.get("claim_id", c.get("id")) == first)
        return row.get("verdict"), bool(row.get("not_checkable"))

    assert run("review", first, "--verdict", "True", "--reviewer", "ana").exit_code == 0
    r = run("review", first, "--verdict", "True", "--not-checkable", "--reviewer", "ana")
    assert r.exit_code == 1 and "either not checkable or has a verdict" in str(r.exception)
    assert run("review", first, "--not-checkable", "--reviewer", "ana").exit_code == 0
    assert stored() == (None, True)  # rejecting it cleared the verdict
    r = run("review", first, "--verdict", "False", "--reviewer", "gus")
    assert r.exit_code == 1 and "add --checkable" in str(r.exception)
    assert run("review", first, "--verdict", "False", "--checkable", "--reviewer", "gus").exit_code == 0
    assert stored() == ("False", False)
