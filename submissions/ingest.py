"""The organizer's side of the hosted inbox (:mod:`submissions.inbox`): ingest open requests, answer them.

:func:`ingest` turns each open request into a pending submission once: the
request's *author* is the participant (on the Hub, the account that opened
the pull request; what the request's JSON says is not trusted), the daily
limit is the author's, a duplicate image digest is refused; the request is
answered "queued" (or closed with the reason it was refused).
:func:`answer` closes the request of each submission that reached a final
state, saying "finished" with the scores or "failed" with the reason (the
queue's reason, which never holds codec logs of hidden-data runs).

Both are safe to rerun after a crash at any point: what was done is in the
queue (``SubmissionQueue.mark_ingested``), and each answer carries a marker
(:func:`marker`) so one found on the request is not said twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.records import ResultStore
from submissions import states
from submissions.inbox import Inbox, InboxRequest
from submissions.limits import LimitExceeded
from submissions.queue import DuplicateSubmission, Submission, SubmissionQueue

log = logging.getLogger(__name__)

ACCEPTED = "accepted"
REJECTED = "rejected"
ANSWERED = "answered"


@dataclass
class IngestReport:
    accepted: list[str] = field(default_factory=list)  # submission ids
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (request id, reason)
    answered: list[tuple[str, str]] = field(default_factory=list)  # (request id, final state)


def images_dir(queue: SubmissionQueue) -> Path:
    path = queue.folder / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


def marker(kind: str, request_id: str) -> str:
    """The tag ending each answer, so a rerun after a crash can see it was already given."""
    return f"<!-- astrocompress:{kind}:{request_id} -->"


def _said(req: InboxRequest, kind: str) -> bool:
    tag = marker(kind, req.request_id)
    return any(tag in c for c in req.comments)


def _reject(inbox: Inbox, queue: SubmissionQueue, rid: str, reason: str, report: IngestReport,
            existing: str | None = None) -> None:
    queue.mark_ingested(rid, existing, f"{REJECTED}: {reason}")
    inbox.close(rid, f"**Not queued**: {reason}\n\n{marker(REJECTED, rid)}")
    report.rejected.append((rid, reason))


def _queued_text(sub: Submission) -> str:
    return (f"**Queued** as `{sub.id}` (participant `{sub.participant}`, image `{sub.image_digest[:19]}...`). "
            "This pull request is answered again and closed when the evaluation ends; it is never merged."
            f"\n\n{marker('queued', sub.request_id or '')}")


def _recover(inbox: Inbox, queue: SubmissionQueue, rid: str, sub: Submission | None, outcome: str | None,
             report: IngestReport) -> None:
    """Finish what a crash interrupted: a rejection not yet closed, a queued request not yet answered."""
    req = inbox.read(rid)
    if sub is None and outcome is not None and outcome.startswith(REJECTED):
        said = _said(req, REJECTED)
        inbox.close(rid, "" if said else f"**Not queued**: {outcome[len(REJECTED) + 2:]}\n\n{marker(REJECTED, rid)}")
        return
    if sub is not None:
        if not _said(req, "queued"):
            inbox.comment(rid, _queued_text(sub))
        queue.mark_ingested(rid, sub.id, ACCEPTED)


def ingest(inbox: Inbox, queue: SubmissionQueue) -> IngestReport:
    """Queue the inbox's new open requests (each once); refuse duplicates and over-limit ones with the reason."""
    report = IngestReport()
    seen = queue.ingested()
    for rid in inbox.open_requests():
        outcome = seen.get(rid, (None, None))[1]
        if outcome is not None and not outcome.startswith(REJECTED):
            continue  # queued (and answered) before; answer() closes it at the end
        sub = queue.find_by_request(rid)
        if sub is not None or outcome is not None:
            _recover(inbox, queue, rid, sub, outcome, report)
            continue
        try:
            req = inbox.read(rid)
            digest = str(req.fields["image_digest"])
            if not req.author.strip():
                raise ValueError("the request has no author")
        except Exception as exc:  # noqa: BLE001  (a malformed request must not stop the others)
            _reject(inbox, queue, rid, f"unreadable request: {exc}", report)
            continue
        try:  # refuse before downloading a large tar; enqueue() re-checks atomically
            queue.precheck(req.author, digest)
        except (DuplicateSubmission, LimitExceeded) as exc:
            _reject(inbox, queue, rid, str(exc), report, getattr(exc, "existing_id", None))
            continue
        tar = inbox.fetch_image(rid, images_dir(queue) / f"{rid}.tar.gz")
        f = req.fields
        try:
            sub = queue.enqueue(
                participant=req.author, name=str(f.get("name", "codec")), image_digest=digest,
                manifest=dict(f.get("manifest") or {}), image_ref=f.get("image_ref"), image_tar=str(tar),
                tar_sha256=f.get("tar_sha256"), image_size_bytes=f.get("image_size_bytes"),
                tracks=f.get("tracks"), request_id=rid,
            )
        except (DuplicateSubmission, LimitExceeded, ValueError) as exc:
            tar.unlink(missing_ok=True)
            _reject(inbox, queue, rid, str(exc), report, getattr(exc, "existing_id", None))
            continue
        inbox.comment(rid, _queued_text(sub))  # before the mark: a crash in between is recovered above
        queue.mark_ingested(rid, sub.id, ACCEPTED)
        report.accepted.append(sub.id)
        log.info("ingested request %s as %s (author %s)", rid, sub.id, req.author)
    return report


def scores_text(store_url: str | None, submission_id: str) -> str:
    """One line per track record: mean ratio, bits per pixel, the data and profile it ran on."""
    if not store_url:
        return ""
    lines = []
    for rec in ResultStore(store_url).find(submission=submission_id):
        s = rec.summary
        if rec.status == "ok":
            lines.append(f"- `{rec.track}`: mean ratio **{s.ratio_mean:.4f}**, {s.bpp_mean:.3f} bits/pixel, "
                         f"{s.n_items} items on `{rec.split}` ({rec.profile})")
        else:
            kind = rec.failure.kind if rec.failure else "failed"
            lines.append(f"- `{rec.track}`: failed ({kind}) on `{rec.split}` ({rec.profile})")
    return "\n".join(lines)


def final_text(sub: Submission, store_url: str | None) -> str:
    scores = scores_text(store_url, sub.id)
    head = {states.FINISHED: "**Finished**", states.FAILED: "**Failed**"}.get(sub.state, f"**{sub.state.title()}**")
    body = f"{head}: `{sub.id}`: {sub.reason}" + (f"\n\n{scores}" if scores else "")
    return f"{body}\n\n{marker(ANSWERED, sub.request_id or '')}"


def answer(inbox: Inbox, queue: SubmissionQueue, store_url: str | None, report: IngestReport | None = None
           ) -> IngestReport:
    """Close the request of every submission in a final state that was not answered yet."""
    report = report or IngestReport()
    seen = queue.ingested()
    for sub in queue.submissions():
        rid = sub.request_id
        if not rid or not sub.terminal or seen.get(rid, (None, ""))[1].startswith(ANSWERED):
            continue
        try:
            if not _said(inbox.read(rid), ANSWERED):
                inbox.close(rid, final_text(sub, store_url))
            elif rid in inbox.open_requests():  # said, then a crash before the close
                inbox.close(rid, "")
        except Exception as exc:  # noqa: BLE001  (the Hub may be down; retried next cycle)
            log.warning("could not answer request %s of %s: %s", rid, sub.id, exc)
            continue
        queue.mark_ingested(rid, sub.id, f"{ANSWERED}: {sub.state}")
        report.answered.append((rid, sub.state))
    return report
