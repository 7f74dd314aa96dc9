"""The queue's SQLite file: schema, connections, one ``BEGIN IMMEDIATE`` transaction per change, rows.

:class:`submissions.queue.submission_queue.SubmissionQueue` is the API; this module is what it
stands on. WAL mode lets readers (the leaderboard, ``challenge status``) read
while a worker writes; ``BEGIN IMMEDIATE`` takes the write lock up front, so
two workers never claim the same submission and a crash never leaves half a
change.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evaluator.results.image_identity import ImageIdentity
from submissions.queue.submission import Submission, Transition, iso_time

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    participant TEXT NOT NULL,
    name TEXT NOT NULL,
    image_digest TEXT NOT NULL,
    image_ref TEXT,
    image_tar TEXT,
    tar_sha256 TEXT,
    image_size_bytes INTEGER,
    image_compressed_bytes INTEGER,
    image_modes TEXT,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_ts REAL NOT NULL,
    updated_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    manifest TEXT NOT NULL DEFAULT '{}',
    tracks TEXT,
    request_id TEXT UNIQUE,
    lease_owner TEXT,
    lease_expires REAL
);
CREATE INDEX IF NOT EXISTS submissions_state ON submissions(state, created_ts);
CREATE INDEX IF NOT EXISTS submissions_participant ON submissions(participant, created_ts);
CREATE INDEX IF NOT EXISTS submissions_digest ON submissions(image_digest);
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    at TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS history_submission ON history(submission_id, seq);
CREATE TABLE IF NOT EXISTS ingested (
    request_id TEXT PRIMARY KEY,
    submission_id TEXT,
    outcome TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


ADDED_COLUMNS: tuple[tuple[str, str], ...] = (("image_compressed_bytes", "INTEGER"), ("image_modes", "TEXT"))
"""Columns added since the first queue files: a queue made before them gets them (NULL: not known) on open."""


def create(db_path: Path) -> None:
    """Create the tables (if missing) in WAL mode; add the columns an older queue file lacks."""
    with reading(db_path) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(SCHEMA)
        have = {str(r["name"]) for r in con.execute("PRAGMA table_info(submissions)")}
        for name, kind in ADDED_COLUMNS:
            if name not in have:
                con.execute(f"ALTER TABLE submissions ADD COLUMN {name} {kind}")


def connect(db_path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), rows by name, foreign keys on."""
    con = sqlite3.connect(db_path, timeout=30.0, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA busy_timeout=30000")
    con.execute("PRAGMA foreign_keys=ON")
    return con


@contextmanager
def reading(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A connection for reads, closed at the end."""
    con = connect(db_path)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def writing(db_path: Path) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction: committed at the end, rolled back on any exception."""
    con = connect(db_path)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


def history(con: sqlite3.Connection, sid: str) -> list[Transition]:
    rows = con.execute(
        "SELECT at, from_state, to_state, reason FROM history WHERE submission_id=? ORDER BY seq", (sid,)
    ).fetchall()
    return [Transition(r["at"], r["from_state"], r["to_state"], r["reason"]) for r in rows]


def row_to_submission(con: sqlite3.Connection, row: sqlite3.Row) -> Submission:
    return Submission(
        id=row["id"], participant=row["participant"], name=row["name"],
        image=ImageIdentity.frozen(row["image_digest"], ref=row["image_ref"],
                                   compressed_size_bytes=row["image_compressed_bytes"],
                                   modes=row["image_modes"] or "lossless"),
        state=row["state"], reason=row["reason"],
        created_at=row["created_at"], updated_at=row["updated_at"], attempts=row["attempts"],
        manifest=json.loads(row["manifest"] or "{}"), history=history(con, row["id"]),
        tracks=json.loads(row["tracks"]) if row["tracks"] else None,
        image_tar=row["image_tar"], tar_sha256=row["tar_sha256"],
        image_size_bytes=row["image_size_bytes"], request_id=row["request_id"],
        lease_owner=row["lease_owner"], lease_expires=row["lease_expires"],
    )


def log_transition(con: sqlite3.Connection, sid: str, old: str | None, new: str, reason: str, now: float) -> None:
    con.execute(
        "INSERT INTO history(submission_id, at, from_state, to_state, reason) VALUES (?,?,?,?,?)",
        (sid, iso_time(now), old, new, reason),
    )
