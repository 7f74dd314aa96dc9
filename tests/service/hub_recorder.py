"""An ``HfApi`` whose network methods are answered from memory and recorded (imported by name).

It does NOT reach the Hub: it stands in for the server so the tests can
check what :class:`submissions.hub_inbox.HubInbox` would send (the calls and
their arguments), and it answers with huggingface_hub's own objects
(``CommitInfo``, ``Discussion``, ``DiscussionWithDetails``,
``DiscussionComment``, ``DiscussionStatusChange``) built the way the library
builds them from the Hub's JSON. What the real Hub does with those calls
(permissions, PR refs, notifications) is not exercised here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.community import (
    Discussion,
    DiscussionWithDetails,
    deserialize_event,
)
from huggingface_hub.hf_api import CommitInfo

ENDPOINT = "https://huggingface.co"


@dataclass
class _Pr:
    num: int
    author: str
    title: str
    files: dict[str, bytes]
    status: str = "open"
    events: list[dict[str, Any]] = field(default_factory=list)


class RecordingHfApi(HfApi):
    """One dataset repo in memory: ``main`` files, pull requests with files, comments and status."""

    def __init__(self, repo_id: str, user: str = "participant", tmp: Path | None = None) -> None:
        super().__init__(endpoint=ENDPOINT, token="hf_not_a_real_token")
        self.repo_id, self.user, self.tmp = repo_id, user, tmp or Path("/tmp")
        self.main: dict[str, bytes] = {"README.md": b"inbox"}
        self.prs: dict[int, _Pr] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _record(self, name: str, **kw: Any) -> None:
        self.calls.append((name, kw))

    def _event(self, kind: str, data: dict[str, Any], author: str) -> dict[str, Any]:
        return {"id": f"ev{sum(len(p.events) for p in self.prs.values())}", "type": kind,
                "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "author": {"name": author}, "data": data}

    # -- participant side -----------------------------------------------------
    def create_commit(self, repo_id: str, operations: Any, *, commit_message: str, **kw: Any) -> Any:
        ops = list(operations)
        self._record("create_commit", repo_id=repo_id, operations=ops, commit_message=commit_message, **kw)
        assert repo_id == self.repo_id and kw.get("repo_type") == "dataset"
        files = dict(self.main)
        for op in ops:
            assert isinstance(op, CommitOperationAdd)
            src = op.path_or_fileobj
            files[op.path_in_repo] = Path(src).read_bytes() if isinstance(src, str) else bytes(src)  # type: ignore[arg-type]
        num = len(self.prs) + 1
        self.prs[num] = _Pr(num, self.user, commit_message, files)
        base = f"{ENDPOINT}/datasets/{repo_id}"
        pr_url = f"{base}/discussions/{num}" if kw.get("create_pr") else None
        return CommitInfo(commit_url=f"{base}/commit/{'0' * 40}", commit_message=commit_message,
                          commit_description=kw.get("commit_description") or "", oid="0" * 40, pr_url=pr_url)

    # -- organizer side -------------------------------------------------------
    def get_repo_discussions(self, repo_id: str, **kw: Any) -> Any:
        self._record("get_repo_discussions", repo_id=repo_id, **kw)
        for pr in self.prs.values():
            if kw.get("discussion_status") in (None, "all", pr.status):
                yield Discussion(title=pr.title, status=pr.status, num=pr.num, repo_id=repo_id,  # type: ignore[arg-type]
                                 repo_type="dataset", author=pr.author, is_pull_request=True,
                                 created_at=datetime.now(UTC), endpoint=ENDPOINT)

    def get_discussion_details(self, repo_id: str, discussion_num: int, **kw: Any) -> Any:
        self._record("get_discussion_details", repo_id=repo_id, discussion_num=discussion_num, **kw)
        pr = self.prs[discussion_num]
        return DiscussionWithDetails(
            title=pr.title, status=pr.status, num=pr.num, repo_id=repo_id, repo_type="dataset",  # type: ignore[arg-type]
            author=pr.author, is_pull_request=True, created_at=datetime.now(UTC), endpoint=ENDPOINT,
            events=[deserialize_event(e) for e in pr.events], conflicting_files=[], target_branch="refs/heads/main",
            merge_commit_oid=None, diff=None)

    def _files_at(self, revision: str | None) -> dict[str, bytes]:
        if revision in (None, "main"):
            return self.main
        assert revision is not None and revision.startswith("refs/pr/"), revision
        return self.prs[int(revision.rsplit("/", 1)[1])].files

    def list_repo_files(self, repo_id: str, *, revision: str | None = None, **kw: Any) -> list[str]:
        self._record("list_repo_files", repo_id=repo_id, revision=revision, **kw)
        return sorted(self._files_at(revision))

    def hf_hub_download(self, repo_id: str, filename: str, *, revision: str | None = None,
                        local_dir: Any = None, **kw: Any) -> str:
        self._record("hf_hub_download", repo_id=repo_id, filename=filename, revision=revision, **kw)
        dest = Path(local_dir or self.tmp / "hub-cache" / str(revision).replace("/", "_")) / filename
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(self._files_at(revision)[filename])
        return str(dest)

    def comment_discussion(self, repo_id: str, discussion_num: int, comment: str, **kw: Any) -> Any:
        self._record("comment_discussion", repo_id=repo_id, discussion_num=discussion_num, comment=comment, **kw)
        ev = self._event("comment", {"edited": False, "hidden": False, "latest": {"raw": comment}}, "organizer")
        self.prs[discussion_num].events.append(ev)
        return deserialize_event(ev)

    def change_discussion_status(self, repo_id: str, discussion_num: int, new_status: str, **kw: Any) -> Any:
        self._record("change_discussion_status", repo_id=repo_id, discussion_num=discussion_num,
                     new_status=new_status, **kw)
        pr = self.prs[discussion_num]
        assert pr.status == "open", "closing a closed pull request"
        pr.status = new_status
        ev = self._event("status-change", {"status": new_status}, "organizer")
        pr.events.append(ev)
        return deserialize_event(ev)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]
