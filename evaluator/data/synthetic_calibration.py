"""How the classical codecs compress the synthetic sky, next to the paper's Table 1.

The default synthetic test corpus (``evaluator.data.synthetic``) holds
``make_file(dataset, seed=0, index=i)`` for i = 0, 1, 2, and for
GBI-16-2D-Legacy indices 0..5 (even indices are LCO, so three LCO files reach
the ``lco`` track). This module cuts the same items with the track table and
measures per-item ratios (``16 · npix / (8 · bytes)``, paper §4.2), so the
calibration script and the tests agree on what "the synthetic default" is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import fmean
from typing import Any, Protocol

import numpy as np

from evaluator.core.metrics import compression_ratio
from evaluator.core.tracks import LEGACY, PAPER_TRACKS, TRACKS, Track
from evaluator.data.synthetic.common import Size
from evaluator.data.synthetic_sky import SyntheticFile, make_file

DEFAULT_TEST_INDICES: tuple[int, ...] = (0, 1, 2)
LEGACY_TEST_INDICES: tuple[int, ...] = (0, 1, 2, 3, 4, 5)


def default_test_indices(dataset: str, n_test: int = len(DEFAULT_TEST_INDICES)) -> tuple[int, ...]:
    """File indices of the default test split (Legacy doubles them so ``n_test`` are LCO)."""
    return tuple(range(2 * n_test)) if dataset == LEGACY else tuple(range(n_test))


def _keeps(track: Track, f: SyntheticFile) -> bool:
    return all(str(f.meta.get(k, "")) == v for k, v in track.row_filter.items())


@dataclass(frozen=True)
class SyntheticItem:
    id: str
    data: np.ndarray
    meta: dict[str, Any]


class RoundTripCodec(Protocol):
    """What a ratio needs of an in-process codec."""

    def encode(self, x: np.ndarray) -> bytes: ...
    def decode(self, data: bytes) -> np.ndarray: ...


def track_items(track_name: str, *, seed: int = 0, size: Size = "small", n_test: int = 3,
                files: dict[tuple[str, int], SyntheticFile] | None = None) -> list[SyntheticItem]:
    """The track's items over the default synthetic test files (``files`` caches make_file calls)."""
    track = TRACKS[track_name]
    out: list[SyntheticItem] = []
    for i in default_test_indices(track.dataset, n_test):
        key = (track.dataset, i)
        if files is not None and key in files:
            f = files[key]
        else:
            f = make_file(track.dataset, seed, i, size)
            if files is not None:
                files[key] = f
        if not _keeps(track, f):
            continue
        for s, sample in enumerate(f.samples):
            for suffix, item in track.items_from_sample(sample):
                ident = f"{f.meta['image_id']}.{s}" + (f".{suffix}" if suffix else "")
                out.append(SyntheticItem(ident, item, f.meta))
    return out


def item_ratio(codec: RoundTripCodec, x: np.ndarray, *, check: bool = False) -> float:
    """Compression ratio of one item with an in-process codec (``.encode``/``.decode``)."""
    blob = codec.encode(x)
    if check and not np.array_equal(codec.decode(blob), x):
        raise AssertionError(f"{getattr(codec, 'name', codec)} round trip failed")
    return compression_ratio(len(blob), int(x.size))


def ratio_table(codecs: dict[str, RoundTripCodec], tracks: Iterable[str] = PAPER_TRACKS, *, seed: int = 0,
                size: Size = "small", n_test: int = 3) -> dict[str, dict[str, float]]:
    """``{track: {codec name: mean per-item ratio}}`` on the default synthetic test items."""
    files: dict[tuple[str, int], SyntheticFile] = {}
    table: dict[str, dict[str, float]] = {}
    for name in tracks:
        items = track_items(name, seed=seed, size=size, n_test=n_test, files=files)
        table[name] = {c: fmean(item_ratio(codec, it.data) for it in items) for c, codec in codecs.items()}
    return table
