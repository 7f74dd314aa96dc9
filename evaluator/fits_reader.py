"""Read one dataset file into *samples*, exactly the way the corpus authors do.

A *sample* is the array one dataset file yields before a track cuts items from
it (``evaluator.tracks.SAMPLE_LAYOUT``). Per dataset (``shared/DATA.md``,
"What a test item is"):

* ``SBI-16-2D`` (Hubble ACS ``*_raw.fits``): HDUs 1 and 4 (the two SCI chips)
  are two samples, suffixes ``.0`` and ``.1``.
* ``SBI-16-3D`` (JWST NIRCam ``*_uncal.fits``): the ``SCI`` HDU is
  (integrations, groups, H, W); the sample is the first integration (G, H, W).
* ``GBI-16-2D`` (Keck LRIS ``LR.*.fits``): one HDU per amplifier, pasted into
  one frame with prescan and overscan kept (:func:`paste_lris_amplifiers`,
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
:class:`FitsFormatError` naming the file and the fix. Hidden splits may also
hold ``.npy`` samples (loaded with ``allow_pickle=False``).
"""

from __future__ import annotations

import gzip
import io
import logging
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np
from astropy.io import fits

from evaluator.tracks import HUBBLE, JWST, KECK, LEGACY, SDSS

log = logging.getLogger(__name__)

FITS_SUFFIXES: tuple[str, ...] = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz")
NPY_SUFFIXES: tuple[str, ...] = (".npy",)
SAMPLE_SUFFIXES: tuple[str, ...] = FITS_SUFFIXES + NPY_SUFFIXES

# Number of dimensions of one sample per dataset (evaluator.tracks.SAMPLE_LAYOUT).
SAMPLE_NDIM: dict[str, int] = {LEGACY: 2, KECK: 2, HUBBLE: 2, JWST: 3, SDSS: 4}

# Hubble ACS raw files: SCI of chip 2 at HDU 1 and SCI of chip 1 at HDU 4 (DATA.md).
HUBBLE_SCI_HDUS: tuple[int, ...] = (1, 4)
SDSS_BANDS: tuple[str, ...] = ("u", "g", "r", "i", "z")

# Header keys copied into a sample's meta (lower-cased), when present.
_META_KEYS: dict[str, str] = {
    "EXPTIME": "exptime", "EFFEXPTM": "exptime", "TELESCOP": "telescope", "INSTRUME": "instrument",
    "FILTER": "filter", "FILTER1": "filter1", "FILTER2": "filter2", "RA": "ra", "DEC": "dec",
    "RA_TARG": "ra", "DEC_TARG": "dec", "GAIN": "gain", "RDNOISE": "readnoise", "READNOIS": "readnoise",
    "DATE-OBS": "date_obs", "OBJECT": "object", "NGROUPS": "ngroups", "NINTS": "nints",
    "PIXSCALE": "pixscale", "DETECTOR": "detector", "CCDGAIN": "gain",
}


class FitsFormatError(ValueError):
    """A dataset file that is not a valid AstroCompress sample file."""

    def __init__(self, source: str, problem: str, fix: str = "") -> None:
        self.source = source
        self.problem = problem
        advice = fix or "check that the file is an unmodified raw file of this dataset, or remove it from the split"
        super().__init__(f"{source}: {problem}; {advice}")


class Sample(NamedTuple):
    """One sample of a dataset file: id suffix ('' or '.0', '.1'), uint16 array, header meta."""

    suffix: str
    data: np.ndarray
    meta: dict[str, Any]


@dataclass(frozen=True)
class AmpGeometry:
    """How LRIS amplifiers sit in one pasted frame (binned pixels; header keys in parentheses).

    ``precol`` (PRECOL) prescan and ``postpix`` (POSTPIX) overscan columns per
    amplifier, ``preline``/``postline`` (PRELINE/POSTLINE) rows, ``xbin``/``ybin``
    (BINNING "x,y"). The header stores PRECOL and POSTPIX unbinned.
    """

    n_amps: int
    precol: int
    postpix: int
    preline: int = 0
    postline: int = 0
    xbin: int = 1
    ybin: int = 1


def _name(source: str | Path | BinaryIO) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return str(getattr(source, "name", "<file object>"))


def is_sample_file(path: str | Path) -> bool:
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


def _check_uint16(hdu: fits.hdu.base._BaseHDU, source: str, where: str) -> None:
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


def _as_uint16(data: np.ndarray | None, source: str, where: str) -> np.ndarray:
    if data is None:
        raise FitsFormatError(source, f"{where} holds no data", "check that the file is complete")
    if data.dtype.kind == "f" and np.isnan(data).any():
        raise FitsFormatError(source, f"{where} contains NaN values", "use raw integer counts")
    if data.dtype.kind == "u" and data.dtype.itemsize == 2:
        return np.ascontiguousarray(data, dtype=np.uint16)
    if data.dtype.kind == "i" and data.dtype.itemsize == 2:  # BITPIX 16 without BZERO: signed; lossless only when nothing is negative
        if data.size and int(data.min()) < 0:
            raise FitsFormatError(
                source, f"{where} is signed 16-bit (BITPIX 16 without BZERO 32768) with negative values",
                "store unsigned counts with BZERO 32768",
            )
        log.info("%s: %s is signed int16 without negative values; read as uint16", source, where)
        return np.ascontiguousarray(data.astype(np.uint16))
    raise FitsFormatError(source, f"{where} has dtype {data.dtype}, expected uint16", "use raw uint16 counts")


def _image(hdul: fits.HDUList, index: int | str, source: str, ndim: int | tuple[int, ...]) -> np.ndarray:
    try:
        hdu = hdul[index]
    except (IndexError, KeyError):
        names = ", ".join(f"{i}:{h.name}" for i, h in enumerate(hdul))
        raise FitsFormatError(
            source, f"missing HDU {index!r} (the file has {len(hdul)} HDUs: {names})",
            "this dataset needs the full multi-extension raw file",
        ) from None
    where = f"HDU {index!r}"
    _check_uint16(hdu, source, where)
    try:
        data = hdu.data
    except (OSError, ValueError, TypeError) as exc:  # truncated data block
        raise FitsFormatError(source, f"{where} data cannot be read ({exc})", "the file looks truncated; download it again") from exc
    arr = _as_uint16(data, source, where)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        raise FitsFormatError(
            source, f"{where} has {arr.ndim} dimensions {arr.shape}, expected {' or '.join(map(str, allowed))}",
            "check that the file belongs to this dataset",
        )
    return arr


FITS_BLOCK = 2880  # FITS files are a whole number of 2880-byte blocks (FITS standard 4.0, section 3.1)


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


def _open(source: str | Path | BinaryIO, name: str) -> fits.HDUList:
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


# --- Keck LRIS -----------------------------------------------------------------------------


def parse_section(section: str) -> tuple[int, int, int, int]:
    """``'[x1:x2,y1:y2]'`` (FITS/IRAF, 1-indexed, inclusive, may run backwards) -> (x1, x2, y1, y2)."""
    try:
        xs, ys = section.strip().strip("[]()").split(",")
        x1, x2 = (int(v) for v in xs.split(":"))
        y1, y2 = (int(v) for v in ys.split(":"))
    except ValueError:
        raise ValueError(f"cannot parse section {section!r}; expected '[x1:x2,y1:y2]'") from None
    return x1, x2, y1, y2


def lris_geometry(header: fits.Header, n_amps: int) -> AmpGeometry:
    binning = str(header.get("BINNING", "1,1"))
    try:
        xbin, ybin = (int(b) for b in binning.split(","))
    except ValueError:
        raise ValueError(f"BINNING {binning!r} is not 'x,y'") from None
    return AmpGeometry(
        n_amps=n_amps,
        precol=int(header["PRECOL"]) // xbin,
        postpix=int(header["POSTPIX"]) // xbin,
        preline=int(header.get("PRELINE", 0)),
        postline=int(header.get("POSTLINE", 0)),
        xbin=xbin,
        ybin=ybin,
    )


def paste_lris_amplifiers(primary: fits.Header, amps: list[tuple[fits.Header, np.ndarray]], source: str) -> np.ndarray:
    """Paste LRIS amplifier HDUs into one frame, prescan and overscan kept.

    The layout of pypeit's ``keck_lris.read_lris`` (non-trimmed), as used by the
    AstroCompress authors: amplifiers sorted by the left edge of DETSEC; the
    frame holds, left to right, every amplifier's prescan (PRECOL columns),
    then every amplifier's data (flipped in x when DETSEC runs backwards), then
    every amplifier's overscan (POSTPIX columns); all rows, including PRELINE
    and POSTLINE, are kept; DETSEC running backwards in y flips the whole
    amplifier. Each amplifier HDU is (rows, PRECOL + data + POSTPIX).
    """
    try:
        geo = lris_geometry(primary, len(amps))
    except (KeyError, ValueError) as exc:
        raise FitsFormatError(source, f"LRIS primary header lacks amplifier geometry ({exc})",
                              "the primary HDU needs PRECOL, POSTPIX, PRELINE, POSTLINE and BINNING") from exc
    parsed = []
    for k, (header, data) in enumerate(amps):
        try:
            x1, x2, y1, y2 = parse_section(str(header["DETSEC"]))
            dx1, _dx2, _dy1, _dy2 = parse_section(str(header["DATASEC"]))
        except (KeyError, ValueError) as exc:
            raise FitsFormatError(source, f"amplifier HDU {k + 1} has no valid DETSEC/DATASEC ({exc})",
                                  "use the unmodified LRIS raw file") from exc
        if dx1 - 1 != geo.precol:
            raise FitsFormatError(source, f"amplifier HDU {k + 1}: DATASEC starts at column {dx1}, "
                                  f"but PRECOL/xbin is {geo.precol}", "use the unmodified LRIS raw file")
        parsed.append((min(x1, x2), x1 > x2, y1 > y2, min(y1, y2), max(y1, y2), data))
    parsed.sort(key=lambda p: p[0])
    height = amps[0][1].shape[0]
    ymin = min(p[3] for p in parsed)
    ymax = max(p[4] for p in parsed)
    if (ymax - ymin + 1) // geo.ybin + geo.preline + geo.postline != height:
        raise FitsFormatError(source, f"amplifier rows ({height}) disagree with DETSEC y range {ymin}:{ymax}, "
                              f"PRELINE {geo.preline} and POSTLINE {geo.postline}", "use the unmodified LRIS raw file")
    widths = []
    for _, _, _, _, _, data in parsed:
        if data.shape[0] != height:
            raise FitsFormatError(source, f"amplifiers have different heights ({data.shape[0]} vs {height})",
                                  "use the unmodified LRIS raw file")
        w = data.shape[1] - geo.precol - geo.postpix
        if w <= 0:
            raise FitsFormatError(source, f"amplifier width {data.shape[1]} leaves no data columns after "
                                  f"PRECOL {geo.precol} and POSTPIX {geo.postpix}", "check BINNING")
        widths.append(w)
    n = len(parsed)
    width = sum(widths) + n * (geo.precol + geo.postpix)
    frame = np.empty((height, width), dtype=np.uint16)
    x_data = n * geo.precol
    for k, ((_, flip_x, flip_y, _, _, data), w) in enumerate(zip(parsed, widths)):
        pre = data[:, : geo.precol]
        body = data[:, geo.precol : geo.precol + w]
        post = data[:, geo.precol + w :]
        if flip_x:
            body = body[:, ::-1]
        if flip_y:
            pre, body, post = pre[::-1], body[::-1], post[::-1]
        frame[:, k * geo.precol : (k + 1) * geo.precol] = pre
        frame[:, x_data : x_data + w] = body
        x_data += w
        x_post = width - n * geo.postpix + k * geo.postpix
        frame[:, x_post : x_post + geo.postpix] = post
    return frame


# --- per dataset ---------------------------------------------------------------------------


def _first_image(hdul: fits.HDUList, source: str) -> int:
    for i, hdu in enumerate(hdul):
        if isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) and hdu.header.get("NAXIS", 0) > 0:
            return i
    raise FitsFormatError(source, "no image HDU with data", "check that the file holds an image")


def _iter_fits(hdul: fits.HDUList, dataset: str, source: str) -> Iterator[Sample]:
    primary = hdul[0].header
    base = header_meta(primary)
    if dataset == HUBBLE:
        for n, index in enumerate(HUBBLE_SCI_HDUS):
            if index >= len(hdul):
                raise FitsFormatError(source, f"missing HDU {index} (file has {len(hdul)} HDUs); ACS raw files "
                                      "hold SCI chips at HDUs 1 and 4", "use the full *_raw.fits file")
            arr = _image(hdul, index, source, 2)
            meta = {**base, **header_meta(hdul[index].header), "hdu": index}
            yield Sample(f".{n}", arr, meta)
    elif dataset == JWST:
        sci: int | str = "SCI" if "SCI" in [h.name for h in hdul] else _first_image(hdul, source)
        cube = _image(hdul, sci, source, (3, 4))
        first = cube[0] if cube.ndim == 4 else cube  # (integrations, groups, H, W) -> first integration
        meta = {**base, **header_meta(hdul[sci].header), "ngroups": int(first.shape[0])}
        if cube.ndim == 4:
            meta["nints"] = int(cube.shape[0])
        yield Sample("", np.ascontiguousarray(first), meta)
    elif dataset == KECK:
        amp_indices = [i for i, h in enumerate(hdul[1:], start=1) if "DETSEC" in h.header and h.header.get("NAXIS", 0) == 2]
        if not amp_indices:
            frame = _image(hdul, _first_image(hdul, source), source, 2)
            yield Sample("", frame, base)
            return
        amps = [(hdul[i].header, _image(hdul, i, source, 2)) for i in amp_indices]
        frame = paste_lris_amplifiers(primary, amps, source)
        yield Sample("", frame, {**base, "n_amps": len(amps)})
    elif dataset == SDSS:
        cube = _image(hdul, _first_image(hdul, source), source, 4)
        if cube.shape[1] != len(SDSS_BANDS):
            raise FitsFormatError(source, f"cube {cube.shape} has {cube.shape[1]} bands, expected 5 (u g r i z)",
                                  "use the Stripe 82 cube as published")
        meta = dict(base)
        meta["bands"] = [str(primary.get(f"BAND{j}", SDSS_BANDS[j])).strip() for j in range(cube.shape[1])]
        tai = [primary.get(f"TAI{i}") for i in range(cube.shape[0])]
        if all(isinstance(t, (int, float)) for t in tai):
            meta["tai"] = [float(t) for t in tai]
        meta["ntimes"] = int(cube.shape[0])
        yield Sample("", cube, meta)
    elif dataset == LEGACY:
        first_hdu = _first_image(hdul, source)
        yield Sample("", _image(hdul, first_hdu, source, 2), {**base, **header_meta(hdul[first_hdu].header)})
    else:
        raise ValueError(f"unknown dataset {dataset!r}")


def _read_npy(source: str | Path | BinaryIO, dataset: str) -> Sample:
    name = _name(source)
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
    want = SAMPLE_NDIM[dataset]
    if arr.ndim != want:
        raise FitsFormatError(name, f"{arr.ndim} dimensions {arr.shape}, expected {want} for {dataset}",
                              "store one sample per file in the layout of evaluator.tracks.SAMPLE_LAYOUT")
    return Sample("", np.ascontiguousarray(arr), {})


def iter_samples(source: str | Path | BinaryIO, dataset: str, *, name: str | None = None) -> Iterator[Sample]:
    """Yield the samples of one dataset file (path or binary file object).

    ``name`` is used for messages and to tell ``.npy`` from FITS when a file
    object is passed. Raises :class:`FitsFormatError` for files to refuse.
    """
    if dataset not in SAMPLE_NDIM:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(SAMPLE_NDIM)}")
    label = name or _name(source)
    if label.lower().endswith(NPY_SUFFIXES):
        yield _read_npy(source, dataset)
        return
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    hdul = _open(source, label)
    try:
        yield from _iter_fits(hdul, dataset, label)
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
