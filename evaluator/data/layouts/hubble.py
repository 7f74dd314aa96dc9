"""SBI-16-2D layout: Hubble ACS/WFC ``*_raw.fits``, the two SCI chips at HDUs 1 and 4.

Reading yields two samples, suffixes ``.0`` (HDU 1) and ``.1`` (HDU 4).
Writing lays out a primary header, then SCI/ERR/DQ for each chip (ERR and DQ
empty, as in ACS raw files), so the SCI chips land at HDUs 1 and 4 again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from astropy.io import fits

from evaluator.data.fits_io import FitsFormatError, Sample, header_meta, primary_header, read_image

# Hubble ACS raw files: SCI of chip 2 at HDU 1 and SCI of chip 1 at HDU 4 (DATA.md).
HUBBLE_SCI_HDUS: tuple[int, ...] = (1, 4)


def read_hubble(hdul: fits.HDUList, source: str) -> Iterator[Sample]:
    base = header_meta(hdul[0].header)
    for n, index in enumerate(HUBBLE_SCI_HDUS):
        if index >= len(hdul):
            raise FitsFormatError(source, f"missing HDU {index} (file has {len(hdul)} HDUs); ACS raw files "
                                  "hold SCI chips at HDUs 1 and 4", "use the full *_raw.fits file")
        arr = read_image(hdul, index, source, 2)
        meta = {**base, **header_meta(hdul[index].header), "hdu": index}
        yield Sample(f".{n}", arr, meta)


def write_hubble(samples: Sequence[np.ndarray], meta: Mapping[str, Any]) -> fits.HDUList:
    hdr = primary_header(meta, {"TELESCOP": "HST", "INSTRUME": "ACS", "DETECTOR": "WFC"})
    hdus: list[fits.hdu.base._BaseHDU] = [fits.PrimaryHDU(header=hdr)]
    for chip, arr in enumerate(samples, start=1):
        hdus.append(fits.ImageHDU(data=arr, name="SCI", ver=chip))
        hdus.append(fits.ImageHDU(name="ERR", ver=chip))
        hdus.append(fits.ImageHDU(name="DQ", ver=chip))
    return fits.HDUList(hdus)
