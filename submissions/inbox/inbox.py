"""The hosted submission inbox: one interface, two homes.

DESIGN.md "Results, queue, publishing": a hosted submission is a *pull
request* on the inbox dataset, opened from the participant's own Hub
account; the PR author is the identity. The image in it is encrypted for the
organizer (:mod:`submissions.inbox.inbox_crypto`; the recipient is published in the
inbox as :data:`RECIPIENT_FILE`) and its large file is deleted from the
repository's storage once ingested (:meth:`Inbox.remove_image`). Answers and
their markers are read only from the organizer's own comments. The organizer's ingest reads the
open requests, answers on each (queued; then finished with the scores or
failed with the reason) and closes it.

:class:`Inbox` is that conversation; it has two implementations:

- :class:`submissions.inbox.hub_inbox.HubInbox` for ``hf://datasets/ORG/NAME``:
  ``HfApi.create_commit(..., create_pr=True)`` from the participant's token,
  ``get_repo_discussions`` / ``get_discussion_details`` to read,
  ``comment_discussion`` and ``change_discussion_status`` to answer;
- :class:`submissions.inbox.submission_store.SubmissionStore` for a folder or any
  other fsspec URL, where a "pull request" is a folder with an ``author``
  file, the request, the image and a comment log (tests, organizers without
  the Hub). A folder that holds :data:`RECIPIENT_FILE` takes only encrypted
  images, as the Hub always does.

:func:`submissions.inbox.inbox_url.open_inbox` picks one from a URL. A request id is
what names the request in its inbox (``pr-12`` on the Hub, the folder name
otherwise); the queue keeps it as the submission's ``request_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from evaluator.sdk.errors import PlatformFault

HF_DATASETS = "hf://datasets/"
REQUESTS = "requests"  # inbox files live under requests/<name>/
REQUEST_FILE = "request.json"
IMAGE_FILE = "image.tar.gz"  # an unencrypted image: only a private folder inbox without a key takes it
SEALED_IMAGE_FILE = "image.tar.gz.age"  # the image encrypted for the organizer
RECIPIENT_FILE = "inbox-recipient.txt"  # at the inbox's root: the organizer's age recipient
ORGANIZER = "organizer"  # the author of the folder inbox's answers
SEALED_FIELDS = "sealed"  # request.json: the fields that would identify the image, age-encrypted, base64
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class SubmissionStoreError(PlatformFault, RuntimeError):
    """The inbox cannot be read or written; the message names the URL and the fix."""


@dataclass(frozen=True)
class InboxRequest:
    """One open request: who sent it (the identity) and what it asks."""

    request_id: str
    author: str  # the Hub account that opened the PR; the author file of a folder inbox
    fields: dict[str, Any] = field(default_factory=dict)  # request.json (its "participant" is not trusted)
    comments: tuple[str, ...] = ()  # what the organizer said on it so far (anyone else's comments are left out)
    files: tuple[str, ...] = ()  # what the request adds, relative to the inbox root (requests/<name>/...)


@runtime_checkable
class Inbox(Protocol):
    """Participant side: :meth:`put_request`. Organizer side: the rest."""

    url: str
    public: bool  # anyone can read what is sent (the Hub): images must be encrypted

    def put_request(self, request: dict[str, Any], image_tar: Path) -> str:
        """Send one request (its JSON and image file) as the caller's identity; returns the request id.

        The image is stored as :data:`SEALED_IMAGE_FILE` when it is age-encrypted, else as :data:`IMAGE_FILE`
        (a public inbox refuses that)."""
        ...

    def request_url(self, request_id: str) -> str:
        """Where a person sees the request (the pull request's page; the folder)."""
        ...

    def sender(self, participant: str) -> str:
        """The identity requests are sent as: the token's Hub account; ``participant`` for a folder."""
        ...

    def recipient(self) -> str | None:
        """The text of the organizer's published recipient file (:data:`RECIPIENT_FILE` on main), or None.

        :func:`submissions.inbox.inbox_crypto.parse_recipient` reads the recipient out of it."""
        ...

    def publish_recipient(self, recipient: str) -> str:
        """Organizer side: publish ``recipient`` as :data:`RECIPIENT_FILE`; returns where it went."""
        ...

    def open_requests(self) -> list[str]:
        """Ids of the requests not closed yet, oldest first."""
        ...

    def read(self, request_id: str) -> InboxRequest:
        """The request, its author and its comments; raises on an unreadable one."""
        ...

    def fetch_file(self, request_id: str, path: str, dest: Path) -> Path:
        """Copy ``path`` (one of the request's :attr:`InboxRequest.files`) to ``dest``."""
        ...

    def remove_image(self, request_id: str) -> int:
        """Delete the request's large files from the inbox's storage; returns how many were deleted."""
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
