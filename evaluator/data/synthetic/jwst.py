"""JWST NIRCam up-the-ramp cube (first integration of an ``*_uncal.fits`` SCI array).

Physics (JWST User Documentation, "NIRCam Detector Overview" and "Detector
Readout Patterns"; Rauscher et al. 2014 for HgCdTe noise):

- full-frame time 10.737 s; a group averages ``nframes`` reads and skips
  ``groupgap`` frames; readout patterns RAPID ... DEEP8 (nframes, groupgap)
  as in the NIRCam documentation; 5-10 groups (paper §3: 5 ≲ T ≲ 10);
- charge accumulates: each group adds Poisson(flux × Δt) electrons, so a
  pixel's ramp is non-decreasing except for read noise; cosmic-ray jumps
  persist in every later group; saturation at the full well;
- raw value = superbias (≈12 000 ADU with a large pixel-to-pixel spread and
  even/odd column offsets; both tuned so that group 0 compresses like the paper's JWST-2D,
  ratio ≈1.35) + kTC reset offset (per pixel, per integration) + charge/gain
  + read noise per group (single-frame ≈10 e-, averaged over nframes) +
  1/f noise as row stripes per amplifier (four 512-column outputs);
- 4-pixel reference border: bias and noise, no light (``facts["stars"]``,
  the injected stars detectable up the ramp, are in frame coordinates);
- gain 2.05 e-/ADU; dark 0.002 e-/s; zodiacal sky in F200W ≈0.25 e-/s/pixel;
  cosmic rays ≈5 /cm²/s on 18 µm pixels (JWST docs, "Cosmic rays").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluator.data.synthetic.detector import (
    ADC_MAX,
    cosmic_ray_hits,
    dark_rate_map,
    flat_field,
    sky_gradient,
)
from evaluator.data.synthetic.scene import Catalog, bright_sources, render, star_positions, truth_list

TFRAME = 10.73676  # s, NIRCam full-frame read
GAIN = 2.05  # e-/ADU
READNOISE_FRAME = 10.0  # e-, one read
KTC = 30.0  # ADU, reset offset scatter (cancels in differences)
SUPERBIAS_LEVEL = 12_000.0
SUPERBIAS_SCATTER = 550.0  # ADU pixel-to-pixel; with EVEN_ODD calibrated on the paper's JWST-2D ratios (Table 1)
EVEN_ODD = 600.0  # ADU, alternating-column offset of the superbias (H2RG even/odd column structure)
ONE_OVER_F = 2.0  # ADU rms of row stripes per amplifier per group
FULL_WELL = 95_000.0  # e-
DARK = 0.002  # e-/s
SKY_RATE = 0.25  # e-/s/pixel, F200W zodiacal light
CR_RATE = 5.0 * (18e-4) ** 2  # events / pixel / s
PIXSCALE = 0.031  # arcsec
PSF_FWHM = 2.1  # pixels (0.066" at 2 µm)
REFERENCE_BORDER = 4
N_AMPS = 4

# NIRCam readout patterns: name -> (nframes, groupgap), with the weights we draw them by.
READ_PATTERNS: dict[str, tuple[int, int]] = {
    "RAPID": (1, 0), "BRIGHT1": (1, 1), "BRIGHT2": (2, 0), "SHALLOW2": (2, 3), "SHALLOW4": (4, 1),
    "MEDIUM2": (2, 8), "MEDIUM8": (8, 2), "DEEP2": (2, 18), "DEEP8": (8, 12),
}
PATTERN_WEIGHTS: dict[str, float] = {
    "RAPID": 0.16, "BRIGHT1": 0.16, "BRIGHT2": 0.16, "SHALLOW2": 0.1, "SHALLOW4": 0.1,
    "MEDIUM2": 0.1, "MEDIUM8": 0.1, "DEEP2": 0.04, "DEEP8": 0.08,
}


@dataclass
class RampSetup:
    ngroups: int
    pattern: str
    sky_rate: float
    cosmic_rays: bool = True

    @property
    def nframes(self) -> int:
        return READ_PATTERNS[self.pattern][0]

    @property
    def tgroup(self) -> float:
        nf, gap = READ_PATTERNS[self.pattern]
        return (nf + gap) * TFRAME

    def group_times(self) -> np.ndarray:
        """Mean time (s) of each group's frames since reset."""
        nf, gap = READ_PATTERNS[self.pattern]
        return (np.arange(self.ngroups) * (nf + gap) + (nf + 1) / 2.0) * TFRAME


def jwst_ramp(shape: tuple[int, int], setup: RampSetup, cat: Catalog, *, rng_det: np.random.Generator,
              rng: np.random.Generator, reference_border: int = REFERENCE_BORDER) -> tuple[np.ndarray, dict[str, Any]]:
    """Simulate one (G, H, W) uint16 ramp; returns ``(cube, facts for meta)``."""
    h, w = shape
    b = reference_border
    hl, wl = h - 2 * b, w - 2 * b
    amp_w = w // N_AMPS

    # Fixed detector: superbias with amplifier offsets, column structure and pixel scatter.
    amp_off = 400.0 * rng_det.standard_normal(N_AMPS)
    superbias = SUPERBIAS_LEVEL + SUPERBIAS_SCATTER * rng_det.standard_normal(shape)
    superbias += 25.0 * rng_det.standard_normal(w)[None, :]
    parity = np.where(np.arange(w) % 2 == 0, -1.0, 1.0)
    amp_of_column = np.minimum(np.arange(w) // amp_w, N_AMPS - 1)
    superbias += (EVEN_ODD * (1.0 + 0.2 * rng_det.standard_normal(N_AMPS)))[amp_of_column] * parity
    for a in range(N_AMPS):
        superbias[:, a * amp_w : (a + 1) * amp_w if a < N_AMPS - 1 else w] += amp_off[a]
    flat = flat_field(rng_det, (hl, wl), vignetting=0.01, prnu=0.01)
    dark = dark_rate_map(rng_det, (hl, wl), dark=DARK, hot_fraction=1e-3, hot_median=0.5, hot_columns=2)

    rate = (setup.sky_rate * sky_gradient(rng, (hl, wl), 0.01)
            + render(cat, (hl, wl), fwhm=PSF_FWHM, exptime=1.0, beta=2.5)) * flat + dark
    times = setup.group_times()
    ktc = KTC * rng.standard_normal(shape)
    n_cr = int(rng.poisson(CR_RATE * hl * wl * times[-1])) if setup.cosmic_rays else 0
    hits = cosmic_ray_hits(rng, (hl, wl), n_cr, median_e=3000.0, length_scale=1.5)
    t_cr = rng.uniform(0.0, times[-1], n_cr)

    rn_group = READNOISE_FRAME / np.sqrt(setup.nframes)
    cube = np.empty((setup.ngroups, h, w), dtype=np.uint16)
    q = np.zeros((hl, wl), dtype=np.float64)
    t_prev = 0.0
    for g, t in enumerate(times):
        q += rng.poisson(rate * (t - t_prev))
        if n_cr:
            arrived = (t_cr >= t_prev) & (t_cr < t)
            if arrived.any():
                q += hits.image((hl, wl), arrived)
        t_prev = t
        e = np.zeros(shape, dtype=np.float64)
        e[b : h - b, b : w - b] = np.minimum(q, FULL_WELL)
        e += rn_group * rng.standard_normal(shape)
        stripes = np.repeat(ONE_OVER_F * rng.standard_normal((h, N_AMPS)), amp_w, axis=1)
        if stripes.shape[1] < w:
            stripes = np.pad(stripes, ((0, 0), (0, w - stripes.shape[1])), mode="edge")
        adu = np.rint(superbias + ktc + stripes + e / GAIN)
        np.clip(adu, 0, ADC_MAX, out=adu)
        cube[g] = adu.astype(np.uint16)

    by, bx = bright_sources(cat, fwhm=PSF_FWHM, exptime=float(times[-1]), full_well=FULL_WELL, beta=2.5)
    # Stars detectable up the ramp: charge by the last group against its sky Poisson and read noise
    # (superbias and kTC are fixed offsets a ramp fit removes); the same positions in every group.
    t_end = float(times[-1])
    sy, sx = star_positions(cat, (hl, wl), flux_e=cat.star_rate * t_end,
                            noise_e=float(np.sqrt(setup.sky_rate * t_end + rn_group**2)), fwhm=PSF_FWHM, beta=2.5)
    facts: dict[str, Any] = {
        "gain": GAIN,
        "readnoise": READNOISE_FRAME,
        "bias": float(SUPERBIAS_LEVEL + amp_off.mean()),
        "full_well": FULL_WELL,
        "n_cosmic_rays": n_cr,
        "group_times": [float(t) for t in times],
        "sky": setup.sky_rate * setup.tgroup / GAIN,
        "n_saturated": int((q >= FULL_WELL).sum()),
        "bright_sources": [[float(y + b), float(x + b)] for y, x in zip(by, bx)],
        "stars": truth_list(sy + b, sx + b),
        "reference_border": b,
    }
    return cube, facts
