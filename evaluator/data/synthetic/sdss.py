"""SDSS Stripe 82 cube: T epochs × 5 bands (u g r i z) of the same patch of sky.

Physics (Gunn et al. 1998, 2006 for the camera; Stoughton et al. 2002 for the
``fpC`` corrected frames the corpus is cut from; paper App. A.3.5):

- drift-scan exposures of 53.9 s; ``fpC`` frames are bias-subtracted and
  flat-fielded with a soft bias of 1000 DN added, so no overscan;
- per band gain (e-/DN) ≈ u 1.6, g 3.9, r 4.7, i 5.1, z 4.7 and read noise
  of a few e-; dark-sky levels ≈ u 25, g 60, r 120, i 180, z 150 DN per
  pixel; 0.396"/pixel; seeing 0.9-2.2" FWHM that changes per night;
- epochs are days apart (Stripe 82 fall seasons 1998-2007), so sky level,
  transparency and seeing vary per epoch while the objects stay put (aligned
  to < 1 pixel); epochs sorted by TAI (seconds, MJD × 86400);
- where an epoch does not cover the anchor field the cube holds zeros.

``facts["stars"]`` lists the injected stars of ``cube[0, 2]`` (epoch 0, r
band, the ``sdss-2d`` item; see :func:`epoch0_r_stars`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluator.data.synthetic.detector import (
    ADC_MAX,
    bleed_columns,
    cosmic_ray_hits,
    sky_gradient,
)
from evaluator.data.synthetic.scene import Catalog, render, star_positions, truth_list

BANDS: tuple[str, ...] = ("u", "g", "r", "i", "z")
WAVELENGTH_NM = np.array([355.1, 468.6, 616.6, 748.0, 893.2])
GAIN = np.array([1.6, 3.9, 4.7, 5.1, 4.7])  # e-/DN
READNOISE = np.array([5.0, 6.0, 5.0, 8.0, 6.0])  # e-
SKY_DN = np.array([25.0, 60.0, 120.0, 180.0, 150.0])  # dark sky per pixel, DN
THROUGHPUT = np.array([0.15, 0.75, 1.0, 0.8, 0.25])  # object counts relative to r
MOON_WEIGHT = np.array([1.6, 1.3, 1.0, 0.8, 0.6])  # moonlight is blue
FULL_WELL = 250_000.0  # e-
SOFT_BIAS = 1000.0
EXPTIME = 53.9
PIXSCALE = 0.396
CR_RATE = 0.017 * (24e-4) ** 2  # ground rate on 24 µm pixels


@dataclass
class Epoch:
    tai: float
    seeing: float  # arcsec
    sky_factor: np.ndarray  # per band multiplier of SKY_DN
    transparency: float
    offset: tuple[float, float]
    missing: tuple[str, float] | None  # ("left"|"right", fraction of columns) with no coverage


def draw_epochs(rng: np.random.Generator, n: int, *, missing_probability: float) -> list[Epoch]:
    """Epoch conditions, sorted by TAI; the anchor epoch (a random one) always has full coverage."""
    mjd0 = rng.uniform(51075.0, 54400.0)
    gaps = 0.8 + rng.exponential(9.0, n)
    mjd = mjd0 + np.cumsum(gaps) - gaps[0] + rng.uniform(0.1, 0.3, n)  # nights, at night
    anchor = int(rng.integers(0, n))
    out: list[Epoch] = []
    for t in range(n):
        moon = rng.lognormal(0.0, 0.45)
        band_sky = np.maximum(0.3, 1.0 + (moon - 1.0) * MOON_WEIGHT) * rng.lognormal(0.0, 0.1, 5)
        miss = None
        u = rng.random()
        side = "left" if rng.random() < 0.5 else "right"
        frac = float(rng.uniform(0.05, 0.5))
        if t != anchor and u < missing_probability:
            miss = (side, frac)
        out.append(Epoch(
            tai=float(mjd[t] * 86400.0),
            seeing=float(rng.uniform(0.9, 2.2)),
            sky_factor=band_sky,
            transparency=float(rng.uniform(0.65, 1.0)),
            offset=(float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.5, 0.5))),
            missing=miss,
        ))
    return out


def epoch0_r_stars(shape: tuple[int, int], ep: Epoch, cat: Catalog) -> list[list[float]]:
    """Stars 5 sigma above the r-band sky of epoch ``ep`` (epoch 0), at ``star + ep.offset``, off missing columns."""
    w = shape[1]
    sky_e = SKY_DN[2] * ep.sky_factor[2] * GAIN[2]
    flux_e = cat.star_rate * THROUGHPUT[2] * ep.transparency * EXPTIME  # r is the reference band: colour 1
    sy, sx = star_positions(cat, shape, flux_e=flux_e, noise_e=float(np.sqrt(sky_e + READNOISE[2] ** 2)),
                            fwhm=ep.seeing / PIXSCALE, beta=3.5, offset=ep.offset)
    if ep.missing is not None:
        side, frac = ep.missing
        k = max(1, round(frac * w))
        keep = sx >= k if side == "left" else sx < w - k - 0.5
        sy, sx = sy[keep], sx[keep]
    return truth_list(sy, sx)


def sdss_cube(shape: tuple[int, int], epochs: list[Epoch], cat: Catalog, *, rng: np.random.Generator,
              cosmic_rays: bool = True) -> tuple[np.ndarray, dict[str, Any]]:
    """Simulate the (T, 5, H, W) uint16 cube; returns ``(cube, facts for meta)``."""
    h, w = shape
    cube = np.empty((len(epochs), len(BANDS), h, w), dtype=np.uint16)
    n_cr_total = 0
    n_sat = 0
    wl_ratio = WAVELENGTH_NM / WAVELENGTH_NM[2]
    for t, ep in enumerate(epochs):
        fwhm = ep.seeing / PIXSCALE
        grad = sky_gradient(rng, shape, 0.02)
        for j in range(len(BANDS)):
            sky_e = SKY_DN[j] * ep.sky_factor[j] * GAIN[j]
            src = render(cat, shape, fwhm=fwhm, exptime=EXPTIME, band_factor=THROUGHPUT[j] * ep.transparency,
                         wavelength_ratio=float(wl_ratio[j]), beta=3.5, offset=ep.offset)
            e = rng.poisson(sky_e * grad + src).astype(np.float64)
            n_cr = int(rng.poisson(CR_RATE * h * w * EXPTIME)) if cosmic_rays else 0
            if n_cr:
                e += cosmic_ray_hits(rng, shape, n_cr, median_e=2000.0, length_scale=3.0).image(shape)
            n_cr_total += n_cr
            sat = bleed_columns(e, FULL_WELL)
            n_sat += int(sat.sum())
            # fpC: sky not subtracted, bias removed, soft bias added; read noise remains.
            dn = SOFT_BIAS + (e + READNOISE[j] * rng.standard_normal(shape)) / GAIN[j]
            adu = np.clip(np.rint(dn), 0, ADC_MAX)
            adu[sat] = min(ADC_MAX, round(SOFT_BIAS + FULL_WELL / GAIN[j]))
            if ep.missing is not None:
                side, frac = ep.missing
                k = max(1, round(frac * w))
                if side == "left":
                    adu[:, :k] = 0
                else:
                    adu[:, w - k :] = 0
            cube[t, j] = adu.astype(np.uint16)
    facts: dict[str, Any] = {
        "bands": list(BANDS),
        "tai": [e.tai for e in epochs],
        "seeing_epochs": [e.seeing for e in epochs],
        "psf_fwhm_epochs": [e.seeing / PIXSCALE for e in epochs],
        "sky_epochs": [[float(SKY_DN[j] * e.sky_factor[j]) for j in range(5)] for e in epochs],
        "missing_epochs": [t for t, e in enumerate(epochs) if e.missing is not None],
        "gain": [float(g) for g in GAIN],
        "readnoise": [float(r) for r in READNOISE],
        "bias": SOFT_BIAS,
        "n_cosmic_rays": n_cr_total,
        "n_saturated": n_sat,
        "full_well": FULL_WELL,
        "stars": epoch0_r_stars(shape, epochs[0], cat) if epochs else [],
    }
    return cube, facts
