"""Small views of the records the leaderboard's tabs and controls show (pure functions of a frame).

``LeaderboardData`` caches them per data version: the rows a track table
ranks, whether a track can miss paper columns under some filters, the
store's counts, and the choices of the profile and submission selectors.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evaluator.core.tracks import PAPER_TRACKS
from leaderboard.board.board_filters import Filters
from leaderboard.data import data_views
from leaderboard.safe_text import reveal_controls
from leaderboard.views import tables


def ranked_rows(frame: pd.DataFrame, track: str) -> pd.DataFrame:
    """The rows of ``frame`` a track table ranks (measured, not estimates), one per (submission, split)."""
    rows = frame[(frame["track"] == track) & (frame["status"] == "ok") & (frame["provenance"] != "estimate")] \
        if not frame.empty else frame
    if not rows.empty:
        rows = tables.dedupe_latest(rows[["key", "track", "data", "submission", "split", "created_at"]],
                                    ["submission", "split"])
    return rows


def shows_paper_rows(track: str, f: Filters) -> bool:
    """Whether ``f`` on ``track`` can show the paper's numbers (a paper track, paper rows and real data kept)."""
    if track not in PAPER_TRACKS or (f.provenances and "paper" not in f.provenances and
                                     "estimate" not in f.provenances):
        return False
    return not ((f.data_kinds and "real" not in f.data_kinds) or f.data not in ("", data_views.REAL))


def has_paper(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` holds any of the paper's seed rows."""
    return bool(not frame.empty and (frame["profile"] == "paper").any())


def record_counts(frame: pd.DataFrame) -> list[Any]:
    """[records, submissions] of a records table (the status line)."""
    return [len(frame), frame["submission"].nunique() if not frame.empty else 0]


def profile_names(frame: pd.DataFrame) -> list[Any]:
    return sorted(frame["profile"].unique()) if not frame.empty else []


def submission_choices(frame: pd.DataFrame) -> list[Any]:
    """Choices of the Submission tab: one per submission (label, id), by provenance and codec."""
    if frame.empty:
        return []
    firsts = frame.drop_duplicates("submission").sort_values(["provenance", "codec"])
    return [(reveal_controls(f"{c} [{p}] ({s})"), s)  # a dropdown shows text: controls made visible
            for s, c, p in zip(firsts["submission"], firsts["codec"], firsts["provenance"])]
