"""Write samples as FITS files laid out exactly like the ``AstroCompress/*`` Hub repos.

The inverse of :mod:`evaluator.fits_reader` (``shared/DATA.md``, "Hub layout")::

    <root>/<DATASET>/splits/{tiny,full}_{train,test}.jsonl
    <root>/<DATASET>/data/<sub>/<file>.fits

Each split row is ``{"image_id": ..., "image": "./data/<sub>/<file>.fits", extra...}``;
extra fields: ``telescope`` (GBI-16-2D-Legacy), ``exptime`` (SBI-16-2D),
``ra``, ``dec``, ``pixscale``, ``ntimes`` (SBI-16-3D).

File layouts written (what the reader expects back, bit-exactly):

* SBI-16-2D ``<id>_raw.fits``: primary header, then SCI/ERR/DQ for each chip,
  so the two SCI chips sit at HDUs 1 and 4 (ERR and DQ empty, as in ACS raw files).
* SBI-16-3D ``<id>_uncal.fits``: ``SCI`` image extension (1, G, H, W).
* GBI-16-2D ``LR.<id>.fits``: the frame split into amplifier HDUs with
  PRECOL, POSTPIX, PRELINE, POSTLINE, BINNING, DETSEC, DATASEC. A frame in the
  authors' pasted layout (all prescans | all data | all overscans) reads back
  bit-exactly; a frame whose amplifiers sit side by side (``meta["amplifiers"]``
  sections, as the synthetic generator makes them) is split into physical
  amplifiers and reads back in the authors' layout (:func:`lris_paste_order`).
* GBI-16-4D ``<id>.fits``: primary (T, 5, H, W) with ``BAND{j}`` and ``TAI{i}``.
* GBI-16-2D-Legacy ``data/<TEL>/<id>.fits``: primary single frame.

All data are uint16, stored as BITPIX 16 + BZERO 32768. No timestamps are
written, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import logging
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from evaluator.fits_reader import SAMPLE_NDIM, SDSS_BANDS, AmpGeometry
from evaluator.tracks import HUBBLE, JWST, KECK, LEGACY, SDSS

log = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("tiny_train", "tiny_test", "full_train", "full_test")

# Row fields each dataset's split files carry (DATA.md).
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    LEGACY: ("telescope",),
    HUBBLE: ("exptime",),
    JWST: ("ra", "dec", "pixscale", "ntimes"),
    KECK: (),
    SDSS: (),
}

# Primary-header keys written from a sample's meta.
_HEADER_FROM_META: dict[str, str] = {
    "exptime": "EXPTIME", "telescope": "TELESCOP", "instrument": "INSTRUME", "filter": "FILTER",
    "ra": "RA", "dec": "DEC", "gain": "GAIN", "readnoise": "RDNOISE", "pixscale": "PIXSCALE",
    "object": "OBJECT", "date_obs": "DATE-OBS",
}

# LRIS red readout (pypeit keck_lris: POSTLINE 20, POSTPIX 80, PRELINE 0, PRECOL 12, 4 amplifiers).
LRIS_DEFAULT = AmpGeometry(n_amps=4, precol=12, postpix=80, preline=0, postline=20)


def _check(arr: np.ndarray, dataset: str, what: str) -> np.ndarray:
    if not isinstance(arr, np.ndarray) or arr.dtype != np.uint16:
        raise TypeError(f"{dataset} {what}: expected a uint16 array, got {getattr(arr, 'dtype', type(arr))}")
    want = SAMPLE_NDIM[dataset]
    if arr.ndim != want:
        raise ValueError(f"{dataset} {what}: expected {want} dims, got shape {arr.shape}")
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


def _primary_header(meta: Mapping[str, Any], defaults: Mapping[str, Any]) -> fits.Header:
    header = fits.Header()
    values = dict(defaults)
    for name, key in _HEADER_FROM_META.items():
        value = header_value(meta.get(name))
        if value is not None:
            values[key] = value
    for key, value in values.items():
        header[key] = value
    return header


def relative_path(dataset: str, image_id: str, meta: Mapping[str, Any] | None = None, sub: str | None = None) -> str:
    """The ``./data/<sub>/<file>`` path of one file, named as in the Hub repos."""
    meta = meta or {}
    safe = image_id.replace("/", "_")
    if dataset == HUBBLE:
        name = f"{safe}_raw.fits"
    elif dataset == JWST:
        name = f"{safe}_uncal.fits"
    elif dataset == KECK:
        name = safe if safe.startswith("LR.") else f"LR.{safe}"
        name += ".fits"
    elif dataset in (SDSS, LEGACY):
        name = f"{safe}.fits"
    else:
        raise ValueError(f"unknown dataset {dataset!r}")
    if sub is None:
        sub = str(meta.get("telescope", "UNKNOWN")) if dataset == LEGACY else "part0"
    return f"./data/{sub}/{name}"


def default_lris_geometry(width: int, height: int) -> AmpGeometry:
    """An LRIS-like amplifier geometry that fits a pasted frame of this size."""
    for n, pre, post, postline in ((4, 12, 80, 20), (4, 4, 16, 4), (2, 4, 16, 4), (2, 1, 2, 0), (1, 1, 1, 0)):
        if width - n * (pre + post) >= n and height > postline:
            return AmpGeometry(n_amps=n, precol=pre, postpix=post, preline=0, postline=postline)
    return AmpGeometry(n_amps=1, precol=0, postpix=0, preline=0, postline=0)


def lris_geometry_from_meta(meta: Mapping[str, Any], width: int, height: int) -> AmpGeometry:
    """Amplifier geometry given by the generator's meta (``amp_geometry`` dict or flat keys), else a default."""
    given = meta.get("amp_geometry")
    src: Mapping[str, Any] = given if isinstance(given, Mapping) else meta
    keys = ("precol", "postpix")
    if all(k in src for k in keys):
        n = int(src.get("n_amps", src.get("namps", 4)))
        xbin, ybin = 1, 1
        if "binning" in src:
            b = src["binning"]
            xbin, ybin = (int(v) for v in (b.split(",") if isinstance(b, str) else b))
        return AmpGeometry(n_amps=n, precol=int(src["precol"]), postpix=int(src["postpix"]),
                           preline=int(src.get("preline", 0)), postline=int(src.get("postline", 0)),
                           xbin=int(src.get("xbin", xbin)), ybin=int(src.get("ybin", ybin)))
    return default_lris_geometry(width, height)


def split_lris_frame(frame: np.ndarray, geo: AmpGeometry) -> tuple[fits.Header, list[fits.ImageHDU]]:
    """Split a pasted frame into amplifier HDUs (the inverse of ``paste_lris_amplifiers``)."""
    height, width = frame.shape
    n = geo.n_amps
    data_width = width - n * (geo.precol + geo.postpix)
    if data_width < n or height <= geo.preline + geo.postline:
        raise ValueError(f"frame {frame.shape} too small for amplifier geometry {geo}")
    widths = [data_width // n] * n
    widths[-1] += data_width - sum(widths)
    primary = fits.Header()
    primary["INSTRUME"] = "LRIS"
    primary["PRECOL"] = (geo.precol * geo.xbin, "prescan columns per amplifier (unbinned)")
    primary["POSTPIX"] = (geo.postpix * geo.xbin, "overscan columns per amplifier (unbinned)")
    primary["PRELINE"] = (geo.preline, "prescan rows")
    primary["POSTLINE"] = (geo.postline, "overscan rows")
    primary["BINNING"] = (f"{geo.xbin},{geo.ybin}", "x,y binning")
    primary["NUMAMPS"] = n
    y1, y2 = 1, (height - geo.preline - geo.postline) * geo.ybin
    hdus = []
    x_data = n * geo.precol
    x_det = 1
    for k, w in enumerate(widths):
        pre = frame[:, k * geo.precol : (k + 1) * geo.precol]
        body = frame[:, x_data : x_data + w]
        x_post = width - n * geo.postpix + k * geo.postpix
        post = frame[:, x_post : x_post + geo.postpix]
        x_data += w
        reverse = k % 2 == 1  # every other amplifier reads out right to left
        det_lo, det_hi = x_det, x_det + w * geo.xbin - 1
        x_det = det_hi + 1
        if reverse:
            body = body[:, ::-1]
        amp = np.ascontiguousarray(np.concatenate([pre, body, post], axis=1))
        h = fits.Header()
        h["EXTNAME"] = f"VIDINP{k + 1}"
        h["DETSEC"] = f"[{det_hi}:{det_lo},{y1}:{y2}]" if reverse else f"[{det_lo}:{det_hi},{y1}:{y2}]"
        h["DATASEC"] = f"[{geo.precol + 1}:{geo.precol + w},{geo.preline + 1}:{height - geo.postline}]"
        hdus.append(fits.ImageHDU(data=amp, header=h))
    return primary, hdus


def split_lris_by_sections(frame: np.ndarray, layout: Mapping[str, Any]) -> tuple[fits.Header, list[fits.ImageHDU]] | None:
    """Split a frame whose amplifiers sit side by side into physical LRIS amplifier HDUs.

    ``layout`` is the synthetic generator's description (``meta["amplifiers"]``:
    ``sections`` with 0-based, end-exclusive ``prescan``/``data``/``overscan``
    columns, ``data_rows``, ``readout_side``; ``binning``). Each HDU holds one
    amplifier in readout order, ``prescan | data | overscan``: an amplifier read
    from the right is stored column-reversed with a backwards DETSEC, as on the
    detector. Reading pastes the amplifiers in the corpus authors' layout (all
    prescans, all data, all overscans), so the item is a column permutation of
    ``frame`` with every pixel kept. Returns None when the amplifiers do not share
    one prescan and one overscan width (LRIS headers have a single PRECOL/POSTPIX).
    """
    sections = list(layout.get("sections", []))
    if not sections:
        return None
    width = lambda sec, key: int(sec[key][1]) - int(sec[key][0])
    pres = {width(s, "prescan") for s in sections}
    posts = {width(s, "overscan") for s in sections}
    if len(pres) != 1 or len(posts) != 1:
        return None
    pre, post = pres.pop(), posts.pop()
    xbin, ybin = (int(v) for v in layout.get("binning", (1, 1)))
    height = frame.shape[0]
    d0, d1 = (int(v) for v in sections[0]["data_rows"])
    preline, postline = d0, height - d1
    primary = fits.Header()
    primary["INSTRUME"] = "LRIS"
    primary["PRECOL"] = (pre * xbin, "prescan columns per amplifier (unbinned)")
    primary["POSTPIX"] = (post * xbin, "overscan columns per amplifier (unbinned)")
    primary["PRELINE"] = (preline, "prescan rows")
    primary["POSTLINE"] = (postline, "overscan rows")
    primary["BINNING"] = (f"{xbin},{ybin}", "x,y binning")
    primary["NUMAMPS"] = len(sections)
    y1, y2 = 1, (d1 - d0) * ybin
    hdus = []
    x_det = 1
    for k, sec in enumerate(sorted(sections, key=lambda s: int(s["columns"][0]))):
        c0, c1 = (int(v) for v in sec["columns"])
        amp = frame[:, c0:c1]
        w = width(sec, "data")
        lo, hi = x_det, x_det + w * xbin - 1
        x_det = hi + 1
        right = sec.get("readout_side") == "right"
        if right:
            amp = amp[:, ::-1]
        h = fits.Header()
        h["EXTNAME"] = f"VIDINP{k + 1}"
        h["DETSEC"] = f"[{hi}:{lo},{y1}:{y2}]" if right else f"[{lo}:{hi},{y1}:{y2}]"
        h["DATASEC"] = f"[{pre + 1}:{pre + w},{preline + 1}:{height - postline}]"
        hdus.append(fits.ImageHDU(data=np.ascontiguousarray(amp), header=h))
    return primary, hdus


def lris_paste_order(layout: Mapping[str, Any]) -> np.ndarray:
    """Column index map: ``pasted = frame[:, lris_paste_order(layout)]`` for :func:`split_lris_by_sections`."""
    secs = sorted(layout["sections"], key=lambda s: int(s["columns"][0]))
    def cols(sec: Mapping[str, Any], key: str, readout: bool) -> list[int]:
        c = list(range(int(sec[key][0]), int(sec[key][1])))
        return c[::-1] if readout and sec.get("readout_side") == "right" else c
    order = [c for s in secs for c in cols(s, "prescan", True)]
    order += [c for s in secs for c in cols(s, "data", False)]
    order += [c for s in secs for c in cols(s, "overscan", True)]
    return np.array(order, dtype=np.intp)


def build_hdul(dataset: str, samples: Sequence[np.ndarray], meta: Mapping[str, Any] | None = None) -> fits.HDUList:
    """The HDU list of one dataset file holding these samples."""
    meta = dict(meta or {})
    if dataset == HUBBLE:
        if len(samples) != 2:
            raise ValueError(f"{HUBBLE} files hold 2 chips (HDUs 1 and 4), got {len(samples)} samples")
        hdr = _primary_header(meta, {"TELESCOP": "HST", "INSTRUME": "ACS", "DETECTOR": "WFC"})
        hdus: list[fits.hdu.base._BaseHDU] = [fits.PrimaryHDU(header=hdr)]
        for chip, arr in enumerate(samples, start=1):
            arr = _check(arr, dataset, f"chip {chip}")
            hdus.append(fits.ImageHDU(data=arr, name="SCI", ver=chip))
            hdus.append(fits.ImageHDU(name="ERR", ver=chip))
            hdus.append(fits.ImageHDU(name="DQ", ver=chip))
        return fits.HDUList(hdus)
    if len(samples) != 1:
        raise ValueError(f"{dataset} files hold one sample, got {len(samples)}")
    arr = _check(samples[0], dataset, "sample")
    if dataset == JWST:
        hdr = _primary_header(meta, {"TELESCOP": "JWST", "INSTRUME": "NIRCAM"})
        hdr["NINTS"] = 1
        hdr["NGROUPS"] = arr.shape[0]
        return fits.HDUList([fits.PrimaryHDU(header=hdr), fits.ImageHDU(data=arr[np.newaxis], name="SCI")])
    if dataset == KECK:
        layout = meta.get("amplifiers")
        split = split_lris_by_sections(arr, layout) if isinstance(layout, Mapping) else None
        if split is None:
            split = split_lris_frame(arr, lris_geometry_from_meta(meta, arr.shape[1], arr.shape[0]))
        amp_primary, amps = split
        hdr = _primary_header(meta, {"TELESCOP": "Keck I"})
        hdr.update(amp_primary)
        return fits.HDUList([fits.PrimaryHDU(header=hdr), *amps])
    if dataset == SDSS:
        hdr = _primary_header(meta, {"TELESCOP": "SDSS 2.5-M"})
        hdu = fits.PrimaryHDU(data=arr, header=hdr)
        for j in range(arr.shape[1]):
            hdu.header[f"BAND{j}"] = SDSS_BANDS[j] if j < len(SDSS_BANDS) else str(j)
        tai = meta.get("tai")
        for i in range(arr.shape[0]):
            value = float(tai[i]) if isinstance(tai, Sequence) and i < len(tai) else float(i)
            hdu.header[f"TAI{i}"] = (value, "TAI of epoch i (s)")
        return fits.HDUList([hdu])
    if dataset == LEGACY:
        hdr = _primary_header(meta, {})
        return fits.HDUList([fits.PrimaryHDU(data=arr, header=hdr)])
    raise ValueError(f"unknown dataset {dataset!r}")


def write_file(path: str | Path, dataset: str, samples: Sequence[np.ndarray], meta: Mapping[str, Any] | None = None) -> Path:
    """Write one dataset file (deterministic bytes; parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_hdul(dataset, samples, meta).writeto(path, overwrite=True, checksum=False)
    return path


def row_extra(dataset: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The extra split-row fields of one file, from its meta."""
    extra: dict[str, Any] = {}
    for key in ROW_FIELDS[dataset]:
        if key in meta and isinstance(meta[key], (int, float, str)):
            extra[key] = meta[key]
    return extra


@dataclass
class HubDatasetWriter:
    """Writes one dataset folder (``<root>/<dataset>``) file by file, then its split files."""

    root: Path
    dataset: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {s: [] for s in SPLITS})

    @property
    def folder(self) -> Path:
        return Path(self.root) / self.dataset

    def add(self, image_id: str, samples: Sequence[np.ndarray], meta: Mapping[str, Any] | None = None, *,
            splits: Iterable[str], sub: str | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Write one file and list it in the given splits; returns its split row."""
        meta = dict(meta or {})
        rel = relative_path(self.dataset, image_id, meta, sub)
        write_file(self.folder / rel, self.dataset, samples, meta)
        row = {"image_id": image_id, "image": rel, **row_extra(self.dataset, meta), **dict(extra or {})}
        for split in splits:
            if split not in self.rows:
                raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
            self.rows[split].append(row)
        return row

    def finish(self) -> Path:
        """Write ``splits/*.jsonl`` (all four, possibly empty)."""
        write_splits(self.folder, self.rows)
        return self.folder


def write_splits(dataset_folder: str | Path, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    folder = Path(dataset_folder) / "splits"
    folder.mkdir(parents=True, exist_ok=True)
    for split, split_rows in rows.items():
        text = "".join(json.dumps(dict(r), sort_keys=False) + "\n" for r in split_rows)
        (folder / f"{split}.jsonl").write_text(text, encoding="utf-8")
