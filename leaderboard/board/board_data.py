"""What the leaderboard shows, computed from the results store: filters, cached views, pages.

:class:`LeaderboardData` turns a :class:`leaderboard.data.board_reader.BoardReader`
(the store's files, or the published tables) into the tables, plots and pages of the app
(``leaderboard.app.page`` lays them out in Gradio), cached per (store version, filters) so a visitor's tab
switch re-uses what another visitor computed.

Its collaborators: :mod:`leaderboard.board.board_frames` (the labelled and filtered
record frames), :mod:`leaderboard.board.board_views` and :mod:`leaderboard.board.track_plots`
(what a tab computes from them), :mod:`leaderboard.board.board_refresh` (the paced
re-listing) and :mod:`leaderboard.board.board_prewarm` (the background render).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from evaluator.core.tracks import TRACKS
from leaderboard.board import board_views
from leaderboard.board.board_filters import SORT_CHOICES, Filters, filters_from  # noqa: F401  (re-exported)
from leaderboard.board.board_frames import RecordFrames
from leaderboard.board.board_prewarm import PREWARM_DELAY_S, start_prewarm
from leaderboard.board.board_refresh import RefreshPacer
from leaderboard.board.submission_page import record_items, submission_page
from leaderboard.board.track_plots import ITEM_PLOT_LIMIT, item_figures, plot_label_choices
from leaderboard.board.track_stats import TrackStats
from leaderboard.board.view_cache import ViewCache
from leaderboard.data import data_views
from leaderboard.data.board_reader import BoardReader
from leaderboard.safe_text import markdown_text
from leaderboard.views import tables
from leaderboard.views.cost import rice_ratios
from leaderboard.views.cost_table import cost_table
from leaderboard.views.overview import overview_table
from leaderboard.views.queue_view import QueueSource
from leaderboard.views.track_pages import CsvFiles

PAPER_COLUMNS = tables.PAPER_COLUMNS

OVERVIEW_LIMIT = 40  # rows per data label on the overview (the Tracks tab lists every row)
VIEW_LIMIT = 256  # cached views kept before the memo is emptied

__all__ = ["ITEM_PLOT_LIMIT", "OVERVIEW_LIMIT", "PAPER_COLUMNS", "PREWARM_DELAY_S", "SORT_CHOICES", "Filters",
           "LeaderboardData", "filters_from"]


class LeaderboardData:
    """Everything the UI shows, computed from a ``BoardReader`` and cached per (version, filters)."""

    def __init__(self, reader: BoardReader, queue_dir: str | Path | None = None, min_refresh_s: float = 1.0) -> None:
        self.reader = reader
        self.queue_dir = Path(queue_dir) if queue_dir else None
        self.queue = QueueSource(reader.url, self.queue_dir)
        self.pacer = RefreshPacer(reader, self.queue, min_refresh_s)
        self.frames = RecordFrames(reader)  # labelled / filtered records, per version
        self._cache: ViewCache[list[Any]] = ViewCache(VIEW_LIMIT)
        self.stats = TrackStats(reader)
        self.csv = CsvFiles()
        self.prewarming: threading.Thread | None = None  # the background render of every track (prewarm)

    def refresh(self, force: bool = False) -> int:
        """Re-list the store and the queue, paced (``leaderboard.board.board_refresh.RefreshPacer``); returns
        the data version (it grows whenever the records or the queue snapshot change)."""
        return self.pacer.refresh(force)

    @property
    def min_refresh_s(self) -> float:
        return self.pacer.min_refresh_s

    @min_refresh_s.setter
    def min_refresh_s(self, seconds: float) -> None:
        self.pacer.min_refresh_s = seconds

    def frame(self) -> pd.DataFrame:
        """The records table with labels (once per data version), less the cross-track records."""
        return self.frames.frame()

    def cross_track(self) -> pd.DataFrame:
        """The cross-track table (paper Table 2 and ours; ``leaderboard.views.cross_track_view``):
        lossless tracks only."""
        return self.frames.cross_track()

    def in_view(self, frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
        """``frame``'s rows that ``f`` keeps (profiles, provenances, methods, data kinds, the data view)."""
        return self.frames.in_view(frame, f)

    def filtered(self, f: Filters) -> pd.DataFrame:
        """The lossless records ``f`` keeps: what the Overview and the Tracks tab read."""
        return self.frames.filtered(f)

    def track_rows(self, track: str, f: Filters) -> pd.DataFrame:
        """The filtered records of one track (what that tab's tables and plots read)."""
        return self.frames.track_rows(track, f)

    def missing_paper(self, frame: pd.DataFrame, track: str, f: Filters) -> list[str]:
        """Paper columns the paper has no number for on this track (shown as explicit empty rows).

        Decided on the whole store, not on the filtered rows: a row hidden by a
        filter is not a missing number.
        """
        if not board_views.shows_paper_rows(track, f):
            return []
        if not self._cached(("has-paper",), lambda: [board_views.has_paper(self.frame())])[0]:
            return []  # the store has no paper seeds at all: nothing to point out
        def paper_codecs() -> list[Any]:
            rows = self._track_all(track)
            return [set(rows.loc[rows["profile"] == "paper", "codec"]) if not rows.empty else set()]
        have = self._cached(("paper-codecs", track), paper_codecs, self._track_version(track))[0]
        return [c for c in PAPER_COLUMNS if c not in have]

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], list[Any]], version: Any = None) -> list[Any]:
        return self._cache.get((self.reader.version if version is None else version, *key), compute)

    def render_overview(self, f: Filters) -> pd.DataFrame:
        return self._cached(("overview", f.key()),
                            lambda: [overview_table(self.filtered(f), limit_per_data=OVERVIEW_LIMIT)])[0]

    def render_track(self, track: str, f: Filters) -> list[Any]:
        """Compression, runtime and cost tables of one track (cached per version of that track's records)."""
        return self._cached(("track-tables", track, f.key()),
                            lambda: [*self.render_ranking(track, f), self.render_cost(track, f)],
                            self._track_version(track))

    def render_ranking(self, track: str, f: Filters) -> list[Any]:
        """Compression and runtime tables of one track: what a tab shows first (and what a refresh re-sends)."""
        def compute() -> list[Any]:
            frame = self.track_rows(track, f)
            return [tables.track_table(frame, track, sort_by=f.sort_by,
                                       missing_paper=self.missing_paper(frame, track, f),
                                       stats=self.track_stats(frame, track), rice=self._rice(track)),
                    tables.runtime_table(frame, track)]
        return self._cached(("track", track, f.key()), compute, self._track_version(track))

    def render_cost(self, track: str, f: Filters) -> pd.DataFrame:
        """The cost table of one track (its best rows; the tab's second step)."""
        return self._cached(("cost", track, f.key()), lambda: [cost_table(self.track_rows(track, f), track,
                                                                           self._rice(track))],
                            self._track_version(track))[0]

    def _rice(self, track: str) -> dict[str, float]:
        """RICE's mean ratio per data label of a track (its records, whatever the filters hide)."""
        return self._cached(("rice", track), lambda: [rice_ratios(self._track_all(track), track)],
                            self._track_version(track))[0]

    def _track_all(self, track: str) -> pd.DataFrame:
        """Every record of one track, whatever the filters (RICE's and the paper's rows)."""
        def compute() -> list[Any]:
            every = self.frame()
            return [every[every["track"] == track] if not every.empty else every]
        return self._cached(("track-all", track), compute, self._track_version(track))[0]

    def cost_full(self, track: str, f: Filters) -> pd.DataFrame:
        """The cost table of every measured row (search and CSV; the tab shows ``render_track``'s best rows)."""
        return self._cached(("cost-full", track, f.key()), lambda: [cost_table(
            self.track_rows(track, f), track, self._rice(track), limit=None)],
            self._track_version(track))[0]

    def track_csv(self, track: str, f: Filters) -> list[str]:
        """The track's full tables as CSV files (``leaderboard.views.track_pages.CsvFiles``)."""
        table, runtime = self.render_ranking(track, f)
        return self.csv.files((track, self._track_version(track), f.key()),
                              {"ranking": table, "runtimes": runtime, "cost": self.cost_full(track, f)})

    def _track_version(self, track: str) -> tuple[int, int]:
        # the paper-row check (missing_paper) reads the whole store; paper rows live on their track too
        return (-1, self.reader.track_version(track))

    def track_stats(self, frame: pd.DataFrame, track: str) -> pd.DataFrame:
        """Interval and tied rank per record key of the rows the track table ranks (``leaderboard.data.ranking``)."""
        return self.stats.for_rows(board_views.ranked_rows(frame, track))

    def plot_labels(self, track: str, f: Filters) -> tuple[list[tuple[str, str]], str | None]:
        """Data labels of a track's plots with their codec counts, and the default label
        (``leaderboard.board.track_plots.plot_label_choices``)."""
        cached = self._cached(("labels", track, f.key()),
                              lambda: [plot_label_choices(self.track_rows(track, f), self.reader)],
                              self._track_version(track))
        return cached[0]

    def prewarm(self, delay_s: float = PREWARM_DELAY_S) -> threading.Thread:
        """Render every track with the default filters in the background, after ``delay_s``
        (fast first tab switches; ``leaderboard.board.board_prewarm``)."""
        thread = self.prewarming = start_prewarm(self, delay_s)
        return thread

    def render(self, f: Filters) -> list[Any]:
        """Overview plus every track's three values (used by tests and tools; the UI renders lazily)."""
        values: list[Any] = [self.render_overview(f)]
        for name in TRACKS:
            values.extend(self.render_track(name, f))
        return values

    def item_plots(self, track: str, f: Filters, label: str | None = None) -> list[Any]:
        """Pareto and per-item figures of one data label of a track (default: the label with the most codecs).

        Rows measured on different data are different experiments: each plot
        shows one label only. Per-item plots show the ``ITEM_PLOT_LIMIT`` best
        records of that label (a readable plot, fast loads).
        """
        choices, default = self.plot_labels(track, f)
        if label not in {value for _, value in choices}:
            label = default
        return self._cached(("plots", track, f.key(), label),
                            lambda: item_figures(self.track_rows(track, f), track, label, self.reader),
                            self._track_version(track))

    def status_line(self) -> str:
        n_records, n_sub = self._cached(("counts",), lambda: board_views.record_counts(self.reader.records_frame()))
        err = f" | **store error:** {markdown_text(self.reader.last_error)}" if self.reader.last_error else ""
        return (f"{n_records} records from {n_sub} submissions/baselines in `{self.reader.url}`; "
                f"refreshed {time.strftime('%H:%M:%S UTC', time.gmtime())}{err}")

    def data_choices(self) -> list[tuple[str, str]]:
        """The data selector's choices (``leaderboard.data.data_views``): real, synthetic, each hidden split."""
        return list(self._cached(("data-choices",), lambda: data_views.choices(self.frame())))

    def default_data(self) -> str:
        """The view the page opens on: real data, or what the store has when it has no real rows."""
        return str(self._cached(("default-data",), lambda: [data_views.default_view(self.frame())])[0])

    def profiles(self) -> list[str]:
        return list(self._cached(("profiles",), lambda: board_views.profile_names(self.reader.records_frame())))

    def submissions(self) -> list[tuple[str, str]]:
        """Choices of the Submission tab: one per submission (label, id), by provenance and codec."""
        return list(self._cached(("submissions",), lambda: board_views.submission_choices(self.reader.records_frame())))

    # -- per-submission page (leaderboard.board.submission_page) --------------------

    def submission_page(self, submission: str | None) -> tuple[str, dict[str, Any], pd.DataFrame, Any]:
        return submission_page(self.frame(), self.reader, submission)

    def record_items(self, key: str | None) -> pd.DataFrame:
        return record_items(self.reader, key)

    # -- queue -----------------------------------------------------------------

    def queue_view(self) -> tuple[str, pd.DataFrame]:
        """Counts and table of the Queue tab (:mod:`leaderboard.views.queue_view`)."""
        if self.queue.version == 0:
            self.queue.refresh(force=True)
        return self.queue.view()
