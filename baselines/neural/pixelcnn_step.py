"""Cached incremental PixelCNN++: one raster step computes only what the new pixel changes.

Decoding is sequential inside a 32x32 patch (pixel ``t + 1`` needs pixel ``t``), so
all ``N`` patches of a chunk advance together through the 1,024 raster steps and each
step evaluates the network at **one position** per patch (Ramachandran et al. 2017,
"Fast generation for convolutional autoregressive models"):

- the down-shifted stream ``u`` sees only the rows above, so it is computed a whole
  row at a time, at the start of the row (every layer's row ``i`` from the rows
  ``i - 1, i`` of its input);
- the down-right-shifted stream ``ul`` and the head are computed at ``(i, j)`` from
  each layer's inputs at ``(i - 1, j - 1), (i - 1, j), (i, j - 1), (i, j)``.

Each convolution's inputs are kept in a two-row ring (the previous and the
current row, zero-padded like the full forward pass; a new row takes the older
slot and the matmul takes the kernel rows in that order), so memory is
``O(N * channels * width)``, not a copy of every activation map. On the exact
network activations are kept in units of the grid (x 256): a convolution's input
is then just ``floor`` and ``clamp`` of them, and every scaling by a power of two
is exact, so nothing changes in the bits.

Bitwise agreement with the full forward pass. On the exact network
(`baselines.neural.exact.make_exact`: inputs floored onto a 1/256 grid, weights on
the grid, float64) every convolution output is an exact sum, so a gathered
matrix product here equals the convolution there bit for bit, and every other
operation is element-wise IEEE arithmetic: the head at ``(i, j)`` equals the full
pass's, bit for bit (`tests/neural/test_pixelcnn.py`). The encoder may therefore run
the full pass and the decoder these steps. On a float32 network they agree only to
rounding (fine for a likelihood, not for a codec).
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from baselines.neural.exact import BOUND, GRID, ExactConv2d
from baselines.neural.pixelcnn_net import GatedResnet, PixelCNNNetwork, ShiftedConv


def _inner(conv: nn.Module) -> nn.Conv2d | nn.ConvTranspose2d | ExactConv2d:
    inner = conv.conv if isinstance(conv, ShiftedConv) else conv
    if not isinstance(inner, nn.Conv2d | nn.ConvTranspose2d | ExactConv2d):
        raise TypeError(f"the cached decoder reads convolutions, not {type(inner).__name__}")
    return inner


class _Matmul:
    """A convolution at one position: its input window, flattened (column, row slot, channel), times its weights.

    Buffers are laid out (N, columns, 2 row slots, C), so a window ``buf[:, j : j + kw]``
    is a strided view (N, kw * 2 * C) the matrix product reads without a copy. The
    weights come in both row orders (`wt[p]`: the current row in slot ``p``). On the
    exact network inputs and outputs are in grid units, so the bias is scaled by ``unit``.
    """

    def __init__(self, conv: nn.Module, unit: float) -> None:
        inner = _inner(conv)
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

    def row(self, buf: torch.Tensor, width: int, slot: int = 1) -> torch.Tensor:
        """Every output column of a row at once: buf (N, width + kw - 1, 2, C) -> (N, width, out)."""
        n, _, rows, c = buf.shape
        s = buf.stride()
        if s[1] != rows * c or s[2] != c or s[3] != 1:
            raise ValueError("row windows need a buffer contiguous within each patch")
        windows = buf.as_strided((n, width, self.kw * rows * c), (s[0], s[1], 1))
        return torch.matmul(windows, self.wt[slot]) + self.b


class _Block:
    """One gated resnet: its two input rings (N, columns, 2 slots, C), its matmuls, the slot of the current row."""

    def __init__(self, g: GatedResnet, n: int, width: int, pad: tuple[int, int], dtype: torch.dtype,
                 unit: float) -> None:
        cols = width + pad[0] + pad[1]
        dev = _inner(g.conv_in).weight.device
        self.rin = torch.zeros(n, cols, 2, _inner(g.conv_in).weight.shape[1], dtype=dtype, device=dev)
        self.rout = torch.zeros(n, cols, 2, _inner(g.conv_out).weight.shape[1], dtype=dtype, device=dev)
        self.conv_in, self.conv_out = _Matmul(g.conv_in, unit), _Matmul(g.conv_out, unit)
        self.skip = _Matmul(g.skip, unit) if g.skip is not None else None
        self.slot = 1

    def next_row(self) -> None:
        """The new row takes the older slot (what it held is overwritten before it is read)."""
        self.slot = 1 - self.slot


class CachedPixelCNN:
    """Incremental evaluation of a ``levels=1`` `PixelCNNNetwork` over ``n`` patches of ``size`` x ``size``.

    Per row ``i``: `start_row` (after every pixel of row ``i - 1`` was `put`); per
    pixel ``j``: `head` gives the mixture head at ``(i, j)`` (N, head), then `put`
    stores the pixel's normalised values.
    """

    def __init__(self, model: PixelCNNNetwork, n: int, size: int) -> None:
        if model.cfg.levels != 1:
            raise ValueError(f"the cached decoder runs one resolution; this PixelCNN has levels={model.cfg.levels} "
                             "(evaluate its likelihood with the full forward pass)")
        if model.training:
            raise ValueError("the cached decoder needs the model in eval() mode (no dropout)")
        self.m, self.n, self.size = model, n, size
        self.exact = isinstance(_inner(model.u_init), ExactConv2d)
        self.unit = GRID if self.exact else 1.0  # activations are kept in these units
        self.dtype, self.device = model.head.weight.dtype, model.head.weight.device
        cin = model.in_channels + 1
        # rows i-2, i-1, i; a zero column each side
        self.x = torch.zeros(n, size + 2, 3, cin, dtype=self.dtype, device=self.device)

        def blocks(gs: nn.Module, pad: tuple[int, int]) -> list[_Block]:
            return [_Block(cast(GatedResnet, g), n, size, pad, self.dtype, self.unit) for g in cast(nn.ModuleList, gs)]

        self.u_up, self.u_down = blocks(model.up_u[0], (1, 1)), blocks(model.down_u[0], (1, 1))
        self.ul_up, self.ul_down = blocks(model.up_ul[0], (1, 0)), blocks(model.down_ul[0], (1, 0))
        self.u_init = _Matmul(model.u_init, self.unit)
        self.ul_v, self.ul_h = _Matmul(model.ul_init_v, self.unit), _Matmul(model.ul_init_h, self.unit)
        self.out = _Matmul(model.head, self.unit)
        self.gate_scale = 0.25 / self.unit
        self.row = -1
        self.us: list[torch.Tensor] = []
        self.uds: list[torch.Tensor] = []

    def _act(self, a: torch.Tensor) -> torch.Tensor:
        """concat-ReLU over the last dim, as a convolution of the full pass sees it (exact: floored, in units)."""
        both = torch.cat([a, -a], -1)
        if self.exact:  # floor(relu(y)) = relu(floor(y)), and floor(-a) = -ceil(a): the full pass's grid
            return torch.clamp(torch.floor(both), 0.0, BOUND * GRID)
        return torch.relu(both)

    def _gate(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        g, b = h.chunk(2, -1)
        return x + g * torch.clamp(b * self.gate_scale + 0.5, 0.0, 1.0)

    # -- the down-shifted stream, a row at a time (channels last: (N, W, C)) --------------------------------
    def _u_row(self, b: _Block, x: torch.Tensor, a: torch.Tensor | None) -> torch.Tensor:
        w, slot = self.size, b.slot
        b.rin[:, 1 : w + 1, slot] = self._act(x)
        h = b.conv_in.row(b.rin, w, slot)
        if a is not None and b.skip is not None:
            h = h + torch.matmul(self._act(a), b.skip.wt[1]) + b.skip.b
        b.rout[:, 1 : w + 1, slot] = self._act(h)
        return self._gate(x, b.conv_out.row(b.rout, w, slot))

    def start_row(self, i: int) -> None:
        if i != self.row + 1:
            raise ValueError(f"rows go in order: expected row {self.row + 1}, got {i}")
        self.row = i
        self.x[:, :, 0:2] = self.x[:, :, 1:3].clone()
        self.x[:, :, 2] = 0.0
        for b in (*self.u_up, *self.u_down, *self.ul_up, *self.ul_down):
            b.next_row()
        f = self.m.cfg.filters
        u = (torch.zeros(self.n, self.size, f, dtype=self.dtype, device=self.device) if i == 0
             else self.u_init.row(self.x[:, :, 0:2].contiguous(), self.size))
        us = [u]
        for b in self.u_up:
            u = self._u_row(b, u, None)
            us.append(u)
        self.us = list(us)
        skips = us[:-1]
        u = us[-1]
        self.uds = []
        for b in self.u_down:
            u = self._u_row(b, u, skips.pop())
            self.uds.append(u)

    # -- the down-right-shifted stream and the head, a pixel at a time ---------------------------------------
    def _ul_px(self, b: _Block, x: torch.Tensor, a: torch.Tensor, j: int) -> torch.Tensor:
        slot = b.slot
        b.rin[:, j + 1, slot] = self._act(x)
        h = b.conv_in(b.rin[:, j : j + 2], slot)
        if b.skip is not None:
            h = h + b.skip(self._act(a))
        b.rout[:, j + 1, slot] = self._act(h)
        return self._gate(x, b.conv_out(b.rout[:, j : j + 2], slot))

    def head(self, i: int, j: int) -> torch.Tensor:
        """The mixture head at ``(i, j)`` (N, head), from the pixels before it."""
        if i != self.row:
            raise ValueError(f"call start_row({i}) before the pixels of row {i}")
        f = self.m.cfg.filters
        ul = torch.zeros(self.n, f, dtype=self.dtype, device=self.device)
        if i > 0:
            ul = ul + self.ul_v(self.x[:, j : j + 3, 1:2])
        if j > 0:
            ul = ul + self.ul_h(self.x[:, j : j + 1, 1:3])
        uls = [ul]
        for k, b in enumerate(self.ul_up):
            ul = self._ul_px(b, ul, self.us[k + 1][:, j], j)
            uls.append(ul)
        ul = uls.pop()
        for k, b in enumerate(self.ul_down):
            ul = self._ul_px(b, ul, torch.cat([self.uds[k][:, j], uls.pop()], 1), j)
        out = self.out(self._act(ul))
        return out / self.unit if self.exact else out

    def put(self, j: int, xn: torch.Tensor) -> None:
        """Store pixel ``(row, j)``'s normalised values (N, C) for the steps after it."""
        c = self.m.in_channels
        v = xn.to(self.dtype) * self.unit
        self.x[:, j + 1, 2, :c] = torch.clamp(torch.floor(v), -BOUND * GRID, BOUND * GRID) if self.exact else v
        self.x[:, j + 1, 2, c] = self.unit


class FullPassPixelCNN:
    """`CachedPixelCNN`'s interface for a `PixelCNNNetwork` of any ``levels`` (the paper's three): full passes.

    The encoder knows every pixel (``known``: the normalised patches) and runs the network once; the
    decoder runs the whole network again for every pixel, on the pixels `put` so far (zeros after them).
    Both read the head at ``(i, j)``, which depends only on the pixels before it (PixelCNN++'s shifted
    and strided convolutions), so the two agree bit for bit when the network is exact
    (`baselines.neural.exact`: each output is an exact sum, whatever else the input holds). A pass per
    pixel makes decoding ``size**2`` full passes: a GPU's work at the paper's size.
    """

    def __init__(self, model: PixelCNNNetwork, n: int, size: int, known: torch.Tensor | None = None) -> None:
        if model.training:
            raise ValueError("the full-pass decoder needs the model in eval() mode (no dropout)")
        self.m, self.row = model, -1
        self.dtype = model.head.weight.dtype
        self.xn = torch.zeros(n, model.in_channels, size, size, dtype=self.dtype, device=model.head.weight.device)
        self._heads = None if known is None else model(known.to(self.dtype))

    def start_row(self, i: int) -> None:
        if i != self.row + 1:
            raise ValueError(f"rows go in order: expected row {self.row + 1}, got {i}")
        self.row = i

    def head(self, i: int, j: int) -> torch.Tensor:
        """The mixture head at ``(i, j)`` (N, head), from the pixels before it."""
        if i != self.row:
            raise ValueError(f"call start_row({i}) before the pixels of row {i}")
        heads = self._heads if self._heads is not None else self.m(self.xn)
        return heads[:, :, i, j]

    def put(self, j: int, xn: torch.Tensor) -> None:
        """Store pixel ``(row, j)``'s normalised values (N, C) for the passes after it."""
        self.xn[:, :, self.row, j] = xn.to(self.dtype)


def pixel_stepper(model: PixelCNNNetwork, n: int, size: int,
                  known: torch.Tensor | None = None) -> CachedPixelCNN | FullPassPixelCNN:
    """The incremental evaluator for ``model``: cached (one resolution) or full passes (``levels > 1``).

    ``known``: the encoder's normalised patches (a full-pass encoder runs once on them)."""
    if model.cfg.levels == 1:
        return CachedPixelCNN(model, n, size)
    return FullPassPixelCNN(model, n, size, known)
