"""The synthetic files of SBI-16-3D (JWST NIRCam ``*_uncal.fits``): one up-the-ramp cube each.

Each file draws its exposure (number of groups, readout pattern, zodiacal sky,
pointing, detector NRCA1..NRCB4) from its parameter stream, a deep field from
its field stream, and simulates the first integration with
:func:`evaluator.data.synthetic.jwst.jwst_ramp` (per-detector superbias and
reference pixels from the detector stream). ``size="small"`` keeps 5 or 6
groups of a 256 x 256 cut-out. The :class:`SkyGenerator` record ``JWST_SKY`` is
named in ``evaluator.data.datasets``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evaluator.data.synthetic import jwst as jw
from evaluator.data.synthetic.common import (
    DETECTOR_INDEX,
    SMALL_FACTOR,
    STREAM_DETECTOR,
    STREAM_FIELD,
    STREAM_NOISE,
    STREAM_PARAMS,
    FileKey,
    Overrides,
    SkyGenerator,
    SyntheticFile,
)
from evaluator.data.synthetic.scene import make_catalog


def _side(key: FileKey) -> int:
    return 2048 if key.size == "full" else 2048 // SMALL_FACTOR


def _jwst_params(prng: np.random.Generator, size: str, overrides: Overrides) -> dict[str, Any]:
    g_full = int(prng.integers(5, 11))
    names = list(jw.PATTERN_WEIGHTS)
    w = np.array([jw.PATTERN_WEIGHTS[n] for n in names])
    pattern = names[int(prng.choice(len(names), p=w / w.sum()))]
    sky_rate = jw.SKY_RATE * float(prng.lognormal(0.0, 0.4))
    ra, dec = float(prng.uniform(0, 360)), float(np.degrees(np.arcsin(prng.uniform(-1, 1))))
    detector = f"NRC{'AB'[int(prng.integers(2))]}{int(prng.integers(1, 5))}"
    ngroups = g_full if size == "full" else 5 + (g_full >= 8)
    ngroups = int(overrides.get("ngroups", ngroups))
    pattern = str(overrides.get("pattern", pattern))
    if pattern not in jw.READ_PATTERNS:
        raise ValueError(f"pattern {pattern!r} unknown; choose one of: {', '.join(jw.READ_PATTERNS)}")
    if ngroups < 2:
        raise ValueError(f"ngroups must be >= 2 (a ramp), got {ngroups}")
    return {"ngroups": ngroups, "pattern": pattern, "sky_rate": float(overrides.get("sky_rate", sky_rate)),
            "ra": ra, "dec": dec, "detector": detector}


def _jwst_file(key: FileKey, overrides: Overrides) -> SyntheticFile:
    sc = key.size_code
    jp = _jwst_params(key.rng(STREAM_PARAMS), key.size, overrides)
    ngroups, pattern, ra, dec, detector = jp["ngroups"], jp["pattern"], jp["ra"], jp["dec"], jp["detector"]
    setup = jw.RampSetup(ngroups, pattern, jp["sky_rate"], bool(overrides.get("cosmic_rays", True)))
    n = _side(key)
    border = jw.REFERENCE_BORDER if key.size == "full" else 2
    frng = key.rng(STREAM_FIELD, sc)
    cat = make_catalog(frng, n - 2 * border, n - 2 * border, star_density=300.0, galaxy_density=2500.0,
                       rate_min=0.3, galaxy_re=(1.5, 15.0))
    rng_det = key.rng(STREAM_DETECTOR, sc, index=DETECTOR_INDEX + "AB".index(detector[3]) * 10 + int(detector[4]))
    cube, facts = jw.jwst_ramp((n, n), setup, cat, rng_det=rng_det, rng=key.rng(STREAM_NOISE, sc),
                               reference_border=border)
    meta = {
        "telescope": "JWST", "instrument": "NIRCam", "detector": detector, "filter": "F200W",
        "readpatt": pattern, "nframes": setup.nframes, "groupgap": jw.READ_PATTERNS[pattern][1],
        "tframe": jw.TFRAME, "tgroup": setup.tgroup, "ngroups": ngroups, "ntimes": ngroups,
        "exptime": facts["group_times"][-1], "sky_rate": setup.sky_rate, "psf_fwhm": jw.PSF_FWHM,
        "seeing": jw.PSF_FWHM * jw.PIXSCALE, "ra": ra, "dec": dec, "pixscale": jw.PIXSCALE, **facts,
    }
    return SyntheticFile([cube], meta)


def _jwst_shapes(key: FileKey, overrides: Overrides) -> list[tuple[int, ...]]:
    n = _side(key)
    return [(_jwst_params(key.rng(STREAM_PARAMS), key.size, overrides)["ngroups"], n, n)]


# Observing epochs (MJD): JWST science since mid-2022.
JWST_SKY = SkyGenerator(make=_jwst_file, shapes=_jwst_shapes, tag="jw", mjd_range=(59760.0, 60600.0),
                        overrides=frozenset({"ngroups", "pattern", "sky_rate", "cosmic_rays"}))
