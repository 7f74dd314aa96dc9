"""Deterministic synthetic raw frames for every AstroCompress dataset (the offline default).

Real frames cannot be downloaded everywhere (CI, offline demos), so this
module makes frames that compress like the real ones (DESIGN.md "Data"):
bias and its column/row structure, read noise and gain, Poisson sky, PSF
stars with a power-law luminosity function, Sérsic galaxies, cosmic rays
(far more in space), saturation with bleed trails, hot pixels and columns,
dark current, prescan/overscan, CTE trails (Hubble), up-the-ramp cubes with
persistent cosmic-ray jumps and reference pixels (JWST), and 5-band
multi-epoch cubes with per-night seeing/sky and missing coverage (SDSS).
Constants and their sources live in ``evaluator.data.synthetic.profiles`` and the
physics modules (``ccd``, ``detector``, ``scene``, ``jwst``, ``sdss``); each
dataset's file generator (``*_files`` modules) is named by its record in the
dataset table ``evaluator.data.datasets``, and this module looks it up there;
``scripts/calibrate_synthetic.py`` compares the classical codecs' ratios on
this data with the paper's Table 1.

Everything is labelled synthetic (``meta["synthetic"] is True``).

Public API::

    make_file(dataset, seed, index, size="small", **overrides) -> SyntheticFile
    sample_shapes(dataset, seed, index, size="small", **overrides) -> list[tuple[int, ...]]

``overrides`` (per dataset, see :func:`allowed_overrides`) force observation
parameters, e.g. ``exptime`` (s), ``sky_rate`` (e-/s/pixel) or ``sky`` (ADU),
``seeing`` (arcsec), ``filter``, ``telescope`` (Legacy), ``layout`` (Keck 0/1),
``cosmic_rays`` (bool), ``ngroups``/``pattern`` (JWST), ``n_epochs``/
``missing_probability`` (SDSS); the field, detector and noise streams stay
the same, so an exposure-time sweep shows the same stars.

``SyntheticFile.samples`` follow ``evaluator.core.tracks.SAMPLE_LAYOUT``: Legacy and
Keck one (H, W) frame, Hubble two chips (HDU 1 and 4), JWST one (G, H, W)
ramp, SDSS one (T, 5, H, W) cube. ``size="full"`` gives the real shapes
(DATA.md "Known-good sizes"); ``"small"`` (default) about 1/8 of the linear
size (SDSS 1/5), same layouts. Same ``(dataset, seed, index, size,
overrides)`` → identical bytes, whatever was generated before.
"""

from __future__ import annotations

import logging
from typing import Any

from evaluator.core.tracks import DATASETS
from evaluator.data.datasets import Dataset, get_dataset
from evaluator.data.synthetic.common import STREAM_DATE, FileKey, Size, SyntheticFile, is_size, iso_from_mjd

log = logging.getLogger(__name__)

GENERATOR_VERSION = "1"  # bump whenever the same arguments would give different bytes

__all__ = ["GENERATOR_VERSION", "SyntheticFile", "allowed_overrides", "make_file", "sample_shapes"]


def allowed_overrides(dataset: str) -> frozenset[str]:
    """Keys ``dataset`` accepts in ``overrides``."""
    return get_dataset(dataset).synthetic.overrides


def _check(dataset: str, seed: int, index: int, size: str, overrides: dict[str, Any]) -> tuple[Dataset, FileKey]:
    ds = get_dataset(dataset)
    if not is_size(size):
        raise ValueError(f"size must be 'small' or 'full', got {size!r}")
    if seed < 0 or index < 0:
        raise ValueError(f"seed and index must be non-negative integers, got seed={seed}, index={index}")
    allowed = ds.synthetic.overrides
    bad = set(overrides) - allowed
    if bad:
        raise ValueError(f"unsupported override(s) {sorted(bad)} for {dataset}; allowed: {sorted(allowed)}")
    return ds, FileKey(seed, DATASETS.index(dataset), index, size)


def sample_shapes(dataset: str, seed: int, index: int, size: Size = "small", **overrides: Any) -> list[tuple[int, ...]]:
    """Shapes of ``make_file(...).samples`` without generating any pixels (cheap, same arguments)."""
    ds, key = _check(dataset, seed, index, size, overrides)
    return ds.synthetic.shapes(key, overrides)


def make_file(dataset: str, seed: int, index: int, size: Size = "small", **overrides: Any) -> SyntheticFile:
    """One synthetic file of ``dataset`` (see module docstring); ``overrides`` force parameters.

    Overrides per dataset are listed by :func:`allowed_overrides` (e.g. ``exptime``
    in seconds, ``sky_rate`` in e-/s/pixel or ``sky`` in ADU for the CCD
    datasets, ``ngroups``/``pattern`` for JWST, ``n_epochs`` for SDSS).
    """
    ds, key = _check(dataset, seed, index, size, overrides)
    gen = ds.synthetic
    f = gen.make(key, overrides)
    if gen.mjd_range is not None:
        f.meta["date_obs"] = iso_from_mjd(float(key.rng(STREAM_DATE).uniform(*gen.mjd_range)))
    f.meta.setdefault("object", f"synthetic field {seed}-{index}")
    f.meta.update(dataset=dataset, synthetic=True, generator=__name__, seed=seed, index=index, size=size,
                  image_id=f"synthetic/{dataset}/{seed}/{index}",
                  overrides={k: v for k, v in overrides.items()})
    log.debug("synthetic %s seed=%d index=%d size=%s: %s", dataset, seed, index, size,
              [s.shape for s in f.samples])
    return f
