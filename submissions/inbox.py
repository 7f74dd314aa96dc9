"""The hosted submission inbox: one interface, two homes.

DESIGN.md "Results, queue, publishing": a hosted submission is a *pull
request* on the inbox dataset, opened from the participant's own Hub
account; the PR author is the identity. The organizer's ingest reads the
open requests, answers on each (queued; then finished with the scores or
failed with the reason) and closes it.

:class:`Inbox` is that conversation; it has two implementations:

- :class:`submissions.hub_inbox.HubInbox` for ``hf://datasets/ORG/NAME``:
  ``HfApi.create_commit(..., create_pr=True)`` from the participant's token,
  ``get_repo_discussions`` / ``get_discussion_details`` to read,
  ``comment_discussion`` and ``change_discussion_status`` to answer;
- :class:`submissions.submission_store.SubmissionStore` for a folder or any
  other fsspec URL, where a "pull request" is a folder with an ``author``
  file, the request, the image and a comment log (tests, organizers without
  the Hub).

:func:`submissions.inbox_url.open_inbox` picks one from a URL. A request id is what names the request in its inbox (``pr-12`` on the Hub,
the folder name otherwise); the queue keeps it as the submission's
``request_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

HF_DATASETS = "hf://datasets/"
REQUESTS = "requests"  # inbox files live under requests/<name>/
REQUEST_FILE = "request.json"
IMAGE_FILE = "image.tar.gz"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class SubmissionStoreError(RuntimeError):
    """The inbox cannot be read or written; the message names the URL and the fix."""


@dataclass(frozen=True)
class InboxRequest:
    """One open request: who sent it (the identity) and what it asks."""

    request_id: str
    author: str  # the Hub account that opened the PR; the author file of a folder inbox
    fields: dict[str, Any] = field(default_factory=dict)  # request.json (its "participant" is not trusted)
    comments: tuple[str, ...] = ()  # what has been said on it so far (by anyone)


@runtime_checkable
class Inbox(Protocol):
    """Participant side: :meth:`put_request`. Organizer side: the rest."""

    url: str

    def put_request(self, request: dict[str, Any], image_tar: Path) -> str:
        """Send one request (its JSON and image tar) as the caller's identity; returns the request id."""
        ...

    def open_requests(self) -> list[str]:
        """Ids of the requests not closed yet, oldest first."""
        ...

    def read(self, request_id: str) -> InboxRequest:
        """The request, its author and its comments; raises on an unreadable one."""
        ...

    def fetch_image(self, request_id: str, dest: Path) -> Path:
        """Copy the request's image tar to ``dest``."""
        ...

    def comment(self, request_id: str, text: str) -> None:
        """Answer on the request (the PR discussion)."""
        ...

    def close(self, request_id: str, text: str) -> None:
        """Say ``text`` (unless empty), then close the request; a closed request is never listed again."""
        ...


def request_name(request: dict[str, Any]) -> str:
    """The folder name of a request (``requests/<name>/``), checked to be path-safe."""
    name = str(request.get("request_id") or "")
    if not SAFE_NAME.match(name):
        raise SubmissionStoreError(f"request id {name!r} is not a safe folder name")
    return name
