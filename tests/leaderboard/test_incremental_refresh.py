"""A refresh does only what changed: it re-reads only new or changed files, updates ranks incrementally,
and the board it serves equals the board a cold start builds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lb_factory import verified_record

from evaluator.results.records import ResultStore
from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.board.track_stats import update_ranks
from leaderboard.data.ranking import ItemRatios, paired_ranks
from leaderboard.data.store_reader import StoreReader


class Counting:
    """Counts the calls of a store method (the real one runs)."""

    def __init__(self, store: ResultStore, name: str) -> None:
        self.calls: list[str] = []
        original = getattr(store, name)

        def counted(key: str, *args, **kwargs):
            self.calls.append(key)
            return original(key, *args, **kwargs)

        setattr(store, name, counted)


def _write(store: ResultStore, i: int, track: str = "hubble", **kw) -> str:
    kw.setdefault("seed", i)
    rec, items = verified_record("jpegls", track, codec=f"codec-{i:03d}", submission=f"sub-{i:03d}", **kw)
    return store.write(rec, items)


def test_refresh_reads_only_new_or_changed_files(tmp_path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    for i in range(40):
        _write(store, i, "hubble" if i % 2 else "keck")
    reader = StoreReader(store.url)
    reads, items = Counting(reader.store, "read"), Counting(reader.store, "items")
    columns = Counting(reader.store, "item_columns")
    data = LeaderboardData(reader, min_refresh_s=0.0)
    data.refresh(force=True)
    assert len(reads.calls) == 40  # the cold start reads every record once
    before = data.render_track("hubble", Filters())[0]
    assert columns.calls == [] and items.calls == []  # ranks come from the records' own item ratios
    reads.calls.clear()

    data.refresh(force=True)
    assert reads.calls == []  # nothing changed: nothing read

    new_key = _write(store, 100, gain=1.5)
    changed_key = _write(store, 3, seed=77)  # a record written again with new numbers
    data.refresh(force=True)
    assert sorted(reads.calls) == sorted([new_key, changed_key])  # the new and the changed file, nothing else
    assert columns.calls == [] and items.calls == []
    after = data.render_track("hubble", Filters())[0]
    assert len(after) == len(before) + 1 and "sub-100" in set(after["Submission"])
    assert data.render_track("keck", Filters())[0] is data.render_track("keck", Filters())[0]

    store.delete(new_key)
    reads.calls.clear()
    data.refresh(force=True)
    assert reads.calls == [] and "sub-100" not in set(data.render_track("hubble", Filters())[0]["Submission"])


def test_an_unchanged_track_is_not_recomputed(tmp_path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    for i in range(10):
        _write(store, i, "keck")
        _write(store, i, "hubble")
    data = LeaderboardData(StoreReader(store.url), min_refresh_s=0.0)
    data.refresh(force=True)
    keck = data.render_track("keck", Filters())
    _write(store, 50)  # a hubble record
    data.refresh(force=True)
    assert data.render_track("keck", Filters()) is keck  # the very same cached tables


def test_a_refreshed_board_equals_a_cold_one(tmp_path) -> None:
    """Incremental ranks, listings and caches give exactly the tables a fresh start computes."""
    store = ResultStore(str(tmp_path / "results"))
    keys = [_write(store, i, gain=1.0 + 0.01 * (i % 7)) for i in range(30)]
    warm = LeaderboardData(StoreReader(store.url), min_refresh_s=0.0)
    warm.refresh(force=True)
    warm.render_track("hubble", Filters())
    for step in range(4):  # new, rewritten and removed records, refreshing after each
        _write(store, 200 + step, gain=1.0 + 0.02 * step)
        _write(store, step, seed=500 + step)
        if step == 2:
            store.delete(keys[10])
        warm.refresh(force=True)
        warm_tables = warm.render_track("hubble", Filters())
        cold = LeaderboardData(StoreReader(store.url))
        cold.refresh(force=True)
        assert ("sub-010" in set(warm_tables[0]["Submission"])) == (step < 2)
        for got, want in zip(warm_tables, cold.render_track("hubble", Filters())):
            pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_update_ranks_equals_a_full_ranking(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = [f"item-{i}" for i in range(8)]

    def codec(level: float, n: int = 8) -> ItemRatios:
        chosen = ids[:n]
        return ItemRatios.of(chosen, level + rng.normal(0, 0.05, len(chosen)) + np.linspace(0, 0.3, len(chosen)))

    ratios = {f"c{i}": codec(2.0 + 0.02 * (i % 9), 8 if i % 5 else 6) for i in range(60)}
    ratios["empty"] = ItemRatios((), np.empty(0))
    stats = paired_ranks(ratios)
    current = dict(ratios)
    removed = ["c3", "c10", "empty"]
    added = {"n1": codec(2.5), "n2": codec(2.08, 6), "c10": codec(1.9), "n3": ItemRatios((), np.empty(0))}
    updated = update_ranks(stats, current, removed, added).set_index("key")
    final = {k: v for k, v in ratios.items() if k not in removed} | added
    full = paired_ranks(final).set_index("key")
    assert sorted(updated.index) == sorted(full.index)
    updated = updated.loc[full.index]
    assert updated["rank"].tolist() == full["rank"].tolist()
    assert updated["n_items"].tolist() == full["n_items"].tolist()
    for col in ("mean", "low", "high"):
        np.testing.assert_allclose(updated[col].to_numpy(dtype=float), full[col].to_numpy(dtype=float),
                                   rtol=1e-12, equal_nan=True)


def test_the_patched_records_table_equals_a_rebuilt_one(tmp_path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    keys = [_write(store, i, "hubble" if i % 2 else "lco") for i in range(12)]
    reader = StoreReader(store.url)
    reader.refresh()
    reader.records_frame()
    _write(store, 40, "keck")
    _write(store, 3, seed=99)
    store.delete(keys[4])
    reader.refresh()
    patched = reader.records_frame()
    cold = StoreReader(store.url)
    cold.refresh()
    rebuilt = cold.records_frame()
    assert len(patched) == 12 and "sub-004" not in set(patched["submission"])
    pd.testing.assert_frame_equal(patched.sort_values("key").reset_index(drop=True),
                                  rebuilt.sort_values("key").reset_index(drop=True))
