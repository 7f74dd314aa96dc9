"""Cutting a frame into square patches for a model, and putting it back together exactly.

The frame is padded at the bottom and right to whole patches by reflection (the
pixel order ``... a b c | b a ...``, without repeating the edge pixel). Reflection
is done by index arithmetic, not ``np.pad``, so any size works the same on every
numpy: a dimension of 1 repeats its pixel, and pads longer than a dimension keep
reflecting back and forth. `from_patches` crops the padding: the round trip is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PatchGrid:
    """How a frame was cut: its shape, the patch size, the grid, and the padding added."""

    shape: tuple[int, ...]
    size: int
    rows: int
    cols: int
    pad: tuple[int, int]

    @property
    def count(self) -> int:
        """Number of patches (``rows * cols``)."""
        return self.rows * self.cols


def reflect_indices(n: int, total: int) -> np.ndarray:
    """Indices into an axis of length ``n`` that extend it to ``total`` by reflection (``total >= n``)."""
    j = np.arange(total)
    if n == 1:
        return np.zeros(total, np.int64)
    period = 2 * (n - 1)
    m = j % period
    return np.where(m < n, m, period - m).astype(np.int64)


def to_patches(x: np.ndarray, size: int = 32) -> tuple[np.ndarray, PatchGrid]:
    """(H, W) or (C, H, W) -> patches (N, C, size, size), row-major over the grid, and the grid."""
    x = np.asarray(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"to_patches takes (H, W) or (C, H, W), got shape {x.shape}")
    if size < 1:
        raise ValueError(f"patch size must be >= 1, got {size}")
    planes = x[None] if x.ndim == 2 else x
    c, h, w = planes.shape
    if h < 1 or w < 1:
        raise ValueError(f"cannot cut an empty frame of shape {x.shape} into patches")
    rows, cols = -(-h // size), -(-w // size)
    grid = PatchGrid(tuple(int(d) for d in x.shape), int(size), rows, cols, (rows * size - h, cols * size - w))
    padded = planes[:, reflect_indices(h, rows * size)][:, :, reflect_indices(w, cols * size)]
    patches = padded.reshape(c, rows, size, cols, size).transpose(1, 3, 0, 2, 4).reshape(rows * cols, c, size, size)
    return np.ascontiguousarray(patches), grid


def from_patches(p: np.ndarray, grid: PatchGrid) -> np.ndarray:
    """The inverse of `to_patches`: the frame in its original shape, padding cropped."""
    p = np.asarray(p)
    c = 1 if len(grid.shape) == 2 else grid.shape[0]
    if p.shape != (grid.count, c, grid.size, grid.size):
        raise ValueError(
            f"patches of shape {p.shape} do not fit the grid: expected {(grid.count, c, grid.size, grid.size)}"
        )
    h, w = grid.shape[-2:]
    full = p.reshape(grid.rows, grid.cols, c, grid.size, grid.size).transpose(2, 0, 3, 1, 4)
    planes = full.reshape(c, grid.rows * grid.size, grid.cols * grid.size)[:, :h, :w]
    return np.ascontiguousarray(planes[0] if len(grid.shape) == 2 else planes)
