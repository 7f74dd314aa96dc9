"""Error statistics of a decoded item against its original: what a near-lossless result is judged by.

Beside the compression ratio, each item of a near-lossless track stores
(:class:`ErrorStats`, one row per item via :meth:`ErrorStats.to_row`):

* pixel statistics of ``decoded - original`` in exact integer arithmetic
  (int64, never a uint16 wrap): the largest absolute error, the RMS, the mean
  (the bias: an unbiased codec keeps photometry unbiased) and the fraction of
  changed pixels;
* a photometry check on 2D items whose true source positions are known
  (``Item.meta["true_sources"]`` of the synthetic corpus,
  ``evaluator.data.synthetic_truth``): per source the flux change ``dF`` in a
  circular aperture, in units of the source's own Poisson + background noise
  ``sigma_F`` measured on the original. A codec whose changes stay well below
  the noise shows ``|dF| / sigma_F`` well under 1; a codec that rounds one way
  shows a signed median (``flux_bias``) away from 0.

Aperture photometry here is deliberately simple (numpy only): the aperture
is the pixels within :data:`APERTURE_RADIUS` of the source's nearest pixel
centre, the background the median of the annulus
:data:`ANNULUS_INNER`-:data:`ANNULUS_OUTER` around it (its in-frame part).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from evaluator.data.noise_floor import background_sigma

APERTURE_RADIUS = 3.0  # px
ANNULUS_INNER = 6.0  # px
ANNULUS_OUTER = 10.0  # px
SATURATED = 65535  # an aperture holding this original value is skipped (saturated-looking source)
R_BAND = 2  # SDSS band order u g r i z: the sdss-2d item is the r band


@dataclass(frozen=True)
class ErrorStats:
    err_abs_max: int  # largest |decoded - original| (ADU)
    err_rms: float  # sqrt(mean((decoded - original)^2))
    err_mean: float  # mean(decoded - original): the bias
    changed_frac: float  # fraction of pixels with decoded != original
    flux_dev_median: float | None  # median over checked sources of |dF| / sigma_F (None: no sources known)
    flux_dev_worst: float | None  # max over checked sources of |dF| / sigma_F
    flux_bias: float | None  # median of signed dF / sigma_F (negative: the codec loses flux)
    n_sources: int | None  # sources checked (None when no source list was given or the item is not 2D)

    def to_row(self) -> dict[str, float | int | None]:
        """The fields, for an item row."""
        return dict(asdict(self))


def _disc(r_in: float, r_out: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixel offsets ``(dy, dx)`` with ``r_in <= distance <= r_out`` (r_in < 0: a full disc)."""
    n = int(np.ceil(r_out))
    dy, dx = np.mgrid[-n : n + 1, -n : n + 1]
    d2 = dy * dy + dx * dx
    keep = (d2 <= r_out * r_out) & (d2 >= r_in * r_in if r_in >= 0 else True)
    return dy[keep].astype(np.int64), dx[keep].astype(np.int64)


_APERTURE = _disc(-1.0, APERTURE_RADIUS)
_ANNULUS = _disc(ANNULUS_INNER, ANNULUS_OUTER)
_AP_HALF = int(np.floor(APERTURE_RADIUS))


def item_gain(meta: Mapping[str, object]) -> float | None:
    """The item's gain (e-/ADU) from its meta: a number (CCD, JWST), or the r-band entry of a per-band list (SDSS)."""
    g = meta.get("gain")
    if isinstance(g, (list, tuple)):
        g = g[R_BAND] if len(g) > R_BAND else None
    if isinstance(g, bool) or not isinstance(g, (int, float)):
        return None
    g = float(g)
    return g if np.isfinite(g) and g > 0 else None


def _flux_check(original: np.ndarray, decoded: np.ndarray, sources: Sequence[Sequence[float]], gain: float | None,
                sigma: float) -> tuple[float | None, float | None, float | None, int]:
    h, w = original.shape
    pos = np.asarray(sources, dtype=np.float64).reshape(-1, 2)
    yc = np.rint(pos[:, 0]).astype(np.int64)
    xc = np.rint(pos[:, 1]).astype(np.int64)
    inside = (yc >= _AP_HALF) & (yc < h - _AP_HALF) & (xc >= _AP_HALF) & (xc < w - _AP_HALF)
    yc, xc = yc[inside], xc[inside]
    if yc.size == 0:
        return None, None, None, 0
    flat_o = original.reshape(-1)
    ap = (yc[:, None] + _APERTURE[0][None, :]) * w + (xc[:, None] + _APERTURE[1][None, :])
    o_ap = flat_o[ap].astype(np.int64)
    d_ap = decoded.reshape(-1)[ap].astype(np.int64)
    ok = ~(o_ap == SATURATED).any(axis=1)
    if not ok.any():
        return None, None, None, 0
    yc, xc, o_ap, d_ap = yc[ok], xc[ok], o_ap[ok], d_ap[ok]
    # Local background: median of the in-frame annulus pixels.
    ay = yc[:, None] + _ANNULUS[0][None, :]
    ax = xc[:, None] + _ANNULUS[1][None, :]
    valid = (ay >= 0) & (ay < h) & (ax >= 0) & (ax < w)
    ann = np.where(valid, flat_o[np.clip(ay, 0, h - 1) * w + np.clip(ax, 0, w - 1)], np.nan)
    b = np.nanmedian(ann, axis=1)  # the annulus always has in-frame pixels when the aperture has
    signal = np.maximum(o_ap - b[:, None], 0.0).sum(axis=1)
    var = (signal / gain if gain else np.zeros_like(signal)) + o_ap.shape[1] * sigma * sigma
    dflux = (d_ap - o_ap).sum(axis=1).astype(np.float64)
    good = var > 0
    if not good.any():
        return None, None, None, 0
    z = dflux[good] / np.sqrt(var[good])
    a = np.abs(z)
    return float(np.median(a)), float(a.max()), float(np.median(z)), int(z.size)


def error_stats(original: np.ndarray, decoded: np.ndarray, *, sources: Sequence[Sequence[float]] | None = None,
                gain: float | None = None, sigma: float | None = None) -> ErrorStats:
    """Error statistics of ``decoded`` against ``original`` (integer arrays of one shape, 2D to 4D).

    Pixel statistics use int64 differences (exact: original 0, decoded 65535
    is an error of 65535). The flux check runs only for a 2D item with a
    ``sources`` list of ``(y, x)`` positions: each source whose aperture
    (radius :data:`APERTURE_RADIUS` around its nearest pixel) lies inside the
    frame and holds no pixel of original value :data:`SATURATED` is checked:

    * ``dF`` = sum over the aperture of ``decoded - original`` (ADU);
    * ``sigma_F^2 = S / gain + n_aperture * sigma^2``: Poisson noise of the
      star signal ``S`` = sum over the aperture of ``max(original - b, 0)``
      with ``b`` the annulus median (``S * gain`` electrons have variance
      ``S / gain`` in ADU^2), plus the background noise ``sigma`` (ADU) of
      each aperture pixel.

    ``gain`` is in e-/ADU; None (unknown: the item's header does not say) leaves the star's own Poisson
    term out, so ``sigma_F`` is the background part alone: smaller, hence a *stricter* check, never a
    flattering one. ``sigma``
    None is estimated with :func:`evaluator.data.noise_floor.background_sigma` on
    the original. ``n_sources`` is the number of sources checked (0 when none
    qualified; None when no list was given or the item is not 2D), and the
    ``flux_*`` fields are None when it is not positive.
    """
    if original.shape != decoded.shape:
        raise ValueError(f"shapes differ: original {original.shape}, decoded {decoded.shape}")
    for name, arr in (("original", original), ("decoded", decoded)):
        if arr.dtype.kind not in "ui":
            raise TypeError(f"{name} has dtype {arr.dtype}; expected integer (uint16) pixels")
    n = int(original.size)
    if n == 0:
        raise ValueError("empty item")
    diff = decoded.astype(np.int64) - original.astype(np.int64)
    flat = diff.reshape(-1)
    # int64 sums are exact: |d| <= 65535, so the squares' sum fits for up to 2**31 pixels per item.
    sq = int(np.dot(flat, flat)) if n < (1 << 31) else float(np.dot(flat.astype(np.float64), flat.astype(np.float64)))
    stats: dict[str, Any] = {
        "err_abs_max": int(np.abs(flat).max()),
        "err_rms": float(np.sqrt(sq / n)),
        "err_mean": float(int(flat.sum()) / n),
        "changed_frac": float(np.count_nonzero(flat) / n),
    }
    del diff, flat
    flux: tuple[float | None, float | None, float | None, int | None] = (None, None, None, None)
    if sources is not None and original.ndim == 2:
        s = background_sigma(original) if sigma is None else float(sigma)
        flux = _flux_check(original, decoded, sources, None if gain is None else float(gain), s)
    return ErrorStats(**stats, flux_dev_median=flux[0], flux_dev_worst=flux[1], flux_bias=flux[2],
                      n_sources=flux[3])
