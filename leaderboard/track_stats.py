"""Intervals and tied ranks of a track's rows, from the store's per-item ratios, cached incrementally.

:func:`leaderboard.ranking.paired_ranks` runs once per (data label, set of
records with their items' file signatures): a new record recomputes only its
own data label's group; every other group, and every record's parsed
ratios (``StoreReader.item_ratios``, cached per file signature), is reused.
Rows without per-item numbers (the paper's) get no interval and are ranked
by their mean as before.
"""

from __future__ import annotations

import threading

import pandas as pd

from leaderboard.ranking import paired_ranks
from leaderboard.store_reader import StoreReader

STATS_COLUMNS: tuple[str, ...] = ("key", "n_items", "mean", "low", "high", "rank")
_MAX_GROUPS = 256


class TrackStats:
    """Interval and tied rank per record key, for the rows a track table shows."""

    def __init__(self, reader: StoreReader) -> None:
        self.reader = reader
        self._lock = threading.Lock()
        self._groups: dict[tuple[str, tuple[tuple[str, str], ...]], pd.DataFrame] = {}

    def for_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Stats of ``rows`` (ok records of one track, one per (submission, split)), ranked per data label."""
        if rows.empty:
            return pd.DataFrame(columns=list(STATS_COLUMNS))
        with_items = self.reader.item_keys()
        sigs = self.reader.item_signatures()
        frames = []
        for label, group in rows.groupby("data", sort=False):
            keys = [k for k in group["key"] if k in with_items]
            if not keys:
                continue
            sig = (str(label), tuple(sorted((k, sigs.get(k, "")) for k in keys)))
            with self._lock:
                cached = self._groups.get(sig)
            if cached is None:
                cached = paired_ranks({k: self.reader.item_ratios(k) for k in keys})
                with self._lock:
                    if len(self._groups) > _MAX_GROUPS:
                        self._groups.clear()
                    self._groups[sig] = cached
            frames.append(cached)
        if not frames:
            return pd.DataFrame(columns=list(STATS_COLUMNS))
        return pd.concat(frames, ignore_index=True)
