"""Plotly figures of the leaderboard.

- Pareto front of ratio vs encode throughput, one front per hardware profile
  (runtimes compare only within one profile; DESIGN.md "Measurement").
- Per-item ratio distribution per codec (box plot).
- Ratio vs exposure time (paper Figure 2, Hubble).
- Bits per pixel vs log10 of the background sigma, with the noise-floor
  bound: the entropy of a Gaussian of that sigma rounded to integers (paper
  Figure 5 and Supplement D, Pence et al. 2009;
  ``evaluator.data.noise_floor.gaussian_entropy_bits``).

Plotly reads names, hover text and titles as its own HTML-like markup: every
codec name, profile, data label and item id goes through
:func:`leaderboard.safe_text.plot_text`, so it shows as written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from evaluator.data.noise_floor import gaussian_entropy_bits
from leaderboard.safe_text import plot_text

PALETTE = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d",
           "#9333ea", "#ea580c", "#0d9488", "#4b5563")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon")

FRONT_LABEL_POSITION = "top left"  # the codec name beside each front point (the front rises to the left)
PARETO_POINTS = 300  # points per profile drawn beside the front (a 2,000-codec scatter is slow and unreadable)

_LAYOUT: dict[str, Any] = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 60, "b": 50}, "height": 420,
                           "legend": {"font": {"size": 11}}, "font": {"size": 13}}


def empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": "#6b7280"})
    fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False}, **_LAYOUT)
    return fig


def pareto_front(points: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Points not dominated by another one (higher or equal x and y, one strictly)."""
    pts = points.dropna(subset=[x, y]).sort_values([x, y], ascending=[False, False])
    if pts.empty:
        return pts
    ys = pts[y].to_numpy(dtype=float)
    best_before = np.concatenate(([-math.inf], np.maximum.accumulate(ys)[:-1]))
    return pts[ys > best_before].sort_values(x)  # vectorised: 2,000 points in a millisecond


def pareto_figure(frame: pd.DataFrame, track: str) -> go.Figure:
    """Ratio (mean) vs encode MB/s; one colour and one front per hardware profile.

    Every point's hover names its codec (with its provenance and data); the
    points on a front also carry their codec's name as a label. Names go
    through ``plot_text`` (shown as written, never as plotly markup).
    """
    title = f"{track}: compression ratio vs encode throughput (one front per hardware profile)"
    rows = frame[(frame["track"] == track) & (frame["status"] == "ok")] if not frame.empty else frame
    if not rows.empty:
        rows = rows.dropna(subset=["encode_mb_s", "ratio_mean"])
    if rows.empty:
        return empty_figure(title, "No runtimes recorded for this track yet")
    fig = go.Figure()
    left_out = 0
    for i, (profile, group) in enumerate(sorted(rows.groupby("profile"), key=lambda g: str(g[0]))):
        colour = PALETTE[i % len(PALETTE)]
        front = pareto_front(group, "encode_mb_s", "ratio_mean")
        if len(group) > PARETO_POINTS:  # a readable plot, a light page: the front and the best others
            best = group.sort_values("ratio_mean", ascending=False, kind="stable").head(PARETO_POINTS)
            kept = group[group.index.isin(best.index) | group.index.isin(front.index)]
            left_out += len(group) - len(kept)
            group = kept
        fig.add_trace(go.Scatter(
            x=group["encode_mb_s"], y=group["ratio_mean"], mode="markers", name=plot_text(profile),
            marker={"color": colour, "size": 10, "symbol": SYMBOLS[i % len(SYMBOLS)],
                        "line": {"width": 1, "color": "white"}},
            text=[plot_text(f"{c} ({p}, {d})") for c, p, d in zip(group["codec"], group["provenance"], group["data"])],
            hovertemplate="<b>%{text}</b><br>ratio %{y:.3f}<br>encode %{x:.3g} MB/s<extra></extra>",
        ))
        if len(front):  # the front's line, each of its points labelled with its codec's name
            fig.add_trace(go.Scatter(x=front["encode_mb_s"], y=front["ratio_mean"],
                                     mode="lines+text" if len(front) > 1 else "text",
                                     line={"color": colour, "dash": "dot", "shape": "vh"},
                                     text=[plot_text(c) for c in front["codec"]], textposition=FRONT_LABEL_POSITION,
                                     textfont={"size": 11, "color": colour},
                                     name=plot_text(f"{profile} Pareto front"), hoverinfo="skip"))
    if left_out:
        title += f" (per profile: its front and the best {PARETO_POINTS} by mean ratio; {left_out:,} more not drawn)"
    fig.update_layout(title={"text": title, "font": {"size": 15}}, **_LAYOUT)
    fig.update_xaxes(type="log", title="encode throughput (raw MB/s, log scale)")
    fig.update_yaxes(title="compression ratio (mean of per-item)")
    return fig


def ratio_distribution_figure(items: pd.DataFrame, track: str) -> go.Figure:
    """Box plot of per-item ratios per codec (items with status ok)."""
    title = f"{track}: per-item compression ratio"
    ok = items[items["status"] == "ok"] if not items.empty else items
    if ok.empty:
        return empty_figure(title, "No per-item results for this track yet")
    fig = go.Figure()
    order = ok.groupby("codec")["ratio"].median().sort_values(ascending=False).index
    for i, codec in enumerate(order):
        vals = ok.loc[ok["codec"] == codec, "ratio"]
        fig.add_trace(go.Box(y=vals, name=plot_text(codec), boxpoints="outliers",
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(title={"text": title, "font": {"size": 15}}, showlegend=False, **_LAYOUT)
    fig.update_yaxes(title="compression ratio")
    return fig


def _positive_ok_rows(items: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """The ok item rows that have both ``x`` (> 0) and ``y``."""
    ok = items[(items["status"] == "ok")] if not items.empty else items
    if not ok.empty:
        ok = ok.dropna(subset=[x, y])
        ok = ok[ok[x] > 0]
    return ok


def _scatter_by_codec(ok: pd.DataFrame, x: Callable[[pd.DataFrame], Any], y: str, hover: str) -> go.Figure:
    """One marker trace per codec (per-item points), coloured from the palette."""
    fig = go.Figure()
    for i, (codec, g) in enumerate(ok.groupby("codec")):
        fig.add_trace(go.Scatter(x=x(g), y=g[y], mode="markers", name=plot_text(codec),
                                 marker={"color": PALETTE[i % len(PALETTE)], "size": 7, "opacity": 0.8},
                                 text=[plot_text(item) for item in g["item_id"]], hovertemplate=hover))
    return fig


def exposure_figure(items: pd.DataFrame, track: str) -> go.Figure:
    """Per-item ratio vs exposure time (paper Figure 2)."""
    title = f"{track}: compression ratio vs exposure time (paper Fig. 2)"
    ok = _positive_ok_rows(items, "exptime", "ratio")
    if ok.empty:
        return empty_figure(title, "No exposure times recorded for this track")
    fig = _scatter_by_codec(ok, lambda g: g["exptime"], "ratio",
                            "%{text}<br>exptime %{x:.4g} s<br>ratio %{y:.3f}<extra></extra>")
    fig.update_layout(title={"text": title, "font": {"size": 15}}, **_LAYOUT)
    fig.update_xaxes(type="log", title="exposure time (s, log scale)")
    fig.update_yaxes(title="compression ratio")
    return fig


def noise_bound_curve(sigmas: np.ndarray) -> np.ndarray:
    """Noise-floor bits per pixel for each sigma (entropy of a discretised Gaussian)."""
    return np.array([gaussian_entropy_bits(float(s)) for s in sigmas])


def noise_figure(items: pd.DataFrame, track: str) -> go.Figure:
    """Bits per pixel vs log10 background sigma, with the Gaussian-entropy bound (paper Fig. 5)."""
    title = f"{track}: bits per pixel vs background noise (paper Fig. 5)"
    ok = _positive_ok_rows(items, "noise_sigma", "bpp")
    if ok.empty:
        return empty_figure(title, "No noise estimates recorded for this track")
    fig = _scatter_by_codec(ok, lambda g: np.log10(g["noise_sigma"].astype(float)), "bpp",
                            "%{text}<br>log10 sigma %{x:.3f}<br>%{y:.3f} bits/pixel<extra></extra>")
    lo, hi = np.log10(ok["noise_sigma"].astype(float).min()), np.log10(ok["noise_sigma"].astype(float).max())
    pad = max(0.1, 0.05 * (hi - lo))
    xs = np.linspace(lo - pad, hi + pad, 80)
    fig.add_trace(go.Scatter(x=xs, y=noise_bound_curve(10 ** xs), mode="lines", name="noise floor (Gaussian entropy)",
                             line={"color": "#111827", "dash": "dash", "width": 2}))
    fig.update_layout(title={"text": title, "font": {"size": 15}}, **_LAYOUT)
    fig.update_xaxes(title="log10 background sigma (ADU)")
    fig.update_yaxes(title="bits per pixel")
    return fig
