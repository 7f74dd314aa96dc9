"""The pieces of the cached PixelCNN++ step (`pixelcnn_step`): convolutions at one position or one row.

Every convolution of PixelCNN++ reads at most two input rows (kernel height 2, or 1), so a layer's input is
kept in a **two-row ring**: a buffer (N, columns, 2 slots, C), contiguous within each patch, whose slot for
the current row alternates as rows advance (the new row takes the older slot). A window ``buf[:, a : a + kw]``
is then a strided view (N, kw * 2 * C) a matrix product reads without a copy, and the weights are kept in both
row orders (`Matmul.wt[p]`: the current row in slot ``p``).

Units: on the exact network (`baselines.neural.exact`) activations are kept in units of the grid (x 256), so
what an exact convolution sees of its input is ``floor`` and ``clamp`` of them (`Units.quantize`), and a
convolution at a position is ``bias * 256 + window @ weights``: an exact sum, so it equals the full pass's
convolution there bit for bit, whatever the order of the additions. On a float network the units are 1 and
nothing is floored (the steps then agree with the full pass only to rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from baselines.neural.exact import BOUND, GRID, ExactConv2d
from baselines.neural.pixelcnn_net import GatedResnet, ShiftedConv


def inner_conv(conv: nn.Module) -> nn.Conv2d | nn.ConvTranspose2d | ExactConv2d:
    inner = conv.conv if isinstance(conv, ShiftedConv) else conv
    if not isinstance(inner, nn.Conv2d | nn.ConvTranspose2d | ExactConv2d):
        raise TypeError(f"the cached decoder reads convolutions, not {type(inner).__name__}")
    return inner


@dataclass(frozen=True)
class Units:
    """How activations are kept: in grid units, floored where a convolution reads them (exact), or as they are."""

    exact: bool

    @property
    def unit(self) -> float:
        return GRID if self.exact else 1.0

    def quantize(self, v: torch.Tensor) -> torch.Tensor:
        """What a convolution sees of ``v`` (exact: floored onto the grid and clamped, as `exact.quantize`)."""
        return torch.clamp(torch.floor(v), -BOUND * GRID, BOUND * GRID) if self.exact else v

    def act(self, a: torch.Tensor) -> torch.Tensor:
        """concat-ReLU over the last dim, as a convolution of the full pass sees it."""
        both = torch.cat([a, -a], -1)
        if self.exact:  # floor(relu(y)) = relu(floor(y)), and floor(-a) = -ceil(a): the full pass's grid
            return torch.clamp(torch.floor(both), 0.0, BOUND * GRID)
        return torch.relu(both)


class Matmul:
    """A convolution at one position: its input window, flattened (column, row slot, channel), times its weights.

    Buffers are laid out (N, columns, 2 row slots, C), so a window ``buf[:, j : j + kw]`` is a strided view
    (N, kw * 2 * C). The weights come in both row orders (`wt[p]`: the current row in slot ``p``); a kernel of
    one row reads the current slot only (its window (N, kw, C)). Inputs and outputs are in `Units`, so the bias
    is scaled by the unit.
    """

    def __init__(self, conv: nn.Module, unit: float) -> None:
        inner = inner_conv(conv)
        w = inner.weight
        b = inner.bias if inner.bias is not None else torch.zeros(w.shape[0], dtype=w.dtype, device=w.device)
        flat = w.permute(0, 3, 2, 1)  # (out, kw, kh, in)
        self.wt = [flat.flip(2).reshape(w.shape[0], -1).t().contiguous(),
                   flat.reshape(w.shape[0], -1).t().contiguous()]
        self.b = b * unit
        self.kw = int(w.shape[3])

    def __call__(self, window: torch.Tensor, slot: int = 1) -> torch.Tensor:
        """(N, ...) flattened per patch -> (N, out)."""
        return torch.addmm(self.b, window.reshape(window.shape[0], -1), self.wt[slot])

    def row(self, buf: torch.Tensor, width: int, slot: int = 1, stride: int = 1) -> torch.Tensor:
        """``width`` output columns of a row, every ``stride``-th window: buf (N, cols, 2, C) -> (N, width, out)."""
        n, _, rows, c = buf.shape
        s = buf.stride()
        if s[1] != rows * c or s[2] != c or s[3] != 1:
            raise ValueError("row windows need a buffer contiguous within each patch")
        windows = buf.as_strided((n, width, self.kw * rows * c), (s[0], stride * s[1], 1))
        return torch.matmul(windows, self.wt[slot]) + self.b


class Upsample:
    """A transposed stride-2 convolution with a kernel of 2 rows (PixelCNN++'s ``upsize``), row by row.

    Output row ``r`` reads input row ``r // 2`` only, through kernel row ``r % 2``; output column ``c`` (after
    the full pass's crop of ``lead`` columns) reads input columns ``j`` with ``2 j + kc = c + lead``.
    """

    def __init__(self, conv: ShiftedConv, units: Units) -> None:
        inner = inner_conv(conv)
        w = inner.weight  # (in, out, kh, kw)
        b = inner.bias if inner.bias is not None else torch.zeros(w.shape[1], dtype=w.dtype, device=w.device)
        self.w = w  # taps w[:, :, kr, kc]
        self.b, self.units = b * units.unit, units
        self.kw = int(w.shape[3])
        self.lead = 0 if conv.right else (self.kw - 1) // 2

    def row(self, x: torch.Tensor, kr: int) -> torch.Tensor:
        """Input row (N, W, in) -> output row (N, 2W, out) at kernel row ``kr``."""
        q = self.units.quantize(x)
        n, width, _ = q.shape
        out = self.b.expand(n, 2 * width, self.b.shape[0]).clone()
        for kc in range(self.kw):
            y = torch.matmul(q, self.w[:, :, kr, kc])  # input column j -> output column 2 j + kc - lead
            first = kc - self.lead  # output column of input column 0
            lo = max(0, (-first + 1) // 2)  # the first input column landing inside
            hi = min(width, (2 * width - 1 - first) // 2 + 1)
            if hi > lo:
                out[:, first + 2 * lo : first + 2 * hi - 1 : 2] += y[:, lo:hi]
        return out

    def at(self, x: torch.Tensor, kr: int, kc: int) -> torch.Tensor:
        """One output position from its one input position (a 2x2 kernel at stride 2): (N, in) -> (N, out)."""
        if self.kw != 2 or self.lead:
            raise ValueError("one output position reads one input position only for a 2x2 down-right kernel")
        return torch.addmm(self.b, self.units.quantize(x), self.w[:, :, kr, kc])


class Block:
    """One gated resnet: its two input rings (N, columns, 2 slots, C) and its matmuls."""

    def __init__(self, g: GatedResnet, n: int, width: int, pad: tuple[int, int], dtype: torch.dtype,
                 unit: float) -> None:
        cols = width + pad[0] + pad[1]
        dev = inner_conv(g.conv_in).weight.device
        self.rin = torch.zeros(n, cols, 2, inner_conv(g.conv_in).weight.shape[1], dtype=dtype, device=dev)
        self.rout = torch.zeros(n, cols, 2, inner_conv(g.conv_out).weight.shape[1], dtype=dtype, device=dev)
        self.conv_in, self.conv_out = Matmul(g.conv_in, unit), Matmul(g.conv_out, unit)
        self.skip = Matmul(g.skip, unit) if g.skip is not None else None


def blocks(gs: nn.Module, n: int, width: int, pad: tuple[int, int], dtype: torch.dtype, unit: float) -> list[Block]:
    if not isinstance(gs, nn.ModuleList):
        raise TypeError(f"a stream's blocks are a ModuleList, not {type(gs).__name__}")
    return [Block(g, n, width, pad, dtype, unit) for g in gs if isinstance(g, GatedResnet)]
