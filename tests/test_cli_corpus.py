"""`claimdesk ingest | search | articles | delete` through Typer's CliRunner on a real store in tmp_path."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from app.errors import RetrievalError, StoreError

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
BOND = "The Biden administration also barred US banks"


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_ingest_seeds_then_search_ranks_bond_sentence_first() -> None:
    r = run("ingest", str(SEEDS))
    assert r.exit_code == 0, r.output
    assert "1 added, 0 unchanged, 0 replaced, 0 failed, 1 skipped." in r.stdout
    assert "skipped" in r.stdout and "NOTICE" in r.stdout

    r = run("search", "US banks barred from buying Russian government bonds", "-k", "3")
    assert r.exit_code == 0, r.output
    first = r.stdout.split("\n 2. ")[0]
    assert first.startswith(" 1. ") and BOND in " ".join(first.split())


def test_reingest_is_idempotent() -> None:
    assert run("ingest", str(SEEDS)).exit_code == 0
    r = run("ingest", str(SEEDS))
    assert r.exit_code == 0
    assert "0 added, 1 unchanged" in r.stdout


def test_changed_file_replaces_its_chunks(tmp_path: Path) -> None:
    p = tmp_path / "story.txt"
    p.write_text("Old headline\nThe mayor opened a bridge over the river.", encoding="utf-8")
    assert run("ingest", str(p)).exit_code == 0
    p.write_text("New headline\nThe council closed the library on Sundays.", encoding="utf-8")
    r = run("ingest", str(p))
    assert r.exit_code == 0 and "0 added, 0 unchanged, 1 replaced" in r.stdout
    listing = run("articles").stdout
    assert "New headline" in listing and "Old headline" not in listing
    r = run("search", "bridge over the river", "-k", "5")
    assert "bridge" not in r.stdout


def test_failed_source_exits_1_with_reason_and_others_go_in(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "ok.txt").write_text("Fine\nA fine article.", encoding="utf-8")
    r = run("ingest", str(tmp_path / "empty.txt"), str(tmp_path / "ok.txt"), str(tmp_path / "missing.txt"))
    assert r.exit_code == 1
    assert "1 added, 0 unchanged, 0 replaced, 2 failed, 0 skipped." in r.stdout
    # named relative to the workspace (the folder holding the data directory: tmp_path here)
    assert "FAILED    empty.txt: no text" in r.stderr
    assert "FAILED    missing.txt: no such file or folder" in r.stderr
    assert "Traceback" not in r.output


def test_articles_filters_and_delete() -> None:
    assert run("articles").stdout.startswith("No articles yet")
    run("ingest", str(SEEDS))
    listing = run("articles").stdout.splitlines()
    assert len(listing) == 2
    article_id = listing[1].split()[0]
    # how many claims each article has and how many are reviewed: which still need `claimdesk extract`
    assert listing[0].split()[3:5] == ["claims", "reviewed"]
    assert listing[1].split()[4:6] in (["0", "0"], ["-", "-"])
    assert run("extract", article_id, "--llm", "none").exit_code == 0
    claims = run("articles").stdout.splitlines()[1].split()[4:6]
    assert int(claims[0]) >= 5 and claims[1] == "0", claims

    excluded = run("search", "Russian bonds", "--exclude-article", article_id)
    assert excluded.exit_code == 0 and "No evidence found" in excluded.stdout
    only = run("search", "Russian bonds", "--only-article", article_id, "-k", "2")
    assert only.stdout.count(f"[{article_id} ") == 2

    r = run("delete", article_id)
    assert r.exit_code == 0 and f"Deleted article {article_id} ({claims[0]} claim(s), 0 review(s))." in r.stdout
    assert "No evidence found" in run("search", "Russian bonds").stdout

    r = run("delete", article_id)
    assert r.exit_code == 1
    assert isinstance(r.exception, StoreError)
    assert "claimdesk articles" in str(r.exception)


def test_an_empty_search_is_a_usage_error() -> None:
    r = run("search", "   ")
    assert r.exit_code == 2 and "give some text to search for" in r.output


def test_unreachable_server_is_one_clear_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from helpers_http import free_port

    port = free_port()
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(port))
    r = run("articles")
    assert r.exit_code == 1
    assert isinstance(r.exception, RetrievalError)
    assert f"127.0.0.1:{port}" in str(r.exception)


def test_main_prints_one_line_without_traceback(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from app.cli import main

    monkeypatch.setattr("sys.argv", ["claimdesk", "delete", "0000000000000000"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "Error: No article with id '0000000000000000'; `claimdesk articles` lists the stored ones."
    ]


def test_corpus_search_uses_the_tuned_fusion_defaults(settings) -> None:  # type: ignore[no-untyped-def]
    from app.corpus import Corpus
    from retrieval.search import DEFAULT_RRF_K, DEFAULT_WEIGHTS

    corpus = Corpus.open(settings)
    assert (corpus.searcher.rrf_k, corpus.searcher.weights) == (DEFAULT_RRF_K, DEFAULT_WEIGHTS) == (5, (1.0, 1.0))


def test_ingest_folder_groups_articles_and_keeps_every_outcome(tmp_path: Path) -> None:
    folder = tmp_path / "wire"
    folder.mkdir()
    for i in range(70):  # more than one embedding group (64 articles at most)
        (folder / f"{i:02d}.txt").write_text(
            f"Wire {i}\nThe port of town{i} reopened after storm {i}.", encoding="utf-8"
        )
    (folder / "20-empty.txt").write_bytes(b"")
    r = run("ingest", str(folder))
    assert r.exit_code == 1
    assert "70 added, 0 unchanged, 0 replaced, 1 failed, 0 skipped." in r.stdout
    assert "FAILED    wire/20-empty.txt: no text" in r.stderr  # relative to the workspace (tmp_path)
    r = run("search", "port of town37 reopened", "-k", "1")
    assert r.exit_code == 0 and "town37" in r.stdout
    assert "0 added, 70 unchanged" in run("ingest", str(folder)).stdout


def test_an_empty_corpus_beside_listed_articles_says_which_chroma_this_is(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.config import get_settings

    assert run("ingest", str(SEEDS)).exit_code == 0
    assert run("extract", "--all", "--llm", "none").exit_code == 0  # the review database now lists it
    monkeypatch.setenv("CLAIMDESK_COLLECTION", "newsdesk")  # as if switched to another store
    get_settings.cache_clear()
    listed = run("articles")
    assert "No articles yet" in listed.stdout
    assert "lists 1 article(s)" in listed.stderr and "collection 'newsdesk'" in listed.stderr
    found = run("search", "US banks Russian bonds")
    assert "was this data directory used with another Chroma" in found.stderr


def test_reading_commands_do_not_create_a_store_where_there_is_none(tmp_path: Path) -> None:
    from app.config import get_settings

    data = get_settings().data_dir
    assert not data.exists()
    for args in (("articles",), ("search", "US banks")):
        r = run(*args)
        assert r.exit_code == 0 and "there is no claimdesk data directory at" in r.stdout
    assert not data.exists()


def _budget(path: Path, figure: str) -> str:
    """Ingest a one-claim budget story and extract it (scorer only); the claim's id."""
    path.write_text(
        f"Budget\n\nThe council approved a budget of {figure} billion dollars on Monday.\n", encoding="utf-8"
    )
    assert run("ingest", str(path)).exit_code == 0
    assert run("extract", "--all", "--llm", "none").exit_code == 0
    from app.config import get_settings
    from app.store import ReviewStore

    with ReviewStore.open(get_settings()) as store:
        (claim,) = store.queue()
    return claim[0].id


def test_a_changed_file_marks_its_reviewed_version_earlier_across_extract_review_and_export(tmp_path: Path) -> None:
    from app.config import get_settings
    from app.store import ReviewStore

    p = tmp_path / "budget.txt"
    claim_id = _budget(p, "4.2")
    assert run("review", claim_id, "--reviewer", "ana", "--verdict", "True").exit_code == 0
    with ReviewStore.open(get_settings()) as store:
        (old,) = store.articles()

    p.write_text("Budget\n\nThe council approved a budget of 4.3 billion dollars on Monday.\n", encoding="utf-8")
    r = run("ingest", str(p))
    assert r.exit_code == 0 and "1 replaced" in r.stdout
    assert f"the earlier version {old.id} of" in r.stdout and "is marked replaced" in r.stdout
    with ReviewStore.open(get_settings()) as store:
        assert store.replaced_versions()[old.id][0] != old.id
        assert [c.quote for c, _ in store.queue()] == []  # the review queue no longer holds the 4.2 sentence
    # extract --all takes the new version only
    r = run("extract", "--all", "--llm", "none", "--json")
    assert r.exit_code == 0 and old.id not in r.stdout
    # reviewing the earlier version's claim is said; citing the earlier version's passage is refused
    r = run("review", claim_id, "--reviewer", "bob", "--note", "still checking")
    assert r.exit_code == 0 and "belongs to an earlier version" in r.output
    from retrieval.chunking import chunk_article

    with ReviewStore.open(get_settings()) as store:
        ((current, _),) = store.queue()
        old_article = store.get_article(old.id)
        assert old_article is not None
    old_chunk = chunk_article(old_article, get_settings().chunk_size)[0].id
    r = run("review", current.id, "--reviewer", "bob", "--verdict", "True", "--evidence", old_chunk)
    assert r.exit_code == 1 and "a passage of an earlier version" in str(r.exception)
    # the reviewed 4.2 claim is not exported as if the file still said it, and the export says it left it out
    r = run("export", "-f", "md", "-o", "-")
    assert r.exit_code == 1 and "4.2 billion" not in r.stdout
    assert "1 matching claim(s) of earlier versions of re-ingested articles were left out" in r.stderr
    r = run("export", "-f", "md", "-o", "-", "--include-earlier")
    assert r.exit_code == 0 and "4.2 billion" in r.stdout
    assert "Earlier version, replaced on " in r.stdout and "characters" not in r.stdout
    assert "| **Total** | 0 |" in r.stdout and "| Earlier versions (not counted above) | 1 |" in r.stdout
    assert "(1 of earlier versions, counted apart in its summary)" in r.stderr
    r = run("export", "-f", "md", "-o", "-", "--article", old.id)
    assert r.exit_code == 1 and "is an earlier version of its source" in str(r.exception)


def test_a_finished_review_needs_a_verdict(tmp_path: Path) -> None:
    claim_id = _budget(tmp_path / "budget.txt", "4.2")
    r = run("review", claim_id, "--reviewer", "bob", "--status", "reviewed")
    assert r.exit_code == 1 and "needs a verdict" in str(r.exception)


def test_delete_asks_for_force_when_only_an_unsaved_draft_would_go(tmp_path: Path) -> None:
    from app.config import get_settings
    from app.models import Draft, Review
    from app.store import ReviewStore

    claim_id = _budget(tmp_path / "budget.txt", "4.2")
    with ReviewStore.open(get_settings()) as store:
        store.save_draft(Draft(claim_id=claim_id, reviewer="ana", base=Review(claim_id=claim_id), notes="call them"))
        (article,) = store.articles()
    r = run("delete", article.id)
    assert r.exit_code == 1 and "1 reviewer draft(s) not saved yet" in str(r.exception)
    r = run("delete", article.id, "--force", "--reviewer", "Ana")
    assert r.exit_code == 0, r.output
    with ReviewStore.open(get_settings()) as store:
        assert [(e.action, e.actor) for e in store.article_history(article.id)][-1] == ("article_deleted", "Ana")


def test_an_earlier_version_left_after_deleting_the_current_one_is_no_other_chroma(tmp_path: Path) -> None:
    p = tmp_path / "budget.txt"
    _budget(p, "4.2")
    p.write_text("Budget\n\nThe council approved a budget of 4.3 billion dollars on Monday.\n", encoding="utf-8")
    assert run("ingest", str(p)).exit_code == 0
    from app.config import get_settings
    from app.store import ReviewStore

    with ReviewStore.open(get_settings()) as store:
        (current,) = [a.id for a in store.articles() if a.replaced_by is None]
    assert run("delete", current, "--force").exit_code == 0
    listed = run("articles")
    assert "No articles yet" in listed.stdout and "another Chroma" not in listed.stderr
