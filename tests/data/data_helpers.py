"""Small helpers shared by the data-layer tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def rand_u16(rng: np.random.Generator, *shape: int, lo: int = 0, hi: int = 65536) -> np.ndarray:
    """Uniform random uint16 array (worst case for compression, any bit pattern)."""
    return rng.integers(lo, hi, shape, dtype=np.uint16)


def _astropy_data() -> Path:
    import astropy

    return Path(astropy.__file__).parent / "io/fits/hdu/compressed/tests/data"


ASTROPY_DATA = _astropy_data()  # m13.fits and its tile-compressed copies ship with astropy
