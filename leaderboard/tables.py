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

from baselines.archive import ARCHIVE_CODECS
from evaluator.schema import metric
from evaluator.tracks import TRACKS
from leaderboard.cost import gain_vs_rice

PROVENANCES: tuple[str, ...] = ("verified", "paper", "estimate")
# The paper's Table 1 columns, in its order (the overview lists paper rows this way).
PAPER_COLUMNS: tuple[str, ...] = (
    "IDF", "L3C", "PixelCNN++", "VDM", "JPEG-XL (max)", "JPEG-XL", "JPEG-LS", "JPEG-2000", "RICE",
)
KINDS: tuple[str, ...] = ("classical", "neural", "archive")
# The archive baselines' submission ids (BaselineSpec.submission; not read from baselines.registry, which
# imports imagecodecs, absent from the Space).
ARCHIVE_SUBMISSIONS: frozenset[str] = frozenset(f"baseline-{name}" for name in ARCHIVE_CODECS)
DATA_KINDS: tuple[str, ...] = ("real", "synthetic")

BADGE_STYLE: dict[str, tuple[str, str]] = {  # provenance -> (background, text colour)
    "verified": ("#d1fadf", "#05603a"),
    "paper": ("#dbeafe", "#1e40af"),
    "estimate": ("#fef3c7", "#92400e"),
    "synthetic": ("#ede9fe", "#5b21b6"),
    "failed": ("#fee2e2", "#991b1b"),
    "portable": ("#ccfbf1", "#115e59"),
    "not-portable": ("#ffedd5", "#9a3412"),
    "archive": ("#e5e7eb", "#374151"),
}

BADGE_HELP: dict[str, str] = {
    "paper": "number reported by the AstroCompress paper (Table 1/3), not re-measured here",
    "verified": "measured here: real bitstreams, decoded and checked bit for bit",
    "estimate": "likelihood bound (VDM), not a working codec",
    "synthetic": "measured on synthetic frames, not on the real corpus",
    "portable": "a sample of the bitstreams also decoded under another thread count and generic CPU dispatch",
    "not-portable": "the named environment (another thread count, generic CPU dispatch) broke a decode: "
                    "these bitstreams may not decode on another machine (not ranked)",
    "archive": "what archives store data with today (fpack RICE_1/HCOMPRESS_1/GZIP_2, bzip2, zstd, xz) run on the "
               "item's FITS file: the gain over what we run today",
}


@dataclass(frozen=True)
class Column:
    """A metric column: the records-table field and how it is shown (from ``evaluator.schema.METRICS``)."""

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


def badge(kind: str, text: str | None = None) -> str:
    """HTML badge for a provenance (or ``synthetic`` / ``failed`` / ...), reading ``text`` (default: the kind)."""
    k = html.escape(kind)
    return f'<span class="badge badge-{k}">{k if text is None else html.escape(text)}</span>'


def portable_badge(row: pd.Series) -> str:
    """The *portable* badge, a *not portable (env)* one, or nothing when the record was not checked."""
    state = row.get("portable")
    if state is None or (isinstance(state, float) and pd.isna(state)):
        return ""
    if bool(state):
        return badge("portable")
    return badge("not-portable", f"not portable ({row.get('portable_env') or '?'})")


def badge_css() -> str:
    """CSS for the badges (kept out of the cells: a table of thousands of rows stays small)."""
    rules = [(".badge {border-radius: 9px; padding: 1px 8px; font-size: 0.85em; font-weight: 600; "
              "white-space: nowrap; font-family: ui-sans-serif, system-ui, sans-serif;}"),
             ".nn {color: #6b7280; font-size: 0.8em; margin-left: 0.3em;}"]
    for kind, (bg, fg) in BADGE_STYLE.items():
        rules.append(f".badge-{kind} {{background: {bg}; color: {fg};}}")
    return "\n".join(rules)


def data_label(split: str, synthetic: bool, provenance: str) -> str:
    """What data a number was measured on, in words."""
    if split.startswith("paper"):
        return "paper: real full test split"
    if synthetic:
        return split if "synthetic" in split else f"synthetic: {split}"
    if split.startswith("hidden"):
        return f"hidden test: {split.split(':', 1)[-1]}"
    return f"real: {split}"


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``data``, ``kind`` and ``data_kind`` columns to a records table."""
    out = frame.copy()
    if out.empty:
        for col in ("data", "kind", "data_kind"):
            out[col] = pd.Series(dtype=str)
        return out
    split, synthetic, provenance, neural, submission = (
        _objects(out, c) for c in ("split", "synthetic", "provenance", "neural", "submission"))
    out["data"] = [data_label(s, bool(y), p) for s, y, p in zip(split, synthetic, provenance)]
    out["kind"] = ["neural" if n else "archive" if s in ARCHIVE_SUBMISSIONS else "classical"
                   for n, s in zip(neural, submission)]
    out["data_kind"] = ["synthetic" if s else "real" for s in synthetic]
    # Paper runtimes are a mean (Table 3); measured ones a median.
    out["encode_s"] = out["encode_s_median"].where(out["encode_s_median"].notna(), out["encode_s_mean"])
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
        if wanted:
            out = out[out[column].isin(list(wanted))]
    return out


def _round(value: object, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return round(float(value), digits)  # type: ignore[arg-type]


def _codec_cell(row: pd.Series, *, portable: bool = True) -> str:
    name = html.escape(str(row["codec"]))
    extra = []
    if row.get("kind") == "neural":
        extra.append('<span class="nn"> neural</span>')
    marker = portable_badge(row) if portable else ""
    if marker:
        extra.append(" " + marker)
    return name + "".join(extra)


def _badges_cell(row: pd.Series) -> str:
    parts = [badge(str(row["provenance"]))]
    if row.get("kind") == "archive":
        parts.append(badge("archive"))
    if bool(row["synthetic"]):
        parts.append(badge("synthetic"))
    if row["status"] != "ok":
        parts.append(badge("failed"))
    return " ".join(parts)


# Issue 13: the mean ratio's 95 % bootstrap interval and the gain per fixed downlink over RICE
# (leaderboard.ranking, leaderboard.cost).
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
                                "status", "failure_kind", "profile", "data", "submission", "ratio_mean")


def _objects(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as an array of Python objects (iterating an Arrow string column value by value is slow)."""
    return frame[column].to_numpy(dtype=object)


def _row_dicts(rows: pd.DataFrame, fields: Iterable[str]) -> list[dict[str, object]]:
    """``rows.to_dict("records")`` of only ``fields`` (each once): 2,000 rows in milliseconds."""
    wanted = [f for f in dict.fromkeys(fields) if f in rows.columns]
    columns = [_objects(rows, f) for f in wanted]
    return [dict(zip(wanted, values)) for values in zip(*columns)]


def _dedupe_latest(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values("created_at", ascending=False).drop_duplicates(by, keep="first")


def _interval_text(low: object, high: object) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):  # type: ignore[arg-type]
        return ""
    return f"{float(low):.2f} - {float(high):.2f}"  # type: ignore[arg-type]


def _estimate_spread(row: dict[str, object]) -> str:
    """An estimate's (VDM) spread in the interval column: the bound's standard error over time samples."""
    se = row.get("bpp_stderr")
    if se is None or pd.isna(se):  # type: ignore[arg-type]
        return ""
    return f"bound ± {float(se):.4f} bpp (s.e. over t)"  # type: ignore[arg-type]


def _tied_ranks(ok: pd.DataFrame, stats: pd.DataFrame | None, sort_by: str, ascending: bool) -> pd.Series:
    """Ranks within each data label: tied ranks of ``leaderboard.ranking`` where every row has items.

    A data label whose rows all have per-item ratios (and ``sort_by`` is the
    mean ratio) takes the paired-bootstrap ranks; otherwise (paper rows,
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
    (``leaderboard.track_stats``: key, low, high, rank) adds the interval and
    the tied ranks; ``rice`` (data label -> RICE's mean ratio) the gain per
    fixed downlink (``leaderboard.cost.gain_vs_rice``).
    """
    rows = frame[frame["track"] == track] if not frame.empty else frame
    if not rows.empty:
        rows = _dedupe_latest(rows, ["submission", "split"])
    ascending = metric(sort_by).higher_is_better is False
    records = []
    if not rows.empty:
        # Estimates (likelihood bounds) are shown but never ranked against codecs.
        ok = rows[(rows["status"] == "ok") & (rows["provenance"] != "estimate")].copy()
        ok["_rank"] = _tied_ranks(ok, stats, sort_by, ascending)
        rows = rows.merge(ok[["key", "_rank"]], on="key", how="left")
        has_stats = stats is not None and not stats.empty
        lows = dict(zip(stats["key"], stats["low"])) if has_stats else {}  # type: ignore[index]
        highs = dict(zip(stats["key"], stats["high"])) if has_stats else {}  # type: ignore[index]
        rows = rows.sort_values(["data", "_rank", "codec"], na_position="last")
        fields = ["_rank", *CELL_FIELDS, "bpp_stderr", *(c.field for c in METRIC_COLUMNS)]
        for r in _row_dicts(rows, fields):  # dicts, not iterrows: 2,000 rows in milliseconds
            failed = r["status"] != "ok"
            records.append([
                None if pd.isna(r["_rank"]) else int(r["_rank"]),
                _codec_cell(r),
                _badges_cell(r),
                *(None if failed else _round(r[c.field], c.digits) for c in METRIC_COLUMNS),
                "" if failed else _estimate_spread(r) if r["provenance"] == "estimate"
                else _interval_text(lows.get(r["key"]), highs.get(r["key"])),
                None if failed else _round(_gain_percent(r["ratio_mean"], (rice or {}).get(r["data"])), 1),
                r["profile"],
                r["data"],
                r["submission"],
                "ok" if not failed else f"failed: {r['failure_kind'] or 'error'}",
            ])
    for codec in missing_paper:
        records.append([None, html.escape(codec), badge("paper"), *(None for _ in METRIC_COLUMNS), "", None,
                        "paper", "paper: real full test split", "", "not evaluated in the paper"])
    return pd.DataFrame(records, columns=list(TRACK_TABLE_HEADERS))


def _gain_percent(ratio: object, rice: float | None) -> float | None:
    gain = gain_vs_rice(ratio, rice)  # type: ignore[arg-type]
    return None if gain is None else 100.0 * gain


RUNTIME_TABLE_HEADERS: tuple[str, ...] = (
    "Profile", "Machine", "Rank", "Codec", "Badges", *(c.title for c in RUNTIME_COLUMNS), "Data",
)


def runtime_table(frame: pd.DataFrame, track: str) -> pd.DataFrame:
    """Runtimes of one track, grouped by (profile, machine fingerprint); ranked inside each group only."""
    rows = frame[(frame["track"] == track) & (frame["status"] == "ok")] if not frame.empty else frame
    if not rows.empty:
        rows = rows[rows["encode_mb_s"].notna() | rows["encode_s"].notna()]
    records = []
    if not rows.empty:
        rows = _dedupe_latest(rows, ["submission", "split", "profile", "fingerprint_id"]).copy()
        rows["machine"] = [
            (h or ("the paper's machine (not stated)" if p == "paper" else "unknown")) + (f" [{f}]" if f else "")
            for h, p, f in zip(rows["hardware"], rows["profile"], rows["fingerprint_id"])
        ]
        rows["_rank"] = rows.groupby(["profile", "machine"])["encode_mb_s"].rank(ascending=False, method="min")
        rows = rows.sort_values(["profile", "machine", "_rank"], na_position="last")
        for r in _row_dicts(rows, ["machine", "_rank", *CELL_FIELDS, *(c.field for c in RUNTIME_COLUMNS)]):
            records.append([
                r["profile"], r["machine"], None if pd.isna(r["_rank"]) else int(r["_rank"]),
                _codec_cell(r), _badges_cell(r),
                *(_round(r[c.field], c.digits) for c in RUNTIME_COLUMNS), r["data"],
            ])
    return pd.DataFrame(records, columns=list(RUNTIME_TABLE_HEADERS))


def overview_table(frame: pd.DataFrame, *, limit_per_data: int | None = None) -> pd.DataFrame:
    """Mean ratio per codec (rows) and track (columns, from ``TRACKS``).

    ``limit_per_data`` keeps the best rows (by their best track ratio) of each
    data label; the track tabs always list everything.
    """
    track_titles = {name: t.title for name, t in TRACKS.items()}
    headers = ["Codec", "Badges", "Data", *track_titles.values()]
    ok = frame[frame["status"] == "ok"] if not frame.empty else frame
    if ok.empty:
        return pd.DataFrame(columns=headers)
    ok = _dedupe_latest(ok, ["submission", "split", "track"])
    # Vectorised (a board of 2,000 submissions has 20,000 records): one row per (submission, data).
    # Paper rows in Table 1's column order; other rows by their mean ratio over the tracks they cover.
    first = ok.drop_duplicates(["submission", "data"]).set_index(["submission", "data"])
    means = ok.groupby(["submission", "data"])["ratio_mean"].mean()
    paper_idx = [PAPER_COLUMNS.index(c) if p == "paper" and c in PAPER_COLUMNS else len(PAPER_COLUMNS)
                 for c, p in zip(first["codec"], first["profile"])]
    order = pd.DataFrame({"data": first.index.get_level_values("data"),
                          "submission": first.index.get_level_values("submission"), "paper": paper_idx,
                          "neg_mean": [0.0 if i < len(PAPER_COLUMNS) else -m
                                       for i, m in zip(paper_idx, means.reindex(first.index))]})
    order = order.sort_values(["data", "paper", "neg_mean", "submission"], kind="stable")
    if limit_per_data is not None:
        order = order[order.groupby("data").cumcount() < limit_per_data]
    cells = ok.groupby(["submission", "data", "track"])["ratio_mean"].first().unstack("track")
    records = []
    for sub, data in zip(order["submission"], order["data"]):
        row = first.loc[(sub, data)]
        by_track = cells.loc[(sub, data)]
        row_dict = {**row.to_dict(), "data": data}
        # portability belongs to one track's record: the track tabs show it, not this cross-track row
        records.append([_codec_cell(row_dict, portable=False), _badges_cell(row_dict), data,
                        *(_round(by_track.get(name), 2) for name in track_titles)])
    return pd.DataFrame(records, columns=headers)


OVERVIEW_DATATYPES: tuple[str, ...] = ("html", "html", "str", *("number" for _ in TRACKS))


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
