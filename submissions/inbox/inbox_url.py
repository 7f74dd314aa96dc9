"""Where ``challenge submit --to`` sends a request, read and checked before anything else happens.

:func:`parse_destination` turns what the participant typed into an
:class:`InboxDestination`:

- the Hub: ``hf://datasets/ORG/NAME``, or the page's browser URL
  ``https://huggingface.co/datasets/ORG/NAME`` (a trailing ``/`` or
  ``/tree/main`` is fine), both normalised to ``hf://datasets/ORG/NAME``;
- a folder inbox: a folder path, ``file://...``, ``memory://...`` or any
  other fsspec URL.

Lookalikes are refused with the right form in the message rather than taken
for a folder (a ``hf://dataset/org/x`` once became a local folder):
``hf://dataset/...``, ``hf://ORG/NAME`` (a model), ``hf://models/...``,
``hf://spaces/...``, ``https://huggingface.co/ORG/NAME``, a Hub address
without its scheme, a path inside a repository.

:func:`open_inbox` opens the :class:`submissions.inbox.inbox.Inbox` a URL names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.sdk.errors import BadInput
from submissions.inbox.hub_inbox import HubInbox
from submissions.inbox.inbox import HF_DATASETS, Inbox, SubmissionStoreError
from submissions.inbox.submission_store import SubmissionStore

_HUB_HOSTS = ("huggingface.co", "www.huggingface.co", "hf.co")
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO = re.compile(rf"^({_PART})/({_PART})$")
_BROWSER = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)(/[^?#]*)?([?#].*)?$", re.IGNORECASE)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class InboxUrlError(BadInput, SubmissionStoreError, ValueError):
    """``--to`` names no inbox; the message shows the right form."""


@dataclass(frozen=True)
class InboxDestination:
    """A checked ``--to``: the Hub dataset ``repo_id`` (then ``url`` is ``hf://datasets/ORG/NAME``) or a folder URL."""

    url: str
    repo_id: str | None = None

    @property
    def hosted(self) -> bool:
        """Pull requests on the Hub (the participant's Hub account is the identity)."""
        return self.repo_id is not None


def _right_form(example: str = "ORG/NAME") -> str:
    return (f"a Hub inbox is written hf://datasets/{example} (or its page's address, "
            f"https://huggingface.co/datasets/{example}); a folder inbox is a folder path or a file:// URL")


def _repo(org: str, name: str, given: str) -> InboxDestination:
    repo_id = f"{org}/{name}"
    if not _REPO.match(repo_id) or ".." in repo_id or "--" in repo_id:
        raise InboxUrlError(f"--to {given}: {repo_id!r} is not a Hub repository name (ORG/NAME: letters, digits, "
                            f"'-', '_', '.'); {_right_form()}")
    return InboxDestination(f"{HF_DATASETS}{repo_id}", repo_id)


def _hub_path(path: str, given: str) -> InboxDestination:
    """``datasets/ORG/NAME`` (with an optional trailing ``tree/main``) from an ``hf://`` or browser address."""
    parts = [p for p in path.split("/") if p]
    if parts[3:] in ([], ["tree", "main"]) and len(parts) >= 3 and parts[0] == "datasets":
        return _repo(parts[1], parts[2], given)
    example = "/".join(parts[-2:]) if len(parts) >= 2 else "ORG/NAME"
    if parts[:1] == ["datasets"] and len(parts) > 3:
        why = "the inbox is a whole dataset repository, not a path, branch or page inside one"
        example = "/".join(parts[1:3])
    elif parts[:1] in (["dataset"], ["ds"]):
        why = "the repository type is 'datasets' (plural)"
        example = "/".join(parts[1:3]) or example
    elif parts[:1] in (["models"], ["spaces"], ["buckets"]):
        kind = {"models": "a model", "spaces": "a Space", "buckets": "a storage bucket"}[parts[0]]
        why = f"the inbox is a dataset repository, not {kind}"
        example = "/".join(parts[1:3]) or example
    elif len(parts) == 2:
        why = "without 'datasets/' this names a model repository; the inbox is a dataset"
    else:
        why = "this is not a dataset repository's address"
    raise InboxUrlError(f"--to {given}: {why}; {_right_form(example)}")


def parse_destination(text: str) -> InboxDestination:
    """Read ``--to``; raises :class:`InboxUrlError` (with the right form) for anything that is neither kind."""
    given = text.strip()
    if not given:
        raise InboxUrlError(f"--to is empty; {_right_form()}")
    lowered = given.lower()
    if lowered.startswith("hf:"):
        if not lowered.startswith("hf://"):
            raise InboxUrlError(f"--to {given}: {_right_form()}")
        rest = given[len("hf://"):]
        if "@" in rest:
            raise InboxUrlError(f"--to {given}: the inbox is the repository's main branch, without @revision; "
                                f"{_right_form()}")
        return _hub_path(rest, given)
    m = _BROWSER.match(given)
    if m:
        if m.group(2):
            raise InboxUrlError(f"--to {given}: leave out the query or #fragment; {_right_form()}")
        return _hub_path(m.group(1) or "", given)
    scheme = _SCHEME.match(given)
    if scheme and scheme.group(1).lower() in ("http", "https"):
        raise InboxUrlError(f"--to {given}: a web address other than huggingface.co is not an inbox; "
                            f"{_right_form()}")
    if not scheme and lowered.split("/", 1)[0] in _HUB_HOSTS:
        path = given.split("/", 1)[1] if "/" in given else ""
        try:
            found = _hub_path(path, given)
        except InboxUrlError:
            raise InboxUrlError(f"--to {given}: this looks like a Hub address without its scheme; "
                                f"{_right_form()}") from None
        raise InboxUrlError(f"--to {given}: a Hub address needs its scheme: write {found.url} "
                            f"(or https://huggingface.co/datasets/{found.repo_id})")
    if not scheme and lowered.startswith("datasets/") and not Path(given).expanduser().exists():
        raise InboxUrlError(f"--to {given}: there is no such folder; for the Hub dataset write "
                            f"hf://{given.strip('/')} ({_right_form()})")
    return InboxDestination(given.rstrip("/") or given)


def open_inbox(url: str | InboxDestination, *, token: str | None = None, api: Any = None) -> Inbox:
    """The inbox at ``url``: pull requests on a Hub dataset, or a folder / fsspec URL (``file://``, ``memory://``).

    ``url`` is checked by :func:`parse_destination` (a lookalike raises :class:`InboxUrlError`). ``token``: the
    Hub token (default: the logged-in one, ``HF_TOKEN``); ``api``: an ``HfApi`` to use.
    """
    dest = url if isinstance(url, InboxDestination) else parse_destination(url)
    if dest.hosted:
        return HubInbox(dest.url, token=token, api=api)
    return SubmissionStore(dest.url)
