"""Copy new requests from a hosted inbox (:mod:`submissions.submission_store`) into the local queue.

Each request is handled once (``SubmissionQueue.mark_ingested``): accepted
requests become pending submissions with their image tar copied next to the
queue; duplicates and over-limit requests are recorded as rejected with the
reason. Limits and dedupe are enforced here, on the organizer's side, where
the participant cannot skip them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from submissions.limits import LimitExceeded
from submissions.queue import DuplicateSubmission, SubmissionQueue
from submissions.submission_store import SubmissionStore

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    accepted: list[str] = field(default_factory=list)  # submission ids
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (request id, reason)


def images_dir(queue: SubmissionQueue) -> Path:
    path = queue.folder / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ingest(store: SubmissionStore, queue: SubmissionQueue) -> IngestReport:
    report = IngestReport()
    seen = queue.ingested()
    for rid in store.request_ids():
        if rid in seen or queue.find_by_request(rid) is not None:
            continue
        try:
            req = store.read_request(rid)
            digest = str(req["image_digest"])
            participant = str(req["participant"])
        except Exception as exc:  # noqa: BLE001  (a malformed request must not stop the others)
            reason = f"unreadable request: {exc}"
            queue.mark_ingested(rid, None, f"rejected: {reason}")
            report.rejected.append((rid, reason))
            continue
        try:  # refuse before downloading a large tar; enqueue() re-checks atomically
            queue.precheck(participant, digest)
        except (DuplicateSubmission, LimitExceeded) as exc:
            queue.mark_ingested(rid, getattr(exc, "existing_id", None), f"rejected: {exc}")
            report.rejected.append((rid, str(exc)))
            continue
        tar = store.fetch_image(rid, images_dir(queue) / f"{rid}.tar.gz")
        try:
            sub = queue.enqueue(
                participant=participant, name=str(req.get("name", "codec")), image_digest=digest,
                manifest=dict(req.get("manifest") or {}), image_ref=req.get("image_ref"), image_tar=str(tar),
                tar_sha256=req.get("tar_sha256"), image_size_bytes=req.get("image_size_bytes"),
                tracks=req.get("tracks"), request_id=rid,
            )
        except (DuplicateSubmission, LimitExceeded) as exc:
            tar.unlink(missing_ok=True)
            queue.mark_ingested(rid, getattr(exc, "existing_id", None), f"rejected: {exc}")
            report.rejected.append((rid, str(exc)))
            continue
        queue.mark_ingested(rid, sub.id, "accepted")
        report.accepted.append(sub.id)
        log.info("ingested request %s as %s", rid, sub.id)
    return report

