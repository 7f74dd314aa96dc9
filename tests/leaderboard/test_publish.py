"""Publishing: only changed files, in commits of at most COMMIT_MAX_FILES, against local stand-ins of the Hub."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete
from huggingface_hub.hf_api import RepoFile, RepoFolder
from lb_factory import verified_record, write_baselines

from baselines.paper_seeds import seed_paper_results
from leaderboard.publish.publish import (
    FsspecTarget,
    HfApiTarget,
    RemoteFile,
    git_blob_sha1,
    plan_commit,
    publish,
    space_files,
    write_space_folder,
)


def test_git_blob_sha1_matches_git() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_sha1(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_plan_only_changed_files() -> None:
    local = {"records/a.json": b"A", "records/b.json": b"B2", "records/c.parquet": b"C", "README.md": b"R"}
    remote = {
        "records/a.json": RemoteFile("records/a.json", 1, git_blob_sha1(b"A")),
        "records/b.json": RemoteFile("records/b.json", 1, git_blob_sha1(b"B1")),
        "records/c.parquet": RemoteFile("records/c.parquet", 1, "pointer-sha", hashlib.sha256(b"C").hexdigest()),
        "records/gone.json": RemoteFile("records/gone.json", 1, git_blob_sha1(b"G")),
        ".gitattributes": RemoteFile(".gitattributes", 1, git_blob_sha1(b"*")),
    }
    plan = plan_commit(local, remote, managed_prefixes=("records/",))
    assert sorted(plan.adds) == ["README.md", "records/b.json"]
    assert plan.deletes == ["records/gone.json"]  # .gitattributes is not ours to delete
    assert sorted(plan.unchanged) == ["records/a.json", "records/c.parquet"]


def test_publish_to_fsspec_stand_in(store, tmp_path: Path) -> None:
    seed_paper_results(store)
    write_baselines(store, ["hubble"])
    hub = f"file://{tmp_path / 'hub'}"
    first = publish(store.url, "org/results", space_id="org/board", hub_url=hub)
    ds = FsspecTarget(f"{hub}/datasets/org/results")
    assert len(ds.commits()) == 1 and first.dataset.commit == ds.commits()[0]["id"]
    remote = ds.list_files()
    assert len([p for p in remote if p.endswith(".json")]) == 69 + 5
    assert len([p for p in remote if p.startswith("records/") and p.endswith(".parquet")]) == 5
    assert {p for p in remote if p.startswith("tables/")} == {"tables/records.parquet", "tables/items/hubble.parquet"}
    assert "README.md" in remote and "arXiv:2506.08306" in (tmp_path / "hub/datasets/org/results/README.md").read_text()

    # Nothing changed: no commit at all.
    again = publish(store.url, "org/results", space_id="org/board", hub_url=hub)
    assert again.dataset.commit is None and again.space is not None and again.space.commit is None
    assert len(ds.commits()) == 1

    # One record changes: one commit with exactly its two files, the records table and its track's items.
    tables = ["tables/items/hubble.parquet", "tables/records.parquet"]
    rec, items = verified_record("rice", "hubble", seed=99)
    store.write(rec, items)
    third = publish(store.url, "org/results", space_id="org/board", hub_url=hub)
    assert len(ds.commits()) == 2
    assert sorted(third.dataset.added) == sorted([f"records/{rec.key}.json", f"records/{rec.key}.items.parquet",
                                                  *tables])
    assert ds.commits()[-1]["added"] == sorted(third.dataset.added)
    assert third.dataset.deleted == []

    # A deleted record is deleted remotely (and the card's count changes).
    store.delete(rec.key)
    fourth = publish(store.url, "org/results", space_id="org/board", hub_url=hub)
    assert sorted(fourth.dataset.deleted) == sorted([f"records/{rec.key}.json", f"records/{rec.key}.items.parquet"])
    assert fourth.dataset.added == ["README.md", *tables]

    space = FsspecTarget(f"{hub}/spaces/org/board").list_files()
    assert {"app.py", "requirements.txt", "README.md", "leaderboard/app/page.py",
            "evaluator/results/records.py"} <= set(space)


def test_space_files_front_matter_and_dataset() -> None:
    files = space_files("org/results")
    readme = files["README.md"].decode()
    assert readme.startswith("---\n") and "\nsdk: gradio\n" in readme and "\napp_file: app.py\n" in readme
    assert "hf://datasets/org/results" in files["app.py"].decode()
    assert "__DATASET_REPO__" not in files["app.py"].decode()
    assert b"plotly" in files["requirements.txt"]


def test_bad_repo_id_and_empty_store(store, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ORG/NAME"):
        publish(store.url, "no-slash", hub_url=f"file://{tmp_path}")
    with pytest.raises(ValueError, match="nothing to publish"):
        publish(store.url, "org/results", hub_url=f"file://{tmp_path}")


class LocalHub:
    """A stand-in for ``HfApi`` keeping repos in memory and answering with huggingface_hub's own types."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], dict[str, bytes]] = {}
        self.commits: list[tuple[str, list[object]]] = []

    def create_repo(self, repo_id: str, *, repo_type: str, exist_ok: bool, **kw: object) -> None:
        self.repos.setdefault((repo_type, repo_id), {".gitattributes": b"*.parquet filter=lfs\n"})

    def list_repo_tree(self, repo_id: str, *, recursive: bool, repo_type: str):
        folders = set()
        for path, data in self.repos[(repo_type, repo_id)].items():
            parts = path.split("/")
            folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
            if path.endswith(".parquet"):  # stored as LFS: blob id is the pointer's
                pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(data).hexdigest()}\n"
                yield RepoFile(path=path, size=len(data), oid=git_blob_sha1(pointer.encode()),
                               lfs={"size": len(data), "oid": hashlib.sha256(data).hexdigest(), "pointerSize": 130})
            else:
                yield RepoFile(path=path, size=len(data), oid=git_blob_sha1(data))
        for f in sorted(folders):
            yield RepoFolder(path=f, oid=uuid.uuid4().hex)

    def create_commit(self, repo_id: str, *, operations, commit_message: str, repo_type: str):
        files = self.repos[(repo_type, repo_id)]
        for op in operations:
            if isinstance(op, CommitOperationAdd):
                files[op.path_in_repo] = op.path_or_fileobj
            elif isinstance(op, CommitOperationDelete):
                del files[op.path_in_repo]
        self.commits.append((commit_message, list(operations)))

        class Info:
            oid = hashlib.sha1(str(len(self.commits)).encode()).hexdigest()
        return Info()


def test_publish_through_hfapi_target(store) -> None:
    write_baselines(store, ["lco"])
    api = LocalHub()
    report = publish(store.url, "org/results", space_id="org/board", api=api)
    assert len(api.commits) == 2  # one per repository
    assert report.dataset.commit and report.space and report.space.commit
    assert ("space", "org/board") in api.repos and "app.py" in api.repos[("space", "org/board")]
    again = publish(store.url, "org/results", space_id="org/board", api=api)
    assert again.dataset.commit is None and again.space.commit is None and len(api.commits) == 2
    rec, items = verified_record("jpegls", "lco", seed=5)
    store.write(rec, items)
    publish(store.url, "org/results", space_id="org/board", api=api)
    assert len(api.commits) == 3
    _message, ops = api.commits[-1]
    assert sorted(op.path_in_repo for op in ops) == sorted(
        [f"records/{rec.key}.json", f"records/{rec.key}.items.parquet", "tables/items/lco.parquet",
         "tables/records.parquet"])
    target = HfApiTarget("org/results", api=api)
    listed = target.list_files()
    assert listed[f"records/{rec.key}.items.parquet"].lfs_sha256 is not None


def test_write_space_folder(tmp_path: Path) -> None:
    written = write_space_folder("org/results", tmp_path / "space")
    assert (tmp_path / "space" / "app.py") in written
    assert (tmp_path / "space" / "leaderboard" / "views" / "tables.py").exists()
