"""Discretized logistic mixtures over integer symbols, and their window tables for the coder.

A model gives, for each symbol ``i`` (a pixel, or a byte of one), a mixture of ``K``
logistics: ``means[i, k]``, ``log_scales[i, k]``, ``logit_weights[i, k]``. The
discretization is PixelCNN++'s: symbol ``x`` gets the mass of ``[x - 0.5, x + 0.5)``,
and the two end symbols ``0`` and ``max_symbol`` also get the tails beyond them.

A full table of ``max_symbol + 1`` probabilities per symbol does not fit in memory,
so the coder codes each symbol with a **window**: ``width`` consecutive symbols from
``lo`` around the mixture's mean, plus one **escape** entry holding the mass outside
the window (at least ``ESCAPE_FLOOR``, so an outlier costs a few dozen bits, not a
thousand); an escaped symbol's distance beyond the window is then coded by `tail` at
the scale of the component holding most of the mass outside the window (a Cauchy-like
heavy tail from integer arithmetic: a cosmic ray costs a few dozen bits, a broad outlier
component stays cheap).
The window reaches every bin whose probability is above about ``WINDOW_MIN_PROB``
and far enough that each component's mass beyond it is at most about ``TAIL_MASS``.
A broad mixture (a noisy 16-bit pixel: a scale of hundreds or thousands of ADU)
would need thousands of entries, so the window holds at most ``BIN_HALF_MAX``
**bins** each side: a row whose reach is beyond that is coded in bins of ``2**shift``
symbols (``x >> shift`` under the window table), then its ``shift`` low bits uniformly;
bins far narrower than the mixture's scale lose nothing measurable. The half-width in
bins is the smallest of ``HALF_WIDTHS`` that covers the reach; rows are grouped by
shift and half-width and cut into chunks of about ``CHUNK_ELEMENTS`` table entries, so
every table is built by a few whole-array numpy operations (no per-symbol Python loop).

Encoder and decoder both call `window_chunks` on bit-identical parameters and get
bit-identical tables: same function, same float32 operations, same chunking. The tables
are portable by construction: no platform transcendental function decides a coded
number. ``exp`` and ``log`` come from `portable_math` (range reduction, a fixed polynomial
and ``ldexp``, each a separate IEEE-754 correctly rounded numpy ufunc), sums over
components run in component order, and every argument is clipped so that no intermediate
is subnormal. The tables are the same bits under every numpy SIMD dispatch (AVX-512, AVX2,
the baseline; ``tests/coding/test_portable_tables.py``). `symbol_log2_probs` and
`ideal_bits` measure code lengths in float64 with numpy's own functions: they decide no
coded number.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from evaluator.sdk.coding.portable_math import LN2, LOG2E, exp2_f32_clipped, exp_f32, log_f64

HALF_WIDTHS: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
"""Window half-widths (symbols each side of the centre); a window holds ``2 h + 1`` symbols."""

WINDOW_MIN_PROB = 2.0**-9
"""The window reaches (by the logistic tail bound) every bin more probable than this."""

TAIL_MASS = 2.0**-7
"""The window also reaches until each component's mass beyond it is at most about this."""

BIN_HALF_MAX = 256
"""Bins each side of the window at most: a broader reach is coded in bins of ``2**shift`` symbols."""

MAX_SHIFT = 16
"""The widest bin, ``2**16`` symbols (and never wider than the alphabet's trailing zero bits allow)."""

_SHIFT_LIMITS = (BIN_HALF_MAX * 2.0 ** np.arange(MAX_SHIFT)).astype(np.float32)

ESCAPE_FLOOR = 2.0**-12
"""Least probability of the escape entry: an escaped symbol costs at most ~12 bits plus its value."""

ESCAPE_SCALE_MIN = 1.0
"""Least scale of the tail code (`tail`) for an escaped symbol's distance beyond its window."""

LOG_SCALE_RANGE = (-30.0, 30.0)
"""``log_scales`` are clipped to this range (everywhere: tables and `ideal_bits`)."""

LOG_WEIGHT_MIN = -27.0
"""Table building lifts a component's log weight to at least this (a weight of 1.9e-12): no weight is subnormal."""

CDF_EXPONENT_RANGE = (-30.0, 60.0)
"""A component's CDF term is ``w / (1 + 2**t)`` with ``t`` clipped to this range: ``1 + 2**-30`` is 1 in
float32 and ``w / 2**60`` is still a normal number, so no term is subnormal."""

CHUNK_ELEMENTS = 1 << 16
"""Table entries built at once: keeps the float32 temporaries in the CPU cache."""


@dataclass(frozen=True)
class MixtureParams:
    """Parameters of one discretized logistic mixture per symbol: three float arrays (N, K)."""

    means: np.ndarray
    log_scales: np.ndarray
    logit_weights: np.ndarray

    def __post_init__(self) -> None:
        arrays = (self.means, self.log_scales, self.logit_weights)
        shapes = {np.shape(a) for a in arrays}
        if len(shapes) != 1 or len(np.shape(self.means)) != 2 or np.shape(self.means)[1] < 1:
            raise ValueError(
                f"MixtureParams needs three arrays of one shape (N, K), K >= 1; got shapes {sorted(shapes)}"
            )
        for name, a in zip(("means", "log_scales", "logit_weights"), arrays):
            if not np.issubdtype(np.asarray(a).dtype, np.floating):
                raise TypeError(f"MixtureParams.{name} must be a float array, got dtype {np.asarray(a).dtype}")
            if not np.all(np.isfinite(a)):
                raise ValueError(f"MixtureParams.{name} holds NaN or infinite values: fix the model's output")

    @property
    def n(self) -> int:
        """Number of symbols (rows)."""
        return int(np.shape(self.means)[0])

    @property
    def k(self) -> int:
        """Number of mixture components."""
        return int(np.shape(self.means)[1])

    def take(self, rows: np.ndarray | slice) -> MixtureParams:
        """The parameters of a subset of rows."""
        return MixtureParams(self.means[rows], self.log_scales[rows], self.logit_weights[rows])


def _log_weights(logit_weights: np.ndarray, dtype: type = np.float64, axis: int = 1) -> np.ndarray:
    """log softmax over components (along ``axis``)."""
    lw: np.ndarray = np.asarray(logit_weights, dtype)
    top = lw.max(axis=axis, keepdims=True)
    out: np.ndarray = lw - (top + np.log(np.exp(lw - top).sum(axis=axis, keepdims=True)))
    return out


def _clipped_log_scales(log_scales: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    low, high = (dtype(v) for v in LOG_SCALE_RANGE)
    out: np.ndarray = np.minimum(np.maximum(np.asarray(log_scales, dtype), low), high)
    return out


@dataclass(frozen=True)
class _Components:
    """float32 arrays (K, N) (so reductions over components run along whole rows)."""

    mu: np.ndarray
    log_w: np.ndarray
    log_s: np.ndarray
    w: np.ndarray
    inv_s: np.ndarray
    rate: np.ndarray  # inv_s * log2(e): the CDF exponent per symbol of distance, in powers of two


def _portable_log_weights(lw: np.ndarray) -> np.ndarray:
    """log softmax over components (axis 0) of float32 (K, N), from portable exp/log, summed in component order."""
    f32 = np.float32
    d = np.maximum(lw - lw.max(axis=0), f32(-80.0))
    total = np.zeros(lw.shape[1], np.float64)
    for k in range(lw.shape[0]):
        total += exp_f32(d[k])  # >= 1: the top component contributes exactly 1
    out: np.ndarray = np.maximum(d - log_f64(total).astype(f32), f32(LOG_WEIGHT_MIN))
    return out


def _components(params: MixtureParams) -> _Components:
    """Means, log weights, clipped log scales, weights, inverse scales and rates, as float32 (K, N)."""

    def by_component(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(a, np.float32).T)

    log_w = _portable_log_weights(by_component(params.logit_weights))
    log_s = _clipped_log_scales(by_component(params.log_scales), np.float32)
    inv_s = exp_f32(-log_s)
    return _Components(by_component(params.means), log_w, log_s, exp_f32(log_w), inv_s, inv_s * np.float32(LOG2E))


def max_shift(max_symbol: int) -> int:
    """The widest bin an alphabet of ``max_symbol + 1`` symbols takes: bins must tile it (its trailing zero bits)."""
    n = int(max_symbol) + 1
    return min(MAX_SHIFT, (n & -n).bit_length() - 1)


@dataclass(frozen=True)
class Layout:
    """Per row: the window's half-width (index into `HALF_WIDTHS`, in bins), its centre symbol, the escape's scale
    (in bins) and the bin width ``2**shift``."""

    bucket: np.ndarray
    centre: np.ndarray
    escape_scale: np.ndarray
    shift: np.ndarray


def _layout(c: _Components, max_symbol: int) -> Layout:
    f32 = np.float32
    mean = c.w[0] * c.mu[0]
    for k in range(1, c.mu.shape[0]):  # in component order: the same sum everywhere
        mean += c.w[k] * c.mu[k]
    centre = np.minimum(np.maximum(np.rint(mean), f32(0.0)), f32(max_symbol))
    dist = np.abs(c.mu - centre)
    # a logistic's bin at distance d from its mean has probability <= (w / s) exp(-d / s), and its mass
    # beyond d is <= w exp(-d / s): reach out to where the first falls below WINDOW_MIN_PROB and the
    # second below TAIL_MASS (a component of negligible weight asks for nothing, however broad)
    nats = c.log_w - c.log_s - f32(math.log2(WINDOW_MIN_PROB) * LN2)
    by_bin = np.where(nats > 0, dist + nats / c.inv_s, f32(0.0))
    mass_nats = c.log_w - f32(math.log2(TAIL_MASS) * LN2)
    by_mass = np.where(mass_nats > 0, dist + mass_nats / c.inv_s, f32(0.0))
    reach = np.maximum(by_bin, by_mass).max(axis=0)
    shift = np.minimum(np.searchsorted(_SHIFT_LIMITS, reach), max_shift(max_symbol))
    unit = np.ldexp(f32(1.0), shift.astype(np.int32)).astype(f32)  # 2**shift, exact
    bucket = np.minimum(np.searchsorted(np.asarray(HALF_WIDTHS, f32), reach / unit), len(HALF_WIDTHS) - 1)
    # the escape's scale: that of the component with the most mass beyond the window (log, roughly), in bins
    half = np.asarray(HALF_WIDTHS, f32)[bucket] * unit
    beyond = np.maximum(half - dist, f32(0.0)) * c.inv_s
    heaviest = np.argmax(c.log_w - beyond, axis=0)[None]
    scale = f32(1.0) / np.take_along_axis(c.inv_s, heaviest, axis=0)[0] / unit
    escape_scale = np.maximum(scale, f32(ESCAPE_SCALE_MIN))
    return Layout(bucket.astype(np.int64), centre.astype(np.int64), escape_scale.astype(np.float64),
                  shift.astype(np.int64))


def _cdf(edges: np.ndarray, mu: np.ndarray, rate: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per component ``w / (1 + 2**((mean - edge) rate))`` in float32, summed in component order.

    The exponent is clipped to `CDF_EXPONENT_RANGE` and ``2**`` is `portable_math`'s.
    """
    low, high = (np.float32(v) for v in CDF_EXPONENT_RANGE)
    acc = np.empty(edges.shape, np.float32)
    buf, work, iwork = np.empty_like(acc), np.empty_like(acc), np.empty(edges.shape, np.int32)
    for k in range(mu.shape[0]):
        term = acc if k == 0 else buf
        np.subtract(mu[k, :, None], edges, out=term)
        term *= rate[k, :, None]
        np.clip(term, low, high, out=term)
        exp2_f32_clipped(term, work=work, iwork=iwork)
        term += np.float32(1.0)
        np.divide(w[k, :, None], term, out=term)
        if k:
            acc += buf
    return acc


def mixture_cdf(edges: np.ndarray, means: np.ndarray, log_scales: np.ndarray, logit_weights: np.ndarray) -> np.ndarray:
    """The mixture's continuous CDF at ``edges`` (N, M): float32 (N, M); params are (N, K).

    The same float32 operations the window tables are built from.
    """
    c = _components(MixtureParams(means, log_scales, logit_weights))
    return _cdf(np.asarray(edges, np.float32), c.mu, c.rate, c.w)


def window_layout(params: MixtureParams, *, max_symbol: int) -> Layout:
    """Per row: the window's half-width in bins (index into `HALF_WIDTHS`), centre, escape scale and bin shift."""
    return _layout(_components(params), max_symbol)


@dataclass(frozen=True)
class WindowChunk:
    """Tables for a group of rows sharing one window width.

    ``probs[j, :width]`` are the probabilities of bins ``lo[j] .. lo[j] + width - 1``
    (unnormalised float32, as ``Categorical(perfect=False)`` takes them) and
    ``probs[j, width]`` is the escape entry; ``escape_scale[j]`` the scale (in bins) of the
    tail code (`tail`) an escaped bin's distance beyond the window is coded with. Bin ``q``
    holds symbols ``q << shift .. (q + 1 << shift) - 1``; a symbol's ``shift`` low bits
    follow its bin, uniformly (``shift`` 0: a bin is a symbol).
    """

    rows: np.ndarray
    lo: np.ndarray
    probs: np.ndarray
    escape_scale: np.ndarray
    shift: int = 0

    @property
    def width(self) -> int:
        """Symbols in each window (the escape entry excluded)."""
        return int(self.probs.shape[1]) - 1


def _window_probs(
    terms: tuple[np.ndarray, np.ndarray, np.ndarray], lo: np.ndarray, width: int, bins: int, shift: int
) -> np.ndarray:
    """Float32 (N, width + 1): the probabilities of bins ``lo ..`` (of ``bins``) plus the escape mass."""
    f32 = np.float32
    edges = (lo.astype(f32)[:, None] + np.arange(width + 1, dtype=f32)) * f32(1 << shift) - f32(0.5)
    cdf = _cdf(edges, *terms)
    cdf[lo == 0, 0] = 0.0  # the end bins own the tails beyond them
    cdf[lo + width == bins, width] = 1.0
    probs = np.empty((lo.shape[0], width + 1), np.float32)
    np.subtract(cdf[:, 1:], cdf[:, :-1], out=probs[:, :width])
    np.maximum(probs[:, :width], np.float32(0.0), out=probs[:, :width])
    probs[:, width] = np.maximum(cdf[:, 0] + (np.float32(1.0) - cdf[:, width]), np.float32(ESCAPE_FLOOR))
    return probs


def window_chunks(params: MixtureParams, *, max_symbol: int) -> Iterator[WindowChunk]:
    """The window tables of every row, grouped by bin shift and half-width, then in row order, chunk by chunk."""
    c = _components(params)
    lay = _layout(c, max_symbol)
    group = lay.shift * len(HALF_WIDTHS) + lay.bucket
    for key in np.flatnonzero(np.bincount(group)):
        shift, b = divmod(int(key), len(HALF_WIDTHS))
        half = HALF_WIDTHS[b]
        rows = np.flatnonzero(group == key)
        bins = (max_symbol + 1) >> shift
        width = min(2 * half + 1, bins)
        lo_all = np.minimum(np.maximum((lay.centre[rows] >> shift) - half, 0), bins - width)
        step = max(1, CHUNK_ELEMENTS // (width + 1))
        for start in range(0, rows.size, step):
            r, lo = rows[start : start + step], lo_all[start : start + step]
            terms = (c.mu[:, r], c.rate[:, r], c.w[:, r])
            yield WindowChunk(r, lo, _window_probs(terms, lo, width, bins, shift), lay.escape_scale[r], shift)


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = -np.logaddexp(0.0, -z)
    return out


def symbol_log2_probs(symbols: np.ndarray, params: MixtureParams, *, max_symbol: int = 65535) -> np.ndarray:
    """log2 of each symbol's probability under the exact mixture (float64, stable in the tails)."""
    x = np.asarray(symbols, np.float64).reshape(-1)
    if x.shape[0] != params.n:
        raise ValueError(f"{x.shape[0]} symbols but parameters for {params.n}")
    mu = np.asarray(params.means, np.float64)
    inv_s = np.exp(-_clipped_log_scales(params.log_scales))
    lo = np.where(x[:, None] <= 0, -np.inf, (x[:, None] - 0.5 - mu) * inv_s)
    hi = np.where(x[:, None] >= max_symbol, np.inf, (x[:, None] + 0.5 - mu) * inv_s)
    # mass of [lo, hi) = sigmoid(hi) - sigmoid(lo); use the upper tail's form above the mean
    upper = lo > 0
    a = np.where(upper, -hi, lo)
    b = np.where(upper, -lo, hi)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_mass = _log_sigmoid(b) + np.log(-np.expm1(np.minimum(_log_sigmoid(a) - _log_sigmoid(b), -1e-300)))
    total = np.logaddexp.reduce(log_mass + _log_weights(params.logit_weights), axis=1)
    log2_probs: np.ndarray = np.maximum(total, np.log(1e-300)) / np.log(2.0)
    return log2_probs


def ideal_bits(symbols: np.ndarray, params: MixtureParams, *, max_symbol: int = 65535) -> float:
    """The model's code length for ``symbols`` in bits: sum of -log2 p (what a perfect coder would write)."""
    return float(-symbol_log2_probs(symbols, params, max_symbol=max_symbol).sum())
