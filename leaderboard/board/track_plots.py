"""What a track tab's plots show: the data labels to pick from, and one label's figures.

Pure functions of a track's filtered records and the reader's per-item rows;
``LeaderboardData.plot_labels`` and ``LeaderboardData.item_plots`` cache them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from leaderboard.data.board_reader import BoardReader
from leaderboard.safe_text import plot_text, reveal_controls
from leaderboard.views import plots

ITEM_PLOT_LIMIT = 12  # records per per-item figure


def has_items(rows: pd.DataFrame, with_items: set[str]) -> list[bool]:
    """Which rows' records have per-item rows (a list test: ``isin`` of a 20,000-key set is slow)."""
    return [k in with_items for k in rows["key"]]


def plot_label_choices(rows: pd.DataFrame, reader: BoardReader) -> tuple[list[tuple[str, str]], str | None]:
    """Data labels of a track's rows with their codec counts, and the default label.

    The default is the label with the most codecs that have per-item
    results (what three of the four plots draw; the paper's rows have
    none), else the label with the most codecs.
    """
    rows = rows[rows["status"] == "ok"] if not rows.empty else rows
    if rows.empty:
        return [], None
    counts = rows.groupby("data")["submission"].nunique().sort_index()
    counts = counts.sort_values(ascending=False, kind="stable")
    choices = [(reveal_controls(f"{label} ({n} codecs)"), str(label)) for label, n in counts.items()]
    measured = rows[[h and p != "estimate" for h, p in zip(has_items(rows, reader.item_keys()), rows["provenance"])]]
    if measured.empty:
        return choices, choices[0][1]
    with_items = measured.groupby("data")["submission"].nunique().sort_index()
    return choices, str(with_items.sort_values(ascending=False, kind="stable").index[0])


def item_figures(frame: pd.DataFrame, track: str, label: str | None, reader: BoardReader) -> list[Any]:
    """Pareto and per-item figures of one data label of a track's rows (``ITEM_PLOT_LIMIT`` best records)."""
    frame = frame[frame["data"] == label] if not frame.empty else frame
    # estimates (VDM bounds) have per-item numbers but are not codecs: left out of the per-item plots
    rows = frame[(frame["status"] == "ok") & (frame["provenance"] != "estimate")] if not frame.empty else frame
    truncated = False
    if not rows.empty:
        rows = rows[has_items(rows, reader.item_keys())]
        rows = rows.sort_values("ratio_mean", ascending=False).drop_duplicates(["submission", "split"])
        truncated = len(rows) > ITEM_PLOT_LIMIT
        rows = rows.head(ITEM_PLOT_LIMIT)
    items = reader.items_for(list(rows["key"])) if not rows.empty else pd.DataFrame(
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
