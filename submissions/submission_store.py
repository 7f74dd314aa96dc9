"""The folder inbox: :class:`submissions.inbox.Inbox` on a folder or any fsspec URL.

For tests and for organizers without the Hub (``file://``, a plain folder,
``memory://``). Each request is a folder standing in for a pull request::

    requests/<rid>/image.tar.gz     the frozen image (written first)
    requests/<rid>/author           who sent it: the identity, as the PR author is on the Hub
    requests/<rid>/request.json     the request (written last: a request is visible once complete)
    requests/<rid>/comments.jsonl   the organizer's answers, one JSON object a line
    requests/<rid>/closed           present once the request is closed

The Hub's pull requests are :class:`submissions.hub_inbox.HubInbox`; both
are picked by :func:`submissions.inbox_url.open_inbox`.
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

from evaluator.records import atomic_write
from submissions.inbox import (
    IMAGE_FILE,
    REQUEST_FILE,
    REQUESTS,
    InboxRequest,
    SubmissionStoreError,
    request_name,
)

__all__ = ["IMAGE_FILE", "REQUESTS", "REQUEST_FILE", "SubmissionStore", "SubmissionStoreError", "new_request_id"]

log = logging.getLogger(__name__)

AUTHOR_FILE = "author"
COMMENTS_FILE = "comments.jsonl"
CLOSED_FILE = "closed"


def new_request_id(participant: str) -> str:
    ts = datetime.now(UTC)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in participant)[:40] or "anon"
    return f"{ts:%Y%m%d-%H%M%S}-{safe}-{secrets.token_hex(3)}"


class SubmissionStore:
    """Requests at ``url``: a folder, ``file://`` or ``memory://`` (any fsspec URL but ``hf://``)."""

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
        folder = self._path(rid)
        try:
            self.fs.makedirs(folder, exist_ok=True)
            self.fs.put_file(str(image_tar), f"{folder}/{IMAGE_FILE}")
            self._write(f"{folder}/{AUTHOR_FILE}", author.encode())
            self._write(f"{folder}/{REQUEST_FILE}", body)  # the request appears last
        except Exception as exc:
            raise SubmissionStoreError(f"could not store the submission in {self.url}: {exc}. Check that the "
                                       "folder exists and is writable") from exc
        log.info("stored request %s in %s", rid, self.url)
        return rid

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
        """The comment log, oldest first: ``{"at": ..., "text": ...}`` each."""
        path = self._path(rid, COMMENTS_FILE)
        if not self.fs.exists(path):
            return []
        with self.fs.open(path, "rb") as fh:
            return [json.loads(line) for line in fh.read().decode().splitlines() if line.strip()]

    def read(self, request_id: str) -> InboxRequest:
        fields = self.read_request(request_id)
        author_path = self._path(request_id, AUTHOR_FILE)
        if self.fs.exists(author_path):
            with self.fs.open(author_path, "rb") as fh:
                author = fh.read().decode().strip()
        else:  # a request stored before author files existed
            author = str(fields.get("participant") or "")
        return InboxRequest(request_id, author, fields, tuple(c["text"] for c in self.comments(request_id)))

    def fetch_image(self, request_id: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        self.fs.get_file(self._path(request_id, IMAGE_FILE), str(tmp))
        tmp.replace(dest)
        return dest

    def comment(self, request_id: str, text: str) -> None:
        log_lines = [*self.comments(request_id), {"at": datetime.now(UTC).isoformat(timespec="seconds"),
                                                  "text": text}]
        self._write(self._path(request_id, COMMENTS_FILE),
                    "".join(json.dumps(c, sort_keys=True) + "\n" for c in log_lines).encode())

    def close(self, request_id: str, text: str) -> None:
        if text:
            self.comment(request_id, text)
        self._write(self._path(request_id, CLOSED_FILE), datetime.now(UTC).isoformat(timespec="seconds").encode())
