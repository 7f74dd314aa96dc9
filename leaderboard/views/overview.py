"""The Overview: who leads, one row per (codec, data label), one column per track.

The overall score is the **mean rank over the paper's eight tracks the row
covers** (a track's rank: 1 + the rows of the same data label with a higher
mean ratio on that track; estimates are shown but never ranked), with the
number of paper tracks covered beside it. Rows are sorted by that score
(ties: more tracks covered first), inside one data label at a time: rows
measured on different data never share a ranking. The best mean ratio of
each track (per data label) is marked (bold, class ``lb-best``). Beyond-paper
tracks (JWST-3D, SDSS-4D) are shown but do not enter the score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluator.core.tracks import PAPER_TRACKS, TRACKS
from leaderboard.views.cell_values import is_missing
from leaderboard.views.cells import _badges_cell, _codec_cell, _round
from leaderboard.views.tables import _row_dicts, dedupe_latest

SCORE_TITLE = "Mean rank"
COVERED_TITLE = "Paper tracks"
OVERVIEW_RULE = (f"Sorted by *{SCORE_TITLE}*: the mean of the row's ranks over the paper's {len(PAPER_TRACKS)} "
                 f"tracks it covers (*{COVERED_TITLE}*: how many; ties: more tracks first); "
                 "**bold** = best mean ratio on that track. Higher ratio is better.")
OVERVIEW_FIELDS: tuple[str, ...] = ("submission", "split", "track", "data", "codec", "kind", "profile", "provenance",
                                    "synthetic", "status", "ratio_mean", "created_at")
TRACK_TITLES: dict[str, str] = {name: t.title for name, t in TRACKS.items()}
OVERVIEW_HEADERS: tuple[str, ...] = ("Codec", "Badges", SCORE_TITLE, COVERED_TITLE, *TRACK_TITLES.values(), "Data")
# cell kinds (leaderboard.views.html_table): track cells are our own markup around a number (the best one in bold)
OVERVIEW_DATATYPES: tuple[str, ...] = ("html", "html", "number", "number", *("html-num" for _ in TRACKS), "str")
OVERVIEW_WIDTHS: tuple[str, ...] = ("170px", "112px", "64px", "60px", *("76px" for _ in TRACKS))
BEST_CLASS = "lb-best"


def _track_ranks(ok: pd.DataFrame) -> pd.DataFrame:
    """Per (submission, data) x track: the rank of the mean ratio among that data label's ranked rows."""
    ranked = ok[ok["provenance"] != "estimate"]
    ranks = ranked.groupby(["data", "track"])["ratio_mean"].rank(ascending=False, method="min")
    return pd.DataFrame({"submission": ranked["submission"], "data": ranked["data"], "track": ranked["track"],
                         "rank": ranks})


def _cell(ratio: object, best: object) -> str:
    value = _round(ratio, 2)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    if not is_missing(best) and _round(best, 2) == value:
        return f'<b class="{BEST_CLASS}" title="best on this track">{text}</b>'
    return text


def overview_table(frame: pd.DataFrame, *, limit_per_data: int | None = None) -> pd.DataFrame:
    """The overview of a (filtered) records table: ``OVERVIEW_HEADERS``, sorted by the overall score.

    ``limit_per_data`` keeps the best rows of each data label (the Tracks tab lists every row).
    """
    ok = frame[frame["status"] == "ok"] if not frame.empty else frame
    if ok.empty:
        return pd.DataFrame(columns=list(OVERVIEW_HEADERS))
    ok = dedupe_latest(ok[list(OVERVIEW_FIELDS)], ["submission", "split", "track"])  # only what it reads
    ok = ok.drop_duplicates(["submission", "data", "track"])  # the latest record per (row, track)
    ranks = _track_ranks(ok)
    paper_ranks = ranks[ranks["track"].isin(PAPER_TRACKS)]
    score = paper_ranks.groupby(["submission", "data"])["rank"].agg(["mean", "count"])
    first = ok.drop_duplicates(["submission", "data"]).set_index(["submission", "data"])
    score = score.reindex(first.index)
    order = pd.DataFrame({"submission": first.index.get_level_values("submission"),
                          "data": first.index.get_level_values("data"),
                          "score": score["mean"].to_numpy(), "covered": score["count"].fillna(0).to_numpy(),
                          "codec": first["codec"].to_numpy(dtype=object)})
    order = order.sort_values(["data", "score", "covered", "codec", "submission"],
                              ascending=[True, True, False, True, True], na_position="last", kind="stable")
    if limit_per_data is not None:
        order = order[order.groupby("data").cumcount() < limit_per_data]
    shown = pd.MultiIndex.from_arrays([order["submission"], order["data"]])
    cells = ok.groupby(["submission", "data", "track"])["ratio_mean"].first().unstack("track")
    by_track = cells.reindex(index=shown, columns=list(TRACK_TITLES)).to_numpy(dtype=object)
    ranked = ok[ok["provenance"] != "estimate"]
    best = ranked.groupby(["data", "track"])["ratio_mean"].max()
    picked = first.reindex(shown).reset_index()
    records = []
    rows = _row_dicts(picked, ("codec", "kind", "provenance", "synthetic", "status", "data"))
    for row, ratios, mean, covered in zip(rows, by_track, order["score"], order["covered"]):
        ranked_row = row["provenance"] != "estimate"  # an estimate is shown, never ranked nor marked best
        marked = [_cell(r, best.get((row["data"], t)) if ranked_row else None) for r, t in zip(ratios, TRACK_TITLES)]
        # portability belongs to one track's record: the Tracks tab shows it, not this cross-track row
        records.append([_codec_cell(row, portable=False), _badges_cell(row),
                        None if pd.isna(mean) else round(float(mean), 2), int(covered) if ranked_row else None,
                        *marked, row["data"]])
    return pd.DataFrame(records, columns=list(OVERVIEW_HEADERS))


def best_css() -> str:
    return f".lb-table .{BEST_CLASS} {{font-weight: 700; color: #065f46;}}\n"
