"""Where publish writes: a Hub repository (``HfApiTarget``) or a stand-in at an fsspec URL (``FsspecTarget``).

Both report what they hold with the hashes the Hub reports (git blob SHA-1,
and SHA-256 for LFS files), so :func:`plan_commit` compares local files with
either the same way and publish sends only what changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import fsspec


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob (what the Hub reports as ``blob_id`` for non-LFS files)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    blob_id: str | None = None  # git SHA-1 of the stored blob (for LFS files: of the pointer)
    lfs_sha256: str | None = None  # SHA-256 of the content, for LFS files

    def matches(self, data: bytes) -> bool:
        if self.lfs_sha256:
            return self.lfs_sha256 == sha256(data)
        if self.blob_id:
            return self.blob_id == git_blob_sha1(data)
        return False  # nothing to compare: re-upload


@dataclass
class CommitPlan:
    adds: dict[str, bytes] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.adds and not self.deletes


def plan_commit(local: Mapping[str, bytes], remote: Mapping[str, RemoteFile], *,
                managed_prefixes: tuple[str, ...] = ()) -> CommitPlan:
    """Files to add (new or changed) and delete (gone locally, under a managed prefix)."""
    plan = CommitPlan()
    for path in sorted(local):
        data = local[path]
        existing = remote.get(path)
        if existing is not None and existing.matches(data):
            plan.unchanged.append(path)
        else:
            plan.adds[path] = data
    for path in sorted(remote):
        if path not in local and any(path.startswith(p) for p in managed_prefixes):
            plan.deletes.append(path)
    return plan


class HubTarget(Protocol):
    """A repository publish can list and commit to."""

    description: str

    def ensure_repo(self) -> None: ...

    def list_files(self) -> dict[str, RemoteFile]: ...

    def commit(self, adds: Mapping[str, bytes], deletes: list[str], message: str) -> str: ...


class HfApiTarget:
    """A repository on the Hugging Face Hub (or a Hub-compatible endpoint)."""

    def __init__(self, repo_id: str, *, repo_type: str = "dataset", api: Any = None,
                 space_sdk: str | None = None, private: bool | None = None) -> None:
        from huggingface_hub import HfApi

        self.api = api if api is not None else HfApi()
        self.repo_id = repo_id
        self.repo_type = repo_type
        self.space_sdk = space_sdk
        self.private = private
        self.description = f"https://huggingface.co/{'' if repo_type == 'model' else repo_type + 's/'}{repo_id}"

    def ensure_repo(self) -> None:
        kwargs: dict[str, Any] = {"repo_type": self.repo_type, "exist_ok": True}
        if self.space_sdk:
            kwargs["space_sdk"] = self.space_sdk
        if self.private is not None:
            kwargs["private"] = self.private
        self.api.create_repo(self.repo_id, **kwargs)

    def list_files(self) -> dict[str, RemoteFile]:
        out: dict[str, RemoteFile] = {}
        for entry in self.api.list_repo_tree(self.repo_id, recursive=True, repo_type=self.repo_type):
            blob_id = getattr(entry, "blob_id", None)
            if blob_id is None:
                continue  # a folder
            lfs = getattr(entry, "lfs", None)
            out[entry.path] = RemoteFile(entry.path, int(getattr(entry, "size", 0) or 0), blob_id,
                                         getattr(lfs, "sha256", None) if lfs is not None else None)
        return out

    def commit(self, adds: Mapping[str, bytes], deletes: list[str], message: str) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        ops: list[Any] = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=data) for p, data in adds.items()]
        ops += [CommitOperationDelete(path_in_repo=p) for p in deletes]
        info = self.api.create_commit(self.repo_id, operations=ops, commit_message=message,
                                      repo_type=self.repo_type)
        return str(getattr(info, "oid", info))


class FsspecTarget:
    """A repository stand-in at an fsspec URL: files plus ``.hub/commits.jsonl``.

    Reports the same hashes the Hub does (git blob SHA-1 for small files,
    SHA-256 as LFS for Parquet), so planning behaves as against the Hub.
    """

    LOG = ".hub/commits.jsonl"
    LFS_SUFFIXES = (".parquet", ".arrow", ".npy", ".bin", ".tar")

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self.fs, root = fsspec.core.url_to_fs(self.url, **storage_options)
        self.root = root.rstrip("/")
        self.description = self.url
        self._parent: str | None = None  # id of the log's last commit, once read

    def ensure_repo(self) -> None:
        self.fs.makedirs(self.root, exist_ok=True)

    def _files(self) -> dict[str, bytes]:
        if not self.fs.exists(self.root):
            return {}
        out = {}
        for path in self.fs.find(self.root):
            rel = path[len(self.root) + 1:] if path.startswith(self.root + "/") else path
            if rel.startswith(".hub/"):
                continue
            out[rel] = self.fs.cat_file(path)
        return out

    def list_files(self) -> dict[str, RemoteFile]:
        out = {}
        for rel, data in self._files().items():
            lfs = sha256(data) if rel.endswith(self.LFS_SUFFIXES) else None
            out[rel] = RemoteFile(rel, len(data), git_blob_sha1(data), lfs)
        return out

    def commits(self) -> list[dict[str, Any]]:
        path = f"{self.root}/{self.LOG}"
        if not self.fs.exists(path):
            return []
        return [json.loads(line) for line in self.fs.cat_file(path).decode().splitlines() if line.strip()]

    def commit(self, adds: Mapping[str, bytes], deletes: list[str], message: str) -> str:
        for rel, data in adds.items():
            target = f"{self.root}/{rel}"
            self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            self.fs.pipe_file(target, data)
        for rel in deletes:
            self.fs.rm(f"{self.root}/{rel}")
        if self._parent is None:  # the log's last commit, read once per target (then appended to)
            history = self.commits()
            self._parent = history[-1]["id"] if history else ""
        content = [self._parent, message, sorted((p, sha256(d)) for p, d in adds.items()), sorted(deletes)]
        commit_id = hashlib.sha1(json.dumps(content).encode()).hexdigest()
        entry = {"id": commit_id, "message": message, "added": sorted(adds), "deleted": sorted(deletes)}
        self.fs.makedirs(f"{self.root}/.hub", exist_ok=True)
        with self.fs.open(f"{self.root}/{self.LOG}", "ab") as fh:
            fh.write((json.dumps(entry) + "\n").encode())
        self._parent = commit_id
        return commit_id
