"""Shared, session-cached encodings of the default synthetic test items.

The default synthetic corpus (``evaluator.data.synthetic``) holds
``make_file(dataset, seed=0, index=i)`` for i = 0..2 (Legacy: 0..5, three of
them LCO); every classical codec encodes every paper-track item once per
session (JPEG-XL effort 9 is the slow one) and the round trip is checked.
"""

from __future__ import annotations

from statistics import fmean

import numpy as np
import pytest

from baselines.classical import CODECS
from evaluator.core.metrics import compression_ratio
from evaluator.core.tracks import PAPER_TRACKS
from evaluator.data.synthetic_calibration import SyntheticItem, track_items
from evaluator.data.synthetic_sky import SyntheticFile


@pytest.fixture(scope="session")
def default_items() -> dict[str, list[SyntheticItem]]:
    files: dict[tuple[str, int], SyntheticFile] = {}
    return {t: track_items(t, files=files) for t in PAPER_TRACKS}


@pytest.fixture(scope="session")
def item_ratios(default_items: dict[str, list[SyntheticItem]]) -> dict[str, dict[str, list[float]]]:
    """``{track: {codec: [per-item ratio]}}``, every bitstream decoded and compared."""
    out: dict[str, dict[str, list[float]]] = {}
    for track, items in default_items.items():
        out[track] = {}
        for name, codec in CODECS.items():
            ratios = []
            for it in items:
                blob = codec.encode(it.data)
                assert np.array_equal(codec.decode(blob), it.data), f"{name} round trip failed on {it.id}"
                ratios.append(compression_ratio(len(blob), it.data.size))
            out[track][name] = ratios
    return out


@pytest.fixture(scope="session")
def mean_ratios(item_ratios: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    return {t: {c: fmean(r) for c, r in per.items()} for t, per in item_ratios.items()}
