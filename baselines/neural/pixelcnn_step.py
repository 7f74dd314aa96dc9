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

Each convolution's inputs are kept in a two-row buffer (the previous and the
current row, zero-padded like the full forward pass), so memory is
``O(N * channels * width)``, not a copy of every activation map.

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

import torch
from torch import nn

from baselines.neural.exact import ExactConv2d, quantize
from baselines.neural.pixelcnn import GatedResnet, PixelCNN, ShiftedConv, concat_relu, gate


def _inner(conv: nn.Module) -> nn.Module:
    return conv.conv if isinstance(conv, ShiftedConv) else conv


class _Matmul:
    """A convolution at one position: its input window, flattened (column, row, channel), times its weights.

    Buffers are laid out (N, columns, 2 rows, C), so a window ``buf[:, j : j + kw]`` is
    a strided view (N, kw * 2 * C) that the matrix product reads without a copy.
    """

    def __init__(self, conv: nn.Module) -> None:
        inner = _inner(conv)
        w, b = inner.weight, inner.bias  # type: ignore[union-attr]
        self.wt = w.permute(0, 3, 2, 1).reshape(w.shape[0], -1).t().contiguous()  # type: ignore[union-attr]
        self.b = b if b is not None else torch.zeros(w.shape[0], dtype=w.dtype)  # type: ignore[union-attr]
        self.kw = int(w.shape[3])  # type: ignore[union-attr]

    def __call__(self, window: torch.Tensor) -> torch.Tensor:
        """(N, ...) flattened per patch -> (N, out)."""
        return torch.addmm(self.b, window.reshape(window.shape[0], -1), self.wt)

    def row(self, buf: torch.Tensor, width: int) -> torch.Tensor:
        """Every output column of a row at once: buf (N, width + kw - 1, 2, C) -> (N, width, out)."""
        n, cols, rows, c = buf.shape
        s = buf.stride()
        if s[1] != rows * c or s[2] != c or s[3] != 1:
            raise ValueError("row windows need a buffer contiguous within each patch")
        windows = buf.as_strided((n, width, self.kw * rows * c), (s[0], s[1], 1))
        return torch.matmul(windows, self.wt) + self.b


class _Block:
    """One gated resnet's two input buffers (previous and current row, (N, columns, 2, C)) and its matmuls."""

    def __init__(self, g: GatedResnet, n: int, width: int, pad: tuple[int, int], dtype: torch.dtype) -> None:
        self.g = g
        cols = width + pad[0] + pad[1]
        self.rin = torch.zeros(n, cols, 2, _inner(g.conv_in).weight.shape[1], dtype=dtype)  # type: ignore[union-attr]
        self.rout = torch.zeros(n, cols, 2, _inner(g.conv_out).weight.shape[1], dtype=dtype)  # type: ignore[union-attr]
        self.conv_in, self.conv_out = _Matmul(g.conv_in), _Matmul(g.conv_out)
        self.skip = _Matmul(g.skip) if g.skip is not None else None

    def next_row(self) -> None:
        for r in (self.rin, self.rout):
            r[:, :, 0] = r[:, :, 1]
            r[:, :, 1] = 0.0


def _concat_relu_last(x: torch.Tensor) -> torch.Tensor:
    """`concat_relu` over the last dim (channels last)."""
    return torch.cat([torch.relu(x), torch.relu(-x)], -1)


class CachedPixelCNN:
    """Incremental evaluation of a ``levels=1`` `PixelCNN` over ``n`` patches of ``size`` x ``size``.

    Per row ``i``: `start_row` (after every pixel of row ``i - 1`` was `put`); per
    pixel ``j``: `head` gives the mixture head at ``(i, j)`` (N, head), then `put`
    stores the pixel's normalised values.
    """

    def __init__(self, model: PixelCNN, n: int, size: int) -> None:
        if model.cfg.levels != 1:
            raise ValueError(f"the cached decoder runs one resolution; this PixelCNN has levels={model.cfg.levels} "
                             "(evaluate its likelihood with the full forward pass)")
        if model.training:
            raise ValueError("the cached decoder needs the model in eval() mode (no dropout)")
        self.m, self.n, self.size = model, n, size
        self.exact = isinstance(_inner(model.u_init), ExactConv2d)
        self.dtype = model.head.weight.dtype  # type: ignore[union-attr]
        cin = model.in_channels + 1
        self.x = torch.zeros(n, size + 2, 3, cin, dtype=self.dtype)  # rows i-2, i-1, i; a zero column each side
        self.u_up = [_Block(g, n, size, (1, 1), self.dtype) for g in model.up_u[0]]  # type: ignore[union-attr]
        self.u_down = [_Block(g, n, size, (1, 1), self.dtype) for g in model.down_u[0]]  # type: ignore[union-attr]
        self.ul_up = [_Block(g, n, size, (1, 0), self.dtype) for g in model.up_ul[0]]  # type: ignore[union-attr]
        self.ul_down = [_Block(g, n, size, (1, 0), self.dtype) for g in model.down_ul[0]]  # type: ignore[union-attr]
        self.u_init = _Matmul(model.u_init)
        self.ul_v, self.ul_h, self.out = _Matmul(model.ul_init_v), _Matmul(model.ul_init_h), _Matmul(model.head)
        self.row = -1
        self.us: list[torch.Tensor] = []
        self.uds: list[torch.Tensor] = []

    def q(self, x: torch.Tensor) -> torch.Tensor:
        """What a convolution of the full pass sees of ``x`` (exact network: floored onto the grid)."""
        return quantize(x) if self.exact else x

    # -- the down-shifted stream, a row at a time (channels last: (N, W, C)) --------------------------------
    def _u_row(self, b: _Block, x: torch.Tensor, a: torch.Tensor | None) -> torch.Tensor:
        w = self.size
        b.next_row()
        b.rin[:, 1 : w + 1, 1] = self.q(_concat_relu_last(x))
        h = b.conv_in.row(b.rin, w)
        if a is not None and b.skip is not None:
            h = h + torch.matmul(self.q(_concat_relu_last(a)), b.skip.wt) + b.skip.b
        b.rout[:, 1 : w + 1, 1] = self.q(_concat_relu_last(h))
        g, gb = b.conv_out.row(b.rout, w).chunk(2, -1)
        return x + gate(g, gb)

    def start_row(self, i: int) -> None:
        if i != self.row + 1:
            raise ValueError(f"rows go in order: expected row {self.row + 1}, got {i}")
        self.row = i
        self.x[:, :, 0:2] = self.x[:, :, 1:3].clone()
        self.x[:, :, 2] = 0.0
        f = self.m.cfg.filters
        u = (torch.zeros(self.n, self.size, f, dtype=self.dtype) if i == 0
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
        for b in (*self.ul_up, *self.ul_down):
            b.next_row()

    # -- the down-right-shifted stream and the head, a pixel at a time ---------------------------------------
    def _ul_px(self, b: _Block, x: torch.Tensor, a: torch.Tensor, j: int) -> torch.Tensor:
        b.rin[:, j + 1, 1] = self.q(_concat_relu_last(x))
        h = b.conv_in(b.rin[:, j : j + 2])
        if b.skip is not None:
            h = h + b.skip(self.q(_concat_relu_last(a)))
        b.rout[:, j + 1, 1] = self.q(_concat_relu_last(h))
        g, gb = b.conv_out(b.rout[:, j : j + 2]).chunk(2, 1)
        return x + gate(g, gb)

    def head(self, i: int, j: int) -> torch.Tensor:
        """The mixture head at ``(i, j)`` (N, head), from the pixels before it."""
        if i != self.row:
            raise ValueError(f"call start_row({i}) before the pixels of row {i}")
        f = self.m.cfg.filters
        ul = torch.zeros(self.n, f, dtype=self.dtype)
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
        return self.out(self.q(_concat_relu_last(ul)))

    def put(self, j: int, xn: torch.Tensor) -> None:
        """Store pixel ``(row, j)``'s normalised values (N, C) for the steps after it."""
        c = self.m.in_channels
        self.x[:, j + 1, 2, :c] = self.q(xn)
        self.x[:, j + 1, 2, c] = 1.0
