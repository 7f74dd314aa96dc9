"""Compression metrics, per item and per track (paper's conventions).

Per item: bits per pixel ``8 * bytes / npix`` and ratio ``16 * npix / (8 * bytes)``.
Per track the headline is the *mean of per-item ratios* (paper Section 4.2);
the aggregate ratio (total raw / total compressed) and the mean bpp stand beside it.
:func:`track_summary` is the one function that turns item rows into a
track's :class:`evaluator.core.schema.TrackSummary` (the evaluator and the
campaign merge both call it).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Any

from evaluator.core.schema import ItemRow, TrackSummary

RAW_BITS = 16  # every challenge input is uint16


def bits_per_pixel(compressed_bytes: int, npix: int) -> float:
    return 8.0 * compressed_bytes / npix


def compression_ratio(compressed_bytes: int, npix: int) -> float:
    return RAW_BITS * npix / (8.0 * compressed_bytes)


def throughput_mb_s(npix: int, seconds: float) -> float | None:
    """Raw megabytes (uint16) processed per second; None when not measured."""
    if seconds is None or seconds <= 0:
        return None
    return 2.0 * npix / 1e6 / seconds


def _median(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return median(vals) if vals else None


def summarize(
    npix: Sequence[int],
    compressed_bytes: Sequence[int],
    encode_s: Sequence[float | None] | None = None,
    decode_s: Sequence[float | None] | None = None,
    noise_bpp: Sequence[float | None] | None = None,
) -> TrackSummary:
    if not npix or len(npix) != len(compressed_bytes):
        raise ValueError("summarize needs one compressed size per item, and at least one item")
    ratios = [compression_ratio(b, n) for b, n in zip(compressed_bytes, npix)]
    bpps = [bits_per_pixel(b, n) for b, n in zip(compressed_bytes, npix)]
    total_pix = sum(npix)
    total_bytes = sum(compressed_bytes)

    def rate(times: Sequence[float | None] | None) -> float | None:
        if not times or any(t is None for t in times):
            return None
        return throughput_mb_s(total_pix, sum(t for t in times if t is not None))

    eff = None
    nb_mean = None
    if noise_bpp and all(v is not None for v in noise_bpp):
        known = [v for v in noise_bpp if v is not None]  # all of them (checked above)
        nb_mean = sum(known) / len(known)
        floor_bits = sum(v * n for v, n in zip(known, npix))
        eff = floor_bits / (8.0 * total_bytes)
    return TrackSummary(
        n_items=len(npix),
        ratio_mean=sum(ratios) / len(ratios),
        ratio_aggregate=RAW_BITS * total_pix / (8.0 * total_bytes),
        bpp_mean=sum(bpps) / len(bpps),
        encode_s_median=_median(encode_s or []),
        decode_s_median=_median(decode_s or []),
        encode_mb_s=rate(encode_s),
        decode_mb_s=rate(decode_s),
        noise_bpp_mean=nb_mean,
        efficiency=eff,
    )


def _number(value: Any) -> float | None:
    """A float from a row cell (None, NaN and non-numbers are missing)."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def track_summary(rows: Iterable[ItemRow | Mapping[str, Any]], *, failed: bool) -> TrackSummary:
    """The summary of a track from its item rows (:class:`evaluator.core.schema.ItemRow`, or a stored table's rows).

    Only ``status == "ok"`` rows count. A failed run (or one without an ok
    item) has no ratios, only the count of items that passed before it.
    """
    cells = [r.to_dict() if isinstance(r, ItemRow) else r for r in rows]
    ok = [r for r in cells if r["status"] == "ok"]
    if failed or not ok:
        return TrackSummary.failed(len(ok))
    summary = summarize(
        [int(r["npix"]) for r in ok], [int(r["compressed_bytes"]) for r in ok],
        [_number(r["encode_s"]) for r in ok], [_number(r["decode_s"]) for r in ok],
        [_number(r["noise_bpp"]) for r in ok],
    )
    summary = dataclasses.replace(  # timing noise: the items' relative spreads (rows without repeats have none)
        summary, encode_s_spread=_median(_number(r.get("encode_s_spread")) for r in ok),
        decode_s_spread=_median(_number(r.get("decode_s_spread")) for r in ok))
    return coding_summary(error_summary(summary, ok), ok)


def coding_summary(summary: TrackSummary, ok: Sequence[Mapping[str, Any]]) -> TrackSummary:
    """The codecs' own reports (``coding_bits``, ``side_bits`` cells) pooled over the items: ``coding_bpp`` and
    ``side_bpp`` (sums over summed pixels) and ``coding_overhead`` = (8 * bytes - side bits) / coding bits - 1.
    Each stays empty unless every item reported what it needs (a report, never verified, never ranked)."""
    coding = [_number(r.get("coding_bits")) for r in ok]
    side = [_number(r.get("side_bits")) for r in ok]
    all_coding = all(v is not None for v in coding)
    all_side = all(v is not None for v in side)
    if not ok or not (all_coding or all_side):
        return summary
    total_pix = sum(int(r["npix"]) for r in ok)
    total_coding = sum(v for v in coding if v is not None)
    total_side = sum(v for v in side if v is not None)
    payload = 8.0 * sum(int(r["compressed_bytes"]) for r in ok) - total_side
    return dataclasses.replace(
        summary, coding_bpp=total_coding / total_pix if all_coding else None,
        side_bpp=total_side / total_pix if all_side else None,
        coding_overhead=payload / total_coding - 1.0 if all_coding and all_side and total_coding > 0 else None)


def error_summary(summary: TrackSummary, ok: Sequence[Mapping[str, Any]]) -> TrackSummary:
    """Near-lossless rows (a ``max_abs_error`` cell): the bound and the pooled error statistics.

    RMS, bias and the changed fraction are pooled over every pixel of every item (weighted by ``npix``);
    the star-flux figures are the median of the items' medians, the worst of their worst and the median bias.
    Lossless rows leave the summary as it is.
    """
    bounds = [int(b) for r in ok if (b := _number(r.get("max_abs_error"))) is not None]
    if not bounds or len(bounds) != len(ok):
        return summary
    npix = [int(r["npix"]) for r in ok]
    total = sum(npix)

    def pooled(key: str, square: bool = False) -> float | None:
        vals = [_number(r.get(key)) for r in ok]
        if any(v is None for v in vals):
            return None
        acc = sum(n * (v * v if square else v) for n, v in zip(npix, vals) if v is not None)
        return math.sqrt(acc / total) if square else acc / total

    worst = [v for r in ok if (v := _number(r.get("flux_dev_worst"))) is not None]
    stars = [int(v) for r in ok if (v := _number(r.get("n_sources"))) is not None]
    return dataclasses.replace(
        summary, bound_max=max(bounds), bound_min=min(bounds),
        err_abs_max=max(int(_number(r.get("err_abs_max")) or 0) for r in ok),
        err_rms=pooled("err_rms", square=True), err_mean=pooled("err_mean"), changed_frac=pooled("changed_frac"),
        flux_dev_median=_median(_number(r.get("flux_dev_median")) for r in ok),
        flux_dev_worst=max(worst) if worst else None,
        flux_bias=_median(_number(r.get("flux_bias")) for r in ok),
        n_sources=sum(stars) if stars else None)


def relative_spread(times: Sequence[float]) -> float | None:
    """``(max - min) / median`` of repeated timings of one item; None with fewer than two."""
    if len(times) < 2:
        return None
    mid = median(times)
    return (max(times) - min(times)) / mid if mid > 0 else None
