"""The Queue tab: the queue snapshot (:mod:`submissions.service.queue_snapshot`) as counts and a table.

Where the snapshot comes from: a local queue folder when the board runs
beside the organizer's queue (``challenge leaderboard --queue DIR``: built
from the :class:`~submissions.queue.submission_queue.SubmissionQueue` and the store), else
the ``queue/snapshot.json`` the organizer published into the results
dataset the board reads (the hosted Space). Either way the tab shows the
same public fields; hidden-data logs are never in a snapshot.

The tab says when the organizer's service last ran, and warns when that is
too long ago (:func:`submissions.service.service_heartbeat.seen_text`): a waiting
submission's position (1 = next) means little while no service runs.
Every field of a snapshot is shown as text (an HTML table; the counts line
through :func:`leaderboard.safe_text.markdown_text`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from evaluator.results.records import ResultStore
from leaderboard.safe_text import markdown_text
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.queue_snapshot import (
    SNAPSHOT_PATH,
    QueueSnapshot,
    SnapshotEntry,
    SnapshotMissing,
    build_snapshot,
    read_snapshot,
)
from submissions.service.service_heartbeat import seen_text

log = logging.getLogger(__name__)

QUEUE_HEADERS: tuple[str, ...] = ("Submission", "Participant", "Name", "State", "Position", "Profile", "Reason",
                                  "Scores (mean ratio)", "Created", "Updated")
QUEUE_ROWS = 200  # newest first
QUEUE_REFRESH_S = 5.0  # the queue is re-read at most this often (the records refresh on their own timer)


def _scores(entry: SnapshotEntry) -> str:
    parts = []
    for s in entry.scores:
        if s.status == "ok" and s.ratio_mean is not None:
            parts.append(f"{s.track}: {s.ratio_mean:.3f}")
        else:
            parts.append(f"{s.track}: {s.failure_kind or s.status}")
    return "; ".join(parts)


def utc_text(stamp: str | None) -> str:
    """An ISO timestamp as ``YYYY-MM-DD HH:MM:SS UTC`` (a time a reader places); text it cannot read as it is."""
    try:
        when = datetime.fromisoformat(str(stamp))
    except ValueError:
        return "" if stamp is None else str(stamp)
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def queue_frame(snapshot: QueueSnapshot | None) -> pd.DataFrame:
    rows = [[e.id, e.participant, e.name, e.state, e.position, e.profile, e.reason, _scores(e), utc_text(e.created_at),
             utc_text(e.updated_at)]
            for e in (snapshot.submissions[:QUEUE_ROWS] if snapshot else [])]
    return pd.DataFrame(rows, columns=list(QUEUE_HEADERS))


class QueueSource:
    """The snapshot the tab shows, re-read by :meth:`refresh`; ``version`` grows when it changes."""

    def __init__(self, store_url: str, queue_dir: str | Path | None = None, *,
                 min_interval_s: float = QUEUE_REFRESH_S) -> None:
        self.store_url = store_url
        self.min_interval_s = min_interval_s
        self._last = -float("inf")
        self.queue_dir = Path(queue_dir) if queue_dir else None
        self.snapshot: QueueSnapshot | None = None
        self.note = "Queue not read yet."
        self.version = 0
        self._digest = ""

    def _load(self) -> tuple[QueueSnapshot | None, str]:
        if self.queue_dir is not None and (self.queue_dir / "queue.sqlite").exists():
            snap = build_snapshot(SubmissionQueue(self.queue_dir), ResultStore(self.store_url))
            return snap, f"the local queue at `{self.queue_dir}`"
        try:
            return read_snapshot(self.store_url), f"the snapshot `{SNAPSHOT_PATH}` published in `{self.store_url}`"
        except SnapshotMissing:
            return None, ("No submission queue here: this results store has no queue snapshot "
                          f"(`{SNAPSHOT_PATH}`, published by the organizer with `challenge admin publish --queue`).")

    def refresh(self, force: bool = False) -> bool:
        """Re-read the snapshot (at most every ``min_interval_s`` unless forced); True when it changed."""
        now = time.monotonic()
        if not force and now - self._last < self.min_interval_s:
            return False
        self._last = now
        try:
            snap, note = self._load()
        except Exception as exc:  # noqa: BLE001  (a broken queue or snapshot must not take the board down)
            log.warning("queue for %s unreadable: %s", self.store_url, exc)
            snap, note = None, f"The queue could not be read: {markdown_text(exc)}"
        digest = hashlib.sha256((snap.to_json() if snap else b"") + note.encode()).hexdigest()
        if digest == self._digest:
            return False
        self.snapshot, self.note, self._digest = snap, note, digest
        self.version += 1
        return True

    def view(self, now: float | None = None) -> tuple[str, pd.DataFrame]:
        """The counts line, when the service was last seen (as of ``now``; in bold when stale), and the table."""
        if self.snapshot is None:
            return self.note, queue_frame(None)
        now = time.time() if now is None else now
        summary = " | ".join(f"**{markdown_text(state)}**: {n}" for state, n in self.snapshot.counts.items())
        as_of = f" (last change {markdown_text(self.snapshot.as_of)})" if self.snapshot.as_of else ""
        service = self.snapshot.service
        seen = markdown_text(seen_text(service, now))
        if service is None or service.stale(now):
            seen = f"**{seen}**"  # a warning: it stands out
        return f"Queue: {summary or 'empty'}{as_of}. From {self.note}.\n\n{seen}", queue_frame(self.snapshot)
