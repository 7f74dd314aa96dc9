"""The organizer's side of the hosted inbox (:mod:`submissions.inbox.inbox`): ingest open requests, answer them.

:func:`ingest` turns each open request into a pending submission once: the
request's *author* is the participant (on the Hub, the account that opened
the pull request; what the request's JSON says is not trusted), the daily
limit is the author's, a duplicate image digest is refused; the request is
answered "queued" (or closed with the reason it was refused).
:func:`answer` closes the request of each submission that reached a final
state, saying "finished" with the scores or "failed" with the reason (the
queue's reason, which never holds codec logs of hidden-data runs).

The image is taken by :mod:`submissions.inbox.inbox_image`: an encrypted one
(the Hub always; a folder that publishes a recipient) is decrypted with the
organizer's key and checked against the request's SHA-256; an unencrypted
one in such an inbox is refused with the reason. Once the image is ours (or
the request refused), its large files are deleted from the inbox's storage
and the request says so; a deletion that failed is tried again at the answer.

Both are safe to rerun after a crash at any point: what was done is in the
queue (``SubmissionQueue.mark_ingested``), and each answer carries a marker
(:func:`marker`) so one found on the request is not said twice. Markers are
read only from the organizer's own comments (:attr:`InboxRequest.comments`),
so a participant who writes one on their pull request changes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.results.records import ResultStore
from submissions.inbox.inbox import Inbox, InboxRequest
from submissions.inbox.inbox_crypto import InboxKeyError
from submissions.inbox.inbox_image import (
    OrganizerKey,
    RequestRefused,
    frozen_image,
    receive_image,
    remove_stored_image,
)
from submissions.queue import states
from submissions.queue.limits import LimitExceeded
from submissions.queue.request_fields import request_refusal
from submissions.queue.submission_queue import DuplicateSubmission, Submission, SubmissionQueue

log = logging.getLogger(__name__)

ACCEPTED = "accepted"
REJECTED = "rejected"
ANSWERED = "answered"
REMOVED = "removed"  # the request's large files were deleted from the inbox's storage
_HEX_ID = re.compile(r"sha256:[0-9a-f]{6,}|\b[0-9a-f]{64}\b")


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


def _redact(text: str) -> str:
    """Public answers never name an image or layer digest (a sealed request keeps its image id private)."""
    return _HEX_ID.sub("<digest>", text)


def _removal(inbox: Inbox, rid: str) -> str:
    """Delete the request's large files; the sentence to say (with its marker when done)."""
    done, sentence = remove_stored_image(inbox, rid)
    return sentence + (f"\n{marker(REMOVED, rid)}" if done else "")


def _reject(inbox: Inbox, queue: SubmissionQueue, rid: str, reason: str, report: IngestReport,
            existing: str | None = None) -> None:
    removal = _removal(inbox, rid)
    queue.mark_ingested(rid, existing, f"{REJECTED}: {reason}")
    inbox.close(rid, f"**Not queued**: {_redact(reason)}\n\n{removal}\n\n{marker(REJECTED, rid)}")
    report.rejected.append((rid, reason))


def _queued_text(sub: Submission, removal: str) -> str:
    return (f"**Queued** as `{sub.id}` (participant `{sub.participant}`). This pull request is answered again and "
            f"closed when the evaluation ends; it is never merged.\n\n{removal}"
            f"\n\n{marker('queued', sub.request_id or '')}")


def _recover(inbox: Inbox, queue: SubmissionQueue, rid: str, sub: Submission | None, outcome: str | None,
             report: IngestReport) -> None:
    """Finish what a crash interrupted: a rejection not yet closed, a queued request not yet answered."""
    req = inbox.read(rid)
    if sub is None and outcome is not None and outcome.startswith(REJECTED):
        said = _said(req, REJECTED)
        removal = "" if _said(req, REMOVED) else _removal(inbox, rid)
        inbox.close(rid, "" if said else f"**Not queued**: {_redact(outcome[len(REJECTED) + 2:])}\n\n{removal}"
                    f"\n\n{marker(REJECTED, rid)}")
        return
    if sub is not None:
        if not _said(req, "queued"):
            inbox.comment(rid, _queued_text(sub, "" if _said(req, REMOVED) else _removal(inbox, rid)))
        queue.mark_ingested(rid, sub.id, ACCEPTED)


def ingest(inbox: Inbox, queue: SubmissionQueue, *, identity_file: Path | None = None) -> IngestReport:
    """Queue the inbox's new open requests (each once); refuse duplicates, over-limit and unencrypted ones.

    ``identity_file``: the organizer's age identity (default :func:`submissions.inbox.inbox_crypto.identity_path`);
    a missing or mismatched key raises :class:`submissions.inbox.inbox_crypto.InboxKeyError` (nothing is refused for
    the organizer's own problem)."""
    report = IngestReport()
    seen = queue.ingested()
    key = OrganizerKey(inbox, identity_file)
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
            if not req.author.strip():
                raise ValueError("the request has no author")
            frozen = frozen_image(req, key)
        except RequestRefused as exc:
            _reject(inbox, queue, rid, str(exc), report)
            continue
        except InboxKeyError:
            raise  # the organizer's key: fix it, then the request is taken as it is
        except Exception as exc:  # noqa: BLE001  (a malformed request must not stop the others)
            _reject(inbox, queue, rid, f"unreadable request: {exc}", report)
            continue
        refusal = request_refusal(req.author, req.fields)  # what the board would show: evaluator.core.public_text
        if refusal:
            _reject(inbox, queue, rid, refusal, report)
            continue
        try:  # refuse before downloading a large tar; enqueue() re-checks atomically
            queue.precheck(req.author, frozen.identity())
        except (DuplicateSubmission, LimitExceeded) as exc:
            _reject(inbox, queue, rid, str(exc), report, getattr(exc, "existing_id", None))
            continue
        try:
            tar = receive_image(inbox, req, frozen, key, images_dir(queue) / f"{rid}.tar.gz")
        except RequestRefused as exc:
            _reject(inbox, queue, rid, str(exc), report)
            continue
        f = req.fields
        try:
            sub = queue.enqueue(
                participant=req.author, name=str(f.get("name", "codec")),
                image=frozen.identity(tar.stat().st_size),
                manifest=dict(f.get("manifest") or {}), image_tar=str(tar),
                tar_sha256=frozen.tar_sha256, image_size_bytes=frozen.size_bytes,
                tracks=f.get("tracks"), request_id=rid,
            )
        except (DuplicateSubmission, LimitExceeded, ValueError) as exc:
            tar.unlink(missing_ok=True)
            _reject(inbox, queue, rid, str(exc), report, getattr(exc, "existing_id", None))
            continue
        # the image is ours now: delete the stored copy, then say so (before the mark: a crash is recovered above)
        inbox.comment(rid, _queued_text(sub, _removal(inbox, rid)))
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
    body = f"{head}: `{sub.id}`: {_redact(sub.reason)}" + (f"\n\n{scores}" if scores else "")
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
            req = inbox.read(rid)
            if not _said(req, ANSWERED):
                removal = "" if _said(req, REMOVED) else _removal(inbox, rid)  # a deletion that failed at ingest
                inbox.close(rid, final_text(sub, store_url) + (f"\n\n{removal}" if removal else ""))
            elif rid in inbox.open_requests():  # said, then a crash before the close
                inbox.close(rid, "")
        except Exception as exc:  # noqa: BLE001  (the Hub may be down; retried next cycle)
            log.warning("could not answer request %s of %s: %s", rid, sub.id, exc)
            continue
        queue.mark_ingested(rid, sub.id, f"{ANSWERED}: {sub.state}")
        report.answered.append((rid, sub.state))
    return report
