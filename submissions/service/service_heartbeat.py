"""When the organizer's service last ran ("service last seen"), as the queue snapshot publishes it.

The service (:class:`submissions.service.service.Service`) records a heartbeat beside
the queue's database on every cycle (:func:`record_seen`); the queue snapshot
(:mod:`submissions.service.queue_snapshot`) carries it; the Queue tab and
``challenge status --from`` say it with :func:`seen_text`, so a participant
can tell a submission that waits its turn from one whose service is down.

Why the heartbeat is coarse: publishing commits only when the snapshot's
bytes change, and a heartbeat that moved with the clock would change them on
every publish. So the recorded time is the last cycle's time floored to a
*period*:

- while the queue has work (a submission pending, loading or running), the
  period is the publish interval: waiting participants see the service alive
  to within one interval, for one small commit per publish (the moving states
  cost about as much);
- while it is idle, the period is :data:`IDLE_PERIOD_S` (6 h): an idle board
  commits the heartbeat four times a day, not every interval.

A reader calls the service stale when the heartbeat is older than
:data:`STALE_PERIODS` periods (the snapshot says the period it used).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from submissions.queue import states
from submissions.queue.submission_queue import SubmissionQueue, iso_time

IDLE_PERIOD_S = 6 * 3600.0
STALE_PERIODS = 3
BUSY_STATES: frozenset[str] = frozenset({states.PENDING, *states.ACTIVE})  # the queue "has work"


@dataclass(frozen=True)
class ServiceSeen:
    at: str  # ISO-8601 UTC: the service's last cycle, floored to ``period_s``
    period_s: float  # the heartbeat's granularity; stale after STALE_PERIODS of them

    @classmethod
    def of(cls, now: float, *, busy: bool, publish_every_s: float) -> ServiceSeen:
        """The heartbeat of a cycle at ``now`` (see the module docstring for the period)."""
        period = max(float(publish_every_s), 1.0)
        if not busy:
            period = max(period, IDLE_PERIOD_S)
        return cls(iso_time(math.floor(now / period) * period), period)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServiceSeen:
        return cls(str(data["at"]), float(data["period_s"]))

    def timestamp(self) -> float:
        return datetime.fromisoformat(self.at).timestamp()

    def age_s(self, now: float) -> float:
        return max(0.0, now - self.timestamp())

    def stale(self, now: float) -> bool:
        return self.age_s(now) > STALE_PERIODS * self.period_s


def heartbeat_path(queue: SubmissionQueue) -> Path:
    """Where the service's heartbeat lives: beside the queue's database (``queue.heartbeat.json``)."""
    return queue.db_path.with_name(f"{queue.db_path.stem}.heartbeat.json")


def queue_busy(queue: SubmissionQueue) -> bool:
    counts = queue.counts()
    return any(counts.get(s, 0) for s in BUSY_STATES)


def record_seen(queue: SubmissionQueue, seen: ServiceSeen) -> bool:
    """Write ``seen`` beside the queue unless it is already there (atomically); True when it changed."""
    path = heartbeat_path(queue)
    if read_seen(queue) == seen:
        return False
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(asdict(seen), sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return True


def read_seen(queue: SubmissionQueue) -> ServiceSeen | None:
    """The service's last heartbeat for ``queue``; None when no service has run on it (or it is unreadable)."""
    try:
        return ServiceSeen.from_dict(json.loads(heartbeat_path(queue).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def duration_text(seconds: float) -> str:
    """``seconds`` in words a reader takes in at a glance: ``40 s``, ``3 min``, ``2 h 5 min``, ``3 d 4 h``."""
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h" + (f" {s % 3600 // 60} min" if s % 3600 >= 60 else "")
    return f"{s // 86400} d" + (f" {s % 86400 // 3600} h" if s % 86400 >= 3600 else "")


def seen_text(seen: ServiceSeen | None, now: float) -> str:
    """One line: when the service was last seen, and a warning when that is too long ago."""
    if seen is None:
        return "service last seen: never (the evaluation service has not reported on this queue yet)"
    when = datetime.fromtimestamp(seen.timestamp(), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    line = f"service last seen {duration_text(seen.age_s(now))} ago ({when})"
    if seen.stale(now):
        line += (f". Warning: the evaluation service has not run for more than "
                 f"{duration_text(STALE_PERIODS * seen.period_s)} (it reports at least every "
                 f"{duration_text(seen.period_s)}); queued submissions wait until it is back")
    return line
