"""GBI-16-4D layout: SDSS Stripe 82 cubes, the primary HDU (T, 5, H, W) with ``BAND{j}`` and ``TAI{i}`` keys.

Reading refuses a cube whose second axis is not the five bands u g r i z, and
puts ``bands``, ``tai`` (when every epoch has one) and ``ntimes`` into the
sample's meta. Writing stores the cube in the primary HDU with the band names
and the epochs' TAI (seconds; the epoch number when the meta has none).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from astropy.io import fits

from evaluator.data.fits_io import FitsFormatError, Sample, first_image, header_meta, primary_header, read_image

SDSS_BANDS: tuple[str, ...] = ("u", "g", "r", "i", "z")


def read_sdss(hdul: fits.HDUList, source: str) -> Iterator[Sample]:
    primary = hdul[0].header
    cube = read_image(hdul, first_image(hdul, source), source, 4)
    if cube.shape[1] != len(SDSS_BANDS):
        raise FitsFormatError(source, f"cube {cube.shape} has {cube.shape[1]} bands, expected 5 (u g r i z)",
                              "use the Stripe 82 cube as published")
    meta = header_meta(primary)
    meta["bands"] = [str(primary.get(f"BAND{j}", SDSS_BANDS[j])).strip() for j in range(cube.shape[1])]
    tai = [primary.get(f"TAI{i}") for i in range(cube.shape[0])]
    if all(isinstance(t, (int, float)) for t in tai):
        meta["tai"] = [float(t) for t in tai]
    meta["ntimes"] = int(cube.shape[0])
    yield Sample("", cube, meta)


def write_sdss(samples: Sequence[np.ndarray], meta: Mapping[str, Any]) -> fits.HDUList:
    (arr,) = samples
    hdr = primary_header(meta, {"TELESCOP": "SDSS 2.5-M"})
    hdu = fits.PrimaryHDU(data=arr, header=hdr)
    for j in range(arr.shape[1]):
        hdu.header[f"BAND{j}"] = SDSS_BANDS[j] if j < len(SDSS_BANDS) else str(j)
    tai = meta.get("tai")
    for i in range(arr.shape[0]):
        value = float(tai[i]) if isinstance(tai, Sequence) and i < len(tai) else float(i)
        hdu.header[f"TAI{i}"] = (value, "TAI of epoch i (s)")
    return fits.HDUList([hdu])
