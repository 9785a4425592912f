"""SQLite schema, migrations, connection setup and the result records of the review store.

All SQL that defines tables lives here and in `app.store` (with `app.store_claims` and `app.store_queries`); nothing
else in the code base talks to SQLite, so a server database could replace the store by reimplementing those modules
behind the same API.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from app.errors import StoreError

__all__ = [
    "BUSY_TIMEOUT_S",
    "SCHEMA_VERSION",
    "ArticleSummary",
    "DashboardStats",
    "SaveClaimsResult",
    "connect",
    "migrate",
]


@dataclass
class SaveClaimsResult:
    """What save_claims did: new claims, claims already stored (left as they were), and scorer-only claims
    upgraded to a model's rewrite (only while nobody has reviewed them)."""

    added: int
    unchanged: int
    upgraded: int = 0


@dataclass
class ArticleSummary:
    """One article with counts of its claims by review state, for lists and dashboards."""

    id: str
    title: str
    source: str
    published: datetime | None
    ingested_at: datetime
    claim_count: int
    unreviewed: int
    in_progress: int
    reviewed: int
    not_checkable: int
    # Set when a newer version of the same source was ingested: its claims and reviews stay on record (the earlier
    # reviews panel shows them) but leave the queue, the dashboard counts and reports.
    replaced_by: str | None = None
    replaced_at: datetime | None = None
    drafts: int = 0  # reviewers' unsaved forms kept on its claims


@dataclass
class DashboardStats:
    """Counts over the whole store: claims by review status and by verdict, and per article."""

    by_status: dict[str, int]
    by_verdict: dict[str, int]  # finished reviews only
    per_article: list[ArticleSummary] = field(default_factory=list)
    total_claims: int = 0
    draft_verdicts: int = 0  # verdicts chosen on reviews still in progress, not in by_verdict
    earlier_version_claims: int = 0  # claims of replaced versions, not in the counts above


# Concurrent writers wait this long for the write lock instead of failing with "database is locked".
BUSY_TIMEOUT_S = 10.0

_V1 = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    published TEXT,
    ingested_at TEXT NOT NULL,
    data TEXT NOT NULL
);

-- No foreign key to articles: extraction may run on an article that only the vector store knows.
CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    checkworthiness REAL NOT NULL,
    claim_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX claims_article ON claims(article_id, start);
CREATE INDEX claims_rank ON claims(checkworthiness DESC, article_id, start);

CREATE TABLE reviews (
    claim_id TEXT PRIMARY KEY REFERENCES claims(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    verdict TEXT,
    not_checkable INTEGER NOT NULL DEFAULT 0,
    reviewer TEXT,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX reviews_status ON reviews(status);
CREATE INDEX reviews_verdict ON reviews(verdict);

CREATE TABLE extraction_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX extraction_runs_article ON extraction_runs(article_id, id);

-- Append-only audit trail: the triggers below refuse any UPDATE or DELETE.
CREATE TABLE history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    claim_id TEXT,
    article_id TEXT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX history_claim ON history(claim_id, id);
CREATE INDEX history_article ON history(article_id, id);

CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only');
END;
"""

# Unsaved review forms, per claim and reviewer, so a reload or a closed tab loses nothing typed. Not history: a
# draft is replaced as it changes and goes when it is saved or discarded, or with its claim.
_V2 = """
CREATE TABLE drafts (
    claim_id TEXT NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
    reviewer TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (claim_id, reviewer)
);
CREATE INDEX drafts_reviewer ON drafts(reviewer);
"""

# Which stored version of a source is current. A changed file or page is a new article (its id is its content hash);
# the earlier version keeps its claims and reviews, which quote its old text, and is marked replaced by the new one
# so that it leaves the review queue and reports. An existing database takes each source's most recently ingested
# version as current, for sources with a folder or a URL: a bare file name may be an upload, and two uploads of one
# name are two articles (from now on the corpus's "replaced" decides; see Workbench._mirror).
_V3 = """
ALTER TABLE articles ADD COLUMN replaced_by TEXT;
ALTER TABLE articles ADD COLUMN replaced_at TEXT;
CREATE INDEX articles_source ON articles(source);
UPDATE articles SET
    replaced_by = (
        SELECT b.id FROM articles b WHERE b.source = articles.source AND b.id != articles.id
        ORDER BY b.ingested_at DESC, b.id LIMIT 1
    ),
    replaced_at = (
        SELECT MAX(b.ingested_at) FROM articles b WHERE b.source = articles.source AND b.id != articles.id
    )
WHERE source LIKE '%/%' AND EXISTS (
    SELECT 1 FROM articles b WHERE b.source = articles.source AND b.id != articles.id
    AND (b.ingested_at > articles.ingested_at OR (b.ingested_at = articles.ingested_at AND b.id > articles.id))
);
"""

# Index i holds the script that moves the schema from version i to version i + 1.
_MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(_MIGRATIONS)


def connect(db_path: Path) -> sqlite3.Connection:
    """Open `db_path` (creating parent directories) in autocommit mode with WAL and a busy timeout."""
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so version checks and writes share one lock.
        conn = sqlite3.connect(str(db_path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"Cannot open the review database at {db_path}: {exc}. Check CLAIMDESK_DATA_DIR points to a "
            "writable directory."
        ) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _set_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        if "readonly" in str(exc) or "read-only" in str(exc):
            raise StoreError(
                f"The review database {db_path} (or its folder) is read-only ({exc}); claimdesk needs to write "
                "beside it (WAL journal). Make the folder writable, or point CLAIMDESK_DATA_DIR at a writable copy."
            ) from exc
        raise StoreError(
            f"{db_path} is not a usable claimdesk database ({exc}). Move it aside or point CLAIMDESK_DATA_DIR "
            "elsewhere."
        ) from exc
    return conn


def _set_wal(conn: sqlite3.Connection) -> None:
    # Switching journal mode can report "locked" without consulting the busy handler when several processes
    # open a fresh file at once, so retry briefly.
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def migrate(conn: sqlite3.Connection, db_path: Path) -> None:
    """Bring the schema up to SCHEMA_VERSION inside one write transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        current = int(row[0]) if row else 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{db_path} was written by a newer claimdesk (schema {current}, this one knows {SCHEMA_VERSION}). "
                "Upgrade claimdesk or use another CLAIMDESK_DATA_DIR."
            )
        for script in _MIGRATIONS[current:]:
            # executescript() would commit our transaction; run the statements one by one instead.
            for statement in _statements(script):
                conn.execute(statement)
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif current != SCHEMA_VERSION:
            conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """Split a DDL script into complete statements (trigger bodies contain semicolons)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
