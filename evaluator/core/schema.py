"""The results schema: the metric table, the per-track summary and the per-item row.

Like the track table, one place defines each measured number: its name (the
field in records and Parquet), its label, unit, direction and format.
:data:`METRICS` drives the store reader's columns, the leaderboard's tables
and the CLI's tables; :class:`TrackSummary` and :class:`ItemRow` are the
typed forms of a record's ``summary`` and of one row of its items table.

Records already in a store keep loading: :meth:`TrackSummary.from_dict`
ignores fields it does not know and leaves missing ones empty, and
:meth:`TrackSummary.to_dict` writes every field (the JSON on disk only gains
fields).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Literal

from evaluator.sdk.named_table import NamedTable

Scope = Literal["track", "record", "item"]


@dataclass(frozen=True)
class Metric:
    name: str  # field name in TrackSummary / ItemRow / the records table
    label: str  # column title on the leaderboard
    short: str  # column title in a terminal table
    unit: str
    higher_is_better: bool | None  # None: not a score (a count, a size)
    digits: int  # decimals shown on the leaderboard
    cli_format: str  # format spec in the CLI
    scope: Scope  # where the number lives: a track summary, a record, or an item row
    doc: str


METRIC_TABLE: tuple[Metric, ...] = (
    Metric("n_items", "Items", "n", "", None, 0, "d", "track", "test items measured"),
    Metric("ratio_mean", "Ratio (mean)", "ratio", "x", True, 2, ".3f", "track",
           "mean of per-item compression ratios 16*npix/(8*bytes): the paper's headline"),
    Metric("ratio_aggregate", "Ratio (aggregate)", "aggr.", "x", True, 2, ".3f", "track",
           "total raw bytes / total compressed bytes"),
    Metric("bpp_mean", "Bits/pixel", "bpp", "bit/px", False, 3, ".3f", "track", "mean of per-item bits per pixel"),
    Metric("bpp_stderr", "Bound spread (bpp)", "bpp s.e.", "bit/px", None, 3, ".4f", "track",
           "a likelihood estimate's (VDM) standard error of its mean bound over diffusion-time samples"),
    Metric("efficiency", "Efficiency", "eff.", "", True, 3, ".3f", "track",
           "noise-floor bits / achieved bits (1 = at the noise limit)"),
    Metric("noise_bpp_mean", "Noise floor bpp", "floor", "bit/px", None, 3, ".3f", "track",
           "mean noise-floor bits per pixel (Supplement D)"),
    Metric("encode_mb_s", "Encode MB/s", "enc MB/s", "MB/s", True, 2, ".2f", "track",
           "raw MB / total encode seconds"),
    Metric("decode_mb_s", "Decode MB/s", "dec MB/s", "MB/s", True, 2, ".2f", "track",
           "raw MB / total decode seconds"),
    Metric("encode_s_median", "Encode s/item (median)", "enc s", "s", False, 3, ".4f", "track",
           "median encode wall time per item"),
    Metric("decode_s_median", "Decode s/item", "dec s", "s", False, 3, ".4f", "track",
           "median decode wall time per item"),
    Metric("encode_s_spread", "Encode spread", "enc ±", "", None, 3, ".3f", "track",
           "timing noise: median over items of (max - min) / median of an item's repeated encode times"),
    Metric("decode_s_spread", "Decode spread", "dec ±", "", None, 3, ".3f", "track",
           "timing noise: median over items of (max - min) / median of an item's repeated decode times"),
    Metric("encode_s_mean", "Encode s/item (mean)", "enc s mean", "s", False, 3, ".4f", "track",
           "mean encode time per image (paper Table 3)"),
    Metric("encode_s_std", "Encode s/item (std)", "enc s std", "s", None, 3, ".4f", "track",
           "standard deviation of the encode time (paper Table 3)"),
    # Near-lossless tracks (evaluator.core.tracks.ERROR_BOUNDS): the bound verified and the errors that matter
    # for science.
    Metric("bound_max", "Bound \u03b4 (ADU)", "\u03b4", "ADU", None, 0, "d", "track",
           "the per-pixel bound every item was verified at (largest over items on the floor(sigma/2) tracks)"),
    Metric("bound_min", "Bound \u03b4 min (ADU)", "\u03b4 min", "ADU", None, 0, "d", "track",
           "the smallest per-item bound (floor(sigma/2) tracks: items differ)"),
    Metric("err_abs_max", "Max |error| (ADU)", "max err", "ADU", False, 0, "d", "track",
           "largest |decoded - original| over every pixel of every item (never above the bound)"),
    Metric("err_rms", "RMS error (ADU)", "rms err", "ADU", False, 3, ".3f", "track",
           "root mean square of decoded - original over every pixel of every item"),
    Metric("err_mean", "Bias (ADU)", "bias", "ADU", None, 4, "+.4f", "track",
           "mean of decoded - original over every pixel: an unbiased codec keeps photometry unbiased"),
    Metric("changed_frac", "Pixels changed", "changed", "", None, 3, ".3f", "track",
           "fraction of pixels whose decoded value differs from the original"),
    Metric("flux_dev_median", "Star flux change / \u03c3 (median)", "dF/\u03c3 med", "", False, 3, ".3f", "track",
           "synthetic data: |aperture flux change| of the injected stars over their Poisson noise, median over items"),
    Metric("flux_dev_worst", "Star flux change / \u03c3 (worst)", "dF/\u03c3 max", "", False, 3, ".3f", "track",
           "synthetic data: the largest |aperture flux change| / Poisson noise of any injected star"),
    Metric("flux_bias", "Star flux bias / \u03c3", "dF/\u03c3 bias", "", None, 3, "+.3f", "track",
           "synthetic data: median signed aperture flux change / Poisson noise (negative: the codec dims stars)"),
    Metric("n_sources", "Stars checked", "stars", "", None, 0, "d", "track",
           "injected stars whose aperture flux was checked (synthetic 2D tracks)"),
    # A codec's own report of its bitstreams (CONTRACT.md §2, ``Encoded``): shown beside the bytes, never verified,
    # never ranked; empty unless every item reported it.
    Metric("coding_bpp", "Coding NLL bpp (codec's report)", "code bpp", "bit/px", None, 3, ".3f", "track",
           "reported by the codec, not verified: the ideal length of its range-coded payloads under the "
           "distribution its coder applied (coding NLL), summed over items, per pixel"),
    Metric("side_bpp", "Side info bpp (codec's report)", "side bpp", "bit/px", None, 3, ".3f", "track",
           "reported by the codec, not verified: bits of header and side information (what is not range-coded "
           "payload), summed over items, per pixel"),
    Metric("coding_overhead", "Bytes over coding NLL (codec's report)", "ovh", "", None, 4, "+.4f", "track",
           "from the codec's report, not verified: (8 * bytes - side bits) / coding bits - 1 over all items, the "
           "range coder's overhead over the coding NLL (0.005 = 0.5 %)"),
    Metric("encode_s", "Encode s/item", "enc s", "s", False, 3, ".4f", "record",
           "measured median, else the paper's mean"),
    Metric("image_mb", "Image MB (gzip)", "image MB", "MB", False, 1, ".1f", "record",
           "the codec image's `docker save | gzip` size"),
    Metric("startup_s", "Startup s", "start s", "s", False, 2, ".2f", "record", "codec start-up (model loading)"),
    Metric("params_m", "Params (M)", "params M", "M", None, 2, ".2f", "record",
           "parameters of the model that coded the items (a neural codec says so in its ready line)"),
)

METRICS: NamedTable[Metric] = NamedTable("metric", METRIC_TABLE)


def metric(name: str) -> Metric:
    """The table row of a metric; ``UnknownName`` (a ``KeyError``) listing the known ones otherwise."""
    return METRICS[name]


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


@dataclass(frozen=True)
class TrackSummary:
    """A record's per-track numbers. Every measured field may be empty (a failed run, a paper cell)."""

    n_items: int | None = None
    ratio_mean: float | None = None  # headline: mean of per-item ratios
    ratio_aggregate: float | None = None  # total raw bytes / total compressed bytes
    bpp_mean: float | None = None
    encode_s_median: float | None = None
    decode_s_median: float | None = None
    encode_mb_s: float | None = None  # aggregate: total raw MB / total encode seconds
    decode_mb_s: float | None = None
    noise_bpp_mean: float | None = None  # mean noise-floor bits per pixel
    efficiency: float | None = None  # noise-floor bits / achieved bits, aggregate
    n_items_ok_before_failure: int | None = None  # failed runs: items that passed before the failure
    encode_s_mean: float | None = None  # paper Table 3: mean +- std per image
    encode_s_std: float | None = None
    table3_image_shape: list[int] | None = None  # paper Table 3: the image shape the timing is for
    encode_s_spread: float | None = None  # timing noise (relative), see the metric table
    decode_s_spread: float | None = None
    bpp_stderr: float | None = None  # estimates (VDM): standard error of bpp_mean over diffusion-time samples
    bound_max: int | None = None  # near-lossless tracks: the bound verified (see the metric table)
    bound_min: int | None = None
    err_abs_max: int | None = None
    err_rms: float | None = None
    err_mean: float | None = None
    changed_frac: float | None = None
    flux_dev_median: float | None = None
    flux_dev_worst: float | None = None
    flux_bias: float | None = None
    n_sources: int | None = None
    coding_bpp: float | None = None  # the codec's own report (see the metric table): never verified, never ranked
    side_bpp: float | None = None
    coding_overhead: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: _finite(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> TrackSummary:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    @classmethod
    def failed(cls, n_ok: int) -> TrackSummary:
        """The summary of a run that failed after ``n_ok`` items passed (no ratios: the track is failed)."""
        return cls(n_items=n_ok, n_items_ok_before_failure=n_ok)

    def value(self, name: str) -> float | None:
        """A numeric field by metric name (None when empty or not a number)."""
        v = getattr(self, name, None)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


@dataclass(frozen=True)
class ItemRow:
    """One row of a record's items table (Parquet)."""

    item_id: str
    shape: str  # "HxW", "TxHxW", ...
    npix: int
    compressed_bytes: int | None
    bpp: float | None
    ratio: float | None
    encode_s: float | None
    decode_s: float | None
    noise_sigma: float | None
    noise_bpp: float | None
    exptime: float | None
    status: str  # "ok" or "failed"
    failure_kind: str | None
    failure_message: str | None
    timing_repeats: int | None = None  # round trips timed (the profile's repeats for short items)
    encode_s_spread: float | None = None  # (max - min) / median of the repeated encode times
    decode_s_spread: float | None = None
    # Near-lossless tracks only (empty on lossless ones): the item's bound and its error statistics
    # (evaluator.run.error_stats.ErrorStats).
    max_abs_error: int | None = None
    err_abs_max: int | None = None
    err_rms: float | None = None
    err_mean: float | None = None
    changed_frac: float | None = None
    flux_dev_median: float | None = None
    flux_dev_worst: float | None = None
    flux_bias: float | None = None
    n_sources: int | None = None
    # The encoder's own report of the bitstream (``evaluator.sdk.server.Encoded``; empty when it said nothing):
    # the payload's coding NLL and the header + side-information bits. Never verified, never ranked.
    coding_bits: float | None = None
    side_bits: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Columns of the per-item Parquet table, in order (also what plots read).
ITEM_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ItemRow))
# Columns an item table may lack (added later, with a default): filled with empty cells when written.
OPTIONAL_ITEM_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ItemRow) if f.default is not MISSING)
# Numeric summary columns of the records table (the store reader flattens these).
SUMMARY_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRIC_TABLE if m.scope == "track")
