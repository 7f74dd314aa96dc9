"""FITS in and out, shared by every dataset layout: errors, the sample record, uint16 checks, headers.

Reading (used by the per-dataset readers in ``evaluator.data.layouts``):
:func:`open_fits` refuses non-FITS, truncated and corrupt files (gzip-compressed
FITS is gunzipped first); :func:`read_image` returns one HDU as a uint16 array
with the wanted number of dimensions, refusing anything that is not BITPIX 16
with BZERO 32768 and BSCALE 1 (or non-negative int16); :func:`header_meta`
copies the JSON-friendly header keys into a sample's meta. Every refusal is a
:class:`FitsFormatError` naming the file, the problem and the fix.

Writing (used by the per-dataset writers): :func:`primary_header` turns a
sample's meta into primary-header cards (:func:`header_value` keeps them
FITS-safe).
"""

from __future__ import annotations

import gzip
import io
import logging
import math
import unicodedata
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np
from astropy.io import fits

from evaluator.sdk.errors import BadInput

log = logging.getLogger(__name__)

FITS_SUFFIXES: tuple[str, ...] = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz")
NPY_SUFFIXES: tuple[str, ...] = (".npy",)
SAMPLE_SUFFIXES: tuple[str, ...] = FITS_SUFFIXES + NPY_SUFFIXES
FITS_BLOCK = 2880  # FITS files are a whole number of 2880-byte blocks (FITS standard 4.0, section 3.1)

# Header keys copied into a sample's meta (lower-cased), when present.
_META_KEYS: dict[str, str] = {
    "EXPTIME": "exptime", "EFFEXPTM": "exptime", "TELESCOP": "telescope", "INSTRUME": "instrument",
    "FILTER": "filter", "FILTER1": "filter1", "FILTER2": "filter2", "RA": "ra", "DEC": "dec",
    "RA_TARG": "ra", "DEC_TARG": "dec", "GAIN": "gain", "RDNOISE": "readnoise", "READNOIS": "readnoise",
    "DATE-OBS": "date_obs", "OBJECT": "object", "NGROUPS": "ngroups", "NINTS": "nints",
    "PIXSCALE": "pixscale", "DETECTOR": "detector", "CCDGAIN": "gain",
}

# Primary-header keys written from a sample's meta.
_HEADER_FROM_META: dict[str, str] = {
    "exptime": "EXPTIME", "telescope": "TELESCOP", "instrument": "INSTRUME", "filter": "FILTER",
    "ra": "RA", "dec": "DEC", "gain": "GAIN", "readnoise": "RDNOISE", "pixscale": "PIXSCALE",
    "object": "OBJECT", "date_obs": "DATE-OBS",
}


class FitsFormatError(BadInput, ValueError):
    """A dataset file that is not a valid AstroCompress sample file."""

    def __init__(self, source: str, problem: str, fix: str = "") -> None:
        self.source = source
        self.problem = problem
        advice = fix or "check that the file is an unmodified raw file of this dataset, or remove it from the split"
        super().__init__(f"{source}: {problem}; {advice}", fix=advice)
        self.message = f"{source}: {problem}"  # the CLI's error line; its fix line is the advice


class Sample(NamedTuple):
    """One sample of a dataset file: id suffix ('' or '.0', '.1'), uint16 array, header meta."""

    suffix: str
    data: np.ndarray
    meta: dict[str, Any]


def source_name(source: str | Path | BinaryIO) -> str:
    """The name used in messages for a path or a file object."""
    if isinstance(source, (str, Path)):
        return str(source)
    return str(getattr(source, "name", "<file object>"))


def is_sample_file(path: str | Path) -> bool:
    """Whether the name is a sample file (FITS, optionally gzip-compressed, or .npy)."""
    name = str(path).lower()
    return name.endswith(SAMPLE_SUFFIXES)


def header_meta(header: fits.Header) -> dict[str, Any]:
    """JSON-friendly subset of a FITS header (exposure time, telescope, filter, ...)."""
    meta: dict[str, Any] = {}
    for key, name in _META_KEYS.items():
        if key in header and name not in meta:
            value = header[key]
            if isinstance(value, (bool, int, float, str)) and not isinstance(value, fits.card.Undefined):
                meta[name] = value.strip() if isinstance(value, str) else value
    return meta


def check_uint16(hdu: fits.hdu.base._BaseHDU, source: str, where: str) -> None:
    """Refuse anything that is not BITPIX 16 + BZERO 32768 + BSCALE 1 (or non-negative int16)."""
    header = hdu.header
    bitpix = header.get("BITPIX")
    if isinstance(hdu, fits.CompImageHDU):
        bitpix = header.get("ZBITPIX", bitpix) if "ZBITPIX" in header else bitpix
    if bitpix != 16:
        kind = {8: "8-bit", 32: "32-bit integer", 64: "64-bit integer", -32: "32-bit float", -64: "64-bit float"}
        raise FitsFormatError(
            source, f"{where} has BITPIX {bitpix} ({kind.get(bitpix, 'unknown')} data), expected 16",
            "the challenge takes raw unsigned 16-bit detector counts (BITPIX 16, BZERO 32768); "
            "use the raw file, not a calibrated or converted product",
        )
    bscale = header.get("BSCALE", 1)
    if bscale != 1:
        raise FitsFormatError(
            source, f"{where} has BSCALE {bscale}, expected 1 (scaled data is not raw integer counts)",
            "use the raw file with BSCALE 1",
        )
    bzero = header.get("BZERO", 0)
    if bzero not in (0, 32768):
        raise FitsFormatError(
            source, f"{where} has BZERO {bzero}, expected 32768 (unsigned 16-bit)", "use the raw uint16 file",
        )


def as_uint16(data: np.ndarray | None, source: str, where: str) -> np.ndarray:
    if data is None:
        raise FitsFormatError(source, f"{where} holds no data", "check that the file is complete")
    if data.dtype.kind == "f" and np.isnan(data).any():
        raise FitsFormatError(source, f"{where} contains NaN values", "use raw integer counts")
    if data.dtype.kind == "u" and data.dtype.itemsize == 2:
        return np.ascontiguousarray(data, dtype=np.uint16)
    # BITPIX 16 without BZERO: signed; lossless only when nothing is negative
    if data.dtype.kind == "i" and data.dtype.itemsize == 2:
        if data.size and int(data.min()) < 0:
            raise FitsFormatError(
                source, f"{where} is signed 16-bit (BITPIX 16 without BZERO 32768) with negative values",
                "store unsigned counts with BZERO 32768",
            )
        log.info("%s: %s is signed int16 without negative values; read as uint16", source, where)
        return np.ascontiguousarray(data.astype(np.uint16))
    raise FitsFormatError(source, f"{where} has dtype {data.dtype}, expected uint16", "use raw uint16 counts")


def read_image(hdul: fits.HDUList, index: int | str, source: str, ndim: int | tuple[int, ...]) -> np.ndarray:
    """HDU ``index`` as a C-contiguous uint16 array with ``ndim`` dimensions (or one of them)."""
    try:
        hdu = hdul[index]
    except (IndexError, KeyError):
        names = ", ".join(f"{i}:{h.name}" for i, h in enumerate(hdul))
        raise FitsFormatError(
            source, f"missing HDU {index!r} (the file has {len(hdul)} HDUs: {names})",
            "this dataset needs the full multi-extension raw file",
        ) from None
    where = f"HDU {index!r}"
    check_uint16(hdu, source, where)
    try:
        data = hdu.data
    except (OSError, ValueError, TypeError) as exc:  # truncated data block
        raise FitsFormatError(source, f"{where} data cannot be read ({exc})",
                              "the file looks truncated; download it again") from exc
    arr = as_uint16(data, source, where)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        raise FitsFormatError(
            source, f"{where} has {arr.ndim} dimensions {arr.shape}, expected {' or '.join(map(str, allowed))}",
            "check that the file belongs to this dataset",
        )
    return arr


def first_image(hdul: fits.HDUList, source: str) -> int:
    """Index of the first image HDU that holds data."""
    for i, hdu in enumerate(hdul):
        if isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) and hdu.header.get("NAXIS", 0) > 0:
            return i
    raise FitsFormatError(source, "no image HDU with data", "check that the file holds an image")


def _read_bytes(source: str | Path | BinaryIO, name: str) -> bytes:
    """The file's FITS bytes, gunzipped when gzip-compressed, refused when truncated."""
    try:
        if isinstance(source, (str, Path)):
            raw = Path(source).read_bytes()
        else:
            raw = source.read()
    except OSError as exc:
        raise FitsFormatError(name, f"cannot read the file ({exc})", "check the path and permissions") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise FitsFormatError(name, f"truncated or corrupt gzip stream ({exc})",
                                  "download or copy the file again") from exc
    if not raw.startswith(b"SIMPLE  ="):
        raise FitsFormatError(name, "not a FITS file (it does not start with a SIMPLE card)",
                              "pass a FITS file (.fits, .fits.gz, .fit.gz) or a .npy sample")
    if len(raw) % FITS_BLOCK:
        raise FitsFormatError(name, f"truncated FITS file ({len(raw)} bytes is not a whole number of "
                              f"{FITS_BLOCK}-byte blocks)", "download or copy the file again")
    return raw


def open_fits(source: str | Path | BinaryIO, name: str) -> fits.HDUList:
    """The file's HDU list, read into memory; refuses non-FITS, truncated and corrupt files."""
    raw = _read_bytes(source, name)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hdul = fits.open(io.BytesIO(raw), memmap=False, lazy_load_hdus=False)
    except (OSError, ValueError, TypeError, EOFError) as exc:
        raise FitsFormatError(name, f"not a readable FITS file ({exc})",
                              "check that the file is FITS (optionally gzip-compressed) and complete") from exc
    for w in caught:
        text = str(w.message)
        if "truncated" in text.lower() or "unexpected end" in text.lower():
            hdul.close()
            raise FitsFormatError(name, f"truncated FITS file ({text})", "download or copy the file again")
        log.debug("%s: astropy warning: %s", name, text)
    if len(hdul) == 0:
        hdul.close()
        raise FitsFormatError(name, "no HDUs", "check that the file is FITS")
    for i in range(len(hdul)):
        info = hdul.fileinfo(i)
        if info and info["datLoc"] + info["datSpan"] > len(raw):
            hdul.close()
            raise FitsFormatError(name, f"truncated FITS file (HDU {i} data run past the end of the file)",
                                  "download or copy the file again")
    return hdul


# --- writing ------------------------------------------------------------------------------


def checked_sample(arr: np.ndarray, dataset: str, ndim: int, what: str) -> np.ndarray:
    """``arr`` as a C-contiguous uint16 array of ``ndim`` dimensions, for writing ``dataset``."""
    if not isinstance(arr, np.ndarray) or arr.dtype != np.uint16:
        raise TypeError(f"{dataset} {what}: expected a uint16 array, got {getattr(arr, 'dtype', type(arr))}")
    if arr.ndim != ndim:
        raise ValueError(f"{dataset} {what}: expected {ndim} dims, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def header_value(value: Any) -> int | float | str | None:
    """A FITS-safe header value (printable ASCII strings, finite numbers), or None to skip it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.integer, np.floating)):
        return None
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (int, np.integer)):
        return int(value)
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in text if 32 <= ord(ch) < 127)


def primary_header(meta: Mapping[str, Any], defaults: Mapping[str, Any]) -> fits.Header:
    """Primary-header cards: ``defaults``, then the known keys of ``meta`` (FITS-safe values)."""
    header = fits.Header()
    values = dict(defaults)
    for name, key in _HEADER_FROM_META.items():
        value = header_value(meta.get(name))
        if value is not None:
            values[key] = value
    for key, value in values.items():
        header[key] = value
    return header
