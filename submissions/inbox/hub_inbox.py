"""The Hub inbox: :class:`submissions.inbox.inbox.Inbox` as pull requests on a Hugging Face dataset.

A participant's ``challenge submit --to hf://datasets/ORG/submissions``
opens a pull request with their own token (``HfApi.create_commit(...,
create_pr=True)``): anyone with a Hub account can submit without write
access to the repository, and the PR author is the identity. The PR adds
``requests/<name>/image.tar.gz.age`` (the image archive encrypted for the
organizer's recipient, :data:`submissions.inbox.inbox.RECIPIENT_FILE` on main:
an unencrypted image is never uploaded) and ``requests/<name>/request.json``.

The organizer reads open PRs (``get_repo_discussions``, then
``get_discussion_details`` for the author, the git reference ``refs/pr/N``
and the comments), downloads the files at that reference
(``hf_hub_download(revision=...)``), answers with ``comment_discussion`` and
closes with ``change_discussion_status(new_status="closed", comment=...)``.
PRs are never merged: the inbox's main branch stays as the organizer made it.
Only comments by the organizer's account (the token's ``whoami()``) are
read back, so a participant cannot forge or suppress an answer. Once
ingested, the PR's large files are deleted from the repository's storage
(``list_lfs_files`` / ``permanently_delete_lfs_files``, matched by content
hash and by the PR's reference, never main's or another PR's objects).

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

from submissions.inbox.inbox import (
    HF_DATASETS,
    RECIPIENT_FILE,
    REQUEST_FILE,
    REQUESTS,
    SEALED_IMAGE_FILE,
    InboxRequest,
    SubmissionStoreError,
    request_name,
)
from submissions.inbox.inbox_crypto import is_sealed, recipient_text, sniff
from submissions.inbox.submission_store import new_request_id

log = logging.getLogger(__name__)

_PR_ID = re.compile(r"^pr-(\d+)$")
_REQUEST_PATH = re.compile(rf"^{REQUESTS}/([^/]+)/{re.escape(REQUEST_FILE)}$")
_LOGIN_HINT = "check the URL and your token (`hf auth login` or HF_TOKEN)"
LFS_RULE = "*.age filter=lfs diff=lfs merge=lfs -text"  # sealed images are large files, whatever their size


def pr_number(request_id: str) -> int:
    m = _PR_ID.match(request_id)
    if not m:
        raise SubmissionStoreError(f"{request_id!r} is not a Hub inbox request id (pr-<number>)")
    return int(m.group(1))


class HubInbox:
    """Pull requests on the dataset ``hf://datasets/ORG/NAME``."""

    public = True  # anyone can download a pull request's files

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
        self._refs: dict[str, str] = {}  # request id -> git reference (refs/pr/N)
        self._pr_urls: dict[str, str] = {}  # request id -> the PR's page, as the Hub gave it
        self._account: str | None = None

    def account(self) -> str:
        """The Hub account of the token (whoami, asked once): the participant or the organizer."""
        if self._account is None:
            try:
                self._account = str(self.api.whoami()["name"])
            except Exception as exc:
                raise SubmissionStoreError(f"cannot tell which Hub account your token belongs to ({exc}); "
                                           "log in with `hf auth login` or set HF_TOKEN") from exc
        return self._account

    def sender(self, participant: str) -> str:
        return self.account()

    def request_url(self, request_id: str) -> str:
        base = str(getattr(self.api, "endpoint", None) or "https://huggingface.co").rstrip("/")
        return self._pr_urls.get(request_id) or f"{base}/datasets/{self.repo_id}/discussions/{pr_number(request_id)}"

    # -- participant side ------------------------------------------------------
    def put_request(self, request: dict[str, Any], image_tar: Path) -> str:
        """Open a pull request adding the request and its encrypted image; returns ``pr-<number>``."""
        from huggingface_hub import CommitOperationAdd

        if not is_sealed(sniff(image_tar)):
            raise SubmissionStoreError(f"refusing to upload {image_tar} to {self.url}: it is not encrypted, and "
                                       "anyone can download a pull request's files (`challenge submit` encrypts "
                                       "the image for the organizers)")
        name = request_name({"request_id": request.get("request_id")
                             or new_request_id(str(request.get("participant") or "anon"))})
        body = json.dumps({**request, "request_id": name}, indent=2, sort_keys=True).encode()
        base = f"{REQUESTS}/{name}"
        codec = str(request.get("name", "codec"))
        try:
            info = self.api.create_commit(
                repo_id=self.repo_id, repo_type="dataset", create_pr=True,
                operations=[CommitOperationAdd(f"{base}/{SEALED_IMAGE_FILE}", str(image_tar)),  # streamed from disk
                            CommitOperationAdd(f"{base}/{REQUEST_FILE}", body)],
                commit_message=f"Submission {codec} ({name})",
                commit_description=(f"Codec `{codec}`. The image is encrypted for the organizers (age) and deleted "
                                    "from this repository's storage once ingested.\n\nOpened by `challenge "
                                    "submit`; the organizers' service answers here."),
            )
        except Exception as exc:
            raise SubmissionStoreError(f"could not open a pull request on {self.url}: {exc}; {_LOGIN_HINT}") from exc
        if info.pr_num is None:
            raise SubmissionStoreError(f"the Hub did not open a pull request on {self.url} (commit {info.commit_url})")
        rid = f"pr-{info.pr_num}"
        if info.pr_url:
            self._pr_urls[rid] = str(info.pr_url)
        log.info("opened %s on %s", info.pr_url, self.repo_id)
        return rid

    def recipient(self) -> str | None:
        """The recipient file on main (never a pull request's), or None when the organizer has not published one."""
        from huggingface_hub.errors import EntryNotFoundError

        try:
            path = self.api.hf_hub_download(self.repo_id, RECIPIENT_FILE, repo_type="dataset", revision="main")
        except EntryNotFoundError:
            return None
        except Exception as exc:
            raise SubmissionStoreError(f"cannot read {RECIPIENT_FILE} of {self.url}: {exc}; {_LOGIN_HINT}") from exc
        return Path(path).read_text(errors="replace")

    def publish_recipient(self, recipient: str) -> str:
        """Commit the recipient file to main, and the LFS rule for ``*.age`` to .gitattributes (organizer's token)."""
        from huggingface_hub import CommitOperationAdd

        kw: dict[str, Any] = {"repo_type": "dataset"}
        ops = [CommitOperationAdd(RECIPIENT_FILE, recipient_text(recipient).encode())]
        attributes = ""
        if ".gitattributes" in self.api.list_repo_files(self.repo_id, **kw):
            attributes = Path(self.api.hf_hub_download(self.repo_id, ".gitattributes", revision="main",
                                                       **kw)).read_text()
        if LFS_RULE not in attributes.splitlines():
            ops.append(CommitOperationAdd(".gitattributes", (attributes.rstrip("\n") + "\n" + LFS_RULE + "\n")
                                          .lstrip("\n").encode()))
        info = self.api.create_commit(repo_id=self.repo_id, operations=ops, revision="main",
                                      commit_message="The organizers' encryption recipient for submissions", **kw)
        return str(info.commit_url)

    # -- organizer side --------------------------------------------------------
    def open_requests(self) -> list[str]:
        try:
            found = self.api.get_repo_discussions(self.repo_id, repo_type="dataset",
                                                  discussion_type="pull_request", discussion_status="open")
            nums = sorted(d.num for d in found if d.is_pull_request and d.status == "open")
        except Exception as exc:
            raise SubmissionStoreError(f"cannot list the pull requests of {self.url}: {exc}; {_LOGIN_HINT}") from exc
        return [f"pr-{n}" for n in nums]

    def _added(self, reference: str) -> list[str]:
        """The paths the pull request adds or changes (its files minus main's)."""
        kw = {"repo_type": "dataset"}
        return sorted(set(self.api.list_repo_files(self.repo_id, revision=reference, **kw))
                      - set(self.api.list_repo_files(self.repo_id, **kw)))

    def _request_folder(self, added: list[str]) -> str:
        """The one ``requests/<name>/`` the pull request adds."""
        names = sorted({m.group(1) for p in added if (m := _REQUEST_PATH.match(p))})
        if len(names) != 1:
            raise SubmissionStoreError(f"the pull request adds {len(names)} {REQUESTS}/<name>/{REQUEST_FILE} files; "
                                       "a submission adds exactly one (open it with `challenge submit --to`)")
        return request_name({"request_id": names[0]})

    def _reference(self, request_id: str) -> str:
        if request_id not in self._refs:
            details = self.api.get_discussion_details(self.repo_id, pr_number(request_id), repo_type="dataset")
            self._refs[request_id] = details.git_reference or f"refs/pr/{details.num}"
        return self._refs[request_id]

    def read(self, request_id: str) -> InboxRequest:
        details = self.api.get_discussion_details(self.repo_id, pr_number(request_id), repo_type="dataset")
        if not details.is_pull_request:
            raise SubmissionStoreError(f"{request_id} is a discussion, not a pull request")
        # only the organizer's own comments count: anyone can comment on a pull request
        organizer = self.account()
        comments = tuple(e.content for e in details.events
                         if getattr(e, "type", None) == "comment" and getattr(e, "author", None) == organizer)
        reference = details.git_reference or f"refs/pr/{details.num}"
        self._refs[request_id] = reference
        added = self._added(reference)
        name = self._request_folder(added)
        path = self.api.hf_hub_download(self.repo_id, f"{REQUESTS}/{name}/{REQUEST_FILE}", repo_type="dataset",
                                        revision=reference)
        fields = json.loads(Path(path).read_text())
        if not isinstance(fields, dict):
            raise SubmissionStoreError(f"{REQUEST_FILE} of {request_id} is not a JSON object")
        return InboxRequest(request_id, str(details.author), fields, comments, tuple(added))

    def fetch_file(self, request_id: str, path: str, dest: Path) -> Path:
        reference = self._reference(request_id)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
            got = self.api.hf_hub_download(self.repo_id, path, repo_type="dataset", revision=reference,
                                           local_dir=tmp)
            shutil.move(got, dest)
        return dest

    def remove_image(self, request_id: str) -> int:
        """Permanently delete the LFS objects this pull request pushed (its files minus main's).

        An object is deleted when its content hash is one of the PR's added files' and it was pushed to the PR's
        own reference (an object another PR or main pushed is never touched, even if this PR copied its pointer).
        """
        kw: dict[str, Any] = {"repo_type": "dataset"}
        reference = self._reference(request_id)
        added = self._added(reference)
        infos = self.api.get_paths_info(self.repo_id, added, revision=reference, **kw) if added else []
        hashes = {i.lfs.sha256 for i in infos if getattr(i, "lfs", None) is not None}
        if not hashes:
            return 0
        doomed = [f for f in self.api.list_lfs_files(self.repo_id, **kw)
                  if hashes & {f.oid, f.file_oid} and f.ref in (reference, None)]
        if doomed:
            self.api.permanently_delete_lfs_files(self.repo_id, doomed, **kw)
            log.info("deleted %d large file(s) of %s from %s", len(doomed), request_id, self.repo_id)
        return len(doomed)

    def comment(self, request_id: str, text: str) -> None:
        self.api.comment_discussion(self.repo_id, pr_number(request_id), text, repo_type="dataset")

    def close(self, request_id: str, text: str) -> None:
        """The answer as a comment of its own (so :meth:`read` finds it), then the status change (if still open:
        the participant may have closed it)."""
        if text:
            self.comment(request_id, text)
        details = self.api.get_discussion_details(self.repo_id, pr_number(request_id), repo_type="dataset")
        if details.status == "open":
            self.api.change_discussion_status(self.repo_id, pr_number(request_id), "closed", repo_type="dataset")
