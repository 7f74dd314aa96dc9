"""The cost table of a track (the Tracks tab): core-hours per TB and per instrument-day, gain versus RICE.

Numbers from ``leaderboard.views.cost``, volumes from ``leaderboard.views.instruments``;
grouped and ranked like the runtime table (within one hardware profile and
machine fingerprint only; DESIGN.md "Measurement").
"""

from __future__ import annotations

import pandas as pd

from leaderboard.views.cell_values import cell_number
from leaderboard.views.cells import _badges_cell, _codec_cell, _round
from leaderboard.views.cost import core_hours_per_tb, gain_vs_rice, profile_cores
from leaderboard.views.instruments import INSTRUMENT_TABLE
from leaderboard.views.tables import CELL_FIELDS, _row_dicts, dedupe_latest

COST_HEADERS: tuple[str, ...] = (
    "Profile", "Machine", "Codec", "Badges", "Encode core-h/TB", "Decode core-h/TB",
    *(f"{ins.title}: encode core-h/day" for ins in INSTRUMENT_TABLE), "Gain vs RICE (%)", "Data",
)
COST_DATATYPES: tuple[str, ...] = (
    "str", "str", "html", "html", *("number" for _ in range(3 + len(INSTRUMENT_TABLE))), "str",
)


COST_LIMIT = 100  # rows per (profile, machine): the best by mean ratio (the track table lists every row)


def cost_table(frame: pd.DataFrame, track: str, rice: dict[str, float], *,
               limit: int | None = COST_LIMIT) -> pd.DataFrame:
    """One row per measured (submission, data, profile, machine) of ``track``; cheapest encode first in a group.

    ``limit`` keeps the best rows by mean ratio of each (profile, machine)
    group (a board of 2,000 submissions stays readable and fast to send).
    """
    rows = frame[(frame["track"] == track) & (frame["status"] == "ok") & (frame["profile"] != "paper")] \
        if not frame.empty else frame
    if not rows.empty:
        rows = rows[rows["encode_mb_s"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=list(COST_HEADERS))
    rows = dedupe_latest(rows, ["submission", "split", "profile", "fingerprint_id"]).copy()
    cores = [profile_cores(p, c) for p, c in zip(rows["profile"], rows["cores"])]
    rows["_enc"] = [core_hours_per_tb(m, c) for m, c in zip(rows["encode_mb_s"], cores)]
    rows["_dec"] = [core_hours_per_tb(m, c) for m, c in zip(rows["decode_mb_s"], cores)]
    rows["_machine"] = [(h or "unknown") + (f" [{f}]" if f else "") for h, f in zip(rows["hardware"],
                                                                                   rows["fingerprint_id"])]
    if limit is not None:
        rows = rows.sort_values("ratio_mean", ascending=False, na_position="last")
        rows = rows[rows.groupby(["profile", "_machine"]).cumcount() < limit]
    rows = rows.sort_values(["profile", "_machine", "_enc"], na_position="last")
    records = []
    for r in _row_dicts(rows, ["_enc", "_dec", "_machine", "decode_mb_s", *CELL_FIELDS]):
        enc = cell_number(r["_enc"])
        gain = gain_vs_rice(cell_number(r["ratio_mean"]), rice.get(str(r["data"])))
        records.append([
            r["profile"], r["_machine"], _codec_cell(r), _badges_cell(r), _round(enc, 2), _round(r["_dec"], 2),
            *(None if enc is None else _round(enc * ins.gb_per_day / 1000.0, 2)
              for ins in INSTRUMENT_TABLE),
            None if gain is None else _round(100.0 * gain, 1), r["data"],
        ])
    return pd.DataFrame(records, columns=list(COST_HEADERS))
