"""The public queue snapshot: where every submission stands, published beside the results.

DESIGN.md "Results, queue, publishing": the organizer publishes it into the
results dataset (``queue/snapshot.json``, :data:`SNAPSHOT_PATH`);
``challenge status --from URL`` and the leaderboard's Queue tab read it with
:func:`read_snapshot` (any fsspec URL: ``hf://datasets/ORG/results``,
``file://``, a folder).

What it holds, per submission: id, participant, codec name, state, reason,
timestamps (created, updated, every state change), attempts, image digest,
the hardware profile it runs on, its position while pending (1 = the next
its profile's workers claim: :meth:`SubmissionQueue.positions`), and per
track the scores of its records (ratio, bits per pixel, speeds, status,
failure kind and message). For the whole queue: the counts per state and
when the organizer's service last ran (:mod:`submissions.service.service_heartbeat`).

What it never holds: logs of hidden-data runs (DESIGN.md "Sandbox": a codec
could print the data). For a record on a hidden split the failure message is
the failure table's hidden message (:mod:`evaluator.core.failures`) whatever the
record carries, and any raw text of such a record is cut out of the
submission's reason. On public data the record's full message (which ends
with the tail of the codec's stderr) is the track's ``log``: the submitter's
own public log. Nor does it hold what is the organizer's: manifests, image
tar paths, leases, inbox request ids.

The bytes depend only on the queue, the records and the service's coarse
heartbeat (``as_of`` is the latest change, not the time of writing), so
publishing an unchanged queue commits nothing.

Format 2 added ``position``, ``profile`` and ``service``; format 1 snapshots
still read (those fields empty).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import fsspec

from evaluator.core.failures import failure_kind
from evaluator.results.records import RecordQuery, ResultRecord, ResultStore, safe_component
from evaluator.sdk.errors import BadInput
from submissions.queue import states
from submissions.queue.submission_queue import Submission, SubmissionQueue
from submissions.service.service_heartbeat import ServiceSeen, read_seen

SNAPSHOT_PATH = "queue/snapshot.json"
SNAPSHOT_FORMAT = 2  # what this version writes
READABLE_FORMATS: tuple[int, ...] = (1, 2)  # what it reads (1: no position, profile or service)
SCORE_METRICS: tuple[str, ...] = ("ratio_mean", "ratio_aggregate", "bpp_mean", "encode_mb_s", "decode_mb_s")
HIDDEN_PREFIX = "hidden:"  # the split label of every hidden-data record (evaluator.data.data_source.HiddenSource)
TEXT_CAP = 4000  # characters of a reason or a log kept in the snapshot


class SnapshotMissing(BadInput, FileNotFoundError):
    """No queue snapshot at the URL; the message says what to do."""


def _capped(text: str | None) -> str | None:
    if text is None or len(text) <= TEXT_CAP:
        return text
    return text[:TEXT_CAP] + f" ... [{len(text) - TEXT_CAP} more characters]"


@dataclass
class TrackScore:
    track: str
    profile: str
    split: str
    hidden: bool
    status: str
    ratio_mean: float | None = None
    ratio_aggregate: float | None = None
    bpp_mean: float | None = None
    encode_mb_s: float | None = None
    decode_mb_s: float | None = None
    failure_kind: str | None = None
    message: str | None = None  # one line; on hidden data the failure table's hidden message
    log: str | None = None  # public data only: the full failure text with the codec's stderr tail

    @classmethod
    def from_record(cls, rec: ResultRecord) -> TrackScore:
        hidden = rec.split.startswith(HIDDEN_PREFIX)
        metrics = {name: getattr(rec.summary, name, None) for name in SCORE_METRICS}
        score = cls(rec.track, rec.profile, rec.split, hidden, rec.status, **metrics)
        if rec.failure is not None:
            score.failure_kind = rec.failure.kind
            score.message = safe_message(rec)
            if not hidden:
                score.log = _capped(rec.failure.message)
        return score


def safe_message(rec: ResultRecord) -> str | None:
    """The one-line failure message participants may read of ``rec``."""
    if rec.failure is None:
        return None
    try:
        kind = failure_kind(rec.failure.kind)
    except ValueError:  # a kind this version does not know: say nothing of its text on hidden data
        kind = None
    if rec.split.startswith(HIDDEN_PREFIX) and (kind is None or kind.hidden_message is not None):
        said = kind.hidden_message if kind is not None else "the run failed"
        return f"{said} (hidden data: details are in the organizer log)"
    first = (rec.failure.message or "").strip().splitlines()
    return first[0][:500] if first else ""


@dataclass
class SnapshotEntry:
    id: str
    participant: str
    name: str
    state: str
    reason: str
    created_at: str
    updated_at: str
    attempts: int
    image_digest: str
    history: list[dict[str, str | None]] = field(default_factory=list)  # {at, from, to}: each state change
    scores: list[TrackScore] = field(default_factory=list)
    profile: str | None = None  # the hardware profile it runs on (None: a format-1 snapshot)
    position: int | None = None  # pending only: 1 = the next one its profile's workers claim

    @classmethod
    def build(cls, sub: Submission, records: list[ResultRecord],
              place: tuple[str, int] | None = None) -> SnapshotEntry:
        """The entry of ``sub``; ``place`` is its (profile, position) while pending (``SubmissionQueue.positions``)."""
        reason = sub.reason or ""
        for rec in records:  # the queue's reason quotes record failures: cut any hidden-data text out
            if rec.failure is not None and rec.split.startswith(HIDDEN_PREFIX) and rec.failure.message:
                reason = reason.replace(rec.failure.message, safe_message(rec) or "")
        return cls(sub.id, sub.participant, sub.name, sub.state, _capped(reason) or "", sub.created_at,
                   sub.updated_at, sub.attempts, sub.image_digest,
                   [{"at": t.at, "from": t.from_state, "to": t.to_state} for t in sub.history],
                   [TrackScore.from_record(r) for r in sorted(records, key=lambda r: (r.track, r.profile, r.split))],
                   place[0] if place else str(sub.manifest.get("profile") or "cpu-1"), place[1] if place else None)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SnapshotEntry:
        d = dict(d)
        d["scores"] = [TrackScore(**s) for s in d.get("scores", [])]
        return cls(**d)


@dataclass
class QueueSnapshot:
    as_of: str | None  # the latest change in the queue (None: empty queue)
    counts: dict[str, int]
    submissions: list[SnapshotEntry]  # newest first
    format: int = SNAPSHOT_FORMAT
    service: ServiceSeen | None = None  # the service's last heartbeat (None: never seen, or format 1)

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> QueueSnapshot:
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("format") not in READABLE_FORMATS:
            raise ValueError(f"not a queue snapshot of format {' or '.join(map(str, READABLE_FORMATS))} "
                             f"(format {raw.get('format') if isinstance(raw, dict) else '?'}); "
                             "upgrade the challenge package (`pip install -U astrocompress-challenge`)")
        counts = dict(raw.get("counts", {}))
        ordered = {s: counts.pop(s) for s in states.STATES if s in counts} | counts  # the state machine's order
        service = raw.get("service")
        return cls(raw.get("as_of"), ordered,
                   [SnapshotEntry.from_dict(e) for e in raw.get("submissions", [])], raw["format"],
                   ServiceSeen.from_dict(service) if service else None)

    def of(self, participant: str | None) -> list[SnapshotEntry]:
        """The entries of ``participant`` (every entry for None), newest first."""
        return [e for e in self.submissions if participant is None or e.participant == participant]


def build_snapshot(queue: SubmissionQueue, store: ResultStore | None) -> QueueSnapshot:
    """The snapshot of every submission in ``queue``, with the scores of its records in ``store``."""
    keys: dict[str, list[str]] = {}  # one listing of the store, not one per submission
    for key in store.keys() if store is not None else []:
        keys.setdefault(RecordQuery.parse(key).submission or "", []).append(key)
    entries = []
    places = queue.positions()
    for sub in queue.submissions():
        records = [store.read(k) for k in keys.get(safe_component(sub.id), [])] if store is not None else []
        entries.append(SnapshotEntry.build(sub, records, places.get(sub.id) if sub.state == states.PENDING else None))
    as_of = max((e.updated_at for e in entries), default=None)
    return QueueSnapshot(as_of, queue.counts(), entries, service=read_seen(queue))


def snapshot_url(results_url: str) -> str:
    return f"{results_url.rstrip('/')}/{SNAPSHOT_PATH}"


def read_snapshot(results_url: str, **storage_options: Any) -> QueueSnapshot:
    """The snapshot published in the results dataset at ``results_url`` (any fsspec URL)."""
    url = snapshot_url(results_url)
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    invalidate = getattr(fs, "invalidate_cache", None)
    if callable(invalidate):
        invalidate()  # the Hub's file system caches listings; a reader wants the newest snapshot
    try:
        data = fs.cat_file(path)
    except FileNotFoundError as exc:
        raise SnapshotMissing(
            f"no queue snapshot at {url}: the organizer has not published one yet (it is written by "
            f"`challenge admin publish --queue DIR`); check the URL, or ask the organizer") from exc
    return QueueSnapshot.from_json(data)
