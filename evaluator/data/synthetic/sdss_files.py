"""The synthetic files of GBI-16-4D (SDSS Stripe 82): one (T, 5, H, W) cube each.

Each file draws its number of epochs and its pointing on the stripe from its
parameter stream, the per-epoch conditions with
:func:`evaluator.data.synthetic.sdss.draw_epochs`, a field from its field stream,
and simulates the cube with :func:`evaluator.data.synthetic.sdss.sdss_cube`.
``date_obs`` is the first epoch's TAI. ``size="small"`` keeps 3 to 5 epochs
of a 160 x 160 cut-out. The :class:`SkyGenerator` record ``SDSS_SKY`` is named
in ``evaluator.data.datasets``.
"""

from __future__ import annotations

import numpy as np

from evaluator.data.synthetic import sdss as sd
from evaluator.data.synthetic.common import (
    STREAM_FIELD,
    STREAM_NOISE,
    STREAM_PARAMS,
    FileKey,
    Overrides,
    SkyGenerator,
    SyntheticFile,
    iso_from_mjd,
)
from evaluator.data.synthetic.scene import make_catalog


def _side(key: FileKey) -> int:
    return 800 if key.size == "full" else 160


def _sdss_epochs(prng: np.random.Generator, size: str, overrides: Overrides) -> int:
    t_full = int(min(90, 3 + prng.exponential(10.0)))
    n_epochs = t_full if size == "full" else 3 + t_full % 3
    n_epochs = int(overrides.get("n_epochs", n_epochs))
    if n_epochs < 1:
        raise ValueError(f"n_epochs must be >= 1, got {n_epochs}")
    return n_epochs


def _sdss_file(key: FileKey, overrides: Overrides) -> SyntheticFile:
    sc = key.size_code
    prng = key.rng(STREAM_PARAMS)
    n_epochs = _sdss_epochs(prng, key.size, overrides)
    ra = float((prng.uniform(-50.0, 58.0)) % 360.0)
    dec = float(prng.uniform(-1.25, 1.25))
    miss = float(overrides.get("missing_probability", 0.08))
    epochs = sd.draw_epochs(prng, n_epochs, missing_probability=miss)
    n = _side(key)
    frng = key.rng(STREAM_FIELD, sc)
    cat = make_catalog(frng, n, n, star_density=200.0, galaxy_density=500.0, rate_min=3.0, galaxy_re=(0.8, 5.0))
    cube, facts = sd.sdss_cube((n, n), epochs, cat, rng=key.rng(STREAM_NOISE, sc),
                               cosmic_rays=bool(overrides.get("cosmic_rays", True)))
    meta = {
        "telescope": "SDSS", "instrument": "SDSS imaging camera (Stripe 82)", "filter": "ugriz",
        "exptime": sd.EXPTIME, "sky": facts["sky_epochs"][0][2], "seeing": facts["seeing_epochs"][0],
        "psf_fwhm": facts["psf_fwhm_epochs"][0], "ra": ra, "dec": dec, "pixscale": sd.PIXSCALE,
        "ntimes": n_epochs, **facts,
    }
    meta["date_obs"] = iso_from_mjd(meta["tai"][0] / 86400.0)
    return SyntheticFile([cube], meta)


def _sdss_shapes(key: FileKey, overrides: Overrides) -> list[tuple[int, ...]]:
    n = _side(key)
    return [(_sdss_epochs(key.rng(STREAM_PARAMS), key.size, overrides), len(sd.BANDS), n, n)]


# No mjd_range: the observing date is the cube's first TAI (set by _sdss_file).
SDSS_SKY = SkyGenerator(make=_sdss_file, shapes=_sdss_shapes, tag="sdss",
                        overrides=frozenset({"n_epochs", "missing_probability", "cosmic_rays"}))
