"""The folder inbox: :class:`submissions.inbox.inbox.Inbox` on a folder or any fsspec URL.

For tests and for organizers without the Hub (``file://``, a plain folder,
``memory://``). Each request is a folder standing in for a pull request::

    inbox-recipient.txt                 the organizer's age recipient (optional: then images must be sealed)
    requests/<rid>/image.tar.gz.age     the frozen image, encrypted for the organizer (written first)
    requests/<rid>/image.tar.gz         ... or in clear, in a folder without a recipient
    requests/<rid>/author               who sent it: the identity, as the PR author is on the Hub
    requests/<rid>/request.json         the request (written last: a request is visible once complete)
    requests/<rid>/comments.jsonl       the organizer's answers, one JSON object a line, author "organizer"
    requests/<rid>/closed               present once the request is closed

Only comment lines whose author is :data:`submissions.inbox.inbox.ORGANIZER`
count as answers; a request folder is never written twice (a request id
that exists already is refused), so a sender cannot pre-seed a log.

The Hub's pull requests are :class:`submissions.inbox.hub_inbox.HubInbox`; both
are picked by :func:`submissions.inbox.inbox_url.open_inbox`.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec

from evaluator.results.records import atomic_write
from submissions.inbox.inbox import (
    IMAGE_FILE,
    ORGANIZER,
    RECIPIENT_FILE,
    REQUEST_FILE,
    REQUESTS,
    SEALED_IMAGE_FILE,
    InboxRequest,
    SubmissionStoreError,
    request_name,
)
from submissions.inbox.inbox_crypto import is_sealed, recipient_text, sniff

__all__ = ["IMAGE_FILE", "REQUESTS", "REQUEST_FILE", "SubmissionStore", "SubmissionStoreError", "new_request_id"]

log = logging.getLogger(__name__)

AUTHOR_FILE = "author"
COMMENTS_FILE = "comments.jsonl"
CLOSED_FILE = "closed"
_BOOKKEEPING = {AUTHOR_FILE, COMMENTS_FILE, CLOSED_FILE}  # the inbox's own files, not the request's


def new_request_id(participant: str) -> str:
    ts = datetime.now(UTC)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in participant)[:40] or "anon"
    return f"{ts:%Y%m%d-%H%M%S}-{safe}-{secrets.token_hex(3)}"


class SubmissionStore:
    """Requests at ``url``: a folder, ``file://`` or ``memory://`` (any fsspec URL but ``hf://``)."""

    public = False  # a folder is as private as its permissions

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url, **storage_options)
        self.root = self.root.rstrip("/")

    def _path(self, *parts: str) -> str:
        return "/".join([self.root, REQUESTS, *parts])

    def _write(self, path: str, data: bytes) -> None:
        """Write ``data`` to a temporary name and move it into place (readers never see half a file)."""
        atomic_write(self.fs, path, data)

    # -- participant side ------------------------------------------------------
    def put_request(self, request: dict[str, Any], image_tar: Path) -> str:
        """Store one request (image, author, then the request JSON); returns its id."""
        author = str(request.get("participant") or "anon")
        rid = request_name({"request_id": request.get("request_id") or new_request_id(author)})
        body = json.dumps({**request, "request_id": rid, "uploaded_at": time.time()}, indent=2,
                          sort_keys=True).encode()
        image_name = SEALED_IMAGE_FILE if is_sealed(sniff(image_tar)) else IMAGE_FILE
        folder = self._path(rid)
        try:
            if self.fs.exists(folder):
                raise SubmissionStoreError(f"request {rid} exists already; send it again without its request id")
            self.fs.makedirs(folder, exist_ok=True)
            self.fs.put_file(str(image_tar), f"{folder}/{image_name}")
            self._write(f"{folder}/{AUTHOR_FILE}", author.encode())
            self._write(f"{folder}/{REQUEST_FILE}", body)  # the request appears last
        except SubmissionStoreError:
            raise
        except Exception as exc:
            raise SubmissionStoreError(f"could not store the submission in {self.url}: {exc}. Check that the "
                                       "folder exists and is writable") from exc
        log.info("stored request %s in %s", rid, self.url)
        return rid

    def request_url(self, request_id: str) -> str:
        return self._path(request_id)

    def sender(self, participant: str) -> str:
        return participant

    def recipient(self) -> str | None:
        path = f"{self.root}/{RECIPIENT_FILE}"
        try:
            if not self.fs.exists(path):
                return None
            with self.fs.open(path, "rb") as fh:
                return str(fh.read().decode(errors="replace"))
        except OSError as exc:
            raise SubmissionStoreError(f"cannot read {path}: {exc}") from exc

    def publish_recipient(self, recipient: str) -> str:
        path = f"{self.root}/{RECIPIENT_FILE}"
        self.fs.makedirs(self.root, exist_ok=True)
        self._write(path, recipient_text(recipient).encode())
        return path

    # -- organizer side --------------------------------------------------------
    def request_ids(self) -> list[str]:
        """Ids of complete requests (those whose request.json exists), oldest first."""
        base = self._path()
        try:
            if not self.fs.exists(base):
                return []
            found = self.fs.glob(f"{base}/*/{REQUEST_FILE}")
        except Exception as exc:
            raise SubmissionStoreError(f"cannot list submissions at {self.url}: {exc}") from exc
        return sorted(p.rstrip("/").split("/")[-2] for p in found)

    def open_requests(self) -> list[str]:
        return [rid for rid in self.request_ids() if not self.is_closed(rid)]

    def is_closed(self, rid: str) -> bool:
        return bool(self.fs.exists(self._path(rid, CLOSED_FILE)))

    def read_request(self, rid: str) -> dict[str, Any]:
        """The request's JSON as sent."""
        with self.fs.open(self._path(rid, REQUEST_FILE), "rb") as fh:
            data: dict[str, Any] = json.load(fh)
        return data

    def comments(self, rid: str) -> list[dict[str, Any]]:
        """The organizer's comments, oldest first: ``{"at": ..., "author": "organizer", "text": ...}`` each.

        Lines by any other author (or none) are not answers and are left out."""
        path = self._path(rid, COMMENTS_FILE)
        if not self.fs.exists(path):
            return []
        with self.fs.open(path, "rb") as fh:
            lines = [json.loads(line) for line in fh.read().decode().splitlines() if line.strip()]
        return [c for c in lines if isinstance(c, dict) and c.get("author") == ORGANIZER
                and isinstance(c.get("text"), str)]

    def _files(self, rid: str) -> tuple[str, ...]:
        folder = self._path(rid)
        names = sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(folder, detail=False))
        return tuple(f"{REQUESTS}/{rid}/{n}" for n in names if n not in _BOOKKEEPING)

    def read(self, request_id: str) -> InboxRequest:
        fields = self.read_request(request_id)
        author_path = self._path(request_id, AUTHOR_FILE)
        if self.fs.exists(author_path):
            with self.fs.open(author_path, "rb") as fh:
                author = fh.read().decode().strip()
        else:  # a request stored before author files existed
            author = str(fields.get("participant") or "")
        return InboxRequest(request_id, author, fields, tuple(c["text"] for c in self.comments(request_id)),
                            self._files(request_id))

    def _request_file(self, request_id: str, path: str) -> str:
        prefix = f"{REQUESTS}/{request_id}/"
        name = path[len(prefix):] if path.startswith(prefix) else ""
        if not name or "/" in name or name in _BOOKKEEPING or name.startswith("."):
            raise SubmissionStoreError(f"{path} is not a file of request {request_id}")
        return self._path(request_id, name)

    def fetch_file(self, request_id: str, path: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        self.fs.get_file(self._request_file(request_id, path), str(tmp))
        tmp.replace(dest)
        return dest

    def remove_image(self, request_id: str) -> int:
        removed = 0
        for name in (SEALED_IMAGE_FILE, IMAGE_FILE):
            path = self._path(request_id, name)
            if self.fs.exists(path):
                self.fs.rm(path)
                removed += 1
        return removed

    def comment(self, request_id: str, text: str) -> None:
        line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "author": ORGANIZER, "text": text}
        log_lines = [*self.comments(request_id), line]
        self._write(self._path(request_id, COMMENTS_FILE),
                    "".join(json.dumps(c, sort_keys=True) + "\n" for c in log_lines).encode())

    def close(self, request_id: str, text: str) -> None:
        if text:
            self.comment(request_id, text)
        self._write(self._path(request_id, CLOSED_FILE), datetime.now(UTC).isoformat(timespec="seconds").encode())
