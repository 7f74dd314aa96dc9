"""SBI-16-3D layout: JWST NIRCam ``*_uncal.fits``, the ``SCI`` cube (integrations, groups, H, W).

Reading yields the first integration, (G, H, W), with ``ngroups`` (and
``nints`` for a 4-D cube) in its meta; a file without a ``SCI`` extension is
read from its first image HDU. Writing stores the sample as a ``SCI`` image
extension of shape (1, G, H, W), with NINTS and NGROUPS in the primary header.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from astropy.io import fits

from evaluator.data.fits_io import Sample, first_image, header_meta, primary_header, read_image


def read_jwst(hdul: fits.HDUList, source: str) -> Iterator[Sample]:
    base = header_meta(hdul[0].header)
    sci: int | str = "SCI" if "SCI" in [h.name for h in hdul] else first_image(hdul, source)
    cube = read_image(hdul, sci, source, (3, 4))
    first = cube[0] if cube.ndim == 4 else cube  # (integrations, groups, H, W) -> first integration
    meta = {**base, **header_meta(hdul[sci].header), "ngroups": int(first.shape[0])}
    if cube.ndim == 4:
        meta["nints"] = int(cube.shape[0])
    yield Sample("", np.ascontiguousarray(first), meta)


def write_jwst(samples: Sequence[np.ndarray], meta: Mapping[str, Any]) -> fits.HDUList:
    (arr,) = samples
    hdr = primary_header(meta, {"TELESCOP": "JWST", "INSTRUME": "NIRCAM"})
    hdr["NINTS"] = 1
    hdr["NGROUPS"] = arr.shape[0]
    return fits.HDUList([fits.PrimaryHDU(header=hdr), fits.ImageHDU(data=arr[np.newaxis], name="SCI")])
