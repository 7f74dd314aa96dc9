"""The Hub inbox: :class:`submissions.inbox.Inbox` as pull requests on a Hugging Face dataset.

A participant's ``challenge submit --to hf://datasets/ORG/submissions``
opens a pull request with their own token (``HfApi.create_commit(...,
create_pr=True)``): anyone with a Hub account can submit without write
access to the repository, and the PR author is the identity. The PR adds
``requests/<name>/image.tar.gz`` and ``requests/<name>/request.json``.

The organizer reads open PRs (``get_repo_discussions``, then
``get_discussion_details`` for the author, the git reference ``refs/pr/N``
and the comments), downloads the files at that reference
(``hf_hub_download(revision=...)``), answers with ``comment_discussion`` and
closes with ``change_discussion_status(new_status="closed", comment=...)``.
PRs are never merged: the inbox's main branch stays as the organizer made it.

Request ids are ``pr-<number>``.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from submissions.inbox import (
    HF_DATASETS,
    IMAGE_FILE,
    REQUEST_FILE,
    REQUESTS,
    InboxRequest,
    SubmissionStoreError,
    request_name,
)
from submissions.submission_store import new_request_id

log = logging.getLogger(__name__)

_PR_ID = re.compile(r"^pr-(\d+)$")
_REQUEST_PATH = re.compile(rf"^{REQUESTS}/([^/]+)/{re.escape(REQUEST_FILE)}$")
_LOGIN_HINT = "check the URL and your token (`hf auth login` or HF_TOKEN)"


def pr_number(request_id: str) -> int:
    m = _PR_ID.match(request_id)
    if not m:
        raise SubmissionStoreError(f"{request_id!r} is not a Hub inbox request id (pr-<number>)")
    return int(m.group(1))


class HubInbox:
    """Pull requests on the dataset ``hf://datasets/ORG/NAME``."""

    def __init__(self, url: str, *, token: str | None = None, api: Any = None) -> None:
        if not url.startswith(HF_DATASETS):
            raise SubmissionStoreError(f"{url} is not a Hub dataset URL (hf://datasets/ORG/NAME)")
        parts = url[len(HF_DATASETS):].strip("/").split("/")
        if len(parts) != 2 or not all(parts):
            raise SubmissionStoreError(f"{url}: the inbox is a whole dataset repository, hf://datasets/ORG/NAME")
        self.url = url.rstrip("/")
        self.repo_id = "/".join(parts)
        if api is None:
            from huggingface_hub import HfApi

            api = HfApi(token=token)
        self.api = api
        self._names: dict[str, tuple[str, str]] = {}  # request id -> (folder name, git reference)

    # -- participant side ------------------------------------------------------
    def put_request(self, request: dict[str, Any], image_tar: Path) -> str:
        """Open a pull request adding the request and its image; returns ``pr-<number>``."""
        from huggingface_hub import CommitOperationAdd

        name = request_name({"request_id": request.get("request_id")
                             or new_request_id(str(request.get("participant") or "anon"))})
        body = json.dumps({**request, "request_id": name}, indent=2, sort_keys=True).encode()
        base = f"{REQUESTS}/{name}"
        try:
            info = self.api.create_commit(
                repo_id=self.repo_id, repo_type="dataset", create_pr=True,
                operations=[CommitOperationAdd(f"{base}/{IMAGE_FILE}", str(image_tar)),
                            CommitOperationAdd(f"{base}/{REQUEST_FILE}", body)],
                commit_message=f"Submission {request.get('name', 'codec')} ({name})",
                commit_description=(f"Codec `{request.get('name', 'codec')}`, image `{request.get('image_digest')}`."
                                    "\n\nOpened by `challenge submit`; the organizers' service answers here."),
            )
        except Exception as exc:
            raise SubmissionStoreError(f"could not open a pull request on {self.url}: {exc}; {_LOGIN_HINT}") from exc
        if info.pr_num is None:
            raise SubmissionStoreError(f"the Hub did not open a pull request on {self.url} (commit {info.commit_url})")
        log.info("opened %s on %s", info.pr_url, self.repo_id)
        return f"pr-{info.pr_num}"

    # -- organizer side --------------------------------------------------------
    def open_requests(self) -> list[str]:
        try:
            found = self.api.get_repo_discussions(self.repo_id, repo_type="dataset",
                                                  discussion_type="pull_request", discussion_status="open")
            nums = sorted(d.num for d in found if d.is_pull_request and d.status == "open")
        except Exception as exc:
            raise SubmissionStoreError(f"cannot list the pull requests of {self.url}: {exc}; {_LOGIN_HINT}") from exc
        return [f"pr-{n}" for n in nums]

    def _request_folder(self, reference: str) -> str:
        """The one ``requests/<name>/`` the pull request adds (its files minus main's)."""
        kw = {"repo_type": "dataset"}
        added = set(self.api.list_repo_files(self.repo_id, revision=reference, **kw)) - set(
            self.api.list_repo_files(self.repo_id, **kw))
        names = sorted({m.group(1) for p in added if (m := _REQUEST_PATH.match(p))})
        if len(names) != 1:
            raise SubmissionStoreError(f"the pull request adds {len(names)} {REQUESTS}/<name>/{REQUEST_FILE} files; "
                                       "a submission adds exactly one (open it with `challenge submit --to`)")
        return request_name({"request_id": names[0]})

    def read(self, request_id: str) -> InboxRequest:
        details = self.api.get_discussion_details(self.repo_id, pr_number(request_id), repo_type="dataset")
        if not details.is_pull_request:
            raise SubmissionStoreError(f"{request_id} is a discussion, not a pull request")
        reference = details.git_reference or f"refs/pr/{details.num}"
        name = self._request_folder(reference)
        self._names[request_id] = (name, reference)
        path = self.api.hf_hub_download(self.repo_id, f"{REQUESTS}/{name}/{REQUEST_FILE}", repo_type="dataset",
                                        revision=reference)
        fields = json.loads(Path(path).read_text())
        if not isinstance(fields, dict):
            raise SubmissionStoreError(f"{REQUEST_FILE} of {request_id} is not a JSON object")
        comments = tuple(e.content for e in details.events if getattr(e, "type", None) == "comment")
        return InboxRequest(request_id, str(details.author), fields, comments)

    def fetch_image(self, request_id: str, dest: Path) -> Path:
        if request_id not in self._names:
            self.read(request_id)
        name, reference = self._names[request_id]
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
            got = self.api.hf_hub_download(self.repo_id, f"{REQUESTS}/{name}/{IMAGE_FILE}", repo_type="dataset",
                                           revision=reference, local_dir=tmp)
            shutil.move(got, dest)
        return dest

    def comment(self, request_id: str, text: str) -> None:
        self.api.comment_discussion(self.repo_id, pr_number(request_id), text, repo_type="dataset")

    def close(self, request_id: str, text: str) -> None:
        """The answer as a comment of its own (so :meth:`read` finds it), then the status change."""
        if text:
            self.comment(request_id, text)
        self.api.change_discussion_status(self.repo_id, pr_number(request_id), "closed", repo_type="dataset")
