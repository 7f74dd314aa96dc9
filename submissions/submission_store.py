"""The hosted submission inbox: image tars and request JSON at a URL.

Hosted mode (DESIGN.md "Results, queue, publishing"): a participant's
``challenge submit --to URL`` uploads ``requests/<rid>/image.tar`` and
``requests/<rid>/request.json``; the organizer's ``challenge admin queue
ingest --from URL`` (or ``challenge admin worker --inbox URL``) copies new
requests into the local, durable queue.

One code path for every URL. Reads and listings go through fsspec (the
``hf://`` protocol is ``huggingface_hub.HfFileSystem``); writes differ only
in the commit backend: a Hugging Face dataset repo gets one
``HfApi.create_commit`` with both files (atomic on the Hub), any other
fsspec URL (a folder, ``file://``, ``memory://`` in tests) gets the tar
first and the request JSON last, so a request is visible only once its
image is complete.
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

log = logging.getLogger(__name__)

REQUESTS = "requests"
REQUEST_FILE = "request.json"
IMAGE_FILE = "image.tar.gz"
_HF_PREFIX = "hf://datasets/"


class SubmissionStoreError(RuntimeError):
    """The inbox cannot be read or written; the message names the URL and the fix."""


def new_request_id(participant: str) -> str:
    ts = datetime.now(UTC)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in participant)[:40] or "anon"
    return f"{ts:%Y%m%d-%H%M%S}-{safe}-{secrets.token_hex(3)}"


class SubmissionStore:
    """Requests at ``url``: a folder, ``file://``, ``memory://`` or ``hf://datasets/ORG/NAME``."""

    def __init__(self, url: str, *, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        options: dict[str, Any] = {"token": token} if (token and self.is_hub) else {}
        self.fs, self.root = fsspec.core.url_to_fs(self.url, **options)
        self.root = self.root.rstrip("/")

    @property
    def is_hub(self) -> bool:
        return self.url.startswith(_HF_PREFIX)

    @property
    def repo_id(self) -> str:
        """``ORG/NAME`` of the Hub dataset (hosted mode only)."""
        parts = self.url[len(_HF_PREFIX):].split("/")
        return "/".join(parts[:2])

    def _path(self, *parts: str) -> str:
        return "/".join([self.root, REQUESTS, *parts])

    # -- write ----------------------------------------------------------------
    def put_request(self, request: dict[str, Any], image_tar: Path) -> str:
        """Upload one request (its JSON and image tar); returns the request id."""
        rid = str(request.get("request_id") or new_request_id(str(request.get("participant", "anon"))))
        request = {**request, "request_id": rid, "uploaded_at": time.time()}
        body = json.dumps(request, indent=2, sort_keys=True).encode()
        try:
            if self.is_hub:
                self._commit_hub(rid, body, Path(image_tar))
            else:
                self._commit_fs(rid, body, Path(image_tar))
        except SubmissionStoreError:
            raise
        except Exception as exc:
            raise SubmissionStoreError(f"could not upload the submission to {self.url}: {exc}. Check the URL "
                                       f"and, for hf://, your token (`huggingface-cli login` or HF_TOKEN)") from exc
        log.info("uploaded request %s to %s", rid, self.url)
        return rid

    def _commit_fs(self, rid: str, body: bytes, image_tar: Path) -> None:
        folder = self._path(rid)
        self.fs.makedirs(folder, exist_ok=True)
        self.fs.put_file(str(image_tar), f"{folder}/{IMAGE_FILE}")
        tmp = f"{folder}/.{REQUEST_FILE}.part"
        with self.fs.open(tmp, "wb") as fh:
            fh.write(body)
        self.fs.mv(tmp, f"{folder}/{REQUEST_FILE}")  # the request appears last

    def _commit_hub(self, rid: str, body: bytes, image_tar: Path) -> None:
        from huggingface_hub import CommitOperationAdd, HfApi

        prefix = "/".join(p for p in (self.root.split("/", 3)[3:] if self.root.count("/") >= 3 else []) if p)
        base = f"{prefix}/{REQUESTS}/{rid}" if prefix else f"{REQUESTS}/{rid}"
        HfApi(token=self.token).create_commit(
            repo_id=self.repo_id, repo_type="dataset",
            operations=[CommitOperationAdd(f"{base}/{IMAGE_FILE}", str(image_tar)),
                        CommitOperationAdd(f"{base}/{REQUEST_FILE}", body)],
            commit_message=f"submission request {rid}",
        )

    # -- read -----------------------------------------------------------------
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

    def read_request(self, rid: str) -> dict[str, Any]:
        with self.fs.open(self._path(rid, REQUEST_FILE), "rb") as fh:
            data: dict[str, Any] = json.load(fh)
        return data

    def fetch_image(self, rid: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        self.fs.get_file(self._path(rid, IMAGE_FILE), str(tmp))
        tmp.replace(dest)
        return dest
