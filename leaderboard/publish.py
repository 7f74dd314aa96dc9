"""Publish the results store to the Hugging Face Hub, and the leaderboard Space.

DESIGN.md "Results, queue, publishing": results are kept in a Hugging Face
dataset, the leaderboard runs as a Space reading ``hf://datasets/<repo>``.

One publish = at most one commit per repository, holding only the files
whose content changed: local files are hashed (git blob SHA-1 and SHA-256)
and compared with what the remote reports (``HfApi.list_repo_tree``: blob id
for regular files, LFS SHA-256 for LFS files); records removed from the store
are deleted remotely. Nothing changed means no commit.

The destination is pluggable (``HubTarget``): ``HfApiTarget`` talks to the
Hub (or any Hub-compatible endpoint), ``FsspecTarget`` writes to an fsspec
URL (``file://``, ``memory://``) and keeps a commit log, for tests and for
organisers without a Hub account. Planning (``plan_commit``) is shared.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import fsspec

from evaluator.records import ResultStore
from leaderboard.space_bundle import SPACE_MANAGED_PREFIXES, space_files
from submissions.queue import SubmissionQueue
from submissions.queue_snapshot import SNAPSHOT_PATH, build_snapshot

log = logging.getLogger(__name__)

DATASET_PREFIXES: tuple[str, ...] = ("records/",)  # what publish manages in the dataset repo
QUEUE_PREFIX = SNAPSHOT_PATH.split("/")[0] + "/"  # managed too when a queue is published

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
            out[entry.path] = RemoteFile(entry.path, int(entry.size or 0), blob_id,
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
        history = self.commits()
        parent = history[-1]["id"] if history else ""
        commit_id = hashlib.sha1(json.dumps(
            [parent, message, sorted((p, sha256(d)) for p, d in adds.items()), sorted(deletes)]).encode()).hexdigest()
        entry = {"id": commit_id, "message": message, "added": sorted(adds), "deleted": sorted(deletes)}
        history.append(entry)
        self.fs.makedirs(f"{self.root}/.hub", exist_ok=True)
        self.fs.pipe_file(f"{self.root}/{self.LOG}", "".join(json.dumps(h) + "\n" for h in history).encode())
        return commit_id


# -- what gets published -------------------------------------------------------


def store_files(store_url: str) -> dict[str, bytes]:
    """Every record file of a store, by repository path (``records/...``)."""
    return ResultStore(store_url).files()


def dataset_card(repo_id: str, files: Mapping[str, bytes]) -> str:
    """README of the results dataset; depends only on the records (so an unchanged store commits nothing)."""
    n_records = sum(1 for p in files if p.endswith(".json"))
    return f"""---
license: mit
pretty_name: AstroCompress Challenge results
tags:
- astronomy
- lossless-compression
- leaderboard
---

# AstroCompress Challenge results

Result records of the AstroCompress lossless-compression challenge ({n_records} records).

Layout: `records/<submission>/<track>/<profile>/<split>.json` (summary, provenance, hardware
fingerprint, image digest) with `<split>.items.parquet` beside it (one row per test item).

Provenance: `paper` = numbers reported by Truong, Sudharsan et al., "AstroCompress: A benchmark
dataset for multi-purpose compression of astronomical imagery", ICLR 2025 (arXiv:2506.08306),
Tables 1 and 3; `verified` = measured by the challenge evaluator (bitstreams decoded and compared
bit for bit); `estimate` = a likelihood bound (VDM), not a codec. Records with `synthetic: true`
were measured on synthetic frames. Runtimes compare only within one hardware profile and
fingerprint.

Read it with `evaluator.records.ResultStore("hf://datasets/{repo_id}")`.

`{SNAPSHOT_PATH}` (when the organizer publishes the queue): every submission's state, reason,
timestamps and per-track scores, never logs of hidden-data runs; `challenge status --from
hf://datasets/{repo_id}` prints it.
"""


# -- publish -------------------------------------------------------------------


@dataclass
class RepoReport:
    target: str
    commit: str | None
    added: list[str]
    deleted: list[str]
    unchanged: int

    def line(self) -> str:
        if self.commit is None:
            return f"{self.target}: up to date ({self.unchanged} files unchanged)"
        return (f"{self.target}: commit {self.commit[:12]}: {len(self.added)} added/changed, "
                f"{len(self.deleted)} deleted, {self.unchanged} unchanged")


@dataclass
class PublishReport:
    dataset: RepoReport
    space: RepoReport | None = None

    def lines(self) -> list[str]:
        return [self.dataset.line()] + ([self.space.line()] if self.space else [])


def sync(target: HubTarget, files: Mapping[str, bytes], message: str, *,
         managed_prefixes: tuple[str, ...] = ()) -> RepoReport:
    """Bring ``target`` to ``files`` in at most one commit."""
    target.ensure_repo()
    plan = plan_commit(files, target.list_files(), managed_prefixes=managed_prefixes)
    commit = None
    if not plan.empty:
        commit = target.commit(plan.adds, plan.deletes, message)
        log.info("%s: committed %d adds, %d deletes", target.description, len(plan.adds), len(plan.deletes))
    return RepoReport(target.description, commit, sorted(plan.adds), plan.deletes, len(plan.unchanged))


def _targets(repo_id: str, space_id: str | None, api: Any, hub_url: str | None) -> tuple[HubTarget, HubTarget | None]:
    if hub_url and not hub_url.startswith(("http://", "https://")):
        base = hub_url.rstrip("/")
        return (FsspecTarget(f"{base}/datasets/{repo_id}"),
                FsspecTarget(f"{base}/spaces/{space_id}") if space_id else None)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(endpoint=hub_url) if hub_url else HfApi()
    return (HfApiTarget(repo_id, repo_type="dataset", api=api),
            HfApiTarget(space_id, repo_type="space", api=api, space_sdk="gradio") if space_id else None)


def _check_repo_id(repo_id: str) -> None:
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"repository id {repo_id!r} is not of the form ORG/NAME "
                         "(e.g. AstroCompress/challenge-results)")


def queue_files(queue_dir: str | Path, store_url: str) -> dict[str, bytes]:
    """The queue snapshot (:mod:`submissions.queue_snapshot`) by its path in the dataset repo."""
    path = Path(queue_dir).expanduser()
    db = path if path.suffix in (".sqlite", ".sqlite3", ".db") else path / "queue.sqlite"
    if not db.is_file():
        raise ValueError(f"no submission queue at {path} (no {db}); pass the organizer's queue folder "
                         "(the one `challenge admin worker` uses) with --queue")
    snapshot = build_snapshot(SubmissionQueue(queue_dir), ResultStore(store_url))
    return {SNAPSHOT_PATH: snapshot.to_json()}


def publish(store_url: str, repo_id: str, *, space_id: str | None = None, api: Any = None,
            hub_url: str | None = None, dataset_target: HubTarget | None = None,
            space_target: HubTarget | None = None, queue_dir: str | Path | None = None) -> PublishReport:
    """Push the store's records to dataset ``repo_id`` (one commit, changed files only), and the Space.

    ``hub_url``: None for huggingface.co, an ``http(s)://`` Hub endpoint, or an
    fsspec URL (``file:///srv/hub``) to publish into ``<url>/datasets/<repo>``
    and ``<url>/spaces/<space>`` instead. ``api``: an ``HfApi`` to use (token,
    endpoint). Explicit targets override both. ``queue_dir``: also publish that
    queue's snapshot as ``queue/snapshot.json`` (public fields only, no hidden-data logs).
    """
    _check_repo_id(repo_id)
    if space_id:
        _check_repo_id(space_id)
    files = store_files(store_url)
    if not files:
        raise ValueError(f"no records under {store_url}/records: nothing to publish "
                         "(run an evaluation or `challenge leaderboard --seed` first)")
    default_dataset, default_space = _targets(repo_id, space_id, api, hub_url)
    dataset_target = dataset_target or default_dataset
    space_target = space_target or default_space
    files["README.md"] = dataset_card(repo_id, files).encode()
    n = sum(1 for p in files if p.endswith(".json"))
    prefixes = DATASET_PREFIXES
    if queue_dir is not None:
        files.update(queue_files(queue_dir, store_url))
        prefixes = (*DATASET_PREFIXES, QUEUE_PREFIX)
    dataset_report = sync(dataset_target, files, f"Publish {n} result records", managed_prefixes=prefixes)
    space_report = None
    if space_target is not None:
        space_report = sync(space_target, space_files(repo_id), f"Leaderboard reading {repo_id}",
                            managed_prefixes=SPACE_MANAGED_PREFIXES)
    return PublishReport(dataset_report, space_report)


def write_space_folder(dataset_repo: str, folder: str | Path) -> list[Path]:
    """Write the Space folder locally (to inspect or push by hand)."""
    root = Path(folder)
    written = []
    for rel, data in space_files(dataset_repo).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
