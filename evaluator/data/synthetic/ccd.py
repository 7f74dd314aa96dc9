"""One raw CCD frame of the synthetic sky: scene + detector + amplifier readout.

Used for the LCO/Legacy, Keck and Hubble datasets. The light-sensitive area
(the amplifiers' data columns side by side, ``data_rows`` tall) receives sky,
sources, dark current, cosmic rays; prescan/overscan columns and virtual
overscan rows see only bias and read noise, as in a real readout (Howell,
*Handbook of CCD Astronomy*, §4.2). Each amplifier has its own gain, read
noise and bias level (fixed per detector), a fixed column pattern and
per-exposure row noise. The facts list the injected stars (``stars``, frame
coordinates) beside the saturating objects (``bright_sources``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluator.data.synthetic.detector import (
    ADC_MAX,
    bleed_columns,
    column_pattern,
    cosmic_ray_hits,
    cte_trails,
    dark_rate_map,
    digitize,
    flat_field,
    sky_gradient,
)
from evaluator.data.synthetic.profiles import CcdProfile, FrameLayout
from evaluator.data.synthetic.scene import TRUTH_RADIUS, Catalog, bright_sources, render, star_positions, truth_list


@dataclass(frozen=True)
class AmpElectronics:
    gain: tuple[float, ...]
    readnoise: tuple[float, ...]
    bias: tuple[float, ...]


def amp_electronics(rng_det: np.random.Generator, profile: CcdProfile, n_amps: int) -> AmpElectronics:
    """Per-amplifier gain (±5 %), read noise (±10 %) and bias level (±150 ADU), fixed per detector."""
    g = profile.gain * (1.0 + 0.05 * rng_det.standard_normal(n_amps))
    r = profile.readnoise * (1.0 + 0.1 * np.abs(rng_det.standard_normal(n_amps)))
    b = profile.bias + 150.0 * rng_det.standard_normal(n_amps)
    return AmpElectronics(tuple(map(float, g)), tuple(map(float, r)), tuple(map(float, b)))


@dataclass
class CcdExposure:
    exptime: float
    sky_rate: float  # e-/s/pixel
    fwhm_px: float
    cosmic_rays: bool = True
    cte_toward_row0: bool = True


def data_columns(layout: FrameLayout) -> np.ndarray:
    """Frame column index of each light-sensitive column, left to right."""
    cols: list[np.ndarray] = []
    x = 0
    for a in layout.amps:
        start = x + (a.overscan if a.mirrored else a.prescan)
        cols.append(np.arange(start, start + a.data))
        x += a.width
    return np.concatenate(cols)


def light_stars(cat: Catalog, exp: CcdExposure, cols: np.ndarray, hd: int, row0: int, readnoise_e: float,
                beta: float) -> list[list[float]]:
    """Frame ``[y, x]`` of the injected stars above 5 sigma whose aperture lies on light pixels only.

    Light row j is frame row ``j + row0``, light column i frame column
    ``cols[i]``; a star whose radius-``TRUTH_RADIUS`` aperture would cross a
    prescan/overscan strip or leave the light area is left out.
    """
    wd = cols.size
    noise_e = float(np.sqrt(exp.sky_rate * exp.exptime + readnoise_e**2))
    sy, sx = star_positions(cat, (hd, wd), flux_e=cat.star_rate * exp.exptime, noise_e=noise_e,
                            fwhm=exp.fwhm_px, beta=beta)
    sxi = np.floor(sx).astype(np.int64)
    syi = np.floor(sy).astype(np.int64)
    r = int(np.ceil(TRUTH_RADIUS))
    lo, hi = sxi - r, sxi + r + 1
    ok = (lo >= 0) & (hi <= wd - 1) & (syi - r >= 0) & (syi + r + 1 <= hd - 1)
    ok[ok] = cols[hi[ok]] - cols[lo[ok]] == hi[ok] - lo[ok]
    sy, sx, sxi = sy[ok], sx[ok], sxi[ok]
    return truth_list(sy + row0, cols[sxi] + (sx - sxi))


def ccd_frame(profile: CcdProfile, layout: FrameLayout, cat: Catalog, exp: CcdExposure, *,
              rng_det: np.random.Generator, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
    """Simulate one raw frame; returns ``(uint16 frame, facts for meta)``."""
    h, w = layout.shape
    hd = layout.data_rows
    cols = data_columns(layout)
    wd = cols.size
    row0 = layout.overscan_rows if not layout.overscan_rows_at_top else 0

    # Fixed detector properties (same for every file from this detector).
    flat = flat_field(rng_det, (hd, wd), vignetting=0.02 if profile.space else 0.05)
    dark = dark_rate_map(rng_det, (hd, wd), dark=profile.dark, hot_fraction=profile.hot_fraction,
                         hot_median=profile.hot_median, hot_columns=profile.hot_columns)
    amps = amp_electronics(rng_det, profile, len(layout.amps))
    colpat = [column_pattern(rng_det, a.width, profile.col_sigma) for a in layout.amps]

    # Light: sky (with a gradient) and sources through the flat, plus dark current.
    grad = sky_gradient(rng, (hd, wd), 0.01 if profile.space else 0.04)
    src = render(cat, (hd, wd), fwhm=exp.fwhm_px, exptime=exp.exptime, beta=profile.psf_beta)
    expected = (exp.sky_rate * exp.exptime * grad + src) * flat + dark * exp.exptime
    e = rng.poisson(expected).astype(np.float64)
    n_cr = int(rng.poisson(profile.cr_rate * hd * wd * exp.exptime)) if exp.cosmic_rays else 0
    hits = cosmic_ray_hits(rng, (hd, wd), n_cr, median_e=profile.cr_median_e, length_scale=profile.cr_length)
    if n_cr:
        e += hits.image((hd, wd))
    saturated_light = bleed_columns(e, profile.full_well)
    if profile.cte:
        e = cte_trails(e, fraction=profile.cte, length=3.0, toward_row0=exp.cte_toward_row0)

    frame_e = np.zeros((h, w), dtype=np.float64)
    frame_e[row0 : row0 + hd, cols] = e
    saturated = np.zeros((h, w), dtype=bool)
    saturated[row0 : row0 + hd, cols] = saturated_light

    out = np.empty((h, w), dtype=np.uint16)
    x = 0
    sat_adu: list[int] = []
    for i, a in enumerate(layout.amps):
        sl = slice(x, x + a.width)
        ae = frame_e[:, sl] + amps.readnoise[i] * rng.standard_normal((h, a.width))
        rows = profile.row_sigma * rng.standard_normal(h)
        bias = amps.bias[i] + colpat[i][None, :] + rows[:, None]
        s_adu = int(min(ADC_MAX, round(amps.bias[i] + profile.full_well / amps.gain[i])))
        sat_adu.append(s_adu)
        out[:, sl] = digitize(ae, gain=amps.gain[i], bias=bias, saturated=saturated[:, sl], saturation_adu=s_adu)
        x += a.width

    by, bx_f = bright_sources(cat, fwhm=exp.fwhm_px, exptime=exp.exptime, full_well=profile.full_well,
                              beta=profile.psf_beta)
    bx = np.clip(np.rint(bx_f).astype(np.int64), 0, wd - 1)
    facts: dict[str, Any] = {
        "gain": float(np.mean(amps.gain)),
        "readnoise": float(np.mean(amps.readnoise)),
        "bias": float(np.mean(amps.bias)),
        "amp_gain": list(amps.gain),
        "amp_readnoise": list(amps.readnoise),
        "amp_bias": list(amps.bias),
        "full_well": profile.full_well,
        "saturation_adu": sat_adu,
        "n_cosmic_rays": n_cr,
        "n_saturated": int(saturated.sum()),
        "bright_sources": [[float(y + row0), float(cols[xi])] for y, xi in zip(by, bx)],
        "stars": light_stars(cat, exp, cols, hd, row0, float(np.sqrt(np.mean(np.square(amps.readnoise)))),
                             profile.psf_beta),
        "sky": exp.sky_rate * exp.exptime / float(np.mean(amps.gain)),
    }
    return out, facts
