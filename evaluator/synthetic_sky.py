"""Deterministic synthetic raw frames for every AstroCompress dataset (the offline default).

Real frames cannot be downloaded everywhere (CI, offline demos), so this
module makes frames that compress like the real ones (DESIGN.md "Data"):
bias and its column/row structure, read noise and gain, Poisson sky, PSF
stars with a power-law luminosity function, Sérsic galaxies, cosmic rays
(far more in space), saturation with bleed trails, hot pixels and columns,
dark current, prescan/overscan, CTE trails (Hubble), up-the-ramp cubes with
persistent cosmic-ray jumps and reference pixels (JWST), and 5-band
multi-epoch cubes with per-night seeing/sky and missing coverage (SDSS).
Constants and their sources live in ``synthetic_sky_profiles`` and the
per-dataset modules; ``scripts/calibrate_synthetic.py`` compares the
classical codecs' ratios on this data with the paper's Table 1.

Everything is labelled synthetic (``meta["synthetic"] is True``).

Public API::

    make_file(dataset, seed, index, size="small", **overrides) -> SyntheticFile
    sample_shapes(dataset, seed, index, size="small", **overrides) -> list[tuple[int, ...]]

``overrides`` (per dataset, see ``ALLOWED_OVERRIDES``) force observation
parameters, e.g. ``exptime`` (s), ``sky_rate`` (e-/s/pixel) or ``sky`` (ADU),
``seeing`` (arcsec), ``filter``, ``telescope`` (Legacy), ``layout`` (Keck 0/1),
``cosmic_rays`` (bool), ``ngroups``/``pattern`` (JWST), ``n_epochs``/
``missing_probability`` (SDSS); the field, detector and noise streams stay
the same, so an exposure-time sweep shows the same stars.

``SyntheticFile.samples`` follow ``evaluator.tracks.SAMPLE_LAYOUT``: Legacy and
Keck one (H, W) frame, Hubble two chips (HDU 1 and 4), JWST one (G, H, W)
ramp, SDSS one (T, 5, H, W) cube. ``size="full"`` gives the real shapes
(DATA.md "Known-good sizes"); ``"small"`` (default) about 1/8 of the linear
size (SDSS 1/5), same layouts. Same ``(dataset, seed, index, size,
overrides)`` → identical bytes, whatever was generated before.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np

from evaluator import synthetic_sky_jwst as jw
from evaluator import synthetic_sky_sdss as sd
from evaluator.synthetic_sky_ccd import CcdExposure, ccd_frame
from evaluator.synthetic_sky_profiles import (
    HUBBLE,
    KECK,
    LEGACY_CYCLE,
    LEGACY_PROFILES,
    CcdProfile,
    FrameLayout,
)
from evaluator.synthetic_sky_scene import make_catalog
from evaluator.tracks import DATASETS, JWST, LEGACY, SDSS
from evaluator.tracks import HUBBLE as HUBBLE_DS
from evaluator.tracks import KECK as KECK_DS

log = logging.getLogger(__name__)

GENERATOR_VERSION = "1"  # bump whenever the same arguments would give different bytes

Size = Literal["small", "full"]
SMALL_FACTOR = 8  # linear reduction of "small" frames (SDSS: 800 -> 160)
_SIZE_CODE = {"small": 0, "full": 1}
_STREAM_PARAMS, _STREAM_FIELD, _STREAM_NOISE, _STREAM_DETECTOR, _STREAM_DATE = 1, 2, 3, 4, 5

# Observing epochs (MJD) per dataset: LCO network since 2014, Keck LRIS data 2005-2010 (paper
# App. A.3.2), ACS since 2002, JWST science since mid-2022; SDSS dates come from its TAI list.
_MJD_RANGE: dict[str, tuple[float, float]] = {
    LEGACY: (56700.0, 60300.0), KECK_DS: (53371.0, 55562.0), HUBBLE_DS: (52400.0, 60300.0), JWST: (59760.0, 60600.0),
}
_MJD_ZERO = datetime(1858, 11, 17)


def _iso_from_mjd(mjd: float) -> str:
    return (_MJD_ZERO + timedelta(days=mjd)).isoformat(timespec="seconds")


# Keys each dataset accepts in ``overrides``.
ALLOWED_OVERRIDES: dict[str, frozenset[str]] = {
    LEGACY: frozenset({"exptime", "sky_rate", "sky", "seeing", "filter", "telescope", "cosmic_rays"}),
    KECK_DS: frozenset({"exptime", "sky_rate", "sky", "seeing", "filter", "layout", "cosmic_rays"}),
    HUBBLE_DS: frozenset({"exptime", "sky_rate", "sky", "seeing", "cosmic_rays"}),
    JWST: frozenset({"ngroups", "pattern", "sky_rate", "cosmic_rays"}),
    SDSS: frozenset({"n_epochs", "missing_probability", "cosmic_rays"}),
}


@dataclass
class SyntheticFile:
    """One synthetic dataset file: its samples (uint16 arrays) and header-like facts."""

    samples: list[np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)


def _rng(seed: int, ds: int, index: int, stream: int, *extra: int) -> np.random.Generator:
    return np.random.default_rng([seed, ds, index, stream, *extra])


def _check(dataset: str, seed: int, index: int, size: str, overrides: dict[str, Any]) -> int:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of: {', '.join(DATASETS)}")
    if size not in _SIZE_CODE:
        raise ValueError(f"size must be 'small' or 'full', got {size!r}")
    if seed < 0 or index < 0:
        raise ValueError(f"seed and index must be non-negative integers, got seed={seed}, index={index}")
    bad = set(overrides) - ALLOWED_OVERRIDES[dataset]
    if bad:
        raise ValueError(f"unsupported override(s) {sorted(bad)} for {dataset}; "
                         f"allowed: {sorted(ALLOWED_OVERRIDES[dataset])}")
    return DATASETS.index(dataset)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


@dataclass
class _CcdParams:
    exptime: float
    filter: str
    sky_rate: float
    seeing: float
    layout: int
    ra: float
    dec: float


def _draw_ccd(rng: np.random.Generator, p: CcdProfile, overrides: dict[str, Any]) -> _CcdParams:
    """Observation parameters; every draw happens whatever the overrides, so the streams stay aligned."""
    exptime = _log_uniform(rng, *p.exptime)
    filters = sorted(p.sky_rate)
    filt = filters[int(rng.integers(len(filters)))]
    sky_factor = float(rng.lognormal(0.0, p.sky_spread))
    seeing = float(rng.uniform(*p.seeing))
    layout = 0 if len(p.layouts) == 1 or rng.random() < 0.7 else int(rng.integers(1, len(p.layouts)))
    ra, dec = float(rng.uniform(0, 360)), float(np.degrees(np.arcsin(rng.uniform(-0.5, 0.95))))
    exptime = float(overrides.get("exptime", exptime))
    filt = str(overrides.get("filter", filt))
    if filt not in p.sky_rate:
        raise ValueError(f"filter {filt!r} not known for {p.telescope}; choose one of: {', '.join(filters)}")
    sky_rate = p.sky_rate[filt] * sky_factor
    if "sky_rate" in overrides:
        sky_rate = float(overrides["sky_rate"])
    if "sky" in overrides:  # sky level in ADU for this exposure
        sky_rate = float(overrides["sky"]) * p.gain / exptime
    layout = int(overrides.get("layout", layout))
    if not 0 <= layout < len(p.layouts):
        raise ValueError(f"layout must be 0..{len(p.layouts) - 1} for {p.telescope}, got {layout}")
    if exptime <= 0 or sky_rate < 0:
        raise ValueError(f"exptime must be > 0 and sky >= 0, got exptime={exptime}, sky_rate={sky_rate}")
    return _CcdParams(exptime, filt, sky_rate, float(overrides.get("seeing", seeing)), layout, ra, dec)


def _layout(p: CcdProfile, which: int, size: str) -> FrameLayout:
    lay = p.layouts[which]
    return lay if size == "full" else lay.scaled(SMALL_FACTOR)


def _ccd_file(dataset: str, ds: int, p: CcdProfile, seed: int, index: int, size: str, chips: int,
              overrides: dict[str, Any], tel_code: int) -> SyntheticFile:
    sc = _SIZE_CODE[size]
    par = _draw_ccd(_rng(seed, ds, index, _STREAM_PARAMS), p, overrides)
    rng = _rng(seed, ds, index, _STREAM_NOISE, sc)
    frng = _rng(seed, ds, index, _STREAM_FIELD, sc)
    fwhm = par.seeing / p.pixscale
    samples: list[np.ndarray] = []
    chip_facts: list[dict[str, Any]] = []
    for chip in range(chips):
        lay = _layout(p, par.layout, size)
        if chips == 2 and chip == 1:  # ACS WFC1 (HDU 4): virtual overscan at the bottom, amps at the top
            lay = FrameLayout(lay.amps, lay.data_rows, lay.overscan_rows, False, lay.binning)
        n_light_cols = sum(a.data for a in lay.amps)
        cat = make_catalog(frng, lay.data_rows, n_light_cols, star_density=p.star_density,
                           galaxy_density=p.galaxy_density, rate_min=p.rate_min, galaxy_re=p.galaxy_re)
        exp = CcdExposure(par.exptime, par.sky_rate, fwhm, bool(overrides.get("cosmic_rays", True)),
                          cte_toward_row0=(chip == 0))
        rng_det = _rng(seed, ds, 10_000_000 + 10 * tel_code + chip, _STREAM_DETECTOR, sc, par.layout)
        frame, facts = ccd_frame(p, lay, cat, exp, rng_det=rng_det, rng=rng)
        samples.append(frame)
        facts["layout"] = lay.describe()
        chip_facts.append(facts)
    first = chip_facts[0]
    meta: dict[str, Any] = {
        "telescope": p.telescope,
        "instrument": p.instrument,
        "filter": par.filter,
        "exptime": par.exptime,
        "gain": first["gain"],
        "readnoise": first["readnoise"],
        "bias": first["bias"],
        "sky": first["sky"],
        "sky_rate": par.sky_rate,
        "seeing": par.seeing,
        "psf_fwhm": fwhm,
        "ra": par.ra,
        "dec": par.dec,
        "pixscale": p.pixscale,
        "full_well": p.full_well,
        "n_cosmic_rays": int(sum(f["n_cosmic_rays"] for f in chip_facts)),
        "n_saturated": int(sum(f["n_saturated"] for f in chip_facts)),
        "chips": chip_facts,
    }
    if dataset == KECK_DS:
        amps = dict(first["layout"])
        for sec, g, r, b in zip(amps["sections"], first["amp_gain"], first["amp_readnoise"], first["amp_bias"]):
            sec.update(gain=g, readnoise=r, bias=b)
        meta["amplifiers"] = amps
    if dataset == HUBBLE_DS:
        meta["hdus"] = [1, 4]
    return SyntheticFile(samples, meta)


def _legacy_telescope(index: int, overrides: dict[str, Any]) -> str:
    """Even indices are LCO, odd ones cycle INT, JKT, TJO, WHT: about half the files are LCO."""
    tel = overrides.get("telescope", "LCO" if index % 2 == 0 else LEGACY_CYCLE[(index // 2) % len(LEGACY_CYCLE)])
    if tel not in LEGACY_PROFILES:
        raise ValueError(f"telescope {tel!r} not in the Legacy set; choose one of: {', '.join(LEGACY_PROFILES)}")
    return str(tel)


def _jwst_params(prng: np.random.Generator, size: str, overrides: dict[str, Any]) -> dict[str, Any]:
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


def _jwst_file(ds: int, seed: int, index: int, size: str, overrides: dict[str, Any]) -> SyntheticFile:
    sc = _SIZE_CODE[size]
    jp = _jwst_params(_rng(seed, ds, index, _STREAM_PARAMS), size, overrides)
    ngroups, pattern, ra, dec, detector = jp["ngroups"], jp["pattern"], jp["ra"], jp["dec"], jp["detector"]
    setup = jw.RampSetup(ngroups, pattern, jp["sky_rate"], bool(overrides.get("cosmic_rays", True)))
    n = 2048 if size == "full" else 2048 // SMALL_FACTOR
    border = jw.REFERENCE_BORDER if size == "full" else 2
    frng = _rng(seed, ds, index, _STREAM_FIELD, sc)
    cat = make_catalog(frng, n - 2 * border, n - 2 * border, star_density=300.0, galaxy_density=2500.0,
                       rate_min=0.3, galaxy_re=(1.5, 15.0))
    rng_det = _rng(seed, ds, 10_000_000 + "AB".index(detector[3]) * 10 + int(detector[4]), _STREAM_DETECTOR, sc)
    cube, facts = jw.jwst_ramp((n, n), setup, cat, rng_det=rng_det, rng=_rng(seed, ds, index, _STREAM_NOISE, sc),
                               reference_border=border)
    meta = {
        "telescope": "JWST", "instrument": "NIRCam", "detector": detector, "filter": "F200W",
        "readpatt": pattern, "nframes": setup.nframes, "groupgap": jw.READ_PATTERNS[pattern][1],
        "tframe": jw.TFRAME, "tgroup": setup.tgroup, "ngroups": ngroups, "ntimes": ngroups,
        "exptime": facts["group_times"][-1], "sky_rate": setup.sky_rate, "psf_fwhm": jw.PSF_FWHM,
        "seeing": jw.PSF_FWHM * jw.PIXSCALE, "ra": ra, "dec": dec, "pixscale": jw.PIXSCALE, **facts,
    }
    return SyntheticFile([cube], meta)


def _sdss_epochs(prng: np.random.Generator, size: str, overrides: dict[str, Any]) -> int:
    t_full = int(min(90, 3 + prng.exponential(10.0)))
    n_epochs = t_full if size == "full" else 3 + t_full % 3
    n_epochs = int(overrides.get("n_epochs", n_epochs))
    if n_epochs < 1:
        raise ValueError(f"n_epochs must be >= 1, got {n_epochs}")
    return n_epochs


def _sdss_file(ds: int, seed: int, index: int, size: str, overrides: dict[str, Any]) -> SyntheticFile:
    sc = _SIZE_CODE[size]
    prng = _rng(seed, ds, index, _STREAM_PARAMS)
    n_epochs = _sdss_epochs(prng, size, overrides)
    ra = float((prng.uniform(-50.0, 58.0)) % 360.0)
    dec = float(prng.uniform(-1.25, 1.25))
    miss = float(overrides.get("missing_probability", 0.08))
    epochs = sd.draw_epochs(prng, n_epochs, missing_probability=miss)
    n = 800 if size == "full" else 160
    frng = _rng(seed, ds, index, _STREAM_FIELD, sc)
    cat = make_catalog(frng, n, n, star_density=200.0, galaxy_density=500.0, rate_min=3.0, galaxy_re=(0.8, 5.0))
    cube, facts = sd.sdss_cube((n, n), epochs, cat, rng=_rng(seed, ds, index, _STREAM_NOISE, sc),
                               cosmic_rays=bool(overrides.get("cosmic_rays", True)))
    meta = {
        "telescope": "SDSS", "instrument": "SDSS imaging camera (Stripe 82)", "filter": "ugriz",
        "exptime": sd.EXPTIME, "sky": facts["sky_epochs"][0][2], "seeing": facts["seeing_epochs"][0],
        "psf_fwhm": facts["psf_fwhm_epochs"][0], "ra": ra, "dec": dec, "pixscale": sd.PIXSCALE,
        "ntimes": n_epochs, **facts,
    }
    return SyntheticFile([cube], meta)


def sample_shapes(dataset: str, seed: int, index: int, size: Size = "small", **overrides: Any) -> list[tuple[int, ...]]:
    """Shapes of ``make_file(...).samples`` without generating any pixels (cheap, same arguments)."""
    ds = _check(dataset, seed, index, size, overrides)
    prng = _rng(seed, ds, index, _STREAM_PARAMS)
    if dataset in (LEGACY, KECK_DS, HUBBLE_DS):
        if dataset == LEGACY:
            p = LEGACY_PROFILES[_legacy_telescope(index, overrides)]
            overrides = {k: v for k, v in overrides.items() if k != "telescope"}
        else:
            p = KECK if dataset == KECK_DS else HUBBLE
        par = _draw_ccd(prng, p, overrides)
        shape = _layout(p, par.layout, size).shape
        return [shape] * (2 if dataset == HUBBLE_DS else 1)
    if dataset == JWST:
        n = 2048 if size == "full" else 2048 // SMALL_FACTOR
        return [(_jwst_params(prng, size, overrides)["ngroups"], n, n)]
    n = 800 if size == "full" else 160
    return [(_sdss_epochs(prng, size, overrides), len(sd.BANDS), n, n)]


def make_file(dataset: str, seed: int, index: int, size: Size = "small", **overrides: Any) -> SyntheticFile:
    """One synthetic file of ``dataset`` (see module docstring); ``overrides`` force parameters.

    Overrides per dataset are listed in ``ALLOWED_OVERRIDES`` (e.g. ``exptime``
    in seconds, ``sky_rate`` in e-/s/pixel or ``sky`` in ADU for the CCD
    datasets, ``ngroups``/``pattern`` for JWST, ``n_epochs`` for SDSS).
    """
    ds = _check(dataset, seed, index, size, overrides)
    if dataset == LEGACY:
        tel = _legacy_telescope(index, overrides)
        rest = {k: v for k, v in overrides.items() if k != "telescope"}
        f = _ccd_file(dataset, ds, LEGACY_PROFILES[tel], seed, index, size, 1, rest,
                      list(LEGACY_PROFILES).index(tel))
    elif dataset == KECK_DS:
        f = _ccd_file(dataset, ds, KECK, seed, index, size, 1, overrides, 0)
    elif dataset == HUBBLE_DS:
        f = _ccd_file(dataset, ds, HUBBLE, seed, index, size, 2, overrides, 0)
    elif dataset == JWST:
        f = _jwst_file(ds, seed, index, size, overrides)
    else:
        f = _sdss_file(ds, seed, index, size, overrides)
    if dataset == SDSS:
        f.meta["date_obs"] = _iso_from_mjd(f.meta["tai"][0] / 86400.0)
    else:
        f.meta["date_obs"] = _iso_from_mjd(float(_rng(seed, ds, index, _STREAM_DATE).uniform(*_MJD_RANGE[dataset])))
    f.meta.setdefault("object", f"synthetic field {seed}-{index}")
    f.meta.update(dataset=dataset, synthetic=True, generator=__name__, seed=seed, index=index, size=size,
                  image_id=f"synthetic/{dataset}/{seed}/{index}",
                  overrides={k: v for k, v in overrides.items()})
    log.debug("synthetic %s seed=%d index=%d size=%s: %s", dataset, seed, index, size,
              [s.shape for s in f.samples])
    return f
