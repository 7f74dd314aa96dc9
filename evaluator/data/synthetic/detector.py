"""The detector part of the synthetic sky: what a CCD or HgCdTe array does to the light.

Every step follows the textbook CCD model (Howell, *Handbook of CCD Astronomy*,
2nd ed., ch. 3-4; Janesick 2001):

- flat field: smooth vignetting (a few percent) times pixel response
  non-uniformity (PRNU, ~0.5-1 % rms);
- dark current and hot pixels/columns (fixed per detector, log-normal rates);
- Poisson photon and dark noise, electrons clipped at the full well, the
  excess bled up and down the column (blooming);
- charge transfer inefficiency (space CCDs): a small fraction of charge
  trailing away from the amplifier (ACS WFC, Anderson & Bedin 2010);
- cosmic-ray hits: short tracks or clusters of a few thousand electrons with
  charge diffusion into neighbours;
- readout: Gaussian read noise (e-), gain (e-/ADU), a bias level per
  amplifier with a fixed column pattern and per-exposure row noise, 16-bit
  ADC that saturates at 65535.

Functions here take explicit RNGs so the generator stays deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

ADC_MAX = 65535


def flat_field(rng: np.random.Generator, shape: tuple[int, int], *, vignetting: float = 0.04,
               prnu: float = 0.006) -> np.ndarray:
    """Multiplicative response: radial vignetting of depth ``vignetting`` times PRNU."""
    h, w = shape
    y = (np.arange(h) - rng.uniform(0.4, 0.6) * h) / max(h, w)
    x = (np.arange(w) - rng.uniform(0.4, 0.6) * w) / max(h, w)
    r2 = y[:, None] ** 2 + x[None, :] ** 2
    return (1.0 - vignetting * r2 / 0.5) * (1.0 + prnu * rng.standard_normal(shape))


def sky_gradient(rng: np.random.Generator, shape: tuple[int, int], amplitude: float) -> np.ndarray:
    """A tilted plane of relative amplitude ``amplitude`` (moonlight, twilight, zodiacal light)."""
    h, w = shape
    a, b = rng.normal(0.0, amplitude, 2)
    plane: np.ndarray = 1.0 + a * (np.arange(h)[:, None] / h - 0.5) + b * (np.arange(w)[None, :] / w - 0.5)
    return plane


def dark_rate_map(rng: np.random.Generator, shape: tuple[int, int], *, dark: float,
                  hot_fraction: float, hot_median: float, hot_columns: int) -> np.ndarray:
    """Dark current per pixel (e-/s): a floor, hot pixels and a few hot columns (fixed per detector)."""
    h, w = shape
    rate = np.full(shape, dark, dtype=np.float64)
    n_hot = rng.binomial(h * w, hot_fraction)
    idx = rng.choice(h * w, n_hot, replace=False)
    rate.reshape(-1)[idx] += hot_median * rng.lognormal(0.0, 1.2, n_hot)
    for c in rng.choice(w, min(hot_columns, w), replace=False):
        y0 = int(rng.integers(0, h))
        rate[y0:, c] += hot_median * 0.05 * rng.lognormal(0.0, 0.5)  # from a charge trap up
    return rate


def column_pattern(rng: np.random.Generator, width: int, sigma: float) -> np.ndarray:
    """Fixed bias column pattern (ADU): white plus a slow ripple."""
    x = np.arange(width)
    ripple = np.sin(2 * np.pi * x / rng.uniform(40, 400) + rng.uniform(0, 6.3))
    pattern: np.ndarray = sigma * (0.7 * rng.standard_normal(width) + 0.7 * ripple)
    return pattern


def bleed_columns(e: np.ndarray, full_well: float) -> np.ndarray:
    """Clip at ``full_well`` and spread the excess along the column, both ways (blooming).

    Returns the boolean mask of saturated pixels.
    """
    over = e > full_well
    if not over.any():
        return over
    h = e.shape[0]
    for c in np.unique(np.nonzero(over)[1]):
        col = e[:, c]
        rows = np.nonzero(col > full_well)[0]
        excess = float((col[rows] - full_well).sum())
        col[rows] = full_well
        up, down = rows.max() + 1, rows.min() - 1
        half = excess / 2.0
        for start, step, budget in ((up, 1, half), (down, -1, half)):
            r = start
            while budget > 0 and 0 <= r < h:
                room = full_well - col[r]
                take = min(room, budget) if room > 0 else 0.0
                col[r] += take
                budget -= take
                r += step
    return e >= full_well


def cte_trails(e: np.ndarray, *, fraction: float, length: float, toward_row0: bool) -> np.ndarray:
    """Charge transfer inefficiency: ``fraction`` of each pixel's charge trails away from the amplifier.

    The trail is exponential with e-folding ``length`` pixels, along columns;
    with ``toward_row0`` the amplifier sits at row 0 (trails go to larger rows).
    """
    if fraction <= 0:
        return e
    k = 1.0 / length
    decay = np.exp(-k)
    src = e if toward_row0 else e[::-1]
    # y[n] = (1-f) x[n] + f (1-decay) sum_{m<n} decay^(n-1-m) x[m]
    tail = lfilter([0.0, (1.0 - decay)], [1.0, -decay], src, axis=0)
    out = (1.0 - fraction) * src + fraction * tail
    return out if toward_row0 else out[::-1].copy()


@dataclass(frozen=True)
class CosmicRayHits:
    flat_index: np.ndarray  # pixel (flattened) receiving charge
    charge: np.ndarray  # electrons
    event: np.ndarray  # which event each deposit belongs to
    n_events: int

    def image(self, shape: tuple[int, int], events: np.ndarray | None = None) -> np.ndarray:
        """Electrons per pixel from all events (or only those with ``events[event]`` True)."""
        keep = slice(None) if events is None else events[self.event]
        return np.bincount(self.flat_index[keep], weights=self.charge[keep],
                           minlength=shape[0] * shape[1]).reshape(shape)


def cosmic_ray_hits(rng: np.random.Generator, shape: tuple[int, int], n_events: int, *,
                    median_e: float, length_scale: float) -> CosmicRayHits:
    """``n_events`` hits: straight tracks (exponential length, random angle) with charge diffusion.

    Each event deposits a log-normal total charge (median ``median_e``), split
    evenly along the track, 76 % in the struck pixel and 6 % in each of its 4
    neighbours.
    """
    h, w = shape
    if n_events == 0:
        z = np.zeros(0, dtype=np.int64)
        return CosmicRayHits(z, np.zeros(0), z, 0)
    total = median_e * rng.lognormal(0.0, 0.7, n_events)
    length = rng.exponential(length_scale, n_events)
    steps = np.ceil(length).astype(np.int64) + 1
    ang = rng.uniform(0, 2 * np.pi, n_events)
    y0 = rng.uniform(0, h, n_events)
    x0 = rng.uniform(0, w, n_events)
    ev = np.repeat(np.arange(n_events), steps)
    t = np.arange(ev.size) - np.repeat(np.cumsum(steps) - steps, steps)  # 0..steps-1
    frac_along = t / np.maximum(steps[ev] - 1, 1)
    yy = np.rint(y0[ev] + np.sin(ang[ev]) * length[ev] * frac_along).astype(np.int64)
    xx = np.rint(x0[ev] + np.cos(ang[ev]) * length[ev] * frac_along).astype(np.int64)
    q = total[ev] / steps[ev]
    idx_l, q_l, ev_l = [], [], []
    for dy, dx, f in ((0, 0, 0.76), (1, 0, 0.06), (-1, 0, 0.06), (0, 1, 0.06), (0, -1, 0.06)):
        y1, x1 = yy + dy, xx + dx
        ok = (y1 >= 0) & (y1 < h) & (x1 >= 0) & (x1 < w)
        idx_l.append(y1[ok] * w + x1[ok])
        q_l.append(q[ok] * f)
        ev_l.append(ev[ok])
    return CosmicRayHits(np.concatenate(idx_l), np.concatenate(q_l), np.concatenate(ev_l), n_events)


def digitize(e: np.ndarray, *, gain: float | np.ndarray, bias: np.ndarray | float,
             saturated: np.ndarray | None = None, saturation_adu: int = ADC_MAX) -> np.ndarray:
    """Electrons (read noise already added) to uint16 ADU: ``bias + e / gain``, rounded, clipped.

    Pixels in ``saturated`` read exactly ``saturation_adu`` (the flat top of a
    saturated star or bleed trail).
    """
    adu = np.rint(bias + e / gain)
    np.clip(adu, 0, ADC_MAX, out=adu)
    out = adu.astype(np.uint16)
    if saturated is not None:
        out[saturated] = saturation_adu
    return out
