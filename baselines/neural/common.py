"""What IDF and L3C share: per-patch side information, 16-bit variants, frame handling, the loss.

Side information: every 32x32 patch is coded relative to an integer **offset** per
channel (the patch median) and a **scale** per patch (a noise estimate, quantized to a
quarter of an octave). Both are written raw into the bitstream (2 C + 1 bytes per patch,
~0.02 bpp) and make the networks equivariant to the sky level and the noise: the network
sees ``(x - offset) / scale`` and its outputs are multiplied back.

Variants of a 16-bit plane (the paper's two): ``direct`` (one channel, 2^16 bins) and
``msb-lsb`` (two 8-bit channels, LSB first then MSB, as in Supplement C.1).

Frames: a 3D item is coded as its first frame then the residuals of the following
frames modulo 2^16 (`frames_to_planes`); residuals are shifted by 2^15 so that "no
change" sits mid-range instead of wrapping around 0 / 65535 (a bijection on uint16).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

VARIANTS: tuple[str, ...] = ("direct", "msb-lsb")
RESIDUAL_SHIFT = 1 << 15
SCALE_STEPS = 4
"""Scale code q means scale 2 ** (q / SCALE_STEPS); q in 0 .. 63."""
MAX_SCALE_CODE = 63
QUARTER_OCTAVES = np.array([1.0, 1.18920711, 1.41421354, 1.68179283], np.float32)
"""``2 ** (k / 4)`` for k = 0 .. 3, correctly rounded to float32 (tested): scales from a table, not ``exp2``."""


def variant_channels(variant: str) -> int:
    """Channels one 16-bit plane becomes."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return 1 if variant == "direct" else 2


def variant_max_symbol(variant: str) -> int:
    return 65535 if variant == "direct" else 255


def split_variant(x: np.ndarray, variant: str) -> np.ndarray:
    """uint16 (C, H, W) -> int64 (C * k, H, W): direct, or LSBs of all channels then MSBs."""
    x = np.asarray(x).astype(np.int64)
    if variant_channels(variant) == 1:
        return x
    return np.concatenate([x & 255, x >> 8], axis=0)


def join_variant(y: np.ndarray, variant: str) -> np.ndarray:
    """The inverse of `split_variant` (uint16)."""
    y = np.asarray(y).astype(np.int64)
    if variant_channels(variant) == 1:
        return y.astype(np.uint16)
    c = y.shape[0] // 2
    return (y[:c] | (y[c:] << 8)).astype(np.uint16)


def shift_residual(x: np.ndarray) -> np.ndarray:
    """uint16 residual (difference mod 2^16) -> the same, shifted by 2^15 mod 2^16."""
    return ((np.asarray(x).astype(np.int64) + RESIDUAL_SHIFT) & 0xFFFF).astype(np.uint16)


def unshift_residual(x: np.ndarray) -> np.ndarray:
    return ((np.asarray(x).astype(np.int64) - RESIDUAL_SHIFT) & 0xFFFF).astype(np.uint16)


def frames_to_planes(x: np.ndarray) -> np.ndarray:
    """(T, H, W) uint16 -> (T, H, W): frame 0, then shifted residuals (x[t] - x[t-1]) mod 2^16."""
    x = np.asarray(x).astype(np.int64)
    out = x.copy()
    out[1:] = (x[1:] - x[:-1] + RESIDUAL_SHIFT) & 0xFFFF
    return out.astype(np.uint16)


def planes_to_frames(p: np.ndarray) -> np.ndarray:
    """The inverse of `frames_to_planes`."""
    p = np.asarray(p).astype(np.int64)
    out = p.copy()
    for t in range(1, p.shape[0]):
        out[t] = (out[t - 1] + p[t] - RESIDUAL_SHIFT) & 0xFFFF
    return out.astype(np.uint16)


def item_images(x: np.ndarray, frames: int = 1, residual_input: bool = False) -> list[np.ndarray]:
    """What a model codes for an item: uint16 images (frames, H, W).

    2D: the item (shifted by 2^15 when it is a residual modulo 2^16); 3D/4D: all frames as
    channels of one image when the model takes ``frames > 1``, else the first frame then
    the shifted residuals, one image each.
    """
    if x.ndim == 2:
        if frames > 1:
            raise ValueError(f"a model taking {frames} frames as channels cannot code a 2D item {x.shape}")
        return [(shift_residual(x) if residual_input else x)[None]]
    stack = x.reshape(-1, *x.shape[-2:])
    if frames > 1:
        if stack.shape[0] != frames:
            raise ValueError(f"a model taking {frames} frames as channels cannot code an item of shape {x.shape}")
        return [stack]
    return [p[None] for p in frames_to_planes(stack)]


def images_item(images: list[np.ndarray], shape: tuple[int, ...], frames: int = 1,
                residual_input: bool = False) -> np.ndarray:
    """The inverse of `item_images`."""
    if len(shape) == 2:
        img = images[0][0]
        return unshift_residual(img) if residual_input else img
    if frames > 1:
        return images[0].reshape(shape)
    return planes_to_frames(np.stack([im[0] for im in images])).reshape(shape)


@dataclass(frozen=True)
class SideInfo:
    """Per patch: integer offsets (N, C) and scale codes (N,)."""

    offsets: np.ndarray
    codes: np.ndarray

    @property
    def scales(self) -> np.ndarray:
        """float32 (N,): 2 ** (code / SCALE_STEPS), from `QUARTER_OCTAVES` and an exact ``ldexp`` (numpy's
        ``exp2`` is SIMD-dispatched: its last bit is not promised to be the same on every CPU)."""
        codes = np.asarray(self.codes).astype(np.int64)
        octaves = (codes // SCALE_STEPS).astype(np.int32)
        return np.ldexp(QUARTER_OCTAVES[codes % SCALE_STEPS], octaves).astype(np.float32)

    def to_bytes(self) -> bytes:
        return self.offsets.astype("<u2").tobytes() + self.codes.astype(np.uint8).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, n: int, c: int) -> SideInfo:
        need = n * (2 * c + 1)
        if len(data) < need:
            raise ValueError(f"side information truncated: {len(data)} bytes, need {need}")
        offsets = np.frombuffer(data[: 2 * n * c], "<u2").reshape(n, c).astype(np.int64)
        codes = np.frombuffer(data[2 * n * c : need], np.uint8).astype(np.int64)
        return cls(offsets, codes)

    @staticmethod
    def nbytes(n: int, c: int) -> int:
        return n * (2 * c + 1)


def side_info(patches: np.ndarray) -> SideInfo:
    """Offsets (per-channel median, rounded) and scale codes of integer patches (N, C, S, S)."""
    p = np.asarray(patches).astype(np.int64)
    n, c = p.shape[:2]
    flat = p.reshape(n, c, -1)
    offsets = np.floor(np.median(flat, axis=2) + 0.5).astype(np.int64)
    d = (p[..., 1:] - p[..., :-1]).reshape(n, c, -1)
    mad = np.median(np.abs(d - np.median(d, axis=2, keepdims=True)), axis=2)
    sigma = np.maximum(1.4826 * mad / math.sqrt(2.0), 1.0)
    log2 = np.log2(sigma).mean(axis=1)
    codes = np.clip(np.floor(log2 * SCALE_STEPS + 0.5), 0, MAX_SCALE_CODE).astype(np.int64)
    return SideInfo(offsets, codes)


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Rounding with a straight-through gradient."""
    return x + (torch.round(x) - x).detach()


def _log1mexp(a: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(a)) for a < 0."""
    a = torch.clamp(a, max=-1e-12)
    return torch.where(a > -0.6931, torch.log(-torch.expm1(a)), torch.log1p(-torch.exp(a)))


def logistic_mixture_log2p(
    x: torch.Tensor,
    means: torch.Tensor,
    log_scales: torch.Tensor,
    logits: torch.Tensor,
    *,
    low: float | torch.Tensor | None = None,
    high: float | torch.Tensor | None = None,
) -> torch.Tensor:
    """log2 P(x) under a discretized logistic mixture (PixelCNN++'s bins; components on dim 1).

    ``x`` (B, 1, ...) integers as floats; params (B, K, ...). ``low`` / ``high``: the end
    symbols (in the units of ``x``) that own the tails, None for unbounded.
    """
    inv_s = torch.exp(-torch.clamp(log_scales, -30.0, 30.0))
    c = x - means
    plus, minus = (c + 0.5) * inv_s, (c - 0.5) * inv_s
    upper = c > 0
    a = torch.where(upper, -plus, minus)
    b = torch.where(upper, -minus, plus)
    lb = F.logsigmoid(b)
    log_mass = lb + _log1mexp(F.logsigmoid(a) - lb)
    if low is not None:
        log_mass = torch.where(x <= low, F.logsigmoid(plus), log_mass)
    if high is not None:
        log_mass = torch.where(x >= high, F.logsigmoid(-minus), log_mass)
    log_mass = torch.clamp(log_mass, min=-60.0)
    total = torch.logsumexp(log_mass + F.log_softmax(logits, dim=1), dim=1, keepdim=True)
    return total / math.log(2.0)


def conv_bias(conv: nn.Conv2d | nn.ConvTranspose2d) -> torch.Tensor:
    """The bias of a convolution the models build (always with one; ``bias=False`` would be a bug here)."""
    if conv.bias is None:
        raise ValueError("this convolution was built without a bias")
    return conv.bias


def init_mixture_bias(bias: torch.Tensor, k: int, groups: int, log_scale: float = -0.6) -> None:
    """Bias of a head laid out (groups, 3, K): spread means and scales so components differ."""
    with torch.no_grad():
        b = bias.view(groups, 3, k)
        b[:, 0] = torch.linspace(-0.5, 0.5, k) if k > 1 else 0.0
        b[:, 1] = log_scale + (torch.linspace(-0.7, 0.7, k) if k > 1 else 0.0)
        b[:, 2] = 0.0


def count_params(model: torch.nn.Module) -> int:
    return sum(int(p.numel()) for p in model.parameters())
