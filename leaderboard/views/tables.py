"""Leaderboard tables, derived from the records table and the track table.

Conventions (DESIGN.md "Measurement", paper Section 4.2):

- the headline is the mean of per-item ratios (``ratio_mean``), ranked
  within one *data label* only: the paper's full test split, a synthetic
  split and a hidden split are different data and never share a ranking;
- runtimes compare only within one hardware profile and machine
  fingerprint, so the runtime table ranks inside each (profile,
  fingerprint) group and never across groups;
- every row carries its provenance badge (*paper*, *verified*, *estimate*)
  and a *synthetic* flag when its numbers come from synthetic data;
- a track's codec cell says *portable* when a sample of its bitstreams also
  decoded under another environment (DESIGN.md "Portable decode"), and
  *not portable (env)* when that environment broke it; shown, never ranked;
- an archive codec's row (``baselines.archive``: fpack, bzip2, zstd, xz, as
  archives run them today) carries the *archive* badge, its kind ``archive``;
- a number the source does not have stays empty (never 0).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from baselines.catalog import ARCHIVE_SUBMISSIONS, PAPER_COLUMNS  # noqa: F401  (part of this module's interface)
from evaluator.core.schema import metric
from leaderboard.data.ranking import RANK_NOTE  # noqa: F401  (the rank rule in one line, shown beside the Rank column)
from leaderboard.data.record_labels import LABEL_COLUMNS, data_label, row_labels  # noqa: F401  (this module's interface)
from leaderboard.views.cell_values import cell_int, cell_number
from leaderboard.views.cells import (  # the badges are part of this module's interface (tables.badge, ...)
    BADGE_HELP,  # noqa: F401
    BADGE_STYLE,  # noqa: F401
    _badges_cell,
    _codec_cell,
    _estimate_spread,
    _interval_text,
    _machine_label,
    _round,
    _rounded,
    badge,
    badge_css,  # noqa: F401
    portable_badge,  # noqa: F401
)
from leaderboard.views.cost import gain_vs_rice
from leaderboard.views.filter_labels import PROFILE_WORDS

PROVENANCES: tuple[str, ...] = ("verified", "paper", "estimate")
# The paper's Table 1 columns, in its order (the overview lists paper rows this way), and the archive baselines'
# submission ids: from `baselines.catalog`, which imports neither imagecodecs nor torch (both absent from the Space).
KINDS: tuple[str, ...] = ("classical", "neural", "archive")
DATA_KINDS: tuple[str, ...] = ("real", "synthetic")

@dataclass(frozen=True)
class Column:
    """A metric column: the records-table field and how it is shown (from ``evaluator.core.schema.METRICS``)."""

    field: str
    title: str
    digits: int

    @classmethod
    def of(cls, name: str) -> Column:
        m = metric(name)
        return cls(m.name, m.label, m.digits)


# The metric columns of a track table, in order (labels and digits come from the metric table).
METRIC_COLUMNS: tuple[Column, ...] = tuple(
    Column.of(m) for m in ("ratio_mean", "ratio_aggregate", "bpp_mean", "efficiency", "image_mb", "params_m"))
RUNTIME_COLUMNS: tuple[Column, ...] = tuple(
    Column.of(m) for m in ("encode_mb_s", "decode_mb_s", "encode_s", "encode_s_spread", "decode_s_median",
                           "decode_s_spread"))  # each time with its spread (timing noise) beside it
# What a track table can be ranked by.
RANK_METRICS: tuple[str, ...] = ("ratio_mean", "ratio_aggregate", "bpp_mean")


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """A records table with the ``LABEL_COLUMNS`` (``data``, ``kind``, ``data_kind``, ``encode_s``).

    ``leaderboard.data.store_reader`` computes them per record as it loads it, so
    its table is returned as is (not copied: readers never modify it).
    """
    if all(c in frame.columns for c in LABEL_COLUMNS):
        return frame
    out = frame.copy()
    if out.empty:
        for col in ("data", "kind", "data_kind"):
            out[col] = pd.Series(dtype=str)
        out["encode_s"] = pd.Series(dtype=float)
        return out
    columns = ("split", "synthetic", "provenance", "neural", "submission", "encode_s_median", "encode_s_mean")
    labels = [row_labels(*values) for values in zip(*(_objects(out, c) for c in columns))]
    for col in LABEL_COLUMNS:
        out[col] = pd.Series([row[col] for row in labels], index=out.index)
    out["encode_s"] = pd.to_numeric(out["encode_s"], errors="coerce")
    return out


def filter_records(
    frame: pd.DataFrame,
    *,
    profiles: Iterable[str] | None = None,
    provenances: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    data_kinds: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Keep rows matching every given filter (None or empty = no filter)."""
    out = frame
    for column, wanted in (("profile", profiles), ("provenance", provenances),
                           ("kind", kinds), ("data_kind", data_kinds)):
        if wanted and not (column in FILTER_DOMAINS and set(wanted) >= set(FILTER_DOMAINS[column])):
            out = out[out[column].isin(list(wanted))]
    return out


# Columns whose values come from a fixed list: a filter ticking every value keeps every row (not re-checked)
FILTER_DOMAINS: dict[str, tuple[str, ...]] = {"provenance": PROVENANCES, "kind": KINDS, "data_kind": DATA_KINDS}


# Issue 13: the mean ratio's 95 % bootstrap interval and the gain per fixed downlink over RICE
# (leaderboard.data.ranking, leaderboard.views.cost).
INTERVAL_TITLE = "95 % interval (mean)"
GAIN_TITLE = "Gain vs RICE (%)"
TRACK_TABLE_HEADERS: tuple[str, ...] = (
    "Rank", "Codec", "Badges", *(c.title for c in METRIC_COLUMNS), INTERVAL_TITLE, GAIN_TITLE,
    "Profile", "Data", "Submission", "Status",
)
TRACK_TABLE_DATATYPES: tuple[str, ...] = (
    "number", "html", "html", *("number" for _ in METRIC_COLUMNS), "str", "number", "str", "str", "str", "str",
)


# The fields the codec, badges and label cells read (a row dict of only these builds fast).
CELL_FIELDS: tuple[str, ...] = ("key", "codec", "kind", "portable", "portable_env", "provenance", "synthetic",
                                "status", "failure_kind", "profile", "data", "submission", "ratio_mean",
                                "bound_note", "real_val_note")


# The columns the track and runtime tables read (they drop the others first: cheaper takes)
TRACK_FIELDS: tuple[str, ...] = ("track", "split", "created_at", "key", *CELL_FIELDS, "bpp_stderr",
                                 *(c.field for c in METRIC_COLUMNS))
RUNTIME_FIELDS: tuple[str, ...] = ("track", "split", "created_at", "hardware", "fingerprint_id", *CELL_FIELDS,
                                   *(c.field for c in RUNTIME_COLUMNS))


def _present(frame: pd.DataFrame, *groups: Iterable[str] | str) -> list[str]:
    """The named columns (each once, in order) that ``frame`` has."""
    names = [n for g in groups for n in ([g] if isinstance(g, str) else g)]
    return [n for n in dict.fromkeys(names) if n in frame.columns]


def _objects(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as an array of Python objects (iterating an Arrow string column value by value is slow)."""
    return frame[column].to_numpy(dtype=object)


def _row_dicts(rows: pd.DataFrame, fields: Iterable[str]) -> list[dict[str, object]]:
    """``rows.to_dict("records")`` of only ``fields`` (each once): 2,000 rows in milliseconds."""
    wanted = [f for f in dict.fromkeys(fields) if f in rows.columns]
    columns = [_objects(rows, f) for f in wanted]
    return [dict(zip(wanted, values)) for values in zip(*columns)]


def dedupe_latest(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The latest row (by ``created_at``) of each ``by`` group, latest first.

    ``frame.sort_values("created_at", ascending=False).drop_duplicates(by)``,
    with one take of the whole table instead of two (a 20,000-row table of 44
    columns: each take is most of the cost).
    """
    order = frame["created_at"].reset_index(drop=True).sort_values(ascending=False).index.to_numpy()
    repeated = frame[by].iloc[order].duplicated(keep="first").to_numpy()
    return frame.iloc[order[~repeated]]


def _tied_ranks(ok: pd.DataFrame, stats: pd.DataFrame | None, sort_by: str, ascending: bool) -> pd.Series:
    """Ranks within each data label: tied ranks of ``leaderboard.data.ranking`` where every row has items.

    A data label whose rows all have per-item ratios (and ``sort_by`` is the
    mean ratio) takes the bootstrap ranks (``RANK_NOTE``: paired or unpaired,
    incomplete rows after complete ones); otherwise (paper rows,
    another sort key) rows are ranked by the sort key, ties sharing the
    smaller rank.
    """
    plain = ok.groupby("data")[sort_by].rank(ascending=ascending, method="min")
    if stats is None or stats.empty or sort_by != "ratio_mean":
        return plain
    boot = ok["key"].map(dict(zip(stats["key"], stats["rank"])))
    full = boot.notna().groupby(ok["data"]).transform("all")
    return boot.where(full, plain).astype(float)


def track_table(frame: pd.DataFrame, track: str, *, sort_by: str = "ratio_mean",
                missing_paper: Iterable[str] = (), stats: pd.DataFrame | None = None,
                rice: dict[str, float] | None = None) -> pd.DataFrame:
    """Compression table of one track: one row per (submission, data), ranked within its data label.

    Compression numbers do not depend on the hardware profile, so a record
    measured on several profiles appears once (its latest record).
    ``missing_paper`` names paper columns with no number on this track; they
    get an explicit empty row ("not evaluated in the paper"). ``stats``
    (``leaderboard.board.track_stats``: key, low, high, rank) adds the interval and
    the tied ranks; ``rice`` (data label -> RICE's mean ratio) the gain per
    fixed downlink (``leaderboard.views.cost.gain_vs_rice``).
    """
    rows = frame[frame["track"] == track] if not frame.empty else frame
    if not rows.empty:  # only the columns it reads: every take below copies each column
        rows = dedupe_latest(rows[_present(rows, TRACK_FIELDS, sort_by)], ["submission", "split"])
    ascending = metric(sort_by).higher_is_better is False
    records = []
    if not rows.empty:
        # Estimates (likelihood bounds) are shown but never ranked against codecs.
        ok = rows[(rows["status"] == "ok") & (rows["provenance"] != "estimate")].copy()
        ok["_rank"] = _tied_ranks(ok, stats, sort_by, ascending)
        rows = rows.merge(ok[["key", "_rank"]], on="key", how="left")
        lows: dict[object, object] = {}
        highs: dict[object, object] = {}
        partial: dict[str, str] = {}
        if stats is not None and not stats.empty:
            stat_keys = _objects(stats, "key")
            lows, highs = dict(zip(stat_keys, _objects(stats, "low"))), dict(zip(stat_keys, _objects(stats, "high")))
            partial = _incomplete(stats)
        # tied ranks list the better value first (a tie never shows 2.37 above 2.93)
        rows = rows.sort_values(["data", "_rank", sort_by, "codec"], ascending=[True, True, ascending, True],
                                na_position="last")
        fields = ["_rank", *CELL_FIELDS, "bpp_stderr"]
        metric_values = [_rounded(rows, c.field, c.digits) for c in METRIC_COLUMNS]
        for i, r in enumerate(_row_dicts(rows, fields)):  # dicts, not iterrows: 2,000 rows in milliseconds
            failed = r["status"] != "ok"
            records.append([
                cell_int(r["_rank"]),
                _codec_cell(r),
                _badges_cell(r),
                *(None if failed else values[i] for values in metric_values),
                "" if failed else _estimate_spread(r) if r["provenance"] == "estimate"
                else _interval_text(lows.get(r["key"]), highs.get(r["key"])),
                None if failed else _round(_gain_percent(r["ratio_mean"], (rice or {}).get(str(r["data"]))), 1),
                r["profile"],
                r["data"],
                r["submission"],
                f"failed: {r['failure_kind'] or 'error'}" if failed else partial.get(str(r["key"]), "ok"),
            ])
    for codec in missing_paper:
        records.append([None, html.escape(codec), badge("paper"), *(None for _ in METRIC_COLUMNS), "", None,
                        "paper", "paper: real full test split", "", "not evaluated in the paper"])
    return pd.DataFrame(records, columns=list(TRACK_TABLE_HEADERS))


def _incomplete(stats: pd.DataFrame) -> dict[str, str]:
    """Status text of the rows ``leaderboard.data.ranking`` marks incomplete (ranked after the complete ones)."""
    if "complete" not in stats.columns:
        return {}
    part = stats[~stats["complete"].astype(bool) & (stats["n_items"] > 0)]
    return {k: f"ok, incomplete ({n} of {e} items ok)"
            for k, n, e in zip(_objects(part, "key"), part["n_items"].tolist(), part["expected"].tolist())}


def _gain_percent(ratio: object, rice: float | None) -> float | None:
    gain = gain_vs_rice(cell_number(ratio), rice)
    return None if gain is None else 100.0 * gain


RUNTIME_TABLE_HEADERS: tuple[str, ...] = (
    "Profile", "Machine", "Rank", "Codec", "Badges", *(c.title for c in RUNTIME_COLUMNS), "Data",
)


def runtime_table(frame: pd.DataFrame, track: str) -> pd.DataFrame:
    """Runtimes of one track, grouped by (profile, machine fingerprint); ranked inside each group only."""
    rows = frame[(frame["track"] == track) & (frame["status"] == "ok")] if not frame.empty else frame
    if not rows.empty:
        rows = rows[rows["encode_mb_s"].notna() | rows["encode_s"].notna()]
        rows = rows[_present(rows, RUNTIME_FIELDS)]  # only the columns it reads
    records = []
    if not rows.empty:
        rows = dedupe_latest(rows, ["submission", "split", "profile", "fingerprint_id"]).copy()
        machines: dict[tuple[object, ...], str] = {}  # a few machines, thousands of rows
        rows["machine"] = [machines.get(m) or machines.setdefault(m, _machine_label(*m)) for m in zip(
            _objects(rows, "hardware"), _objects(rows, "profile"), _objects(rows, "fingerprint_id"))]
        rows["_rank"] = rows.groupby(["profile", "machine"])["encode_mb_s"].rank(ascending=False, method="min")
        rows = rows.sort_values(["profile", "machine", "_rank"], na_position="last")
        runtime_values = [_rounded(rows, c.field, c.digits) for c in RUNTIME_COLUMNS]
        for i, r in enumerate(_row_dicts(rows, ["machine", "_rank", *CELL_FIELDS])):
            records.append([
                PROFILE_WORDS.get(str(r["profile"]), r["profile"]), r["machine"],
                cell_int(r["_rank"]),
                _codec_cell(r), _badges_cell(r),
                *(values[i] for values in runtime_values), r["data"],
            ])
    return pd.DataFrame(records, columns=list(RUNTIME_TABLE_HEADERS))


def submission_tracks_table(frame: pd.DataFrame, submission: str) -> pd.DataFrame:
    """All records of one submission: track, profile, data, status, headline metrics."""
    rows = frame[frame["submission"] == submission] if not frame.empty else frame
    headers = ["Track", "Profile", "Data", "Status", "Ratio (mean)", "Ratio (aggregate)", "Bits/pixel",
               "Encode MB/s", "Decode MB/s", "Failure"]
    records = []
    for _, r in (rows.sort_values(["track", "profile"]).iterrows() if not rows.empty else iter(())):
        records.append([
            r["track"], r["profile"], r["data"], r["status"], _round(r["ratio_mean"], 3),
            _round(r["ratio_aggregate"], 3), _round(r["bpp_mean"], 3), _round(r["encode_mb_s"], 2),
            _round(r["decode_mb_s"], 2),
            f"{r['failure_kind']}: {r['failure_message']}" if r["failure_kind"] else "",
        ])
    return pd.DataFrame(records, columns=headers)
