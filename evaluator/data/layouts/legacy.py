"""GBI-16-2D-Legacy layout: one frame per file, ``data/<TELESCOPE>/<id>.fits``.

Reading takes the primary HDU, or the first image extension when the primary
is empty; writing stores the frame in the primary HDU.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from astropy.io import fits

from evaluator.data.fits_io import Sample, first_image, header_meta, primary_header, read_image


def read_legacy(hdul: fits.HDUList, source: str) -> Iterator[Sample]:
    index = first_image(hdul, source)
    base = header_meta(hdul[0].header)
    yield Sample("", read_image(hdul, index, source, 2), {**base, **header_meta(hdul[index].header)})


def write_legacy(samples: Sequence[np.ndarray], meta: Mapping[str, Any]) -> fits.HDUList:
    (arr,) = samples
    return fits.HDUList([fits.PrimaryHDU(data=arr, header=primary_header(meta, {}))])
