"""The Near-lossless view: rate against error bound for one paper track, and one ranking per bound.

Near-lossless records (``evaluator.core.tracks.NEAR_LOSSLESS_TRACKS``: ``keck-nl1``,
``keck-nl2``, ``keck-nl4``, ``keck-nlsigma``, ...) are not lossless results:
they never enter the Tracks tab, the Overview or the cross-track table
(``leaderboard.board.board_data`` keeps them out). Here they are shown per paper
track:

- :func:`bound_tables`: one table per bound (``evaluator.core.tracks.ERROR_BOUNDS``),
  each ranked by mean ratio within that bound and one data label only (rows
  at different bounds are never ranked together), with the error statistics
  that matter for science and the bound each row was verified at; failed
  records (``bound_exceeded``, ...) are listed after the ranked rows, with
  their failure kind, and never ranked;
- :func:`leaderboard.views.near_lossless_plot.rate_error_figure`: ratio against δ,
  one line per codec, δ = 0 from the codec's lossless record on the parent
  track.

Every participant string reaches the page escaped (``leaderboard.views.cells``
escapes codec names, ``leaderboard.views.html_table`` text cells).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from evaluator.core.schema import METRICS
from evaluator.core.tracks import ERROR_BOUNDS, NEAR_LOSSLESS_TRACKS, PAPER_TRACKS, TRACKS, ErrorBound
from leaderboard.views.cell_values import cell_number
from leaderboard.views.cells import _badges_cell, _codec_cell, _round
from leaderboard.views.html_table import html_table
from leaderboard.views.tables import _row_dicts, dedupe_latest

NL_NOTE = (  # our own text, as HTML (the view is one HTML component: a light page)
    "<p><strong>Near-lossless compression</strong> (paper Section 6): the decoded image may differ from the "
    "original, but never by more than a bound <strong>δ</strong> on any pixel: |decoded − original| ≤ δ ADU. The "
    "evaluator checks the bound on <strong>every pixel of every item in exact integer arithmetic</strong>; a "
    "codec that exceeds it once fails the track (<em>bound_exceeded</em>, listed below, never ranked). Fixed "
    "bounds: δ = 1, 2 and 4 ADU. <em>δ = ⌊σ/2⌋</em>: each item's bound is half its measured background noise σ "
    "(rounded down), so items differ; the table shows the range verified and the plot places that point (★) at "
    "the <strong>largest</strong> per-item δ. Each table ranks its rows by mean ratio <strong>within that bound "
    "and one data label only</strong>; rows at different bounds are never ranked together. δ = 0 in the plot is "
    "the codec's lossless record on the same track and data. <em>RMS error</em>, <em>Bias</em> (mean signed "
    "error) and <em>Pixels changed</em> are measured on every pixel. The <em>star flux</em> columns exist only on "
    "synthetic data, where the generator knows where the stars are: the change of each injected star's aperture "
    "flux over its Poisson noise (σ); on real data they are empty.</p>"
)

NL_SHORT = ("δ: the largest error allowed on any pixel, |decoded − original| ≤ δ ADU, checked on every pixel of "
            "every item in exact integer arithmetic. Star flux columns: synthetic data only (the generator knows the "
            "stars). One ranking per bound, below the plot.")
SCIENCE_FIELDS: tuple[str, ...] = ("err_abs_max", "err_rms", "err_mean", "changed_frac", "flux_dev_median",
                                   "flux_dev_worst", "flux_bias", "n_sources")
BOUND_TITLE = "Verified δ (ADU)"
NL_HEADERS: tuple[str, ...] = ("Rank", "Codec", "Badges", "Status", METRICS["ratio_mean"].label, BOUND_TITLE,
                               *(METRICS[m].label for m in SCIENCE_FIELDS), METRICS["bpp_mean"].label,
                               METRICS["n_items"].label, "Data", "Profile", "Submission")
NL_DATATYPES: tuple[str, ...] = ("number", "html", "html", "str", "number", "str",
                                 *("number" for _ in SCIENCE_FIELDS), "number", "number", "str", "str", "str")
NL_WIDTHS: tuple[str, ...] = ("52px", "220px")
NL_FIELDS: tuple[str, ...] = ("key", "submission", "split", "codec", "track", "kind", "portable", "portable_env",
                              "provenance", "synthetic", "status", "failure_kind", "profile", "data", "created_at",
                              "ratio_mean", "bpp_mean", "n_items", "bound_max", "bound_min", *SCIENCE_FIELDS)


@dataclass(frozen=True)
class BoundTable:
    """One bound's table: its bound row, the variant track's name, and the rows (``NL_HEADERS``)."""

    bound: ErrorBound
    track: str
    rows: pd.DataFrame


def variants_of(parent: str) -> dict[ErrorBound, str]:
    """The near-lossless variant track of ``parent`` per bound, in ``ERROR_BOUNDS`` order."""
    by_bound = {t.bound: name for name, t in NEAR_LOSSLESS_TRACKS.items() if t.lossless_track == parent}
    return {b: by_bound[b] for b in ERROR_BOUNDS if b in by_bound}


def is_lossless(frame: pd.DataFrame) -> pd.Series:
    """Which rows of a records table are lossless results (one of the ten tracks)."""
    return frame["track"].isin(list(TRACKS))


def nl_parents(frame: pd.DataFrame) -> list[str]:
    """The paper tracks with at least one near-lossless record in ``frame``, in track-table order."""
    if frame.empty:
        return []
    have = {NEAR_LOSSLESS_TRACKS[t].lossless_track for t in set(frame["track"]) if t in NEAR_LOSSLESS_TRACKS}
    return [t for t in PAPER_TRACKS if t in have]


def parent_choices(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The view's track choices: (title, name) of each paper track with near-lossless records."""
    return [(TRACKS[t].title, t) for t in nl_parents(frame)]


def view_rows(frame: pd.DataFrame, parent: str) -> pd.DataFrame:
    """The latest record per (submission, split, track) of ``parent``'s variants and of ``parent`` itself."""
    names = [parent, *variants_of(parent).values()]
    if frame.empty or parent not in TRACKS:
        return pd.DataFrame(columns=list(NL_FIELDS))
    rows = frame[frame["track"].isin(names)]
    rows = rows[[c for c in NL_FIELDS if c in rows.columns]]
    return dedupe_latest(rows, ["submission", "split", "track"]) if not rows.empty else rows


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return cell_number(value)
    except (TypeError, ValueError):
        return None


def bound_text(bound_max: object, bound_min: object) -> str:
    """The bound a record was verified at: "1", or "3–7" when items differ (the ⌊σ/2⌋ tracks)."""
    hi, lo = _number(bound_max), _number(bound_min)
    if hi is None:
        return ""
    return f"{int(lo)}–{int(hi)}" if lo is not None and lo != hi else f"{int(hi)}"


def _metric_cell(name: str, value: object) -> object:
    number = _number(value)
    return None if number is None else _round(number, METRICS[name].digits)


def _status(row: dict[str, object]) -> str:
    if row["status"] == "ok":
        return "ok"
    kind = str(row.get("failure_kind") or "")
    return f"{row['status']}: {kind}" if kind else str(row["status"])


def ranked_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """One bound's records as ``NL_HEADERS`` rows: ranked by mean ratio per data label, failed rows after."""
    if rows.empty:
        return pd.DataFrame(columns=list(NL_HEADERS))
    ok = rows[(rows["status"] == "ok") & rows["ratio_mean"].notna()]
    ranked = ok[ok["provenance"] != "estimate"]
    ranks = ranked.groupby("data")["ratio_mean"].rank(ascending=False, method="min")
    order = pd.concat([ok.sort_values(["data", "ratio_mean"], ascending=[True, False], kind="stable"),
                       rows.drop(ok.index).sort_values(["data", "codec"], kind="stable")])
    out = []
    for key, row in zip(order.index, _row_dicts(order, [c for c in NL_FIELDS if c in order.columns])):
        rank = ranks.get(key)
        out.append([None if rank is None or pd.isna(rank) else int(rank), _codec_cell(row), _badges_cell(row),
                    _status(row), _metric_cell("ratio_mean", row["ratio_mean"]),
                    bound_text(row["bound_max"], row["bound_min"]),
                    *(_metric_cell(m, row.get(m)) for m in SCIENCE_FIELDS), _metric_cell("bpp_mean", row["bpp_mean"]),
                    _metric_cell("n_items", row["n_items"]), row["data"], row["profile"], row["submission"]])
    return pd.DataFrame(out, columns=list(NL_HEADERS))


def bound_tables(rows: pd.DataFrame, parent: str) -> list[BoundTable]:
    """One table per bound of ``parent`` (``view_rows``' records), each holding that bound's records only."""
    tracks = rows["track"] if not rows.empty else pd.Series(dtype=str)
    return [BoundTable(bound, name, ranked_rows(rows[tracks == name] if not rows.empty else rows))
            for bound, name in variants_of(parent).items()]


def bound_tables_html(tables: list[BoundTable], parent: str, caption: str = "") -> str:
    """The note, ``caption`` (our text) and the bound tables as HTML, ``<table id="nl-{variant}">`` each."""
    parts = [f'<div class="lb-note" id="nl-note">{NL_NOTE}</div>']
    if caption:
        parts.append(f'<p class="lb-note" id="nl-caption">{html.escape(caption)}</p>')
    for t in tables:
        caption = f"{TRACKS[parent].title}, {t.bound.label}: {t.bound.doc}"
        if t.rows.empty:
            parts.append(f'<div class="lb-caption">{html.escape(caption)}</div>'
                         f'<p class="lb-note" id="nl-{html.escape(t.track)}-empty">No results at this bound yet.</p>')
            continue
        parts.append(html_table(t.rows, NL_DATATYPES, caption=caption, widths=NL_WIDTHS, pinned=2, max_height=520,
                                table_id=f"nl-{t.track}"))
    return "\n".join(parts)
