"""An ``HfApi`` whose network methods are answered from memory and recorded (imported by name).

It does NOT reach the Hub: it stands in for the server so the tests can
check what :class:`submissions.inbox.hub_inbox.HubInbox` would send (the calls and
their arguments), and it answers with huggingface_hub's own objects
(``CommitInfo``, ``Discussion``, ``DiscussionWithDetails``,
``DiscussionComment``, ``DiscussionStatusChange``) built the way the library
builds them from the Hub's JSON (``LFSFileInfo``, ``RepoFile`` too). What
the real Hub does with those calls (permissions, PR refs, notifications,
which files go to LFS/Xet storage, history rewriting on LFS deletion) is not
exercised here.

Who calls is :attr:`RecordingHfApi.user` (the token's account: ``whoami``,
the author of commits and comments); a test switches it between the
participant and the organizer. Files whose name matches an LFS pattern
(``*.age``, ``*.gz``, ``*.tar``) or that exceed 10 MB are "large files":
listed by ``list_lfs_files`` (``ref`` = where they were pushed) and gone
after ``permanently_delete_lfs_files``.
"""

from __future__ import annotations

import hashlib
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
from huggingface_hub.errors import EntryNotFoundError
from huggingface_hub.hf_api import CommitInfo, LFSFileInfo, RepoFile

ENDPOINT = "https://huggingface.co"
LFS_SUFFIXES = (".age", ".gz", ".tar")
LFS_MIN_BYTES = 10 * 1024 * 1024


def is_large(path: str, data: bytes) -> bool:
    return path.endswith(LFS_SUFFIXES) or len(data) > LFS_MIN_BYTES


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


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
        self.lfs: dict[str, dict[str, Any]] = {}  # sha256 -> the LFS listing's JSON (first push wins, as on a server)
        self.deleted: set[str] = set()  # sha256 of permanently deleted objects

    def whoami(self, token: Any = None, **kw: Any) -> dict[str, Any]:
        self._record("whoami")
        return {"type": "user", "name": self.user}

    def _push(self, files: dict[str, bytes], ref: str) -> None:
        for path, data in files.items():
            sha = hashlib.sha256(data).hexdigest()
            if is_large(path, data) and sha not in self.lfs:
                self.lfs[sha] = {"fileOid": git_blob_id(data), "oid": sha, "filename": path, "ref": ref,
                                 "size": len(data), "pushedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}

    def comment_as(self, discussion_num: int, author: str, text: str) -> None:
        """Anyone's comment (a test's participant forging an answer)."""
        ev = self._event("comment", {"edited": False, "hidden": False, "latest": {"raw": text}}, author)
        self.prs[discussion_num].events.append(ev)

    def _record(self, name: str, **kw: Any) -> None:
        self.calls.append((name, kw))

    def _event(self, kind: str, data: dict[str, Any], author: str) -> dict[str, Any]:
        return {"id": f"ev{sum(len(p.events) for p in self.prs.values())}", "type": kind,
                "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "author": {"name": author},
                "data": data}

    # -- participant side -----------------------------------------------------
    def create_commit(self, repo_id: str, operations: Any, *, commit_message: str, **kw: Any) -> Any:
        ops = list(operations)
        self._record("create_commit", repo_id=repo_id, operations=ops, commit_message=commit_message, **kw)
        assert repo_id == self.repo_id and kw.get("repo_type") == "dataset"
        added: dict[str, bytes] = {}
        for op in ops:
            assert isinstance(op, CommitOperationAdd)
            src = op.path_or_fileobj
            added[op.path_in_repo] = Path(src).read_bytes() if isinstance(src, str) else bytes(src)  # type: ignore[arg-type]
        base = f"{ENDPOINT}/datasets/{repo_id}"
        info = {"commit_url": f"{base}/commit/{'0' * 40}", "commit_message": commit_message,
                "commit_description": kw.get("commit_description") or "", "oid": "0" * 40}
        if not kw.get("create_pr"):
            assert kw.get("revision") in (None, "main")
            self.main.update(added)
            self._push(added, "refs/heads/main")
            return CommitInfo(**info)
        num = len(self.prs) + 1
        self.prs[num] = _Pr(num, self.user, commit_message, {**self.main, **added})
        self._push(added, f"refs/pr/{num}")
        return CommitInfo(**info, pr_url=f"{base}/discussions/{num}")

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
        files = self._files_at(revision)
        if filename not in files:
            raise EntryNotFoundError(f"{filename} is not in {repo_id}@{revision}")
        data = files[filename]
        if hashlib.sha256(data).hexdigest() in self.deleted:
            raise EntryNotFoundError(f"the large file {filename} of {repo_id}@{revision} was deleted")
        dest = Path(local_dir or self.tmp / "hub-cache" / str(revision).replace("/", "_")) / filename
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        return str(dest)

    def get_paths_info(self, repo_id: str, paths: Any, *, revision: str | None = None, **kw: Any) -> list[Any]:
        self._record("get_paths_info", repo_id=repo_id, paths=list(paths), revision=revision, **kw)
        files = self._files_at(revision)
        out = []
        for p in [paths] if isinstance(paths, str) else paths:
            if p in files:
                data = files[p]
                lfs = ({"size": len(data), "oid": hashlib.sha256(data).hexdigest(), "pointerSize": 134}
                       if is_large(p, data) else None)
                out.append(RepoFile(path=p, size=len(data), oid=git_blob_id(data), lfs=lfs))
        return out

    def list_lfs_files(self, repo_id: str, *, repo_type: str | None = None, **kw: Any) -> Any:
        self._record("list_lfs_files", repo_id=repo_id, repo_type=repo_type, **kw)
        assert repo_id == self.repo_id and repo_type == "dataset"
        for sha, item in list(self.lfs.items()):
            if sha not in self.deleted:
                yield LFSFileInfo(**item)

    def permanently_delete_lfs_files(self, repo_id: str, lfs_files: Any, *, rewrite_history: bool = True,
                                     repo_type: str | None = None, **kw: Any) -> None:
        files = list(lfs_files)
        self._record("permanently_delete_lfs_files", repo_id=repo_id, lfs_files=files, repo_type=repo_type,
                     rewrite_history=rewrite_history, **kw)
        assert repo_id == self.repo_id and repo_type == "dataset"
        by_file_oid = {item["fileOid"]: sha for sha, item in self.lfs.items()}
        for f in files:
            assert isinstance(f, LFSFileInfo) and f.file_oid in by_file_oid, f  # the API deletes by file_oid
            self.deleted.add(by_file_oid[f.file_oid])

    def stored(self, num: int) -> dict[str, bytes]:
        """The files of pull request ``num`` that can still be downloaded (deleted large files left out)."""
        return {p: d for p, d in self.prs[num].files.items() if hashlib.sha256(d).hexdigest() not in self.deleted}

    def comment_discussion(self, repo_id: str, discussion_num: int, comment: str, **kw: Any) -> Any:
        self._record("comment_discussion", repo_id=repo_id, discussion_num=discussion_num, comment=comment, **kw)
        ev = self._event("comment", {"edited": False, "hidden": False, "latest": {"raw": comment}}, self.user)
        self.prs[discussion_num].events.append(ev)
        return deserialize_event(ev)

    def change_discussion_status(self, repo_id: str, discussion_num: int, new_status: str, **kw: Any) -> Any:
        self._record("change_discussion_status", repo_id=repo_id, discussion_num=discussion_num,
                     new_status=new_status, **kw)
        pr = self.prs[discussion_num]
        assert pr.status == "open", "closing a closed pull request"
        pr.status = new_status
        ev = self._event("status-change", {"status": new_status}, self.user)
        pr.events.append(ev)
        return deserialize_event(ev)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]
