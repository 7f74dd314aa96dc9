"""Bootstrap intervals and tied ranks (leaderboard.data.ranking) on constructed data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from lb_factory import verified_record

from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.board.track_stats import update_ranks
from leaderboard.data.ranking import MIN_PAIRED, RANK_NOTE, ItemRatios, compare, mean_interval, paired_ranks, versus
from leaderboard.data.store_reader import StoreReader
from leaderboard.views import tables

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
    twin_mean = float(twin["ratio"].mean())
    rec_twin.summary = type(rec_twin.summary)(**{**rec_twin.summary.to_dict(), "ratio_mean": twin_mean})
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


# Issue 23 item 3: unpaired comparisons below MIN_PAIRED shared items, incomplete rows last, monotonic ranks.

def _noisy(ids: list[str], level: float, spread: float, seed: int) -> ItemRatios:
    return ItemRatios.of(ids, level + np.random.default_rng(seed).normal(0, spread, len(ids)))


def test_rows_on_disjoint_items_are_compared_unpaired() -> None:
    left, right = [f"l{i:02d}" for i in range(12)], [f"r{i:02d}" for i in range(12)]
    clear = paired_ranks({"low": _noisy(left, 2.0, 0.05, 1), "high": _noisy(right, 3.0, 0.05, 2)}).set_index("key")
    assert clear.loc["high", "rank"] == 1 and clear.loc["low", "rank"] == 2  # no shared item, still told apart
    noisy = paired_ranks({"a": _noisy(left, 2.50, 0.8, 3), "b": _noisy(right, 2.55, 0.8, 4)}).set_index("key")
    assert noisy.loc["a", "rank"] == noisy.loc["b", "rank"] == 1  # overlapping noisy means: a tie
    one_better, other_better = versus(_noisy(left, 2.0, 0.05, 1), [_noisy(right, 3.0, 0.05, 2)])
    assert not one_better[0] and other_better[0]  # the incremental path follows the same rule


def test_few_shared_items_are_compared_unpaired() -> None:
    # A beats B by 0.2 on each of the 6 items they share (a paired test would call A better), yet B's mean over
    # its own items is far higher: with fewer than MIN_PAIRED shared items the means decide, unpaired.
    shared = [f"s{i}" for i in range(6)]
    assert len(shared) < MIN_PAIRED
    a_ids, b_ids = shared + [f"a{i}" for i in range(6)], shared + [f"b{i}" for i in range(6)]
    a = ItemRatios.of(a_ids, [2.2] * 6 + list(2.0 + 0.02 * np.arange(6)))
    b = ItemRatios.of(b_ids, [2.0] * 6 + list(4.0 + 0.02 * np.arange(6)))
    assert compare(a, b).verdict == "worse"  # the paired verdict on the shared items
    ranks = paired_ranks({"A": a, "B": b}).set_index("key")
    assert ranks.loc["B", "rank"] == 1 and ranks.loc["A", "rank"] == 2


def test_many_shared_items_are_compared_paired() -> None:
    # B = A + 0.02 on each of 40 items that vary a lot: the intervals overlap (unpaired: a tie), paired: B better.
    base = np.random.default_rng(5).uniform(2.0, 4.0, len(IDS))
    a, b = ItemRatios.of(IDS, base), ItemRatios.of(IDS, base + 0.02)
    ranks = paired_ranks({"A": a, "B": b}).set_index("key")
    assert ranks.loc["A", "high"] > ranks.loc["B", "low"]  # unpaired, nothing would separate them
    assert ranks.loc["B", "rank"] == 1 and ranks.loc["A", "rank"] == 2
    assert ranks["complete"].all() and (ranks["expected"] == len(IDS)).all()


def test_an_incomplete_row_ranks_after_complete_ones_even_when_its_mean_is_higher() -> None:
    board = _board()
    missing = ItemRatios.of(IDS[:-1], board["A"].values[:-1] + 2.0)  # one item missing
    items = pd.DataFrame({"item_id": IDS, "ratio": board["A"].values + 2.0, "status": ["ok"] * (len(IDS) - 1)
                          + ["failed"]})
    failed = ItemRatios.from_items(items)  # one item failed
    assert failed.n_failed == 1 and len(failed.ids) == len(IDS) - 1
    listed = ItemRatios.from_items(items.assign(status="ok", ratio=list(items["ratio"][:-1]) + [float("nan")]))
    assert listed.n_failed == 1  # listed without a ratio: failed too
    ranks = paired_ranks({**board, "missing": missing, "failed": failed}).set_index("key")
    complete_worst = int(ranks.loc[list(board), "rank"].max())
    for key in ("missing", "failed"):
        assert not ranks.loc[key, "complete"] and ranks.loc[key, "mean"] > ranks.loc["A", "mean"]
        assert ranks.loc[key, "rank"] == len(board) + 1 > complete_worst  # after every complete row
    assert ranks.loc[list(board), "complete"].all()
    assert ranks.loc["A", "rank"] == ranks.loc["B", "rank"] == 1 and ranks.loc["D", "rank"] == 4


def test_the_issue_case_a_worse_mean_no_longer_ranks_first() -> None:
    # issue 23: 2.37 ranked above 2.93. The two rows share 2 items, on which the 2.37 row is higher by the same
    # amount (a paired sd of 0: "significantly better" under the old rule); over their own items 2.93 is higher.
    shared = ["x1", "x2"]
    low = ItemRatios.of(shared + ["l1", "l2", "l3", "l4"], [3.0, 3.1, 2.1, 2.15, 2.2, 2.17])
    high = ItemRatios.of(shared + ["h1", "h2", "h3", "h4"], [2.8, 2.9, 3.0, 3.05, 2.95, 2.88])
    assert round(low.values.mean(), 2) == 2.45 and compare(high, low).verdict == "better"
    ranks = paired_ranks({"low": low, "high": high}).set_index("key")
    assert ranks.loc["high", "rank"] == 1 and ranks.loc["low", "rank"] == 2
    assert ranks.loc["high", "mean"] > ranks.loc["low", "mean"]


def _assert_monotonic(ranks: pd.DataFrame) -> None:
    """Among rows of one completeness, a row ranked strictly better never has a lower mean."""
    for _, tier in ranks.dropna(subset=["rank"]).groupby("complete"):
        r, m = tier["rank"].to_numpy(dtype=float), tier["mean"].to_numpy(dtype=float)
        assert not ((r[:, None] < r[None, :]) & (m[:, None] < m[None, :])).any()


def test_a_row_ranked_better_never_has_a_lower_mean() -> None:
    # A above B significantly; C, tied with both by its noise, has the lowest mean: it must not rank above B
    base = np.random.default_rng(9).uniform(2.0, 2.2, len(IDS))
    noise = np.random.default_rng(10).normal(0, 2.0, len(IDS))
    board = {"A": ItemRatios.of(IDS, base + 0.3), "B": ItemRatios.of(IDS, base),
             "C": ItemRatios.of(IDS, base - 0.05 + noise - noise.mean())}
    ranks = paired_ranks(board).set_index("key")
    assert ranks.loc["C", "mean"] < ranks.loc["B", "mean"]
    assert ranks.loc["C", "better"] == 0  # nobody is significantly better than C: 1 + 0 would rank it first
    assert ranks.loc["A", "rank"] == 1 and ranks.loc["B", "rank"] == 2 and ranks.loc["C", "rank"] == 2
    _assert_monotonic(ranks.reset_index())
    for seed in range(5):  # random boards: partial item sets, tiny ones, noisy ones
        rng = np.random.default_rng(seed)
        sizes = [int(rng.integers(1, len(IDS) + 1)) if i % 3 else len(IDS) for i in range(30)]
        rows = {f"c{i}": ItemRatios.of(IDS[:n], rng.uniform(1.5, 3.5) + rng.normal(0, rng.uniform(0.01, 1.0), n))
                for i, n in enumerate(sizes)}
        _assert_monotonic(paired_ranks(rows))


def test_update_ranks_re_ranks_when_the_item_count_changes() -> None:
    board = _board()
    stats = paired_ranks(board)
    newcomer = ItemRatios.of(IDS + ["item-extra"], list(board["A"].values) + [3.0])  # lists an item nobody had
    updated = update_ranks(stats, dict(board), [], {"N": newcomer}).set_index("key")
    full = paired_ranks({**board, "N": newcomer}).set_index("key").loc[updated.index]
    assert updated["rank"].tolist() == full["rank"].tolist()
    assert updated.loc["N", "complete"] and not updated.loc[list(board), "complete"].any()
    back = update_ranks(full.reset_index(), {**board, "N": newcomer}, ["N"], {}).set_index("key")
    assert back["rank"].tolist() == stats.set_index("key").loc[back.index, "rank"].tolist()
    assert back["complete"].all()


def test_track_table_marks_incomplete_rows_and_states_the_rule(store) -> None:
    full, items = verified_record("jpegls", "keck", codec="Full", submission="sub-full", n_items=12, seed=3)
    store.write(full, items)
    part_items = items.iloc[:-1].copy()
    part_items["ratio"] = part_items["ratio"] * 1.5  # a higher mean, on one item less
    part, _ = verified_record("jpegls", "keck", codec="Partial", submission="sub-part", n_items=12, seed=3)
    part.summary = type(part.summary)(**{**part.summary.to_dict(), "ratio_mean": float(part_items["ratio"].mean())})
    store.write(part, part_items)
    data = LeaderboardData(StoreReader(store.url))
    data.refresh(force=True)
    table = data.render_track("keck", Filters())[0]
    rows = {r["Codec"]: r for _, r in table.iterrows()}
    assert rows["Full"]["Rank"] == 1 and rows["Partial"]["Rank"] == 2
    assert rows["Partial"]["Ratio (mean)"] > rows["Full"]["Ratio (mean)"]
    assert rows["Partial"]["Status"] == "ok, incomplete (11 of 12 items ok)" and rows["Full"]["Status"] == "ok"
    assert "incomplete" in RANK_NOTE and str(MIN_PAIRED) in RANK_NOTE and "unpaired" in RANK_NOTE
    assert tables.RANK_NOTE == RANK_NOTE
