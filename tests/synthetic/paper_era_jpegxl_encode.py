"""Encode .npy items with JPEG-XL at effort 9 and at the default effort; print sizes as JSON.

Runs INSIDE the paper-era virtual environment (numpy 1.26, imagecodecs
2023.9.18 / libjxl 0.8.x) built by ``test_paper_era_jpegxl.py``, so it imports
nothing from the project. Multi-frame items are laid out exactly as
``baselines.classical`` does it: frames as channels, ``(-1, H, W)`` then
``moveaxis`` to ``(H, W, C)``. Every bitstream is decoded and compared.

Usage: ``python paper_era_jpegxl_encode.py ROOT`` where ``ROOT/<track>/<item>.npy``.
Output (stdout, one JSON object)::

    {"imagecodecs": "...", "libjxl": "...", "numpy": "...",
     "items": {"<track>/<item>": [bytes_max, bytes_default], ...}}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import imagecodecs
import numpy as np


def to_channels_last(x: np.ndarray) -> np.ndarray:
    """(H, W) stays; (C, H, W) and (T, C, H, W) become (H, W, frames) (as baselines/classical.py)."""
    if x.ndim == 2:
        return x
    frames = x.reshape((-1,) + x.shape[-2:])
    return np.ascontiguousarray(np.moveaxis(frames, 0, -1))


def encode_pair(x: np.ndarray) -> list[int]:
    """``[len(effort 9), len(default effort)]``, each round trip checked."""
    y = to_channels_last(x)
    sizes = []
    for blob in (imagecodecs.jpegxl_encode(y, lossless=True, effort=9), imagecodecs.jpegxl_encode(y, lossless=True)):
        back = np.asarray(imagecodecs.jpegxl_decode(blob)).reshape(y.shape)
        if back.dtype != y.dtype or not np.array_equal(back, y):
            raise SystemExit(f"JPEG-XL round trip failed (shape {x.shape}, dtype {back.dtype})")
        sizes.append(len(blob))
    return sizes


def main(root: Path) -> None:
    items = {}
    for path in sorted(root.glob("*/*.npy")):
        items[f"{path.parent.name}/{path.stem}"] = encode_pair(np.load(path))
    json.dump({"imagecodecs": imagecodecs.__version__, "libjxl": str(imagecodecs.jpegxl_version()),
               "numpy": np.__version__, "items": items}, sys.stdout)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
