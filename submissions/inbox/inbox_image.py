"""What ingest does with a request's image: refuse plaintext, fetch, decrypt, check, then delete the stored copy.

A public inbox (the Hub) and any folder that publishes a recipient take only
an image encrypted for the organizer (``requests/<name>/image.tar.gz.age``).
A request that holds anything else, an unencrypted archive above all, is
refused with the reason (:class:`RequestRefused`) and its large files are
deleted, so the participant's codec does not stay readable.

An accepted image is fetched, decrypted with the organizer's identity
(streaming) and its SHA-256 compared with the ``tar_sha256`` of the request;
the image id comes out of the request's sealed fields, so the worker's
:func:`submissions.evaluation.intake.load_image` verifies the frozen digest exactly as
for a local submission.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.results.image_identity import ImageIdentity
from evaluator.sdk.errors import BadInput
from submissions.inbox.inbox import (
    IMAGE_FILE,
    REQUEST_FILE,
    REQUESTS,
    SEALED_FIELDS,
    SEALED_IMAGE_FILE,
    Inbox,
    InboxRequest,
)
from submissions.inbox.inbox_crypto import (
    InboxKeyError,
    SealError,
    identity_path,
    load_identity,
    open_bytes,
    open_sealed,
    parse_recipient,
    seal_bytes,
)

log = logging.getLogger(__name__)

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ARCHIVE = re.compile(r"\.(tar|gz|tgz|zst|xz|bz2|zip|7z|img|oci)$", re.IGNORECASE)
HOW_TO_SUBMIT = ("submit again with `challenge submit FOLDER --to {url}`: it encrypts the image for the organizers, "
                 "so only they can read it")


SEALED_KEYS = ("image_digest", "image_ref", "image_size_bytes")  # what would say which image it is


def seal_fields(fields: dict[str, Any], recipient: Any) -> dict[str, Any]:
    """Sender side: ``fields`` with :data:`SEALED_KEYS` encrypted for the organizer (base64 under ``sealed``)."""
    secret = {k: fields[k] for k in SEALED_KEYS if k in fields}
    public = {k: v for k, v in fields.items() if k not in SEALED_KEYS}
    sealed = seal_bytes(json.dumps(secret, sort_keys=True).encode(), recipient)
    return {**public, SEALED_FIELDS: base64.b64encode(sealed).decode(), "recipient": str(recipient)}


class RequestRefused(BadInput):
    """The request is not queued; ``str(exc)`` is the reason said on it (what went wrong and what to do)."""


@dataclass(frozen=True)
class FrozenImage:
    """What the request freezes: the image id and the archive's SHA-256; the local tag and size if given."""

    image_id: str
    tar_sha256: str | None
    image_ref: str | None = None
    size_bytes: int | None = None
    path: str = ""  # the image's file in the inbox (requests/<name>/...)
    sealed: bool = False

    def identity(self, compressed_size_bytes: int | None = None) -> ImageIdentity:
        """The image identity the queue keeps (``compressed_size_bytes``: the received tar's size)."""
        return ImageIdentity.frozen(self.image_id, ref=self.image_ref, compressed_size_bytes=compressed_size_bytes)


class OrganizerKey:
    """The organizer's identity, loaded on first use and checked against the recipient the inbox publishes."""

    def __init__(self, inbox: Inbox, path: Path | None = None) -> None:
        self.inbox, self.path = inbox, path
        self._identity: Any = None
        self._published: str | None | bool = False  # False: not asked yet

    def published(self) -> str | None:
        if self._published is False:
            self._published = self.inbox.recipient()
        return self._published if isinstance(self._published, str) else None

    def sealed_only(self) -> bool:
        """Only encrypted images: a public inbox, or one that publishes a recipient."""
        return self.inbox.public or self.published() is not None

    def identity(self) -> Any:
        """The pyrage identity; an :class:`InboxKeyError` (the organizer's to fix) stops the whole ingest."""
        if self._identity is None:
            path = self.path or identity_path()
            identity = load_identity(path)
            text = self.published()
            if text is None:
                raise InboxKeyError(f"{self.inbox.url} publishes no recipient; publish yours with "
                                    f"`challenge admin inbox-key --inbox {self.inbox.url}`")
            published = str(parse_recipient(text, f"{self.inbox.url}/inbox-recipient.txt"))
            if published != str(identity.to_public()):
                raise InboxKeyError(f"{self.inbox.url} publishes the recipient {published}, but the key at {path} "
                                    f"is for {identity.to_public()}: publish yours with `challenge admin inbox-key "
                                    f"--inbox {self.inbox.url}` (or point CHALLENGE_HOME at the right key)")
            self._identity = identity
        return self._identity


def _image_path(req: InboxRequest, sealed_only: bool, url: str) -> tuple[str, bool]:
    """The request's one image file and whether it is sealed; refuses plaintext and stray files."""
    folder = next((p[:-len(REQUEST_FILE)] for p in req.files
                   if p.startswith(f"{REQUESTS}/") and p.endswith(f"/{REQUEST_FILE}")), f"{REQUESTS}/?/")
    names = {p[len(folder):]: p for p in req.files if p.startswith(folder)}
    stray = sorted(p for p in req.files if not p.startswith(folder) or p[len(folder):] not in
                   (REQUEST_FILE, SEALED_IMAGE_FILE, IMAGE_FILE))
    plain = sorted(p for p in req.files if _ARCHIVE.search(p))
    if sealed_only and plain:
        raise RequestRefused(f"the image is not encrypted ({', '.join(plain)}): anyone could download it from this "
                             f"inbox, so it is not evaluated; {HOW_TO_SUBMIT.format(url=url)}")
    if stray:
        raise RequestRefused(f"the request adds files a submission does not have ({', '.join(stray[:5])}); a "
                             f"submission adds only {REQUEST_FILE} and {SEALED_IMAGE_FILE}: "
                             + HOW_TO_SUBMIT.format(url=url))
    if SEALED_IMAGE_FILE in names:
        return names[SEALED_IMAGE_FILE], True
    if IMAGE_FILE in names and not sealed_only:
        return names[IMAGE_FILE], False
    raise RequestRefused(f"the request has no image ({SEALED_IMAGE_FILE}); " + HOW_TO_SUBMIT.format(url=url))


def _sealed_values(fields: dict[str, Any], key: OrganizerKey) -> dict[str, Any]:
    raw = fields.get(SEALED_FIELDS)
    if not isinstance(raw, str) or len(raw) > 8192:
        raise RequestRefused(f"{REQUEST_FILE} has no sealed image id ('{SEALED_FIELDS}'); "
                             + HOW_TO_SUBMIT.format(url=key.inbox.url))
    try:
        values = json.loads(open_bytes(base64.b64decode(raw, validate=True), key.identity()))
    except (binascii.Error, ValueError, SealError) as exc:
        raise RequestRefused(f"the sealed fields of {REQUEST_FILE} cannot be read ({exc}); "
                             + HOW_TO_SUBMIT.format(url=key.inbox.url)) from None
    if not isinstance(values, dict):
        raise RequestRefused(f"the sealed fields of {REQUEST_FILE} are not a JSON object")
    return values


def frozen_image(req: InboxRequest, key: OrganizerKey) -> FrozenImage:
    """What the request freezes, before anything large is downloaded; raises :class:`RequestRefused`."""
    path, sealed = _image_path(req, key.sealed_only(), key.inbox.url)
    values = _sealed_values(req.fields, key) if sealed else req.fields
    digest, tar_sha = values.get("image_digest"), req.fields.get("tar_sha256")
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise RequestRefused(f"the request's image id is not sha256:<64 hex> ({str(digest)[:80]!r})")
    if sealed and not (isinstance(tar_sha, str) and _HEX64.match(tar_sha)):
        raise RequestRefused(f"{REQUEST_FILE} has no tar_sha256 (the SHA-256 of the image archive); "
                             + HOW_TO_SUBMIT.format(url=key.inbox.url))
    ref, size = values.get("image_ref"), values.get("image_size_bytes")
    return FrozenImage(digest, tar_sha if isinstance(tar_sha, str) else None,
                       ref if isinstance(ref, str) else None, size if isinstance(size, int) else None, path, sealed)


def receive_image(inbox: Inbox, req: InboxRequest, frozen: FrozenImage, key: OrganizerKey, dest: Path) -> Path:
    """Fetch the image to ``dest``, decrypted and checked against ``tar_sha256``; raises :class:`RequestRefused`."""
    if not frozen.sealed:
        return inbox.fetch_file(req.request_id, frozen.path, dest)
    cipher = dest.with_name(dest.name + ".age")
    try:
        inbox.fetch_file(req.request_id, frozen.path, cipher)
        try:
            sha, size = open_sealed(cipher, dest, key.identity())
        except SealError as exc:
            raise RequestRefused(f"{exc}; " + HOW_TO_SUBMIT.format(url=inbox.url)) from None
    finally:
        cipher.unlink(missing_ok=True)
    if sha != frozen.tar_sha256:
        dest.unlink(missing_ok=True)
        raise RequestRefused(f"the decrypted image's SHA-256 is {sha[:16]}..., the request says "
                             f"{str(frozen.tar_sha256)[:16]}...: the upload is damaged; "
                             + HOW_TO_SUBMIT.format(url=inbox.url))
    log.info("decrypted %s of %s (%d bytes)", frozen.path, req.request_id, size)
    return dest


def remove_stored_image(inbox: Inbox, request_id: str) -> tuple[bool, str]:
    """Delete the request's large files from the inbox's storage; ``(done, sentence to say on the request)``."""
    try:
        n = inbox.remove_image(request_id)
    except Exception as exc:  # noqa: BLE001  (the Hub may be down: retried when the request is answered)
        log.warning("could not delete the large files of %s: %s", request_id, exc)
        return False, (f"The image could not be deleted from this repository's storage yet ({type(exc).__name__}); "
                       "the organizers' service logged it and tries again when it answers a queued request.")
    if n == 0:
        return True, "No large file of this request is left in this repository's storage."
    return True, (f"The image ({n} large file{'s' if n > 1 else ''}) was permanently deleted from this "
                  "repository's storage; only the organizers' copy remains.")
