"""Intervals and tied ranks of a track's rows, from the store's per-item ratios, cached incrementally.

:func:`leaderboard.data.ranking.paired_ranks` runs once per (data label, set of
records with their items' file signatures): a new record recomputes only its
own data label's group; every other group, and every record's parsed
ratios (``BoardReader.item_ratios``, cached per signature), is reused.
Rows without per-item numbers (the paper's) get no interval and are ranked
by their mean as before. A group that changed by a few records (a new
submission) is updated from its last result (:func:`update_ranks`: the
newcomer's verdicts against each codec, O(codecs)) rather than re-ranked
pair by pair (O(codecs^2)); the result is the same.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from leaderboard.data.board_reader import BoardReader
from leaderboard.data.ranking import (
    RANK_COLUMNS,
    ItemRatios,
    expected_items,
    final_ranks,
    is_complete,
    mean_interval,
    paired_ranks,
    versus,
)

STATS_COLUMNS: tuple[str, ...] = RANK_COLUMNS
_MAX_GROUPS = 256
INCREMENTAL_MAX = 64  # changed records of a group below which its ranks are updated, not recomputed


class TrackStats:
    """Interval and tied rank per record key, for the rows a track table shows."""

    def __init__(self, reader: BoardReader) -> None:
        self.reader = reader
        self._lock = threading.Lock()
        self._groups: dict[tuple[str, tuple[tuple[str, str], ...]], pd.DataFrame] = {}
        # per (track, data label): its last signatures, stats and ratios (the base of an incremental update)
        self._last: dict[tuple[str, str], tuple[dict[str, str], pd.DataFrame, dict[str, ItemRatios]]] = {}

    def for_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Stats of ``rows`` (ok records of one track, one per (submission, split)), ranked per data label."""
        if rows.empty:
            return pd.DataFrame(columns=list(STATS_COLUMNS))
        with_items = self.reader.item_keys()
        sigs = self.reader.item_signatures()
        track = str(rows["track"].iloc[0]) if "track" in rows.columns else ""
        frames = []
        for label, group in rows.groupby("data", sort=False):
            keys = [k for k in group["key"] if k in with_items]
            if not keys:
                continue
            current = {k: sigs.get(k, "") for k in keys}
            sig = (str(label), tuple(sorted(current.items())))
            with self._lock:
                cached = self._groups.get(sig)
            if cached is None:
                cached = self._compute((track, str(label)), current)
                with self._lock:
                    if len(self._groups) > _MAX_GROUPS:
                        self._groups.clear()
                    self._groups[sig] = cached
            frames.append(cached)
        if not frames:
            return pd.DataFrame(columns=list(STATS_COLUMNS))
        return pd.concat(frames, ignore_index=True)

    def _compute(self, group: tuple[str, str], current: dict[str, str]) -> pd.DataFrame:
        """Stats of one (track, data label) group: updated from its last result when few records changed."""
        with self._lock:
            last = self._last.get(group)
        result = None
        if last is not None:
            old_sigs, old_stats, old_ratios = last
            removed = [k for k in old_sigs if current.get(k) != old_sigs[k]]
            added = [k for k in current if old_sigs.get(k) != current[k]]
            if len(removed) + len(added) <= INCREMENTAL_MAX:
                ratios = dict(old_ratios)
                result = update_ranks(old_stats, ratios, removed, {k: self.reader.item_ratios(k) for k in added})
        if result is None:
            ratios = {k: self.reader.item_ratios(k) for k in current}
            result = paired_ranks(ratios)
        with self._lock:
            self._last[group] = (dict(current), result, ratios)
        return result


def update_ranks(stats: pd.DataFrame, ratios: dict[str, ItemRatios], removed: list[str],
                 added: dict[str, ItemRatios]) -> pd.DataFrame:
    """``paired_ranks`` of a group after some rows left (``removed``) and some came (``added``).

    ``stats`` and ``ratios`` are the group's last result and per-item ratios
    (``ratios`` is updated in place). A row's ``better`` is the number of rows
    of its completeness significantly better, so a row that comes or goes
    moves another row's count by at most one, and only its own verdicts
    against the others are computed (``leaderboard.data.ranking.versus``):
    O(rows) per change instead of O(rows^2); the ranks then follow from the
    counts (``leaderboard.data.ranking.final_ranks``). When the group's item count
    changes (a row lists an item no other row had, or the only row with one
    leaves), completeness changes for every row and the group is re-ranked.
    Intervals depend on a row's own items only.
    """
    gone = {key: ratios.pop(key) for key in removed}
    ratios.update(added)
    expected = expected_items(ratios)
    if stats.empty or "better" not in stats.columns or int(stats["expected"].iloc[0]) != expected:
        return paired_ranks(ratios)
    keys = stats["key"].to_numpy(dtype=object)  # numpy arrays: iterating pandas columns is slow
    better = dict(zip(keys, stats["better"].tolist()))
    complete = dict(zip(keys, stats["complete"].tolist()))
    numbers = {k: (n, None if m != m else m, None if lo != lo else lo, None if hi != hi else hi)
               for k, n, m, lo, hi in zip(keys, stats["n_items"].tolist(),
                                          *(stats[c].to_numpy(dtype=float).tolist() for c in ("mean", "low", "high")))}
    old = {k: gone[k] if k in gone else ratios[k] for k in keys}  # the rows the counts were made against

    def apply(one: ItemRatios, tier: bool, step: int) -> np.ndarray:
        members = [m for m in better if m in old]
        one_better, other_better = versus(one, [old[m] for m in members])
        for m, hit in zip(members, one_better.tolist()):
            if hit and complete[m] == tier:
                better[m] += step
        return np.array([hit and complete[m] == tier for m, hit in zip(members, other_better.tolist())], dtype=bool)

    for key in removed:
        leaving = old.pop(key)
        tier = complete.pop(key)
        del better[key], numbers[key]
        apply(leaving, tier, -1)
    for key, new in added.items():
        tier = is_complete(new, expected)
        other_better = apply(new, tier, +1)
        old[key] = new
        better[key], complete[key] = int(other_better.sum()), tier
        numbers[key] = (len(new.ids), *mean_interval(new))
    rows = list(numbers)
    out = pd.DataFrame({"key": rows, "n_items": [numbers[k][0] for k in rows]})
    for i, col in enumerate(("mean", "low", "high"), start=1):
        out[col] = np.array([np.nan if numbers[k][i] is None else numbers[k][i] for k in rows], dtype=float)
    out["complete"] = [complete[k] for k in rows]
    out["expected"], out["better"] = expected, [better[k] for k in rows]
    return final_ranks(out)
