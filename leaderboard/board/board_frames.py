"""The record frames the leaderboard's views read: labelled, split by track, filtered (cached per data version).

:class:`RecordFrames` derives them from a :class:`leaderboard.data.board_reader.BoardReader`'s
records; ``LeaderboardData`` hands them to the tables, plots and pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from leaderboard.board.board_filters import Filters
from leaderboard.board.view_cache import ViewCache
from leaderboard.data import data_views
from leaderboard.data.board_reader import BoardReader
from leaderboard.views import tables
from leaderboard.views.cross_track_view import cross_track_table
from leaderboard.views.near_lossless import is_lossless

FRAME_LIMIT = 16  # frames kept before the memo is emptied (a new data version makes them stale anyway)


class RecordFrames:
    """The labelled / filtered records of a reader, once per (data version, view)."""

    def __init__(self, reader: BoardReader) -> None:
        self.reader = reader
        self._frames: ViewCache[pd.DataFrame] = ViewCache(FRAME_LIMIT)

    def cached(self, key: tuple[Any, ...], compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        return self._frames.get((self.reader.version, *key), compute)

    def labelled(self) -> pd.DataFrame:
        return self.cached(("labelled",), lambda: tables.with_labels(self.reader.records_frame()))

    def frame(self) -> pd.DataFrame:
        """The records table with labels (once per data version), less the cross-track records."""
        def compute() -> pd.DataFrame:
            every = self.labelled()
            return every[every["trained_on"] == ""] if not every.empty else every
        return self.cached(("all",), compute)

    def cross_track(self) -> pd.DataFrame:
        """The cross-track table (paper Table 2 and ours; ``leaderboard.views.cross_track_view``):
        lossless tracks only."""
        def compute() -> pd.DataFrame:
            every = self.labelled()
            return cross_track_table(every[(every["trained_on"] != "") & is_lossless(every)] if not every.empty
                                     else every)
        return self.cached(("cross-track",), compute)

    @staticmethod
    def in_view(frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
        """``frame``'s rows that ``f`` keeps (profiles, provenances, methods, data kinds, the data view)."""
        return data_views.in_view(tables.filter_records(frame, profiles=f.profiles, provenances=f.provenances,
                                                        kinds=f.kinds, data_kinds=f.data_kinds), f.data)

    def filtered(self, f: Filters) -> pd.DataFrame:
        """The lossless records ``f`` keeps: what the Overview and the Tracks tab read (near-lossless records
        are not lossless results: ``leaderboard.views.near_lossless`` shows them)."""
        def compute() -> pd.DataFrame:
            every = self.frame()
            return self.in_view(every[is_lossless(every)] if not every.empty else every, f)
        return self.cached(("filtered", f.key()), compute)

    def track_rows(self, track: str, f: Filters) -> pd.DataFrame:
        """The filtered records of one track (what that tab's tables and plots read)."""
        def compute() -> pd.DataFrame:
            frame = self.filtered(f)
            return frame[frame["track"] == track] if not frame.empty else frame
        return self.cached(("track", track, f.key()), compute)
