"""The cross-track table: a codec trained on one track's data, tested on each track (paper Table 2).

Rows are records whose manifest names a training set (``trained_on``): the
paper's Table 2 (*paper*, real test splits) and our IDF checkpoints'
(``scripts/cross_track_idf.py``, *verified*, on the data its label names).
One row per (training set, data label), one column per tested track; a cell
the source does not have stays empty. The best cell of each column within
one data label is marked (the paper bolds it).
"""

from __future__ import annotations

import html

import pandas as pd

from evaluator.core.tracks import TRACKS
from leaderboard.views.cells import _badges_cell

CROSS_NOTE = (
    "Rows: the data the model was **trained on**; columns: the track it was **tested on** (mean compression ratio, "
    "higher is better; ★ = best in its column on the same data). The *paper* rows are Table 2 of the paper (IDF, "
    "real test splits; \"all data\" = the five datasets combined). The *verified* rows are this platform's IDF "
    "checkpoints (trained for minutes on synthetic frames) run on another track's synthetic items by "
    "`scripts/cross_track_idf.py`: real bitstreams, decoded and checked, a few items per track. Compare rows only "
    "within one *Data* value."
)


def _order(train: str) -> tuple[int, str]:
    names = list(TRACKS)
    return (names.index(train) if train in names else len(names), train)


def cross_track_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with ``trained_on`` set -> one row per (data, training set), tested tracks as columns."""
    ok = rows[rows["status"] == "ok"] if not rows.empty else rows
    tracks = [t for t in TRACKS if not ok.empty and t in set(ok["track"])]
    headers = ["Trained on", "Badges", "Data", *(TRACKS[t].title for t in tracks)]
    if ok.empty:
        return pd.DataFrame(columns=["Trained on", "Badges", "Data"])
    ok = ok.sort_values("created_at").drop_duplicates(["trained_on", "data", "track"], keep="last")
    best = ok.groupby(["data", "track"])["ratio_mean"].max()
    records = []
    for (data, trained_on), g in sorted(ok.groupby(["data", "trained_on"]),
                                        key=lambda kv: (kv[0][0], _order(str(kv[0][1])))):
        train = str(trained_on)
        by_track = dict(zip(g["track"], g["ratio_mean"]))
        cells = []
        for t in tracks:
            v = by_track.get(t)
            if v is None or pd.isna(v):
                cells.append("")
            else:
                star = " ★" if v >= best.get((data, t), float("inf")) else ""
                cells.append(f"{float(v):.2f}{star}")
        title = "all data" if train == "all" else (TRACKS[train].title if train in TRACKS else train)
        first = {str(k): v for k, v in g.iloc[0].items()}
        records.append([html.escape(title), _badges_cell(first), html.escape(str(data)), *cells])
    return pd.DataFrame(records, columns=headers)
