"""Publish the results store to the Hugging Face Hub, and the leaderboard Space.

DESIGN.md "Results, queue, publishing": the results dataset holds the
store's record files (``records/``), the consolidated tables the Space and
``datasets.load_dataset`` read (``tables/``, :mod:`leaderboard.publish.published_tables`),
its card (:mod:`leaderboard.publish.dataset_card`) and the queue snapshot; the
leaderboard runs as a Space reading ``hf://datasets/<repo>``.

Only files whose content changed are sent: local files are hashed (git blob
SHA-1 and SHA-256) and compared with what the remote reports
(``HfApi.list_repo_tree``: blob id for regular files, LFS SHA-256 for LFS
files); records removed from the store are deleted remotely. Nothing changed
means no commit. The changes go in commits of at most ``COMMIT_MAX_FILES``
files (the Hub advises fewer than 100 files per commit, "Repository
limitations and recommendations"), the store's files first and the tables the
Space reads last, so a reader between two commits sees the previous tables.

The destination is pluggable (``leaderboard.publish.hub_targets``): ``HfApiTarget``
talks to the Hub (or any Hub-compatible endpoint), ``FsspecTarget`` writes to
an fsspec URL (``file://``, ``memory://``) and keeps a commit log, for tests
and for organisers without a Hub account. Planning (``plan_commit``) is shared.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from evaluator.results.records import ResultStore
from leaderboard.data.table_columns import ITEMS_TABLES_DIR, RECORDS_TABLE_PATH, TABLES_PREFIX
from leaderboard.publish.dataset_card import dataset_card
from leaderboard.publish.hub_targets import (
    FsspecTarget,
    HfApiTarget,
    HubTarget,
    RemoteFile,
    git_blob_sha1,
    plan_commit,
)
from leaderboard.publish.published_tables import table_files
from leaderboard.publish.space_bundle import SPACE_MANAGED_PREFIXES, space_files
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.queue_snapshot import SNAPSHOT_PATH, build_snapshot

log = logging.getLogger(__name__)

DATASET_PREFIXES: tuple[str, ...] = ("records/", TABLES_PREFIX)  # what publish manages in the dataset repo
QUEUE_PREFIX = SNAPSHOT_PATH.split("/")[0] + "/"  # managed too when a queue is published
COMMIT_MAX_FILES = 99  # files added or deleted per commit: the Hub advises "< 100 files" per commit

__all__ = ["COMMIT_MAX_FILES", "FsspecTarget", "HfApiTarget", "HubTarget", "PublishReport", "RemoteFile",
           "RepoReport", "git_blob_sha1", "plan_commit", "publish", "space_files", "sync", "write_space_folder"]


# -- what gets published -------------------------------------------------------


def store_files(store_url: str) -> dict[str, bytes]:
    """Every record file of a store, by repository path (``records/...``)."""
    return ResultStore(store_url).files()


def _rows(parquet: bytes) -> int:
    return int(pq.read_metadata(io.BytesIO(parquet)).num_rows)


def dataset_files(files: dict[str, bytes], repo_id: str, space_id: str | None) -> tuple[dict[str, bytes], int]:
    """The store's files plus the tables and the card; and the number of records."""
    tables = table_files(files)
    n_records = _rows(tables[RECORDS_TABLE_PATH])
    n_items = sum(_rows(data) for path, data in tables.items() if path.startswith(ITEMS_TABLES_DIR + "/"))
    card = dataset_card(repo_id, n_records=n_records, n_items=n_items, space_id=space_id)
    return {**files, **tables, "README.md": card.encode()}, n_records


def commit_order(path: str) -> tuple[int, str]:
    """The store's files first, then the items tables, the records table, and the rest (card, queue) last."""
    if path.startswith("records/"):
        return 0, path
    if path.startswith(ITEMS_TABLES_DIR + "/"):
        return 1, path
    return (2, path) if path == RECORDS_TABLE_PATH else (3, path)


# -- publish -------------------------------------------------------------------


@dataclass
class RepoReport:
    target: str
    commit: str | None  # the last commit (None: nothing changed)
    added: list[str]
    deleted: list[str]
    unchanged: int
    commits: list[str] = field(default_factory=list)  # every commit of this publish, in order

    def line(self) -> str:
        if self.commit is None:
            return f"{self.target}: up to date ({self.unchanged} files unchanged)"
        many = f" (in {len(self.commits)} commits)" if len(self.commits) > 1 else ""
        return (f"{self.target}: commit {self.commit[:12]}{many}: {len(self.added)} added/changed, "
                f"{len(self.deleted)} deleted, {self.unchanged} unchanged")


@dataclass
class PublishReport:
    dataset: RepoReport
    space: RepoReport | None = None

    def lines(self) -> list[str]:
        return [self.dataset.line()] + ([self.space.line()] if self.space else [])


def sync(target: HubTarget, files: Mapping[str, bytes], message: str, *,
         managed_prefixes: tuple[str, ...] = (), max_files: int = COMMIT_MAX_FILES) -> RepoReport:
    """Bring ``target`` to ``files`` in commits of at most ``max_files`` changed files (in ``commit_order``)."""
    if max_files < 1:
        raise ValueError(f"max_files must be at least 1, not {max_files}")
    target.ensure_repo()
    plan = plan_commit(files, target.list_files(), managed_prefixes=managed_prefixes)
    changes: list[tuple[str, bool]] = [(p, True) for p in sorted(plan.adds, key=commit_order)]
    changes += [(p, False) for p in plan.deletes]
    batches = [changes[i:i + max_files] for i in range(0, len(changes), max_files)]
    commits = []
    for n, batch in enumerate(batches, start=1):
        adds = {p: plan.adds[p] for p, add in batch if add}
        deletes = [p for p, add in batch if not add]
        part = f" ({n}/{len(batches)})" if len(batches) > 1 else ""
        commits.append(target.commit(adds, deletes, message + part))
        log.info("%s: committed %d adds, %d deletes%s", target.description, len(adds), len(deletes), part)
    return RepoReport(target.description, commits[-1] if commits else None, sorted(plan.adds), plan.deletes,
                      len(plan.unchanged), commits)


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
    """The queue snapshot (:mod:`submissions.service.queue_snapshot`) by its path in the dataset repo."""
    path = Path(queue_dir).expanduser()
    db = path if path.suffix in (".sqlite", ".sqlite3", ".db") else path / "queue.sqlite"
    if not db.is_file():
        raise ValueError(f"no submission queue at {path} (no {db}); pass the organizer's queue folder "
                         "(the one `challenge admin worker` uses) with --queue")
    snapshot = build_snapshot(SubmissionQueue(queue_dir), ResultStore(store_url))
    return {SNAPSHOT_PATH: snapshot.to_json()}


def publish(store_url: str, repo_id: str, *, space_id: str | None = None, api: Any = None,
            hub_url: str | None = None, dataset_target: HubTarget | None = None,
            space_target: HubTarget | None = None, queue_dir: str | Path | None = None,
            max_files: int = COMMIT_MAX_FILES) -> PublishReport:
    """Push the store (its files, the tables, the card) to dataset ``repo_id``, changed files only, and the Space.

    ``hub_url``: None for huggingface.co, an ``http(s)://`` Hub endpoint, or an
    fsspec URL (``file:///srv/hub``) to publish into ``<url>/datasets/<repo>``
    and ``<url>/spaces/<space>`` instead. ``api``: an ``HfApi`` to use (token,
    endpoint). Explicit targets override both. ``queue_dir``: also publish that
    queue's snapshot as ``queue/snapshot.json`` (public fields only, no hidden-data
    logs), even while the store holds no record yet. ``max_files``: files per commit.
    """
    _check_repo_id(repo_id)
    if space_id:
        _check_repo_id(space_id)
    files = store_files(store_url)
    if not files and queue_dir is None:
        raise ValueError(f"no records under {store_url}/records: nothing to publish "
                         "(run an evaluation or `challenge leaderboard --seed` first, or pass the queue)")
    default_dataset, default_space = _targets(repo_id, space_id, api, hub_url)
    dataset_target = dataset_target or default_dataset
    space_target = space_target or default_space
    files, n = dataset_files(files, repo_id, space_id)
    prefixes = DATASET_PREFIXES
    if queue_dir is not None:
        files.update(queue_files(queue_dir, store_url))
        prefixes = (*DATASET_PREFIXES, QUEUE_PREFIX)
    dataset_report = sync(dataset_target, files, f"Publish {n} result records", managed_prefixes=prefixes,
                          max_files=max_files)
    space_report = None
    if space_target is not None:
        space_report = sync(space_target, space_files(repo_id), f"Leaderboard reading {repo_id}",
                            managed_prefixes=SPACE_MANAGED_PREFIXES, max_files=max_files)
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
