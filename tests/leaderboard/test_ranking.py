"""Bootstrap intervals and tied ranks (leaderboard.ranking) on constructed data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from lb_factory import verified_record

from leaderboard.board_data import Filters, LeaderboardData
from leaderboard.ranking import ItemRatios, compare, mean_interval, paired_ranks
from leaderboard.store_reader import StoreReader

IDS = [f"item-{i:02d}" for i in range(40)]


def _board() -> dict[str, ItemRatios]:
    """A and B tied (B = A plus tiny noise), C clearly below both, D clearly below C."""
    rng = np.random.default_rng(7)
    base = rng.uniform(2.0, 4.0, len(IDS))  # items differ a lot: unpaired intervals overlap
    return {
        "A": ItemRatios.of(IDS, base + 0.30),
        "B": ItemRatios.of(IDS, base + 0.30 + rng.normal(0, 0.01, len(IDS))),
        "C": ItemRatios.of(IDS, base + 0.05 * rng.uniform(0.8, 1.2, len(IDS))),
        "D": ItemRatios.of(IDS, base - 0.20),
    }


def test_tied_codecs_share_a_rank_and_separated_ones_do_not() -> None:
    ranks = paired_ranks(_board()).set_index("key")
    assert ranks.loc["A", "rank"] == ranks.loc["B", "rank"] == 1
    assert ranks.loc["C", "rank"] == 3  # A and B are both significantly better
    assert ranks.loc["D", "rank"] == 4
    # the per-codec intervals overlap (items vary), yet the paired comparison separates C from D
    assert ranks.loc["C", "low"] < ranks.loc["D", "high"]
    assert compare(_board()["D"], _board()["C"]).verdict == "better"
    assert compare(_board()["A"], _board()["B"]).verdict == "tied"
    assert compare(_board()["A"], _board()["C"]).verdict == "worse"


def test_intervals_are_reproducible_and_cover_the_mean() -> None:
    first, again = paired_ranks(_board()), paired_ranks(_board())
    pd.testing.assert_frame_equal(first, again)
    mean, lo, hi = mean_interval(_board()["A"])
    assert lo < mean < hi
    assert (first["low"] < first["mean"]).all() and (first["mean"] < first["high"]).all()
    # an interval does not depend on which other codecs are on the board
    alone = paired_ranks({"A": _board()["A"]}).iloc[0]
    assert (alone["low"], alone["high"]) == (lo, hi)


def test_codecs_on_different_item_sets_compare_on_the_shared_items() -> None:
    board = _board()
    partial = ItemRatios.of(IDS[:20], board["D"].values[:20])  # D on half the items
    ranks = paired_ranks({"A": board["A"], "D-half": partial, "lonely": ItemRatios.of(["x"], [9.0])}).set_index("key")
    assert ranks.loc["A", "rank"] == 1 and ranks.loc["D-half", "rank"] == 2
    assert ranks.loc["lonely", "rank"] == 1  # shares no items with anyone: nobody is significantly better
    assert paired_ranks({"empty": ItemRatios.of([], [])})["rank"].isna().all()


def test_ratios_keep_the_last_duplicate_and_drop_missing_values() -> None:
    r = ItemRatios.of(["b", "a", "b", "c"], [1.0, 2.0, 3.0, float("nan")])
    assert r.ids == ("a", "b") and list(r.values) == [2.0, 3.0]


def test_track_table_shows_intervals_and_tied_ranks(store) -> None:
    # two codecs whose per-item ratios differ by a few bytes either way (tied), one clearly worse
    good, items = verified_record("jpegxl-max", "keck", codec="Good", submission="sub-good", n_items=12, seed=1)
    store.write(good, items)
    twin = items.copy()
    twin["compressed_bytes"] = twin["compressed_bytes"] + np.resize([3, -3], len(twin))  # no consistent difference
    twin["ratio"] = 16.0 * twin["npix"] / (8.0 * twin["compressed_bytes"])
    rec_twin, _ = verified_record("jpegxl-max", "keck", codec="Twin", submission="sub-twin", n_items=12, seed=1)
    rec_twin.summary = type(rec_twin.summary)(**{**rec_twin.summary.to_dict(), "ratio_mean": float(twin["ratio"].mean())})
    store.write(rec_twin, twin)
    worse = items.copy()
    worse["compressed_bytes"] = (worse["compressed_bytes"] * 1.3).astype(int)
    worse["ratio"] = 16.0 * worse["npix"] / (8.0 * worse["compressed_bytes"])
    rec_worse, _ = verified_record("rice", "keck", codec="Worse", submission="sub-worse", n_items=12, seed=1)
    rec_worse.summary = type(rec_worse.summary)(**{**rec_worse.summary.to_dict(),
                                                    "ratio_mean": float(worse["ratio"].mean())})
    store.write(rec_worse, worse)
    data = LeaderboardData(StoreReader(store.url))
    data.refresh(force=True)
    table = data.render_track("keck", Filters())[0]
    rows = {r["Codec"]: r for _, r in table.iterrows()}
    assert rows["Good"]["Rank"] == rows["Twin"]["Rank"] == 1
    assert rows["Worse"]["Rank"] == 3
    low, high = (float(x) for x in rows["Good"]["95 % interval (mean)"].split(" - "))
    assert low < rows["Good"]["Ratio (mean)"] < high
