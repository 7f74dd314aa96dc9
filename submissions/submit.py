"""``challenge submit`` below the CLI: a codec folder (or an already-built image) to a submission.

:func:`submit_codec` runs the steps in order, and refuses with :class:`SubmitRefused`
(the message says why and what to do) before anything is queued or uploaded:

0. a hosted inbox is checked first (:func:`submissions.inbox.inbox_url.parse_destination`:
   a lookalike URL is refused before anything is built), then asked for the
   token's Hub account (the identity) and the organizer's recipient;
1. the image: the folder built (:func:`submissions.evaluation.intake.build`), or an
   already-built image pinned by id (``REF`` or ``REF@sha256:...``);
2. for the local queue, the duplicate-digest and daily-limit checks, before
   any long work (the hosted inbox's are the organizer's, at ingest);
3. the self-check: the organizers' evaluator on one item per track;
4. the export (``docker save | gzip`` of the image id, so the digest is
   frozen), then the local queue (the tar next to it) or the hosted inbox
   (:mod:`submissions.inbox.inbox`: on the Hub, a pull request from the
   participant's own account). For an inbox with a recipient (the Hub
   always), the archive is encrypted for the organizer first
   (:mod:`submissions.inbox.inbox_crypto`, streaming) and only the ciphertext is
   sent; the request's JSON then carries the image id sealed too (it would
   otherwise say which image it is) and the plaintext archive's SHA-256.

The caller shows the long steps through ``view`` (a spinner, a log line);
:func:`quiet` shows nothing.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from evaluator.core.manifest import Manifest, ManifestError, load_manifest
from evaluator.core.tracks import Track
from evaluator.results.image_identity import ImageIdentity
from evaluator.sdk.errors import BadInput
from submissions.evaluation.intake import (
    BUILD_ERRORS,
    IntakeError,
    Progress,
    build,
    describe_failures,
    export_image,
    resolve_pinned_image,
    self_check,
)
from submissions.inbox.inbox import Inbox, SubmissionStoreError
from submissions.inbox.inbox_crypto import InboxKeyError, parse_recipient, seal_file
from submissions.inbox.inbox_image import seal_fields
from submissions.inbox.inbox_url import InboxDestination, open_inbox, parse_destination
from submissions.inbox.ingest import images_dir
from submissions.queue.limits import LimitExceeded
from submissions.queue.submission_queue import DuplicateSubmission, SubmissionQueue, new_submission_id


class SubmitRefused(BadInput, RuntimeError):
    """Nothing was submitted; the message says why and what to do."""


class Phase(StrEnum):
    """The long steps of :func:`submit`, in order."""

    BUILD = "build"  # the folder's image is built; the view's callable gets the build's log lines
    SELF_CHECK = "self-check"  # one item per track through the evaluator
    EXPORT = "export"  # docker save
    UPLOAD = "upload"  # a hosted inbox: encrypt for the organizer, then send


SubmitView = Callable[[Phase], AbstractContextManager[Progress]]
InboxOpener = Callable[[InboxDestination], Inbox]


def _ignore(_line: str) -> None:
    return None


def quiet(_phase: Phase) -> AbstractContextManager[Progress]:
    """A view that shows nothing."""
    return nullcontext(_ignore)


@dataclass(frozen=True)
class SubmitRequest:
    folder: Path  # the codec folder (its codec.toml, even with ``image``)
    participant: str
    tracks: list[Track]  # for the self-check
    data: str = "synthetic"  # data spec of the self-check
    image: str | None = None  # an already-built image (REF or REF@sha256:...) instead of building the folder
    inbox: str | None = None  # a hosted inbox URL; None: the local queue


@dataclass(frozen=True)
class SubmitResult:
    codec: str  # the manifest's name
    image: ImageIdentity  # frozen: its id, the name it was built as, the exported tar's (gzip) size
    submission_id: str | None = None  # set when queued locally
    request_id: str | None = None  # set when uploaded to a hosted inbox
    request_url: str | None = None  # the pull request's page (or the folder) of that request
    sender: str | None = None  # the identity it was sent as (on the Hub: the token's account)
    encrypted: bool = False  # the image was sent encrypted for the organizer

    @property
    def tar_bytes(self) -> int:
        """The exported image, gzip-compressed."""
        return self.image.compressed_size_bytes or 0


@dataclass(frozen=True)
class _Destination:
    inbox: Inbox
    sender: str
    recipient: Any  # pyrage x25519.Recipient, or None for a folder without one


@dataclass(frozen=True)
class _Image:
    manifest: Manifest
    identity: ImageIdentity  # its compressed size is the exported tar's, filled in when exported
    size_bytes: int | None  # uncompressed; None for an already-built image (not measured)

    def exported(self, tar_bytes: int) -> ImageIdentity:
        return dataclasses.replace(self.identity, compressed_size_bytes=tar_bytes)


@contextmanager
def _refused(*kinds: type[Exception]) -> Iterator[None]:
    """Turn the errors ``kinds`` (each says what to do) into :class:`SubmitRefused`."""
    try:
        yield
    except kinds as exc:
        raise SubmitRefused(str(exc)) from exc


def submit_codec(request: SubmitRequest, queue: SubmissionQueue, view: SubmitView = quiet, *,
                 inbox_opener: InboxOpener = open_inbox) -> SubmitResult:
    """Self-check and submit ``request`` to ``queue`` (or to its hosted inbox); raises :class:`SubmitRefused`.

    ``inbox_opener`` opens the hosted inbox (tests hand in one with a stand-in ``HfApi``)."""

    dest = _destination(request, inbox_opener) if request.inbox is not None else None  # before any build
    image = _image(request, view)
    if dest is None:  # local queue: refuse a duplicate or an over-limit submission before any work
        with _refused(DuplicateSubmission, LimitExceeded):
            queue.precheck(request.participant, image.identity)
    with view(Phase.SELF_CHECK):
        records = self_check(image.identity, tracks=request.tracks, data=request.data,
                             profile=image.manifest.profile)
    problems = describe_failures(records)
    if problems:
        raise SubmitRefused("the self-check failed, so nothing was submitted:\n  " + "\n  ".join(problems)
                            + f"\nrun `challenge test {request.folder}` for details and the codec's log")
    if dest is not None:
        return _upload(dest, request, image, view)
    return _enqueue(request, image, queue, view)


def _destination(request: SubmitRequest, inbox_opener: InboxOpener) -> _Destination:
    """The inbox checked before any work: its URL, the identity, the organizer's key (a public inbox needs one)."""
    with _refused(SubmissionStoreError, InboxKeyError):
        where = parse_destination(request.inbox or "")
        inbox = inbox_opener(where)
        sender = inbox.sender(request.participant)
        published = inbox.recipient()
        if published is None and inbox.public:
            raise SubmitRefused(f"{where.url} has no inbox-recipient.txt on its main branch: the organizers have not "
                                "published the key that keeps your image private, so nothing was built or sent; "
                                "ask them to run `challenge admin inbox-key --inbox " + where.url + "`")
        recipient = parse_recipient(published, f"{where.url}/inbox-recipient.txt") if published else None
    return _Destination(inbox, sender, recipient)


def _image(request: SubmitRequest, view: SubmitView) -> _Image:
    if request.image:
        with _refused(ManifestError, IntakeError):
            manifest = load_manifest(request.folder)
            image_id = resolve_pinned_image(request.image)
            return _Image(manifest, ImageIdentity.frozen(image_id, ref=request.image, modes=_modes(manifest)), None)
    with _refused(*BUILD_ERRORS), view(Phase.BUILD) as progress:
        manifest, built = build(request.folder, progress=progress)
    return _Image(manifest, ImageIdentity.frozen(built.image_id, ref=built.tag, modes=_modes(manifest)),
                  built.size_bytes)


def _modes(manifest: Manifest) -> str:
    """The modes label the image carries (``evaluator.images.codec_build`` writes the manifest's, comma-separated)."""
    return ",".join(manifest.modes)


def _fields(request: SubmitRequest, image: _Image) -> dict[str, Any]:
    return {"participant": request.participant, "name": image.manifest.name, "image_digest": image.identity.digest,
            "manifest": image.manifest.to_dict(), "image_size_bytes": image.size_bytes, "image_ref": image.identity.ref}


def _upload(dest: _Destination, request: SubmitRequest, image: _Image, view: SubmitView) -> SubmitResult:
    """Export to a temporary tar, encrypt it for the organizer, send it with the request (on the Hub: a PR)."""
    with tempfile.TemporaryDirectory() as tmp:
        with view(Phase.EXPORT):
            exported = export_image(image.identity.run_ref, Path(tmp) / "image.tar.gz")
        fields = {**_fields(request, image), "participant": dest.sender, "tar_sha256": exported.sha256}
        with view(Phase.UPLOAD), _refused(SubmissionStoreError):
            sent = exported.path
            if dest.recipient is not None:
                sent = Path(tmp) / "image.tar.gz.age"
                seal_file(exported.path, sent, dest.recipient)
                exported.path.unlink()  # only the ciphertext is kept, and sent
                fields = seal_fields(fields, dest.recipient)
            rid = dest.inbox.put_request(fields, sent)
    return SubmitResult(image.manifest.name, image.exported(exported.size_bytes), request_id=rid,
                        request_url=dest.inbox.request_url(rid), sender=dest.sender,
                        encrypted=dest.recipient is not None)


def _enqueue(request: SubmitRequest, image: _Image, queue: SubmissionQueue, view: SubmitView) -> SubmitResult:
    """Export next to the queue and queue it; the tar is removed again when the queue refuses."""
    sid = new_submission_id()
    with view(Phase.EXPORT):
        exported = export_image(image.identity.run_ref, images_dir(queue) / f"{sid}.tar.gz")
    try:
        sub = queue.enqueue(participant=request.participant, name=image.manifest.name,
                            image=image.exported(exported.size_bytes), manifest=image.manifest.to_dict(),
                            image_tar=str(exported.path), tar_sha256=exported.sha256,
                            image_size_bytes=image.size_bytes, submission_id=sid)
    except (DuplicateSubmission, LimitExceeded, ValueError) as exc:
        exported.path.unlink(missing_ok=True)
        raise SubmitRefused(str(exc)) from exc
    return SubmitResult(image.manifest.name, sub.image, submission_id=sub.id)
