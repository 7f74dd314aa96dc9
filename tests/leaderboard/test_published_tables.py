"""The published results tables: one schema, `datasets` loads them, publish batches its commits."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from lb_factory import failed_record, verified_record, write_baselines

from baselines.paper_seeds import seed_paper_results
from evaluator.core.tracks import TRACKS
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultStore
from leaderboard.data.table_columns import ITEM_SCHEMA, ITEM_TABLE, RECORD_SCHEMA, RECORD_TABLE
from leaderboard.publish.dataset_card import PAPER_BIBTEX
from leaderboard.publish.publish import FsspecTarget, publish

HOSTILE = '<img src=x onerror="document.title=1">[x](javascript:alert(1))'


def _published(store: ResultStore, tmp_path: Path, **kw: object) -> Path:
    publish(store.url, "org/results", space_id="org/board", hub_url=f"file://{tmp_path / 'hub'}", **kw)
    return tmp_path / "hub" / "datasets" / "org" / "results"


def _board_store(store: ResultStore) -> None:
    seed_paper_results(store)
    write_baselines(store, ["hubble", "lco"])
    store.write(failed_record("sub-broken", "hubble"))
    # per-item files whose column types disagree: shape as text, an int ratio column, exptime given, repeats set
    rec, items = verified_record("nebula", "keck", codec=HOSTILE, submission="sub-hostile", seed=4)
    items = items.assign(shape=["256x256"] * len(items), exptime=[30.0] * len(items), timing_repeats=3,
                         failure_kind=None, compressed_bytes=items["compressed_bytes"].astype(float))
    rec.manifest["participant"] = "mallory"
    store.write(rec, items)


def test_datasets_loads_records_and_items(store: ResultStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets
    import datasets.config
    import huggingface_hub.constants

    _board_store(store)
    folder = _published(store, tmp_path)
    for name in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.setenv(name, "1")
        monkeypatch.setattr(datasets.config, name, True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    records = datasets.load_dataset(str(folder), "records", cache_dir=str(tmp_path / "cache"))
    items = datasets.load_dataset(str(folder), "items", cache_dir=str(tmp_path / "cache"))
    assert list(records) == ["train"] and list(items) == ["train"]
    keys = store.keys()
    assert records["train"].num_rows == len(keys) == len(list((Path(store.url) / "records").rglob("*.json")))
    assert items["train"].num_rows == sum(len(store.items(k)) for k in keys)
    assert records["train"].column_names == [c.name for c in RECORD_TABLE]
    assert items["train"].column_names == [c.name for c in ITEM_TABLE]
    row = records["train"].filter(lambda r: r["submission"] == "sub-hostile")[0]
    assert row["codec"] == HOSTILE and row["participant"] == "mallory" and row["badges"] == ["verified", "synthetic"]
    assert row["fingerprint_cpu_model"] == "Intel Xeon Gold 6338" and row["item_rows"] == 6
    broken = records["train"].filter(lambda r: r["submission"] == "sub-broken")[0]
    assert broken["failure_kind"] == "not_lossless" and "failed" in broken["badges"] and broken["item_rows"] is None
    keck = items["train"].filter(lambda r: r["track"] == "keck")
    assert keck.num_rows == 6 and set(keck["codec"]) == {HOSTILE} and keck["shape"][0] == "256x256"


def test_one_schema_whatever_the_data(store: ResultStore, tmp_path: Path) -> None:
    _board_store(store)
    folder = _published(store, tmp_path)
    assert pq.read_schema(folder / "tables" / "records.parquet").remove_metadata() == RECORD_SCHEMA
    files = sorted(p.name for p in (folder / "tables" / "items").iterdir())
    assert files == ["hubble.parquet", "keck.parquet", "lco.parquet"]  # tracks with items only
    for name in files:
        table = pq.read_table(folder / "tables" / "items" / name)
        assert table.schema.remove_metadata() == ITEM_SCHEMA, name
    keck = pq.read_table(folder / "tables" / "items" / "keck.parquet").to_pandas()
    hubble = pq.read_table(folder / "tables" / "items" / "hubble.parquet").to_pandas()
    assert keck["compressed_bytes"].dtype == hubble["compressed_bytes"].dtype == "int64"
    assert set(hubble["shape"]) == {"256x256"}  # written as a list in the store, text in the table
    assert (keck["timing_repeats"] == 3).all() and hubble["timing_repeats"].isna().all()
    card = (folder / "README.md").read_text()
    assert HOSTILE not in card and "mallory" not in card  # counts only, never a participant's text
    assert "config_name: records" in card and "path: tables/items/*.parquet" in card
    assert PAPER_BIBTEX in card and "https://huggingface.co/spaces/org/board" in card
    for column in (*RECORD_TABLE, *ITEM_TABLE):
        assert f"| `{column.name}` | `{column.type}` |" in card, column.name


def _store_of(tmp_path: Path, n: int) -> ResultStore:
    store = ResultStore(str(tmp_path / "results"))
    for i in range(n):
        rec, items = verified_record("jpegls", TRACKS_LIST[i % len(TRACKS_LIST)], submission=f"sub-{i:02d}", seed=i)
        store.write(rec, items)
    return store


TRACKS_LIST = list(TRACKS)


def test_publish_batches_and_is_idempotent(tmp_path: Path) -> None:
    store = _store_of(tmp_path, 12)
    limit = 7
    report = _published(store, tmp_path, max_files=limit).parent
    ds = FsspecTarget(f"file://{report}/results")
    n_files = 2 * 12 + 1 + len(TRACKS) + 1  # record files, records table, items tables (12 records: each track), card
    commits = ds.commits()
    assert len(commits) == math.ceil(n_files / limit)
    assert all(len(c["added"]) + len(c["deleted"]) <= limit for c in commits)
    assert sum(len(c["added"]) for c in commits) == n_files
    assert "tables/records.parquet" in commits[-1]["added"] or "tables/records.parquet" in commits[-2]["added"]
    first_tables = min(i for i, c in enumerate(commits) if any(p.startswith("tables/") for p in c["added"]))
    assert all(p.startswith("records/") for c in commits[:first_tables] for p in c["added"])  # tables last

    again = publish(store.url, "org/results", space_id="org/board", hub_url=f"file://{tmp_path / 'hub'}",
                    max_files=limit)
    assert again.dataset.commit is None and again.dataset.commits == [] and len(ds.commits()) == len(commits)

    # 3 records gone, 1 new: 6 deletes + 2 adds + the changed tables and card, in batches again
    for key in store.keys()[:3]:
        store.delete(key)
    rec, items = verified_record("rice", "hubble", submission="sub-new", seed=77)
    store.write(rec, items)
    third = publish(store.url, "org/results", hub_url=f"file://{tmp_path / 'hub'}", max_files=limit)
    changed = len(third.dataset.added) + len(third.dataset.deleted)
    assert len(third.dataset.deleted) == 6 and len(third.dataset.commits) == math.ceil(changed / limit)
    assert len(ds.commits()) == len(commits) + len(third.dataset.commits)
    remote = ds.list_files()
    assert sorted(p for p in remote if p.startswith("records/") and p.endswith(".json")) == sorted(
        f"records/{k}.json" for k in store.keys())
    frame = pq.read_table(io.BytesIO((report / "results" / "tables" / "records.parquet").read_bytes())).to_pandas()
    assert sorted(frame["key"]) == store.keys()


def test_queue_only_publish_has_empty_tables(tmp_path: Path) -> None:
    from submissions.queue.submission_queue import SubmissionQueue

    queue = SubmissionQueue(tmp_path / "queue")
    queue.enqueue(participant="alice", name="Nebula", image=ImageIdentity.frozen("sha256:" + "a" * 64))
    store = ResultStore(str(tmp_path / "results"))
    folder = _published(store, tmp_path, queue_dir=tmp_path / "queue")
    assert (folder / "queue" / "snapshot.json").exists()
    assert pq.read_metadata(folder / "tables" / "records.parquet").num_rows == 0
    assert not (folder / "tables" / "items").exists()


def test_published_badges_carry_the_notes_the_board_shows() -> None:
    """The published ``badges`` column says what the board's badges say: an estimate whose bound did not move
    (*untrained*), a neural baseline worse than RICE on the packaged real frames."""
    from leaderboard.publish.published_tables import badges  # noqa: PLC0415

    base = {"provenance": "verified", "status": "ok", "synthetic": True, "portable": True}
    assert badges(base) == ["verified", "synthetic", "portable"]
    assert badges({**base, "provenance": "estimate", "bound_note": "≈ untrained preconditioner: 0.30 %"}) == [
        "estimate", "untrained", "synthetic", "portable"]
    assert badges({**base, "real_val_note": "6.24 bpp vs RICE 5.63"})[-1] == "worse-than-rice"
    assert "worse-than-rice" not in badges({**base, "real_val_note": ""})
