"""The queue's read API and the hosted inbox's ledger, on the queue's SQLite file.

:class:`QueueReads` is the base of :class:`~submissions.queue.submission_queue.SubmissionQueue`:
every method here reads (the ledger of handled inbox requests also records one) and none
changes a submission's state, so the leaderboard and the queue snapshot need nothing else.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from submissions.queue import queue_db, states
from submissions.queue.submission import Submission, SubmissionNotFound, iso_time

# How claim() picks among the pending submissions (oldest first) and the profile each one runs on (its
# manifest's, cpu-1 by default); positions() computes the queue positions with the same two.
CLAIM_ORDER = "created_ts, id"
PROFILE_SQL = "COALESCE(json_extract(manifest, '$.profile'), 'cpu-1')"


class QueueReads:
    """Read-only queries on ``db_path`` (set by the queue's constructor)."""

    db_path: Path

    def get(self, submission_id: str) -> Submission:
        with queue_db.reading(self.db_path) as con:
            row = con.execute("SELECT * FROM submissions WHERE id=?", (submission_id,)).fetchone()
            if row is None:
                raise SubmissionNotFound(f"no submission {submission_id!r} in the queue at {self.db_path}")
            return queue_db.row_to_submission(con, row)

    def submissions(self, participant: str | None = None, state: str | None = None,
                    limit: int | None = None) -> list[Submission]:
        """The submissions (of ``participant``, in ``state``; each filter optional), newest first."""
        sql = "SELECT * FROM submissions WHERE 1=1"
        args: list[Any] = []
        if participant is not None:
            sql += " AND participant=?"
            args.append(participant)
        if state is not None:
            if state not in states.STATES:
                raise ValueError(f"unknown state {state!r}; states are {', '.join(states.STATES)}")
            sql += " AND state=?"
            args.append(state)
        sql += " ORDER BY created_ts DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with queue_db.reading(self.db_path) as con:
            return [queue_db.row_to_submission(con, r) for r in con.execute(sql, args).fetchall()]

    def counts(self) -> dict[str, int]:
        with queue_db.reading(self.db_path) as con:
            found = dict(con.execute("SELECT state, COUNT(*) FROM submissions GROUP BY state").fetchall())
        return {s: int(found.get(s, 0)) for s in states.STATES}

    def find_by_request(self, request_id: str) -> Submission | None:
        with queue_db.reading(self.db_path) as con:
            row = con.execute("SELECT * FROM submissions WHERE request_id=?", (request_id,)).fetchone()
            return queue_db.row_to_submission(con, row) if row else None

    def ingested(self) -> dict[str, tuple[str | None, str]]:
        """Hosted-inbox requests already handled: request id -> (submission id, outcome)."""
        with queue_db.reading(self.db_path) as con:
            rows = con.execute("SELECT request_id, submission_id, outcome FROM ingested").fetchall()
        return {r["request_id"]: (r["submission_id"], r["outcome"]) for r in rows}

    def mark_ingested(self, request_id: str, submission_id: str | None, outcome: str) -> None:
        with queue_db.writing(self.db_path) as con:
            con.execute("INSERT OR REPLACE INTO ingested(request_id, submission_id, outcome, at) VALUES (?,?,?,?)",
                        (request_id, submission_id, outcome, iso_time(time.time())))

    def positions(self) -> dict[str, tuple[str, int]]:
        """Each pending submission's place in the claim order of its profile: id -> (profile, position).

        Position 1 is the next one a worker of that profile claims: :meth:`claim` takes the pending
        submissions whose profile the worker can grant, by :data:`CLAIM_ORDER` (the same SQL here).
        """
        with queue_db.reading(self.db_path) as con:
            rows = con.execute(f"SELECT id, {PROFILE_SQL} AS profile FROM submissions WHERE state=? "
                               f"ORDER BY {CLAIM_ORDER}", (states.PENDING,)).fetchall()
        ahead: dict[str, int] = {}
        out: dict[str, tuple[str, int]] = {}
        for row in rows:
            ahead[row["profile"]] = ahead.get(row["profile"], 0) + 1
            out[row["id"]] = (row["profile"], ahead[row["profile"]])
        return out
