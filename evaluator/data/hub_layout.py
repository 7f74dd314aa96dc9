"""Write samples as FITS files laid out exactly like the ``AstroCompress/*`` Hub repos.

The inverse of :mod:`evaluator.data.fits_reader` (``shared/DATA.md``, "Hub layout")::

    <root>/<DATASET>/splits/{tiny,full}_{train,test}.jsonl
    <root>/<DATASET>/data/<sub>/<file>.fits

Each split row is ``{"image_id": ..., "image": "./data/<sub>/<file>.fits", extra...}``;
extra fields: ``telescope`` (GBI-16-2D-Legacy), ``exptime`` (SBI-16-2D),
``ra``, ``dec``, ``pixscale``, ``ntimes`` (SBI-16-3D). File names, folders,
row fields and the writer of each dataset come from its record in
``evaluator.data.datasets``; the writers live in ``evaluator.data.layouts``.

File layouts written (what the reader expects back, bit-exactly):

* SBI-16-2D ``<id>_raw.fits``: primary header, then SCI/ERR/DQ for each chip,
  so the two SCI chips sit at HDUs 1 and 4 (ERR and DQ empty, as in ACS raw files).
* SBI-16-3D ``<id>_uncal.fits``: ``SCI`` image extension (1, G, H, W).
* GBI-16-2D ``LR.<id>.fits``: the frame split into amplifier HDUs with
  PRECOL, POSTPIX, PRELINE, POSTLINE, BINNING, DETSEC, DATASEC. A frame in the
  authors' pasted layout (all prescans | all data | all overscans) reads back
  bit-exactly; a frame whose amplifiers sit side by side (``meta["amplifiers"]``
  sections, as the synthetic generator makes them) is split into physical
  amplifiers and reads back in the authors' layout (``evaluator.data.layouts.lris.lris_paste_order``).
* GBI-16-4D ``<id>.fits``: primary (T, 5, H, W) with ``BAND{j}`` and ``TAI{i}``.
* GBI-16-2D-Legacy ``data/<TEL>/<id>.fits``: primary single frame.

All data are uint16, stored as BITPIX 16 + BZERO 32768. No timestamps are
written, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from evaluator.data.datasets import get_dataset
from evaluator.data.fits_io import checked_sample

log = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("tiny_train", "tiny_test", "full_train", "full_test")


def relative_path(dataset: str, image_id: str, meta: Mapping[str, Any] | None = None, sub: str | None = None) -> str:
    """The ``./data/<sub>/<file>`` path of one file, named as in the Hub repos."""
    ds = get_dataset(dataset)
    return f"./data/{ds.folder(meta or {}) if sub is None else sub}/{ds.file_name(image_id)}"


def build_hdul(dataset: str, samples: Sequence[np.ndarray], meta: Mapping[str, Any] | None = None) -> fits.HDUList:
    """The HDU list of one dataset file holding these samples."""
    ds = get_dataset(dataset)
    if len(samples) != ds.samples_per_file:
        raise ValueError(f"{ds.name} files hold {ds.holds}, got {len(samples)} samples")
    arrays = [checked_sample(arr, ds.name, ds.ndim, what) for arr, what in zip(samples, ds.sample_names)]
    return ds.write(arrays, dict(meta or {}))


def write_file(path: str | Path, dataset: str, samples: Sequence[np.ndarray],
               meta: Mapping[str, Any] | None = None) -> Path:
    """Write one dataset file (deterministic bytes; parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_hdul(dataset, samples, meta).writeto(path, overwrite=True, checksum=False)
    return path


def row_extra(dataset: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The extra split-row fields of one file, from its meta."""
    extra: dict[str, Any] = {}
    for key in get_dataset(dataset).row_fields:
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
