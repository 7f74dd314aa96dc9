"""Intervals and tied ranks of a track's rows, from the store's per-item ratios, cached incrementally.

:func:`leaderboard.ranking.paired_ranks` runs once per (data label, set of
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

from leaderboard.ranking import ItemRatios, mean_interval, paired_ranks, versus
from leaderboard.board_reader import BoardReader

STATS_COLUMNS: tuple[str, ...] = ("key", "n_items", "mean", "low", "high", "rank")
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
    """``paired_ranks`` of a group after some codecs left (``removed``) and some came (``added``).

    ``stats`` and ``ratios`` are the group's last result and per-item ratios
    (``ratios`` is updated in place). A rank is 1 + the number of codecs
    significantly better, so a codec that comes or goes moves another
    codec's rank by at most one, and only its own verdicts against the others
    are computed (``leaderboard.ranking.versus``): O(codecs) per change
    instead of O(codecs^2). Intervals depend on a codec's own items only.
    """
    keys = stats["key"].to_numpy(dtype=object)  # numpy arrays: iterating pandas columns is slow
    better = {k: None if r != r else int(r) - 1
              for k, r in zip(keys, stats["rank"].to_numpy(dtype=float, na_value=np.nan).tolist())}
    numbers = {k: (n, None if m != m else m, None if lo != lo else lo, None if hi != hi else hi)
               for k, n, m, lo, hi in zip(keys, stats["n_items"].tolist(),
                                          *(stats[c].to_numpy(dtype=float).tolist() for c in ("mean", "low", "high")))}

    def apply(one: ItemRatios, step: int) -> np.ndarray:
        members = list(ratios)
        one_better, other_better = versus(one, [ratios[m] for m in members])
        for m in np.asarray(members, dtype=object)[one_better]:
            better[m] += step  # type: ignore[operator]
        return other_better

    for key in removed:
        old = ratios.pop(key)
        del better[key], numbers[key]
        apply(old, -1)
    for key, new in added.items():
        other_better = apply(new, +1)
        ratios[key] = new
        better[key] = int(other_better.sum()) if new.ids else None
        numbers[key] = (len(new.ids), *mean_interval(new))
    keys = list(numbers)
    out = pd.DataFrame({"key": keys, "n_items": [numbers[k][0] for k in keys]})
    for i, col in enumerate(("mean", "low", "high"), start=1):
        out[col] = np.array([np.nan if numbers[k][i] is None else numbers[k][i] for k in keys], dtype=float)
    out["rank"] = pd.array([pd.NA if better[k] is None else 1 + better[k] for k in keys], dtype="Int64")
    return out
