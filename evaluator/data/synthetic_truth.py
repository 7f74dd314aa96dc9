"""Sidecar truth of a synthetic corpus: where the generator injected its stars, per sample.

The generators report the injected stars of each sample frame in their facts
(``facts["stars"]``: ``[y, x]`` pixel centres in the frame a 2D track cuts;
CCD files per chip in ``meta["chips"][i]["stars"]``). FITS headers do not
carry such lists, so the corpus driver (``evaluator.data.synthetic_corpus``) writes
them beside the data::

    <corpus root>/<DATASET>/truth/<image_id>.json
    {"image_id": ..., "coords": "...", "samples": [[[y, x], ...] | null, ...]}

one list per sample of the file, in the reader's sample order (Hubble: chip
HDU 1, then HDU 4). The generators' lists are in the coordinates of the
frames they make (``SyntheticFile.samples``); the reader may paste a file's
pixels differently (Keck: the authors' LRIS layout, a column permutation),
so :func:`write_truth` maps each position through the writer and the reader
of the dataset (:func:`reader_positions`): the sidecar is in the coordinates
of the sample an item is cut from. ``evaluator.data.data_source.CorpusSource`` attaches the list
of an item's sample as ``Item.meta["true_sources"]`` on the tracks that
:func:`carries_true_sources` names; a corpus without sidecars (an older or
copied folder) simply yields no ``true_sources``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.core.tracks import Track
from evaluator.data.fits_reader import iter_samples
from evaluator.data.hub_layout import build_hdul

TRUTH_DIR = "truth"
COORDS = ("[y, x] pixel centres (0-based, integer = pixel centre) in the sample's 2D frame: the frame itself "
          "(CCD), any group of the ramp (JWST), cube[0, 2] (SDSS, epoch 0 r band)")

Stars = list[list[float]]


def carries_true_sources(track: Track) -> bool:
    """Items of this track get ``meta["true_sources"]``: 2D items cut whole from one frame.

    True for lco, keck, hubble, jwst-2d and sdss-2d (and their near-lossless
    variants); residual (``correlated``) and 3D/4D tracks are not frames the
    positions refer to.
    """
    return track.ndim == 2 and not track.correlated


def sample_stars(meta: Mapping[str, Any], n_samples: int) -> list[Stars | None]:
    """The star list of each sample of one synthetic file (None where the generator gave none)."""
    chips = meta.get("chips")
    if isinstance(chips, list) and len(chips) == n_samples:
        return [_stars(c.get("stars")) if isinstance(c, Mapping) else None for c in chips]
    return [_stars(meta.get("stars"))] + [None] * (n_samples - 1)


def _stars(value: Any) -> Stars | None:
    if not isinstance(value, list):
        return None
    return [[float(p[0]), float(p[1])] for p in value]


def truth_path(dataset_folder: str | Path, image_id: str) -> Path:
    return Path(dataset_folder) / TRUTH_DIR / f"{image_id}.json"


def _read_back(dataset: str, frames: list[np.ndarray], meta: Mapping[str, Any]) -> list[np.ndarray]:
    buf = io.BytesIO()
    build_hdul(dataset, frames, meta).writeto(buf, checksum=False)
    buf.seek(0)
    return [s.data for s in iter_samples(buf, dataset, name="truth.fits")]


def _step(a: int, b: int) -> int:
    """+1 / -1 when the next pixel went next to this one (same or reversed direction), else 0."""
    return b - a if abs(b - a) == 1 else 0


def reader_positions(dataset: str, samples: Sequence[np.ndarray], meta: Mapping[str, Any],
                     stars: list[Stars | None]) -> list[Stars | None]:
    """Map each 2D sample's ``[y, x]`` from the generator's frame to the frame the reader yields.

    Writes frames of row and column indices through the dataset's writer and
    reads them back, so whatever pasting the layout does (a permutation of the
    pixels) is followed exactly; a position keeps its sub-pixel offset along
    the direction its pixel's neighbour went, and a star on a pixel the reader
    drops is left out. Samples that are not 2D are kept as they are (their
    readers return the array written).
    """
    if any(s.ndim != 2 or max(s.shape) > 65535 for s in samples):
        return stars
    rows = _read_back(dataset, [np.broadcast_to(np.arange(s.shape[0], dtype=np.uint16)[:, None], s.shape).copy()
                                for s in samples], meta)
    cols = _read_back(dataset, [np.broadcast_to(np.arange(s.shape[1], dtype=np.uint16)[None, :], s.shape).copy()
                                for s in samples], meta)
    out: list[Stars | None] = []
    for sample, r, c, listed in zip(samples, rows, cols, stars):
        if listed is None or r.shape != sample.shape:
            out.append(listed)
            continue
        h, w = sample.shape
        where = np.full((h, w, 2), -1, dtype=np.int64)  # (row, column) of pixel [y, x] in the read-back frame
        iy, ix = np.indices(r.shape)
        where[r.astype(np.int64), c.astype(np.int64)] = np.stack([iy, ix], axis=-1)
        mapped: Stars = []
        for y, x in listed:
            yi, xi = min(int(np.floor(y)), h - 1), min(int(np.floor(x)), w - 1)
            ty, tx = (int(v) for v in where[yi, xi])
            if ty < 0:
                continue  # a pixel the reader does not yield: the star is not on the item
            dy = _step(ty, int(where[yi + 1, xi, 0])) if yi + 1 < h else 0
            dx = _step(tx, int(where[yi, xi + 1, 1])) if xi + 1 < w else 0
            mapped.append([round(ty + (y - yi) * dy, 3), round(tx + (x - xi) * dx, 3)])
        out.append(mapped)
    return out


def write_truth(dataset_folder: str | Path, image_id: str, dataset: str, samples: Sequence[np.ndarray],
                meta: Mapping[str, Any]) -> Path:
    """Write the sidecar of one file (deterministic bytes), positions in the read-back samples' frames."""
    path = truth_path(dataset_folder, image_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    stars = reader_positions(dataset, samples, meta, sample_stars(meta, len(samples)))
    doc = {"image_id": image_id, "coords": COORDS, "samples": stars}
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def read_truth(dataset_folder: str | Path, image_id: str) -> list[Stars | None] | None:
    """The per-sample star lists of one file, or None when it has no (readable) sidecar."""
    try:
        doc = json.loads(truth_path(dataset_folder, image_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    samples = doc.get("samples") if isinstance(doc, dict) else None
    if not isinstance(samples, list):
        return None
    return [_stars(s) for s in samples]
