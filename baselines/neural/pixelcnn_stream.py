"""PixelCNN++ chunks of patches <-> the range-coded stream, pixel by pixel in raster order.

The coding order is the decoder's: for each raster step ``(i, j)`` of a 32x32
patch, for each channel ``c``, the symbols of all ``N`` patches of the chunk (one
``MixtureRangeEncoder.encode`` call of ``N`` rows, so the coder's window grouping is
the same on both sides). Encoder and decoder run the **same** cached step
(`CachedPixelCNN`, one position per patch and resolution per step: the shipped
``levels=1`` and the paper's ``levels=3`` alike) on the same shapes, and turn its head
into mixtures with the same function (`mixture_rows`). The full forward pass gives the
same bits on the exact network (tested) but costs as many FLOPs, in float64
convolutions that run slower than the step's matrix products.

Padding: a frame whose sides are not multiples of 32 is cut with reflect padding
(`evaluator.sdk.coding.to_patches`). PixelCNN++ does not code the padded pixels: both
sides know where they are (`real_pixels`, from the frame's shape) and set them to
the patch offset (``xn = 0``) before any pixel that sees them is coded. On the
synthetic default's small frames that saves ~15 % of the pixels IDF and L3C code.

Units: the network sees ``xn = (x - offset) / scale``; the coder's mixture is over the
raw symbols: ``mean * scale + offset`` and ``log_scale + code * ln2 / 4`` (basic
arithmetic: the scale code comes from the bitstream, no ``log``).
"""

from __future__ import annotations

import numpy as np
import torch

from baselines.neural.pixelcnn_net import LN2_OVER_STEPS, PixelCNNNetwork
from baselines.neural.pixelcnn_step import CachedPixelCNN
from baselines.neural.streams import Tally
from evaluator.sdk.coding import (
    MixtureParams,
    MixtureRangeDecoder,
    MixtureRangeEncoder,
    PatchGrid,
)


def _f32(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.cpu().numpy(), np.float32)


def mixture_rows(model: PixelCNNNetwork, head: torch.Tensor, xn: torch.Tensor, c: int, s: torch.Tensor,
                 log_s: torch.Tensor, off: torch.Tensor) -> MixtureParams:
    """Channel ``c``'s mixtures over raw symbols at one position.

    head (N, H), xn (N, C), per patch s, log_s, off (N, ...).
    """
    m, ls, lg = model.channel_params(head, xn, c)
    return MixtureParams(_f32(m * s.view(-1, 1) + off[:, c].view(-1, 1)), _f32(ls + log_s.view(-1, 1)), _f32(lg))


def log_scales(codes: np.ndarray, dtype: torch.dtype, device: torch.device | str = "cpu") -> torch.Tensor:
    """log(scale) per patch from its scale code: ``code * ln2 / 4``."""
    return torch.from_numpy(codes.astype(np.float64)).to(device, dtype) * LN2_OVER_STEPS


def real_pixels(grid: PatchGrid) -> np.ndarray:
    """(N, S, S) bool: which pixels of each patch are in the frame (the rest is padding)."""
    h, w = grid.shape[-2:]
    rows = np.arange(grid.rows * grid.size).reshape(grid.rows, 1, grid.size, 1) < h
    cols = np.arange(grid.cols * grid.size).reshape(1, grid.cols, 1, grid.size) < w
    return (rows & cols).reshape(grid.count, grid.size, grid.size)


def pixelcnn_encode(model: PixelCNNNetwork, u: torch.Tensor, s: torch.Tensor, codes: np.ndarray, off: torch.Tensor,
                    real: np.ndarray, enc: MixtureRangeEncoder, tally: Tally, max_symbol: int) -> None:
    """``u = x - offset`` (N, C, S, S) in the model's dtype, scales (N,), scale codes (N,), offsets (N, C),
    ``real`` (N, S, S) the pixels in the frame."""
    # padding -> the offset (u = 0), as the decoder sees it
    u = u * torch.from_numpy(real[:, None]).to(u.device, u.dtype)
    xn = u / s.view(-1, 1, 1, 1)
    log_s = log_scales(codes, u.dtype, u.device)
    x = (u + off.view(*off.shape, 1, 1)).cpu().numpy().astype(np.int64)
    n, size = u.shape[0], u.shape[-1]
    cache = CachedPixelCNN(model, n, size)
    for i, j in _steps(real):
        if j == 0:
            cache.start_row(i)
        h, xp = cache.head(i, j), xn[:, :, i, j].contiguous()
        cache.put(j, xp)
        rows = _coded(real[:, i, j])
        for c in range(model.in_channels):
            mp = mixture_rows(model, h, xp, c, s, log_s, off)
            sym = x[:, c, i, j]
            if rows is not None:
                if not rows.size:
                    continue
                sym, mp = sym[rows], mp.take(rows)
            enc.encode(sym, mp)
            tally.add(sym, mp, max_symbol)


def _steps(real: np.ndarray) -> list[tuple[int, int]]:
    """The raster steps up to the last one any patch codes (a frame smaller than a patch stops early)."""
    size = real.shape[-1]
    flat = real.reshape(real.shape[0], -1).any(axis=0)
    last = int(np.flatnonzero(flat)[-1]) if flat.any() else -1
    return [divmod(t, size) for t in range(last + 1)]


def _coded(real: np.ndarray) -> np.ndarray | None:
    """The patches whose pixel at this step is coded: None for all of them."""
    return None if real.all() else np.flatnonzero(real)


def pixelcnn_decode(model: PixelCNNNetwork, s: torch.Tensor, codes: np.ndarray, off: torch.Tensor, real: np.ndarray,
                    dec: MixtureRangeDecoder, n: int, size: int) -> torch.Tensor:
    """Decoded ``u`` (N, C, S, S) in the model's dtype."""
    cache = CachedPixelCNN(model, n, size)
    channels = model.in_channels
    dtype, dev = cache.dtype, s.device
    log_s = log_scales(codes, dtype, dev)
    u = torch.zeros(n, channels, size, size, dtype=dtype, device=dev)
    for i, j in _steps(real):
        if j == 0:
            cache.start_row(i)
        h = cache.head(i, j)
        xp = torch.zeros(n, channels, dtype=dtype, device=dev)
        rows = _coded(real[:, i, j])
        for c in range(channels):
            mp = mixture_rows(model, h, xp, c, s, log_s, off)
            if rows is None:
                uc = torch.from_numpy(dec.decode(mp).astype(np.float64)).to(dev, dtype) - off[:, c]
            else:
                uc = torch.zeros(n, dtype=dtype, device=dev)
                if rows.size:
                    idx = torch.from_numpy(rows).to(dev)
                    got = torch.from_numpy(dec.decode(mp.take(rows)).astype(np.float64)).to(dev, dtype)
                    uc[idx] = got - off[idx, c]
            u[:, c, i, j] = uc
            xp[:, c] = uc / s
        cache.put(j, xp)
    return u
