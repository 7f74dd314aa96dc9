"""The synthetic files of the three CCD datasets: GBI-16-2D-Legacy, GBI-16-2D (Keck) and SBI-16-2D (Hubble).

Each file draws its observation (exposure time, filter, sky, seeing, readout
layout, pointing) from its parameter stream, a field of stars and galaxies from
its field stream, and renders one frame per chip with
:func:`evaluator.data.synthetic.ccd.ccd_frame` (Hubble: two chips, HDUs 1 and 4).
Legacy files cycle through the Legacy telescopes (even indices LCO); Keck files
describe their amplifiers (``meta["amplifiers"]``) so the writer can split the
frame into LRIS amplifier HDUs. The three :class:`SkyGenerator` records are
named in ``evaluator.data.datasets``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluator.data.synthetic.ccd import CcdExposure, ccd_frame
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
from evaluator.data.synthetic.profiles import HUBBLE, KECK, LEGACY_CYCLE, LEGACY_PROFILES, CcdProfile, FrameLayout
from evaluator.data.synthetic.scene import make_catalog

_CCD_OVERRIDES = frozenset({"exptime", "sky_rate", "sky", "seeing", "cosmic_rays"})


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


def _draw_ccd(rng: np.random.Generator, p: CcdProfile, overrides: Overrides) -> _CcdParams:
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


def _ccd_file(key: FileKey, p: CcdProfile, chips: int, overrides: Overrides, tel_code: int) -> SyntheticFile:
    sc = key.size_code
    par = _draw_ccd(key.rng(STREAM_PARAMS), p, overrides)
    rng = key.rng(STREAM_NOISE, sc)
    frng = key.rng(STREAM_FIELD, sc)
    fwhm = par.seeing / p.pixscale
    samples: list[np.ndarray] = []
    chip_facts: list[dict[str, Any]] = []
    for chip in range(chips):
        lay = _layout(p, par.layout, key.size)
        if chips == 2 and chip == 1:  # ACS WFC1 (HDU 4): virtual overscan at the bottom, amps at the top
            lay = FrameLayout(lay.amps, lay.data_rows, lay.overscan_rows, False, lay.binning)
        n_light_cols = sum(a.data for a in lay.amps)
        cat = make_catalog(frng, lay.data_rows, n_light_cols, star_density=p.star_density,
                           galaxy_density=p.galaxy_density, rate_min=p.rate_min, galaxy_re=p.galaxy_re)
        exp = CcdExposure(par.exptime, par.sky_rate, fwhm, bool(overrides.get("cosmic_rays", True)),
                          cte_toward_row0=(chip == 0))
        rng_det = key.rng(STREAM_DETECTOR, sc, par.layout, index=DETECTOR_INDEX + 10 * tel_code + chip)
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
    return SyntheticFile(samples, meta)


def _ccd_shapes(key: FileKey, p: CcdProfile, chips: int, overrides: Overrides) -> list[tuple[int, ...]]:
    par = _draw_ccd(key.rng(STREAM_PARAMS), p, overrides)
    return [_layout(p, par.layout, key.size).shape] * chips


def _legacy_telescope(index: int, overrides: Overrides) -> tuple[str, Overrides]:
    """Even indices are LCO, odd ones cycle INT, JKT, TJO, WHT: about half the files are LCO.

    Returns the telescope and the overrides without ``telescope``.
    """
    tel = overrides.get("telescope", "LCO" if index % 2 == 0 else LEGACY_CYCLE[(index // 2) % len(LEGACY_CYCLE)])
    if tel not in LEGACY_PROFILES:
        raise ValueError(f"telescope {tel!r} not in the Legacy set; choose one of: {', '.join(LEGACY_PROFILES)}")
    return str(tel), {k: v for k, v in overrides.items() if k != "telescope"}


def _legacy_file(key: FileKey, overrides: Overrides) -> SyntheticFile:
    tel, rest = _legacy_telescope(key.index, overrides)
    return _ccd_file(key, LEGACY_PROFILES[tel], 1, rest, list(LEGACY_PROFILES).index(tel))


def _legacy_shapes(key: FileKey, overrides: Overrides) -> list[tuple[int, ...]]:
    tel, rest = _legacy_telescope(key.index, overrides)
    return _ccd_shapes(key, LEGACY_PROFILES[tel], 1, rest)


def _keck_file(key: FileKey, overrides: Overrides) -> SyntheticFile:
    f = _ccd_file(key, KECK, 1, overrides, 0)
    first = f.meta["chips"][0]
    amps = dict(first["layout"])
    for sec, g, r, b in zip(amps["sections"], first["amp_gain"], first["amp_readnoise"], first["amp_bias"]):
        sec.update(gain=g, readnoise=r, bias=b)
    f.meta["amplifiers"] = amps
    return f


def _hubble_file(key: FileKey, overrides: Overrides) -> SyntheticFile:
    f = _ccd_file(key, HUBBLE, 2, overrides, 0)
    f.meta["hdus"] = [1, 4]
    return f


def _lco_or_other(meta: Mapping[str, Any]) -> str:
    return "lco" if str(meta.get("telescope", "")).upper() == "LCO" else "other"


# Observing epochs (MJD): LCO network since 2014, Keck LRIS data 2005-2010 (paper App. A.3.2), ACS since 2002.
LEGACY_SKY = SkyGenerator(
    make=_legacy_file, shapes=_legacy_shapes, tag="legacy", mjd_range=(56700.0, 60300.0),
    overrides=_CCD_OVERRIDES | {"filter", "telescope"},
    # n_test LCO files and n_test from the other telescopes, so the lco track's row filter matters
    id_field="telescope", groups=("lco", "other"), group_of=_lco_or_other,
)
KECK_SKY = SkyGenerator(
    make=_keck_file, shapes=lambda key, o: _ccd_shapes(key, KECK, 1, o), tag="keck",
    mjd_range=(53371.0, 55562.0), overrides=_CCD_OVERRIDES | {"filter", "layout"},
)
HUBBLE_SKY = SkyGenerator(
    make=_hubble_file, shapes=lambda key, o: _ccd_shapes(key, HUBBLE, 2, o), tag="hst",
    mjd_range=(52400.0, 60300.0), overrides=_CCD_OVERRIDES,
)
