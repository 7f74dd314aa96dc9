"""Read one dataset file into *samples*, exactly the way the corpus authors do.

A *sample* is the array one dataset file yields before a track cuts items from
it (``evaluator.core.tracks.SAMPLE_LAYOUT``). Per dataset (``shared/DATA.md``,
"What a test item is"; each reader is a module of ``evaluator.data.layouts``, named
by the dataset's record in ``evaluator.data.datasets``):

* ``SBI-16-2D`` (Hubble ACS ``*_raw.fits``): HDUs 1 and 4 (the two SCI chips)
  are two samples, suffixes ``.0`` and ``.1``.
* ``SBI-16-3D`` (JWST NIRCam ``*_uncal.fits``): the ``SCI`` HDU is
  (integrations, groups, H, W); the sample is the first integration (G, H, W).
* ``GBI-16-2D`` (Keck LRIS ``LR.*.fits``): one HDU per amplifier, pasted into
  one frame with prescan and overscan kept (``evaluator.data.layouts.lris``,
  after pypeit's ``keck_lris.read_lris`` as adapted by the AstroCompress
  authors). Single-HDU files (LRIS before 2009) are read as they are.
* ``GBI-16-4D`` (SDSS Stripe 82 cubes): the primary HDU (T, 5, H, W), header
  keys ``BAND{j}`` and ``TAI{i}``.
* ``GBI-16-2D-Legacy``: one frame (the primary HDU, or the first image
  extension when the primary is empty).

Every sample is unsigned 16-bit: FITS stores it as BITPIX 16 with
BZERO 32768 and BSCALE 1, and astropy applies the offset. Anything else
(float or 32-bit data, a scaled BSCALE, truncated or non-FITS bytes, a
missing extension, a wrong number of dimensions) raises
:class:`FitsFormatError` naming the file and the fix (the checks live in
``evaluator.data.fits_io``). Hidden splits may also hold ``.npy`` samples (loaded
with ``allow_pickle=False``). This module is the entry point: it opens a file,
looks its dataset up and hands the HDUs to that dataset's reader.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from evaluator.data.datasets import Dataset, get_dataset
from evaluator.data.fits_io import NPY_SUFFIXES, FitsFormatError, Sample, is_sample_file, open_fits, source_name

__all__ = ["FitsFormatError", "Sample", "is_sample_file", "iter_samples", "read_samples"]


def _read_npy(source: str | Path | BinaryIO, ds: Dataset) -> Sample:
    name = source_name(source)
    try:
        arr = np.load(source, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise FitsFormatError(name, f"not a readable .npy array ({exc})", "save samples with numpy.save") from exc
    if not isinstance(arr, np.ndarray):
        raise FitsFormatError(name, "holds an archive, not one array", "save one sample per .npy file")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise FitsFormatError(name, "contains NaN values", "store raw uint16 counts")
    if arr.dtype != np.uint16:
        raise FitsFormatError(name, f"dtype {arr.dtype}, expected uint16", "store raw uint16 counts")
    if arr.ndim != ds.ndim:
        raise FitsFormatError(name, f"{arr.ndim} dimensions {arr.shape}, expected {ds.ndim} for {ds.name}",
                              "store one sample per file in the layout of evaluator.core.tracks.SAMPLE_LAYOUT")
    return Sample("", np.ascontiguousarray(arr), {})


def iter_samples(source: str | Path | BinaryIO, dataset: str, *, name: str | None = None) -> Iterator[Sample]:
    """Yield the samples of one dataset file (path or binary file object).

    ``name`` is used for messages and to tell ``.npy`` from FITS when a file
    object is passed. Raises :class:`FitsFormatError` for files to refuse.
    """
    ds = get_dataset(dataset)
    label = name or source_name(source)
    if label.lower().endswith(NPY_SUFFIXES):
        yield _read_npy(source, ds)
        return
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    hdul = open_fits(source, label)
    try:
        yield from ds.read(hdul, label)
    except FitsFormatError:
        raise
    except (OSError, ValueError, TypeError, IndexError, EOFError) as exc:
        raise FitsFormatError(label, f"cannot read the file ({type(exc).__name__}: {exc})",
                              "the file may be truncated or corrupted; download it again") from exc
    finally:
        hdul.close()


def read_samples(source: str | Path | BinaryIO, dataset: str, *, name: str | None = None) -> list[Sample]:
    """All samples of one file (see :func:`iter_samples`)."""
    return list(iter_samples(source, dataset, name=name))
