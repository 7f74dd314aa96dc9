"""Cached incremental PixelCNN++: one raster step computes only what the new pixel changes, at every resolution.

Decoding is sequential inside a 32x32 patch (pixel ``t + 1`` needs pixel ``t``), so all ``N`` patches of a
chunk advance together through the 1,024 raster steps and each step evaluates the network at **one position**
per patch and resolution (Ramachandran et al. 2017, "Fast generation for convolutional autoregressive
models"), so decoding a patch costs about one full forward pass, not 1,024:

- the down-shifted stream ``u`` sees only the rows above, so it is computed a whole row at a time, at the start
  of the row; resolution ``l`` (side ``size / 2**l``) gets its row ``i >> l`` when the full-resolution row ``i``
  is a multiple of ``2**l``: the up pass finest first (a coarser row is the stride-2 ``downsize`` of the two
  finer rows just computed), then the down pass coarsest first (a finer row is the transposed ``upsize`` of
  the coarser row ``r // 2``, kernel row ``r % 2``);
- the down-right-shifted stream ``ul`` and the head are computed at ``(i, j)``; resolution ``l`` gets its
  position ``(i >> l, j >> l)`` when both ``i`` and ``j`` are multiples of ``2**l``, in the same order. A
  coarser position reads the finer ones up to ``(i, j)`` (whose ``ul`` does not see pixel ``(i, j)``), and a
  finer position reads the coarser one at ``(i >> 1, j >> 1)``, computed at this step or an earlier one.

Each convolution's inputs are kept in a two-row ring per resolution (`pixelcnn_cache`), so memory is
``O(N * channels * width)``. The skip connections of the down pass are the same resolution's up outputs
at the same row or position (PixelCNN++ pops them in reverse).

Bitwise agreement with the full forward pass. On the exact network (`baselines.neural.exact.make_exact`:
inputs floored onto a 1/256 grid, weights on the grid, float64) every convolution output is an exact sum, so
a gathered matrix product here equals the convolution there bit for bit, and every other operation is
element-wise IEEE arithmetic: the head at ``(i, j)`` equals the full pass's, bit for bit, at one resolution
or the paper's three (`tests/neural/test_pixelcnn_step.py`). On a float32 network they agree only to rounding
(fine for a likelihood, not for a codec).
"""

from __future__ import annotations

import torch

from baselines.neural.exact import ExactConv2d
from baselines.neural.pixelcnn_cache import Block, Matmul, Units, Upsample, blocks, inner_conv
from baselines.neural.pixelcnn_net import PixelCNNNetwork, ShiftedConv


class _Resolution:
    """One resolution's blocks and rings, its current row of ``u`` outputs and its ``ul`` outputs by column."""

    def __init__(self, m: PixelCNNNetwork, level: int, n: int, size: int, units: Units) -> None:
        levels, f = m.cfg.levels, m.cfg.filters
        dtype, dev = m.head.weight.dtype, m.head.weight.device
        self.width = w = size >> level
        self.u_up = blocks(m.up_u[level], n, w, (1, 1), dtype, units.unit)
        self.ul_up = blocks(m.up_ul[level], n, w, (1, 0), dtype, units.unit)
        self.u_down = blocks(m.down_u[level], n, w, (1, 1), dtype, units.unit)
        self.ul_down = blocks(m.down_ul[level], n, w, (1, 0), dtype, units.unit)
        self.slot = 1  # the ring slot of the current row (the first row takes slot 0)
        self.coarser = level < levels - 1
        if self.coarser:  # the last up outputs, quantized, for the stride-2 `downsize` into the next resolution
            self.to_u = Matmul(m.downsize_u[level], units.unit)
            self.to_ul = Matmul(m.downsize_ul[level], units.unit)
            self.ring_u = torch.zeros(n, w + 2, 2, f, dtype=dtype, device=dev)  # (2, 3) kernel: a column each side
            self.ring_ul = torch.zeros(n, w + 1, 2, f, dtype=dtype, device=dev)  # (2, 2): a column on the left
            up_u, up_ul = m.upsize_u[levels - 2 - level], m.upsize_ul[levels - 2 - level]
            assert isinstance(up_u, ShiftedConv) and isinstance(up_ul, ShiftedConv)
            self.from_u, self.from_ul = Upsample(up_u, units), Upsample(up_ul, units)
        self.us: list[torch.Tensor] = []  # up-pass u rows (N, w, f) of the current row
        self.uds: list[torch.Tensor] = []  # down-pass u rows, one per down block
        self.uls: list[torch.Tensor] = []  # up-pass ul at the current position (N, f)
        self.finer = level > 0  # a finer resolution reads this one's last down outputs (`upsize`)
        self.u_top = torch.empty(0)  # the last down u row (N, w, f), set before a finer row reads it
        # the last down ul by column, written position by position (the finest resolution keeps none)
        self.ul_top = torch.zeros(n, w, f, dtype=dtype, device=dev) if self.finer else torch.empty(0)

    def next_row(self) -> None:
        """The new row takes the older slot (what it held is overwritten before it is read)."""
        self.slot = 1 - self.slot


def _due(k: int, levels: int) -> int:
    """How many resolutions have a row (or column) at full-resolution index ``k``: those with ``2**l | k``."""
    due = 1
    while due < levels and k % (1 << due) == 0:
        due += 1
    return due


class CachedPixelCNN:
    """Incremental evaluation of a `PixelCNNNetwork` (any ``levels``) over ``n`` patches of ``size`` x ``size``.

    Per row ``i``: `start_row` (after every pixel of row ``i - 1`` was `put`); per pixel ``j``: `head` gives
    the mixture head at ``(i, j)`` (N, head), then `put` stores the pixel's normalised values.
    """

    def __init__(self, model: PixelCNNNetwork, n: int, size: int) -> None:
        levels = model.cfg.levels
        if size % (1 << (levels - 1)):
            raise ValueError(f"a PixelCNN of {levels} resolutions needs patches whose side divides by "
                             f"{1 << (levels - 1)}, not {size}")
        if model.training:
            raise ValueError("the cached decoder needs the model in eval() mode (no dropout)")
        self.m, self.n, self.size, self.levels = model, n, size, levels
        self.units = Units(isinstance(inner_conv(model.u_init), ExactConv2d))
        self.unit = self.units.unit
        self.dtype, self.device = model.head.weight.dtype, model.head.weight.device
        # rows i-2, i-1, i of the input; a zero column each side
        self.x = torch.zeros(n, size + 2, 3, model.in_channels + 1, dtype=self.dtype, device=self.device)
        self.res = [_Resolution(model, level, n, size, self.units) for level in range(levels)]
        self.u_init = Matmul(model.u_init, self.unit)
        self.ul_v, self.ul_h = Matmul(model.ul_init_v, self.unit), Matmul(model.ul_init_h, self.unit)
        self.out = Matmul(model.head, self.unit)
        self.gate_scale = 0.25 / self.unit
        self.row = -1

    def _gate(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        g, b = h.chunk(2, -1)
        return x + g * torch.clamp(b * self.gate_scale + 0.5, 0.0, 1.0)

    # -- the down-shifted stream, a row at a time (channels last: (N, W, C)) --------------------------------
    def _u_row(self, b: Block, r: _Resolution, x: torch.Tensor, a: torch.Tensor | None) -> torch.Tensor:
        w, slot, act = r.width, r.slot, self.units.act
        b.rin[:, 1 : w + 1, slot] = act(x)
        h = b.conv_in.row(b.rin, w, slot)
        if a is not None and b.skip is not None:
            h = h + torch.matmul(act(a), b.skip.wt[1]) + b.skip.b
        b.rout[:, 1 : w + 1, slot] = act(h)
        return self._gate(x, b.conv_out.row(b.rout, w, slot))

    def start_row(self, i: int) -> None:
        if i != self.row + 1:
            raise ValueError(f"rows go in order: expected row {self.row + 1}, got {i}")
        self.row = i
        self.x[:, :, 0:2] = self.x[:, :, 1:3].clone()
        self.x[:, :, 2] = 0.0
        due = _due(i, self.levels)
        for r in self.res[:due]:
            r.next_row()
        for level, r in enumerate(self.res[:due]):  # up pass, finest first
            if level == 0:
                u = (torch.zeros(self.n, self.size, self.m.cfg.filters, dtype=self.dtype, device=self.device)
                     if i == 0 else self.u_init.row(self.x[:, :, 0:2].contiguous(), self.size))
            else:
                finer = self.res[level - 1]
                u = finer.to_u.row(finer.ring_u, r.width, finer.slot, stride=2)
            r.us = [u]
            for b in r.u_up:
                u = self._u_row(b, r, u, None)
                r.us.append(u)
            if r.coarser:
                r.ring_u[:, 1 : r.width + 1, r.slot] = self.units.quantize(u)
        for level in reversed(range(due)):  # down pass, coarsest first
            r = self.res[level]
            skips = list(r.us)
            u = skips.pop() if not r.coarser else r.from_u.row(self.res[level + 1].u_top, (i >> level) & 1)
            r.uds = []
            for b in r.u_down:
                u = self._u_row(b, r, u, skips.pop())
                r.uds.append(u)
            r.u_top = u

    # -- the down-right-shifted stream and the head, a position at a time --------------------------------------
    def _ul_px(self, b: Block, r: _Resolution, x: torch.Tensor, a: torch.Tensor, c: int) -> torch.Tensor:
        slot, act = r.slot, self.units.act
        b.rin[:, c + 1, slot] = act(x)
        h = b.conv_in(b.rin[:, c : c + 2], slot)
        if b.skip is not None:
            h = h + b.skip(act(a))
        b.rout[:, c + 1, slot] = act(h)
        return self._gate(x, b.conv_out(b.rout[:, c : c + 2], slot))

    def head(self, i: int, j: int) -> torch.Tensor:
        """The mixture head at ``(i, j)`` (N, head), from the pixels before it."""
        if i != self.row:
            raise ValueError(f"call start_row({i}) before the pixels of row {i}")
        due = min(_due(i, self.levels), _due(j, self.levels))
        for level, r in enumerate(self.res[:due]):  # up pass, finest first
            c = j >> level
            if level == 0:
                ul = torch.zeros(self.n, self.m.cfg.filters, dtype=self.dtype, device=self.device)
                if i > 0:
                    ul = ul + self.ul_v(self.x[:, j : j + 3, 1:2])
                if j > 0:
                    ul = ul + self.ul_h(self.x[:, j : j + 1, 1:3])
            else:
                finer = self.res[level - 1]
                ul = finer.to_ul(finer.ring_ul[:, 2 * c : 2 * c + 2], finer.slot)
            r.uls = [ul]
            for k, b in enumerate(r.ul_up):
                ul = self._ul_px(b, r, ul, r.us[k + 1][:, c], c)
                r.uls.append(ul)
            if r.coarser:
                r.ring_ul[:, c + 1, r.slot] = self.units.quantize(ul)
        for level in reversed(range(due)):  # down pass, coarsest first
            r, c = self.res[level], j >> level
            skips = r.uls
            ul = (skips.pop() if not r.coarser
                  else r.from_ul.at(self.res[level + 1].ul_top[:, c >> 1], (i >> level) & 1, c & 1))
            for k, b in enumerate(r.ul_down):
                ul = self._ul_px(b, r, ul, torch.cat([r.uds[k][:, c], skips.pop()], 1), c)
            if r.finer:
                r.ul_top[:, c] = ul
        out = self.out(self.units.act(ul))
        return out / self.unit if self.units.exact else out

    def put(self, j: int, xn: torch.Tensor) -> None:
        """Store pixel ``(row, j)``'s normalised values (N, C) for the steps after it."""
        c = self.m.in_channels
        v = xn.to(self.dtype) * self.unit
        self.x[:, j + 1, 2, :c] = self.units.quantize(v)
        self.x[:, j + 1, 2, c] = self.unit
