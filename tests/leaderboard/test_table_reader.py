"""The Space's reader of the published tables serves the board the store reader serves, from a few files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fsspec.implementations.local import LocalFileSystem
from lb_factory import failed_record, verified_record, write_baselines

from baselines.paper_seeds import seed_paper_results
from evaluator.results.records import ResultStore
from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.data.board_reader import open_reader
from leaderboard.data.record_rows import RECORD_COLUMNS
from leaderboard.data.store_reader import StoreReader
from leaderboard.data.table_reader import TableReader
from leaderboard.publish.publish import publish


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every local file opened through fsspec (what a reader reads), in order."""
    paths: list[str] = []
    real = LocalFileSystem._open

    def counting(self: LocalFileSystem, path: str, *args: Any, **kw: Any) -> Any:
        paths.append(str(path))
        return real(self, path, *args, **kw)

    monkeypatch.setattr(LocalFileSystem, "_open", counting)
    return paths


def _publish(store: ResultStore, tmp_path: Path) -> str:
    publish(store.url, "org/results", hub_url=f"file://{tmp_path / 'hub'}")
    return f"file://{tmp_path / 'hub' / 'datasets' / 'org' / 'results'}"


def _board(store: ResultStore) -> None:
    seed_paper_results(store)
    write_baselines(store, ["hubble", "lco"])
    store.write(failed_record("sub-broken", "hubble"))
    rec, items = verified_record("nebula", "keck", codec="Nebula", submission="sub-neb", seed=3, neural=True)
    store.write(rec, items)


def _same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.sort_values("key").reset_index(drop=True)
    b = b.sort_values("key").reset_index(drop=True)
    assert list(a.columns) == list(b.columns) == list(RECORD_COLUMNS)
    for col in RECORD_COLUMNS:
        left, right = a[col], b[col]
        if pd.api.types.is_numeric_dtype(right) and not pd.api.types.is_bool_dtype(right):
            left, right = pd.to_numeric(left).astype(float), right.astype(float)  # None or NaN: the same empty cell
        else:
            left, right = left.astype(object), right.astype(object)
        pd.testing.assert_series_equal(left, right, check_names=False, obj=col)


def test_same_board_as_the_store_reader_from_the_tables_only(store: ResultStore, tmp_path: Path,
                                                             opened: list[str]) -> None:
    _board(store)
    url = _publish(store, tmp_path)
    base = url.removeprefix("file://")

    def ours() -> list[str]:  # what was opened in the published dataset
        return [p.removeprefix(base + "/") for p in opened if p.startswith(base + "/")]

    by_store = StoreReader(store.url)
    by_store.refresh()
    opened.clear()
    reader = TableReader(url)
    assert reader.refresh() is True
    _same_frames(by_store.records_frame(), reader.records_frame())
    assert reader.keys() == by_store.keys() and reader.item_keys() == by_store.item_keys()
    assert ours() == ["tables/records.parquet"]

    board, store_board = LeaderboardData(reader), LeaderboardData(by_store)
    for data in (board, store_board):
        data.refresh(force=True)
    pd.testing.assert_frame_equal(board.render_overview(Filters()), store_board.render_overview(Filters()))
    first = ["tables/records.parquet", "queue/snapshot.json"]  # the board asks for the queue snapshot (none here)
    assert ours() == first
    for got, want in zip(board.render_track("hubble", Filters()), store_board.render_track("hubble", Filters())):
        pd.testing.assert_frame_equal(got, want)
    assert ours() == [*first, "tables/items/hubble.parquet"]  # a track view: its own items only

    for key in by_store.keys():
        want, got = by_store.item_ratios(key), reader.item_ratios(key)
        assert got.ids == want.ids and np.array_equal(got.values, want.values), key
        assert reader.record(key) == by_store.record(key), key
        a, b = by_store.items(key), reader.items(key)
        assert len(a) == len(b) and list(b.columns) == list(a.columns), key
        if len(a):
            assert list(a["item_id"]) == list(b["item_id"]) and np.allclose(a["ratio"], b["ratio"]), key
    assert reader.items_for(["sub-neb/keck/cpu-1/synthetic-small-s0_full_test"])["codec"].tolist() == ["Nebula"] * 6
    assert sorted(set(ours())) == ["queue/snapshot.json", "tables/items/hubble.parquet", "tables/items/keck.parquet",
                                   "tables/items/lco.parquet", "tables/records.parquet"]
    assert reader.reads == len(ours()) - 1 == len(reader.opened)  # each table read once, the record_json column once
    assert reader.opened.count("tables/records.parquet") == 2


def test_refresh_reads_only_what_a_publish_changed(store: ResultStore, tmp_path: Path, opened: list[str]) -> None:
    _board(store)
    url = _publish(store, tmp_path)
    reader = TableReader(url)
    reader.refresh()
    for key in reader.keys():
        reader.item_ratios(key)
    version, reads = reader.version, reader.reads
    hubble, lco = reader.track_version("hubble"), reader.track_version("lco")
    assert reader.refresh() is False and reader.reads == reads and reader.version == version  # nothing published

    rec, items = verified_record("rice", "hubble", submission="sub-new", codec="Newcomer", seed=42)
    store.write(rec, items)
    _publish(store, tmp_path)
    assert reader.refresh() is True and reader.version > version
    assert reader.reads == reads + 1 and reader.opened[-1] == "tables/records.parquet"
    assert reader.track_version("hubble") > hubble and reader.track_version("lco") == lco
    assert rec.key in reader.keys() and "Newcomer" in set(reader.records_frame()["codec"])
    assert reader.item_ratios(rec.key).ids  # the changed track's items are read again, on use
    assert reader.opened[-1] == "tables/items/hubble.parquet" and reader.reads == reads + 2
    assert len(reader.item_ratios("baseline-rice/lco/cpu-1/synthetic-small-s0_full_test").ids) == 6
    assert reader.reads == reads + 2  # lco unchanged: still cached


def test_unreadable_tables_keep_the_last_board(store: ResultStore, tmp_path: Path) -> None:
    _board(store)
    url = _publish(store, tmp_path)
    reader = TableReader(url)
    reader.refresh()
    n = len(reader.records_frame())
    (Path(url.removeprefix("file://")) / "tables" / "records.parquet").write_bytes(b"not parquet")
    assert reader.refresh() is False and reader.last_error and "records.parquet" in reader.last_error
    assert len(reader.records_frame()) == n


def test_serve_picks_the_tables_and_still_serves_an_older_publish(store: ResultStore, tmp_path: Path) -> None:
    _board(store)
    url = _publish(store, tmp_path)
    assert isinstance(open_reader(url), TableReader)
    assert isinstance(open_reader(store.url), StoreReader)
    shutil.rmtree(Path(url.removeprefix("file://")) / "tables")  # a dataset published before the tables
    old = open_reader(url)
    assert isinstance(old, StoreReader)
    old.refresh()
    assert sorted(old.records_frame()["key"]) == store.keys()


def test_an_items_table_published_before_a_column_existed_still_reads(store: ResultStore, tmp_path: Path) -> None:
    """A column added to the items (e.g. the codec-reported ``coding_bits``) is empty in an older publish."""
    _board(store)
    url = _publish(store, tmp_path)
    path = Path(url.removeprefix("file://")) / "tables" / "items" / "keck.parquet"
    old = pd.read_parquet(path).drop(columns=["coding_bits", "side_bits"])
    old.to_parquet(path)
    reader = TableReader(url)
    reader.refresh()
    key = "sub-neb/keck/cpu-1/synthetic-small-s0_full_test"
    rows = reader.items(key)
    assert len(rows) == 6 and rows["coding_bits"].isna().all() and rows["ratio"].notna().all()
    assert len(reader.items_for([key])) == 6
