"""The durable submission queue (SQLite, WAL, one transaction per change).

Read API (the leaderboard calls it)::

    q = SubmissionQueue(path)        # a folder (queue.sqlite inside) or a .sqlite file
    q.submissions(participant=None, state=None, limit=None) -> list[Submission]
    q.get(id) -> Submission          # KeyError-like SubmissionNotFound if unknown
    q.counts() -> dict[str, int]     # every state, zero included
    q.positions() -> dict[str, tuple[str, int]]  # pending id -> (profile, place in its claim order)

Write API (intake and worker): :meth:`SubmissionQueue.enqueue` (dedupe by
image digest, per-participant limits), :meth:`claim` (atomic, with a lease),
:meth:`heartbeat`, :meth:`transition` (checked by :mod:`submissions.queue.states`),
:meth:`requeue_stale` (a worker that died: lease expired -> back to pending
with a reason and an attempt counter), :meth:`cancel`.

Every change is one ``BEGIN IMMEDIATE`` transaction (:mod:`submissions.queue.queue_db`,
which holds the schema), so two workers never claim the same submission and a
crash never leaves half a change. The records and errors live in
:mod:`submissions.queue.submission`; this module re-exports them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

from evaluator.core.json_types import JsonObject
from evaluator.results.image_identity import ImageIdentity
from submissions.queue import queue_db, states
from submissions.queue.limits import SubmissionLimits
from submissions.queue.queue_reads import CLAIM_ORDER, PROFILE_SQL, QueueReads
from submissions.queue.request_fields import queue_field_problems
from submissions.queue.submission import (
    DuplicateSubmission,
    LeaseLost,
    Submission,
    SubmissionNotFound,
    Transition,
    iso_time,
    new_submission_id,
)

__all__ = ["DEFAULT_LEASE_S", "DEFAULT_MAX_ATTEMPTS", "DuplicateSubmission", "LeaseLost", "Submission",
           "SubmissionNotFound", "SubmissionQueue", "Transition", "new_submission_id"]

log = logging.getLogger(__name__)

DEFAULT_LEASE_S = 120.0
DEFAULT_MAX_ATTEMPTS = 3
# A digest is "taken" while a submission with it is alive or finished; a failed
# or cancelled one may be resubmitted.
_DEDUPE_STATES = (states.PENDING, states.LOADING, states.RUNNING, states.FINISHED)


class SubmissionQueue(QueueReads):
    """The queue at ``path``: a folder (``queue.sqlite`` inside) or a ``.sqlite``/``.db`` file.

    The read API and the hosted inbox's ledger are :class:`~submissions.queue.queue_reads.QueueReads`."""

    def __init__(self, path: str | Path, *, limits: SubmissionLimits | None = None,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        p = Path(path).expanduser()
        if p.suffix not in (".sqlite", ".sqlite3", ".db"):
            p.mkdir(parents=True, exist_ok=True)
            p = p / "queue.sqlite"
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
        self.db_path = p
        self.folder = p.parent
        self.limits = limits if limits is not None else SubmissionLimits.from_env()
        self.max_attempts = max_attempts
        queue_db.create(self.db_path)

    # -- write API ------------------------------------------------------------
    def _check_new(self, con: sqlite3.Connection, participant: str, image_digest: str, now: float) -> None:
        marks = ",".join("?" for _ in _DEDUPE_STATES)
        dup = con.execute(
            f"SELECT id, state FROM submissions WHERE image_digest=? AND state IN ({marks}) "
            "ORDER BY created_ts LIMIT 1", (image_digest, *_DEDUPE_STATES),
        ).fetchone()
        if dup is not None:
            raise DuplicateSubmission(
                f"this image ({image_digest[:19]}...) was already submitted as {dup['id']} "
                f"(state {dup['state']}); change the codec to submit again, or check "
                f"`challenge status` for that submission", dup["id"],
            )
        recent = [r[0] for r in con.execute(
            "SELECT created_ts FROM submissions WHERE participant=? AND created_ts>?",
            (participant, now - self.limits.window_s),
        ).fetchall()]
        self.limits.check(participant, recent, now)

    def precheck(self, participant: str, image: ImageIdentity, *, now: float | None = None) -> None:
        """Raise what :meth:`enqueue` would (duplicate digest, daily limit) without writing anything.

        Lets ``challenge submit`` refuse early, before the self-check and the export."""
        with queue_db.reading(self.db_path) as con:
            self._check_new(con, participant, image.digest, time.time() if now is None else now)

    def enqueue(self, *, participant: str, name: str, image: ImageIdentity, manifest: JsonObject | None = None,
                image_tar: str | None = None, tar_sha256: str | None = None,
                image_size_bytes: int | None = None, tracks: list[str] | None = None,
                submission_id: str | None = None, request_id: str | None = None,
                now: float | None = None) -> Submission:
        """Add a pending submission. Raises :class:`DuplicateSubmission` or
        :class:`submissions.queue.limits.LimitExceeded`; nothing is written then."""
        if not participant.strip():
            raise ValueError("a submission needs a participant name (use --participant NAME)")
        problems = queue_field_problems(participant, name)  # both are shown on the public board
        if problems:
            raise ValueError("; ".join(problems))
        image_digest = image.digest
        if not image_digest.startswith("sha256:"):
            raise ValueError(f"image digest must look like sha256:<hex>, got {image_digest!r}")
        now = time.time() if now is None else now
        sid = submission_id or new_submission_id(now)
        with queue_db.writing(self.db_path) as con:
            self._check_new(con, participant, image_digest, now)
            con.execute(
                "INSERT INTO submissions(id, participant, name, image_digest, image_ref, image_compressed_bytes, "
                "image_modes, image_tar, tar_sha256, image_size_bytes, state, reason, created_at, created_ts, "
                "updated_at, attempts, manifest, tracks, request_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?)",
                (sid, participant, name, image_digest, image.ref, image.compressed_size_bytes, image.modes,
                 image_tar, tar_sha256, image_size_bytes,
                 states.PENDING, "queued", iso_time(now), now, iso_time(now),
                 json.dumps(manifest or {}, sort_keys=True),
                 json.dumps(tracks) if tracks else None, request_id),
            )
            queue_db.log_transition(con, sid, None, states.PENDING, "queued", now)
        log.info("queued %s for %s (%s)", sid, participant, image_digest)
        return self.get(sid)

    def transition(self, submission_id: str, new_state: str, reason: str, *, owner: str | None = None,
                   now: float | None = None) -> Submission:
        """Move a submission; refuses what :func:`states.check_transition` refuses.

        With ``owner``, the move only happens while that worker holds the
        lease (:class:`LeaseLost` otherwise), so a worker that was presumed
        dead cannot overwrite the state set by its successor.
        """
        now = time.time() if now is None else now
        with queue_db.writing(self.db_path) as con:
            row = con.execute("SELECT state, lease_owner FROM submissions WHERE id=?", (submission_id,)).fetchone()
            if row is None:
                raise SubmissionNotFound(f"no submission {submission_id!r} in the queue at {self.db_path}")
            if owner is not None and row["lease_owner"] != owner:
                raise LeaseLost(f"worker {owner} no longer holds {submission_id} (now {row['state']}, "
                                f"held by {row['lease_owner'] or 'nobody'})")
            states.check_transition(row["state"], new_state)
            keep_lease = new_state in states.ACTIVE
            con.execute(
                "UPDATE submissions SET state=?, reason=?, updated_at=?, "
                "lease_owner=CASE WHEN ? THEN lease_owner ELSE NULL END, "
                "lease_expires=CASE WHEN ? THEN lease_expires ELSE NULL END WHERE id=?",
                (new_state, reason, iso_time(now), keep_lease, keep_lease, submission_id),
            )
            queue_db.log_transition(con, submission_id, row["state"], new_state, reason, now)
        log.info("%s: %s -> %s (%s)", submission_id, row["state"], new_state, reason)
        return self.get(submission_id)

    def cancel(self, submission_id: str, reason: str = "cancelled by the organizer") -> Submission:
        return self.transition(submission_id, states.CANCELLED, reason)

    def claim(self, worker_id: str, *, lease_s: float = DEFAULT_LEASE_S, profiles: list[str] | None = None,
              now: float | None = None) -> Submission | None:
        """Take the oldest pending submission (-> loading) with a lease, or None.

        ``profiles``: only submissions whose manifest profile (default
        ``cpu-1``) is one of these, so a CPU-only worker leaves ``gpu-1``
        submissions to a GPU worker.
        """
        now = time.time() if now is None else now
        self.requeue_stale(now=now)
        sql, args = "SELECT id FROM submissions WHERE state=?", [states.PENDING]
        if profiles is not None:
            sql += f" AND {PROFILE_SQL} IN ({','.join('?' for _ in profiles)})"
            args += list(profiles)
        with queue_db.writing(self.db_path) as con:
            row = con.execute(f"{sql} ORDER BY {CLAIM_ORDER} LIMIT 1", args).fetchone()
            if row is None:
                return None
            sid = row["id"]
            con.execute(
                "UPDATE submissions SET state=?, reason=?, updated_at=?, attempts=attempts+1, lease_owner=?, "
                "lease_expires=? WHERE id=?",
                (states.LOADING, f"claimed by worker {worker_id}", iso_time(now), worker_id, now + lease_s, sid),
            )
            queue_db.log_transition(con, sid, states.PENDING, states.LOADING, f"claimed by worker {worker_id}", now)
        return self.get(sid)

    def heartbeat(self, submission_id: str, worker_id: str, *, lease_s: float = DEFAULT_LEASE_S,
                  now: float | None = None) -> None:
        """Extend the lease; raises :class:`LeaseLost` if the worker no longer holds it."""
        now = time.time() if now is None else now
        with queue_db.writing(self.db_path) as con:
            cur = con.execute(
                "UPDATE submissions SET lease_expires=? WHERE id=? AND lease_owner=? AND state IN (?,?)",
                (now + lease_s, submission_id, worker_id, states.LOADING, states.RUNNING),
            )
            if cur.rowcount != 1:
                raise LeaseLost(f"worker {worker_id} no longer holds {submission_id}")

    def requeue_stale(self, *, now: float | None = None) -> list[str]:
        """Submissions whose worker stopped renewing its lease go back to pending
        (or to failed after ``max_attempts``). Returns their ids."""
        now = time.time() if now is None else now
        moved: list[str] = []
        with queue_db.writing(self.db_path) as con:
            rows = con.execute(
                "SELECT id, state, lease_owner, lease_expires, attempts FROM submissions "
                "WHERE state IN (?,?) AND lease_expires IS NOT NULL AND lease_expires<?",
                (states.LOADING, states.RUNNING, now),
            ).fetchall()
            for r in rows:
                lost = (f"worker {r['lease_owner']} stopped responding during {r['state']} "
                        f"(lease expired {iso_time(r['lease_expires'])})")
                if r["attempts"] >= self.max_attempts:
                    new, reason = states.FAILED, f"{lost}; gave up after {r['attempts']} attempts"
                else:
                    attempt = f"attempt {r['attempts'] + 1} of {self.max_attempts}"
                    new, reason = states.PENDING, f"{lost}; will retry ({attempt})"
                states.check_transition(r["state"], new)
                con.execute(
                    "UPDATE submissions SET state=?, reason=?, updated_at=?, lease_owner=NULL, lease_expires=NULL "
                    "WHERE id=?", (new, reason, iso_time(now), r["id"]),
                )
                queue_db.log_transition(con, r["id"], r["state"], new, reason, now)
                moved.append(r["id"])
        for sid in moved:
            log.warning("requeued stale submission %s", sid)
        return moved

    # -- the organizer service (submissions.service.service) ---------------------------
    def release(self, submission_id: str, owner: str, reason: str, *, now: float | None = None) -> Submission:
        """A worker stopped on purpose gives its submission back: -> pending, the attempt not counted.

        Raises :class:`LeaseLost` if ``owner`` no longer holds it."""
        now = time.time() if now is None else now
        with queue_db.writing(self.db_path) as con:
            row = con.execute("SELECT state, lease_owner FROM submissions WHERE id=?", (submission_id,)).fetchone()
            if row is None or row["lease_owner"] != owner or row["state"] not in states.ACTIVE:
                raise LeaseLost(f"worker {owner} no longer holds {submission_id}")
            states.check_transition(row["state"], states.PENDING)
            con.execute("UPDATE submissions SET state=?, reason=?, updated_at=?, attempts=MAX(attempts-1, 0), "
                        "lease_owner=NULL, lease_expires=NULL WHERE id=?",
                        (states.PENDING, reason, iso_time(now), submission_id))
            queue_db.log_transition(con, submission_id, row["state"], states.PENDING, reason, now)
        log.info("%s released by %s (%s)", submission_id, owner, reason)
        return self.get(submission_id)

    def expire_leases(self, owners: list[str], *, now: float | None = None) -> list[str]:
        """Leases of workers known dead (their process is gone) expire now; :meth:`requeue_stale` then
        handles them as any lost worker (attempt counted). Returns the submissions moved."""
        now = time.time() if now is None else now
        if owners:
            with queue_db.writing(self.db_path) as con:
                con.execute(f"UPDATE submissions SET lease_expires=? WHERE state IN (?,?) AND lease_owner IN "
                            f"({','.join('?' for _ in owners)})", (now - 1, states.LOADING, states.RUNNING, *owners))
        return self.requeue_stale(now=now)
