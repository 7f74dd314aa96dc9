"""The Near-lossless view's rate-error plot: mean ratio against the error bound δ, one line per codec.

x is δ in ADU: 0 is the codec's lossless record on the parent track (same
submission, same data label), then the fixed bounds 1, 2 and 4. The
δ = ⌊σ/2⌋ bound differs per item: its point is drawn as a star at the
**largest** per-item δ verified (``bound_max``), not joined to the line (the
axis title and the hover say so). y is the mean of per-item ratios. One data
label per plot (rows measured on different data are different experiments):
the label with the most codecs, named in the title.

Codec names, data labels and submission ids go through
:func:`leaderboard.safe_text.plot_text` (plotly reads its own markup).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from evaluator.core.tracks import TRACKS
from leaderboard.safe_text import plot_text
from leaderboard.views.near_lossless import bound_text, variants_of
from leaderboard.views.plots import _LAYOUT, PALETTE, empty_figure

PLOT_LIMIT = 12  # codecs per plot (the best by their best near-lossless ratio)
SIGMA_SYMBOL = "star"
X_TITLE = "error bound δ (ADU): 0 = lossless record; ★ = the δ = ⌊σ/2⌋ track, drawn at its largest per-item δ"


def plot_label(rows: pd.DataFrame, parent: str) -> str | None:
    """The data label with the most codecs that have a near-lossless result on ``parent``."""
    ok = rows[(rows["status"] == "ok") & (rows["track"] != parent)] if not rows.empty else rows
    if ok.empty:
        return None
    counts = ok.groupby("data")["submission"].nunique().sort_index().sort_values(ascending=False, kind="stable")
    return str(counts.index[0])


def _codec_points(group: pd.DataFrame,
                  parent: str) -> tuple[list[tuple[float, float, str]], tuple[float, float, str] | None]:
    """(δ, ratio, hover) of the fixed-bound points (δ = 0 from the lossless record) and the ⌊σ/2⌋ point."""
    by_track = {t: r for t, r in zip(group["track"], group.to_dict("records"))}
    points: list[tuple[float, float, str]] = []
    lossless = by_track.get(parent)
    if lossless is not None and pd.notna(lossless["ratio_mean"]):
        points.append((0.0, float(lossless["ratio_mean"]), "lossless"))
    sigma: tuple[float, float, str] | None = None
    for bound, name in variants_of(parent).items():
        rec = by_track.get(name)
        if rec is None or pd.isna(rec["ratio_mean"]):
            continue
        rms = rec.get("err_rms")
        extra = f"RMS error {float(rms):.3f} ADU" if rms is not None and pd.notna(rms) else "RMS error n/a"
        if bound.delta is None:
            if rec.get("bound_max") is not None and pd.notna(rec["bound_max"]):
                verified = bound_text(rec["bound_max"], rec.get("bound_min"))
                sigma = (float(rec["bound_max"]), float(rec["ratio_mean"]),
                         f"{bound.label} (per item δ {verified} ADU; drawn at the largest)<br>{extra}")
            continue
        points.append((float(bound.delta), float(rec["ratio_mean"]), f"{bound.label}<br>{extra}"))
    return sorted(points), sigma


def rate_error_figure(rows: pd.DataFrame, parent: str) -> go.Figure:
    """Mean ratio against δ for ``parent``'s near-lossless records (``near_lossless.view_rows``)."""
    title = f"{TRACKS[parent].title if parent in TRACKS else parent}: compression ratio vs error bound"
    label = plot_label(rows, parent)
    if label is None:
        return empty_figure(title, "No near-lossless results for this track and data yet")
    ok = rows[(rows["status"] == "ok") & (rows["data"] == label) & (rows["provenance"] != "estimate")]
    nl = ok[ok["track"] != parent]
    best = nl.groupby("submission")["ratio_mean"].max().sort_values(ascending=False, kind="stable")
    shown = list(best.index[:PLOT_LIMIT])
    fig = go.Figure()
    for i, submission in enumerate(shown):
        group = ok[ok["submission"] == submission]
        codec = plot_text(group["codec"].iloc[0])
        colour = PALETTE[i % len(PALETTE)]
        points, sigma = _codec_points(group, parent)
        hover_head = f"<b>{codec}</b> ({plot_text(submission)})<br>"
        if points:
            fig.add_trace(go.Scatter(
                x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers", name=codec,
                legendgroup=f"codec-{i}", line={"color": colour, "width": 2}, marker={"color": colour, "size": 9},
                text=[hover_head + p[2] for p in points],
                hovertemplate="%{text}<br>δ = %{x} ADU<br>ratio %{y:.3f}<extra></extra>"))
        if sigma is not None:
            fig.add_trace(go.Scatter(
                x=[sigma[0]], y=[sigma[1]], mode="markers", name=f"{codec}: δ = ⌊σ/2⌋", legendgroup=f"codec-{i}",
                showlegend=not points, marker={"color": colour, "size": 15, "symbol": SIGMA_SYMBOL,
                                               "line": {"width": 1, "color": "#111827"}},
                text=[hover_head + sigma[2]],
                hovertemplate="%{text}<br>largest item δ = %{x} ADU<br>ratio %{y:.3f}<extra></extra>"))
    if len(best) > len(shown):
        title += f" (best {PLOT_LIMIT} of {len(best)} codecs)"
    layout = {**_LAYOUT, "height": 480, "legend": {"font": {"size": 11}, "orientation": "h", "y": -0.22}}
    fig.update_layout(title={"text": f"{title}<br><sup>data: {plot_text(label)}</sup>", "font": {"size": 15}},
                      **layout)
    fig.update_xaxes(title=X_TITLE, rangemode="tozero", zeroline=True)
    fig.update_yaxes(title="compression ratio (mean of per-item)")
    return fig
