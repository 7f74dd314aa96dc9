"""GBI-16-2D layout: Keck LRIS ``LR.*.fits``, one HDU per amplifier (single-HDU files before 2009).

Reading pastes the amplifier HDUs (those with DETSEC and two dimensions) into
one frame with prescan and overscan kept (:func:`evaluator.data.layouts.lris.paste_lris_amplifiers`);
a file without amplifier HDUs is read from its first image HDU as it is.
Writing splits the frame into amplifier HDUs: by the generator's
``meta["amplifiers"]`` sections when given, else in the pasted layout with the
geometry of :func:`evaluator.data.layouts.lris.lris_geometry_from_meta`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from astropy.io import fits

from evaluator.data.fits_io import Sample, first_image, header_meta, primary_header, read_image
from evaluator.data.layouts.lris import (
    lris_geometry_from_meta,
    paste_lris_amplifiers,
    split_lris_by_sections,
    split_lris_frame,
)


def read_keck(hdul: fits.HDUList, source: str) -> Iterator[Sample]:
    primary = hdul[0].header
    base = header_meta(primary)
    amp_indices = [i for i, h in enumerate(hdul[1:], start=1) if "DETSEC" in h.header and h.header.get("NAXIS", 0) == 2]
    if not amp_indices:
        frame = read_image(hdul, first_image(hdul, source), source, 2)
        yield Sample("", frame, base)
        return
    amps = [(hdul[i].header, read_image(hdul, i, source, 2)) for i in amp_indices]
    frame = paste_lris_amplifiers(primary, amps, source)
    yield Sample("", frame, {**base, "n_amps": len(amps)})


def write_keck(samples: Sequence[np.ndarray], meta: Mapping[str, Any]) -> fits.HDUList:
    (arr,) = samples
    layout = meta.get("amplifiers")
    split = split_lris_by_sections(arr, layout) if isinstance(layout, Mapping) else None
    if split is None:
        split = split_lris_frame(arr, lris_geometry_from_meta(meta, arr.shape[1], arr.shape[0]))
    amp_primary, amps = split
    hdr = primary_header(meta, {"TELESCOP": "Keck I"})
    hdr.update(amp_primary)
    return fits.HDUList([fits.PrimaryHDU(header=hdr), *amps])
