"""What the leaderboard shows, computed from the results store: filters, cached views, pages.

:class:`LeaderboardData` turns a :class:`leaderboard.board_reader.BoardReader`
(the store's files, or the published tables) into the tables, plots and pages of the app (``leaderboard.app`` lays them
out in Gradio), cached per (store version, filters) so a visitor's tab
switch re-uses what another visitor computed.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from evaluator.tracks import PAPER_TRACKS, TRACKS
from leaderboard import data_views, plots, tables
from leaderboard.cost import rice_ratios
from leaderboard.cost_table import cost_table
from leaderboard.cross_track_view import cross_track_table
from leaderboard.near_lossless import is_lossless
from leaderboard.overview import overview_table
from leaderboard.queue_view import QueueSource
from leaderboard.safe_text import markdown_text, plot_text, reveal_controls
from leaderboard.board_reader import BoardReader
from leaderboard.board_filters import SORT_CHOICES, Filters, filters_from  # noqa: F401  (re-exported)
from leaderboard.submission_page import record_items, submission_page
from leaderboard.track_pages import CsvFiles
from leaderboard.track_stats import TrackStats

log = logging.getLogger(__name__)

PAPER_COLUMNS = tables.PAPER_COLUMNS


ITEM_PLOT_LIMIT = 12  # records per per-item figure
OVERVIEW_LIMIT = 40  # rows per data label on the overview (the Tracks tab lists every row)
REFRESH_DUTY = 10.0  # re-list at most every REFRESH_DUTY x the last listing's duration (<= 10 % of a core)
FREEZE_READS = 1000  # records loaded since the last gc.freeze() that make the next refresh freeze them
PREWARM_DELAY_S = 10.0  # seconds between building the app and rendering every track in the background

class LeaderboardData:
    """Everything the UI shows, computed from a ``BoardReader`` and cached per (version, filters)."""

    def __init__(self, reader: BoardReader, queue_dir: str | Path | None = None, min_refresh_s: float = 1.0) -> None:
        self.reader = reader
        self.queue_dir = Path(queue_dir) if queue_dir else None
        self.queue = QueueSource(reader.url, self.queue_dir)
        self.min_refresh_s = min_refresh_s
        self._last_refresh = 0.0
        self._refresh_cost = 0.0  # seconds the last re-listing took
        self._lock = threading.Lock()
        self._cache: dict[tuple[Any, ...], list[Any]] = {}
        self._frames: dict[tuple[Any, ...], pd.DataFrame] = {}  # labelled / filtered records, per version
        self.stats = TrackStats(reader)
        self.csv = CsvFiles()
        self._frozen_reads = 0
        self.prewarming: threading.Thread | None = None  # the background render of every track (prewarm)

    def refresh(self, force: bool = False) -> int:
        """Re-list the store and the queue at most every ``min_refresh_s``; returns the data version
        (it grows whenever the records or the queue snapshot change).

        A big store takes a while to list (20,000 records: ~0.3 s of stats), so the interval grows to
        ``REFRESH_DUTY`` times the last listing's duration, and a timer tick that finds a refresh under
        way answers with the current version instead of waiting (``force`` always re-lists).
        """
        if not self._lock.acquire(blocking=force):
            return self.reader.version + self.queue.version
        try:
            start = time.monotonic()
            if force or start - self._last_refresh >= max(self.min_refresh_s, REFRESH_DUTY * self._refresh_cost):
                self.reader.refresh()
                self.queue.refresh(force=force)
                if self.reader.reads - self._frozen_reads >= FREEZE_READS:
                    self._freeze()
                self._last_refresh = time.monotonic()
                self._refresh_cost = self._last_refresh - start
        finally:
            self._lock.release()
        return self.reader.version + self.queue.version

    def _freeze(self) -> None:
        """Move what is alive now (the cached records: ~20 objects each) out of the garbage collector's sight.

        The records stay for the life of the app; without this every full
        collection walks all of them (~0.4 s on a 20,000-record board, paid by
        whichever request is running then). ``gc.freeze`` is process-wide:
        the app owns its process.
        """
        gc.collect()
        gc.freeze()
        self._frozen_reads = self.reader.reads

    def _frame_cached(self, key: tuple[Any, ...], compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        full = (self.reader.version, *key)
        frame = self._frames.get(full)
        if frame is None:
            if len(self._frames) > 16:
                self._frames.clear()
            frame = self._frames[full] = compute()
        return frame

    def _labelled(self) -> pd.DataFrame:
        return self._frame_cached(("labelled",), lambda: tables.with_labels(self.reader.records_frame()))

    def frame(self) -> pd.DataFrame:
        """The records table with labels (once per data version), less the cross-track records."""
        def compute() -> pd.DataFrame:
            every = self._labelled()
            return every[every["trained_on"] == ""] if not every.empty else every
        return self._frame_cached(("all",), compute)

    def cross_track(self) -> pd.DataFrame:
        """The cross-track table (paper Table 2 and ours; ``leaderboard.cross_track_view``): lossless tracks only."""
        def compute() -> pd.DataFrame:
            every = self._labelled()
            return cross_track_table(every[(every["trained_on"] != "") & is_lossless(every)] if not every.empty
                                     else every)
        return self._frame_cached(("cross-track",), compute)

    def in_view(self, frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
        """``frame``'s rows that ``f`` keeps (profiles, provenances, methods, data kinds, the data view)."""
        return data_views.in_view(tables.filter_records(frame, profiles=f.profiles, provenances=f.provenances,
                                                        kinds=f.kinds, data_kinds=f.data_kinds), f.data)

    def filtered(self, f: Filters) -> pd.DataFrame:
        """The lossless records ``f`` keeps: what the Overview and the Tracks tab read (near-lossless records
        are not lossless results: ``leaderboard.near_lossless`` shows them)."""
        def compute() -> pd.DataFrame:
            every = self.frame()
            return self.in_view(every[is_lossless(every)] if not every.empty else every, f)
        return self._frame_cached(("filtered", f.key()), compute)

    def track_rows(self, track: str, f: Filters) -> pd.DataFrame:
        """The filtered records of one track (what that tab's tables and plots read)."""
        def compute() -> pd.DataFrame:
            frame = self.filtered(f)
            return frame[frame["track"] == track] if not frame.empty else frame
        return self._frame_cached(("track", track, f.key()), compute)

    def missing_paper(self, frame: pd.DataFrame, track: str, f: Filters) -> list[str]:
        """Paper columns the paper has no number for on this track (shown as explicit empty rows).

        Decided on the whole store, not on the filtered rows: a row hidden by a
        filter is not a missing number.
        """
        if track not in PAPER_TRACKS or (f.provenances and "paper" not in f.provenances and
                                         "estimate" not in f.provenances):
            return []
        if (f.data_kinds and "real" not in f.data_kinds) or f.data not in ("", data_views.REAL):
            return []
        if not self._has_paper():
            return []  # the store has no paper seeds at all: nothing to point out
        def paper_codecs() -> list[Any]:
            rows = self._track_all(track)
            return [set(rows.loc[rows["profile"] == "paper", "codec"]) if not rows.empty else set()]
        have = self._cached(("paper-codecs", track), paper_codecs, self._track_version(track))[0]
        return [c for c in PAPER_COLUMNS if c not in have]

    def _has_paper(self) -> bool:
        def compute() -> list[Any]:
            everything = self.frame()
            return [bool(not everything.empty and (everything["profile"] == "paper").any())]
        return bool(self._cached(("has-paper",), compute)[0])

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], list[Any]], version: Any = None) -> list[Any]:
        full = (self.reader.version if version is None else version, *key)
        cached = self._cache.get(full)
        if cached is None:
            if len(self._cache) > 256:
                self._cache.clear()
            cached = self._cache[full] = compute()
        return cached

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
                            self._track_version(track))[0]  # type: ignore[no-any-return]

    def _track_all(self, track: str) -> pd.DataFrame:
        """Every record of one track, whatever the filters (RICE's and the paper's rows)."""
        def compute() -> list[Any]:
            every = self.frame()
            return [every[every["track"] == track] if not every.empty else every]
        return self._cached(("track-all", track), compute, self._track_version(track))[0]  # type: ignore[no-any-return]

    def cost_full(self, track: str, f: Filters) -> pd.DataFrame:
        """The cost table of every measured row (search and CSV; the tab shows ``render_track``'s best rows)."""
        return self._cached(("cost-full", track, f.key()), lambda: [cost_table(
            self.track_rows(track, f), track, self._rice(track), limit=None)],
            self._track_version(track))[0]

    def track_csv(self, track: str, f: Filters) -> list[str]:
        """The track's full tables as CSV files (``leaderboard.track_pages.CsvFiles``)."""
        table, runtime = self.render_ranking(track, f)
        return self.csv.files((track, self._track_version(track), f.key()),
                              {"ranking": table, "runtimes": runtime, "cost": self.cost_full(track, f)})

    def _track_version(self, track: str) -> tuple[int, int]:
        # the paper-row check (missing_paper) reads the whole store; paper rows live on their track too
        return (-1, self.reader.track_version(track))

    def track_stats(self, frame: pd.DataFrame, track: str) -> pd.DataFrame:
        """Interval and tied rank per record key of the rows the track table ranks (``leaderboard.ranking``)."""
        rows = frame[(frame["track"] == track) & (frame["status"] == "ok") & (frame["provenance"] != "estimate")] \
            if not frame.empty else frame
        if not rows.empty:
            rows = tables.dedupe_latest(rows[["key", "track", "data", "submission", "split", "created_at"]],
                                        ["submission", "split"])
        return self.stats.for_rows(rows)

    def plot_labels(self, track: str, f: Filters) -> tuple[list[tuple[str, str]], str | None]:
        """Data labels of a track's plots with their codec counts, and the default label.

        The default is the label with the most codecs that have per-item
        results (what three of the four plots draw; the paper's rows have
        none), else the label with the most codecs.
        """
        cached = self._cached(("labels", track, f.key()), lambda: [self._plot_labels(track, f)],
                              self._track_version(track))
        return cached[0]  # type: ignore[no-any-return]

    def _plot_labels(self, track: str, f: Filters) -> tuple[list[tuple[str, str]], str | None]:
        rows = self.track_rows(track, f)
        rows = rows[rows["status"] == "ok"] if not rows.empty else rows
        if rows.empty:
            return [], None
        counts = rows.groupby("data")["submission"].nunique().sort_index()
        counts = counts.sort_values(ascending=False, kind="stable")
        choices = [(reveal_controls(f"{label} ({n} codecs)"), str(label)) for label, n in counts.items()]
        measured = rows[[h and p != "estimate" for h, p in zip(_has_items(rows, self.reader.item_keys()),
                                                                 rows["provenance"])]]
        if measured.empty:
            return choices, choices[0][1]
        with_items = measured.groupby("data")["submission"].nunique().sort_index()
        return choices, str(with_items.sort_values(ascending=False, kind="stable").index[0])

    def prewarm(self, delay_s: float = PREWARM_DELAY_S) -> threading.Thread:
        """Render every track with the default filters in the background (fast first tab switches).

        Starts after ``delay_s``: the server's start comes first (Gradio's launch checks that
        localhost answers within 3 s, and gives up on a busy two-core machine otherwise)."""
        def work() -> None:
            time.sleep(delay_s)
            start = Filters(data=self.default_data())  # what the page opens on
            for name in TRACKS:
                try:
                    self.render_track(name, start)
                    self.plot_labels(name, start)
                except Exception:  # a failure here only costs speed; the tab renders on open
                    log.exception("prewarming %s failed", name)
            for name in TRACKS:  # then what the second step of a tab switch shows
                try:
                    self.track_csv(name, start)
                    self.item_plots(name, start)
                except Exception:
                    log.exception("prewarming the plots of %s failed", name)
        thread = self.prewarming = threading.Thread(target=work, name="leaderboard-prewarm", daemon=True)
        thread.start()
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
        return self._cached(("plots", track, f.key(), label), lambda: self._item_plots(track, f, label),
                            self._track_version(track))

    def _item_plots(self, track: str, f: Filters, label: str | None) -> list[Any]:
        frame = self.track_rows(track, f)
        frame = frame[frame["data"] == label] if not frame.empty else frame
        # estimates (VDM bounds) have per-item numbers but are not codecs: left out of the per-item plots
        rows = frame[(frame["status"] == "ok") & (frame["provenance"] != "estimate")] if not frame.empty else frame
        truncated = False
        if not rows.empty:
            rows = rows[_has_items(rows, self.reader.item_keys())]
            rows = rows.sort_values("ratio_mean", ascending=False).drop_duplicates(["submission", "split"])
            truncated = len(rows) > ITEM_PLOT_LIMIT
            rows = rows.head(ITEM_PLOT_LIMIT)
        items = self.reader.items_for(list(rows["key"])) if not rows.empty else pd.DataFrame(
            columns=["item_id", "status", "ratio", "bpp", "exptime", "noise_sigma", "codec"])
        figures = [plots.ratio_distribution_figure(items, track), plots.exposure_figure(items, track),
                   plots.noise_figure(items, track)]
        if truncated:
            for fig in figures:
                fig.update_layout(title_text=f"{fig.layout.title.text} (best {ITEM_PLOT_LIMIT} by mean ratio)")
        figures.insert(0, plots.pareto_figure(frame, track))
        for fig in figures:
            if label:
                fig.update_layout(title_text=f"{fig.layout.title.text}<br><sup>data: {plot_text(label)}</sup>")
        return figures

    def status_line(self) -> str:
        def counts() -> list[Any]:
            frame = self.reader.records_frame()
            return [len(frame), frame["submission"].nunique() if not frame.empty else 0]
        n_records, n_sub = self._cached(("counts",), counts)
        err = f" | **store error:** {markdown_text(self.reader.last_error)}" if self.reader.last_error else ""
        return (f"{n_records} records from {n_sub} submissions/baselines in `{self.reader.url}`; "
                f"refreshed {time.strftime('%H:%M:%S UTC', time.gmtime())}{err}")

    def data_choices(self) -> list[tuple[str, str]]:
        """The data selector's choices (``leaderboard.data_views``): real, synthetic, each hidden split."""
        return list(self._cached(("data-choices",), lambda: data_views.choices(self.frame())))

    def default_data(self) -> str:
        """The view the page opens on: real data, or what the store has when it has no real rows."""
        return str(self._cached(("default-data",), lambda: [data_views.default_view(self.frame())])[0])

    def profiles(self) -> list[str]:
        def compute() -> list[Any]:
            frame = self.reader.records_frame()
            return sorted(frame["profile"].unique()) if not frame.empty else []
        return list(self._cached(("profiles",), compute))

    def submissions(self) -> list[tuple[str, str]]:
        """Choices of the Submission tab: one per submission (label, id), by provenance and codec."""
        def compute() -> list[Any]:
            frame = self.reader.records_frame()
            if frame.empty:
                return []
            firsts = frame.drop_duplicates("submission").sort_values(["provenance", "codec"])
            return [(reveal_controls(f"{c} [{p}] ({s})"), s)  # a dropdown shows text: controls made visible
                    for s, c, p in zip(firsts["submission"], firsts["codec"], firsts["provenance"])]
        return list(self._cached(("submissions",), compute))

    # -- per-submission page (leaderboard.submission_page) --------------------

    def submission_page(self, submission: str | None) -> tuple[str, dict[str, Any], pd.DataFrame, Any]:
        return submission_page(self.frame(), self.reader, submission)

    def record_items(self, key: str | None) -> pd.DataFrame:
        return record_items(self.reader, key)

    # -- queue -----------------------------------------------------------------

    def queue_view(self) -> tuple[str, pd.DataFrame]:
        """Counts and table of the Queue tab (:mod:`leaderboard.queue_view`)."""
        if self.queue.version == 0:
            self.queue.refresh(force=True)
        return self.queue.view()


def _has_items(rows: pd.DataFrame, with_items: set[str]) -> list[bool]:
    """Which rows' records have per-item rows (a list test: ``isin`` of a 20,000-key set is slow)."""
    return [k in with_items for k in rows["key"]]
