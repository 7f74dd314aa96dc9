"""Which :class:`submissions.inbox.Inbox` a URL names: the Hub for ``hf://datasets/ORG/NAME``, else a folder."""

from __future__ import annotations

from typing import Any

from submissions.hub_inbox import HubInbox
from submissions.inbox import HF_DATASETS, Inbox
from submissions.submission_store import SubmissionStore


def open_inbox(url: str, *, token: str | None = None, api: Any = None) -> Inbox:
    """The inbox at ``url``: pull requests on a Hub dataset, or a folder / fsspec URL (``file://``, ``memory://``).

    ``token``: the Hub token (default: the logged-in one, ``HF_TOKEN``); ``api``: an ``HfApi`` to use.
    """
    if url.startswith(HF_DATASETS):
        return HubInbox(url, token=token, api=api)
    return SubmissionStore(url)
