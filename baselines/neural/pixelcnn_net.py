"""PixelCNN++ (Salimans et al. 2017) for 16-bit frames: the network, its likelihood, its configurations.

The baseline model is `baselines.neural.pixelcnn.PixelCNN`: this network plus its chunk coder.

The paper's family, as the AstroCompress authors ran it (Supplement C.2: the
``pixel-cnn-pp`` code, 5 resnets, 160 filters, 12 logistic mixture
components): a **down-shifted** stream ``u`` (sees the rows above) and a
**down-right-shifted** stream ``ul`` (sees the rows above and the pixels to the
left), gated residual blocks on both, an up pass whose outputs feed the down
pass as skip connections, and a **discretized logistic mixture** per pixel.
Channels are modelled autoregressively inside a pixel as PixelCNN++ models RGB:
channel ``c``'s means move linearly with the values of the earlier channels of its
group (groups of up to 3: a 3D item's three frames; the paper's 6-channel 8-bit
format couples the 3 LSB channels and, separately, the 3 MSB channels).

Two changes make it a codec and are deliberate:

- activations are concat-ReLU, gates ``a * hard_sigmoid(b)`` and coupling
  coefficients ``softsign``: IEEE basic arithmetic only, so the network runs
  exactly (`baselines.neural.exact`) and a bitstream decodes on any CPU
  (PixelCNN++ uses concat-ELU, sigmoid and tanh: transcendental, dispatch-dependent);
- each channel has its own mixture weights (PixelCNN++ shares one mixture
  indicator across R, G, B), so a channel's distribution given the earlier ones
  is a plain mixture the coder can table.

Decoding runs the cached incremental step (`baselines.neural.pixelcnn_step`) at every resolution: the shipped
one-resolution ``small`` and the paper's three alike, about one forward pass of work per pixel in all.

Inputs are ``xn = (x - offset) / scale`` per 32x32 patch (`common.SideInfo`),
plus a channel of ones so the network sees the patch border.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from baselines.neural import common
from baselines.neural.coding_loss import coding_log2p

GROUP = 3
"""Channels coupled autoregressively inside a pixel: groups of up to 3 (RGB-like)."""


@dataclass(frozen=True)
class PixelCNNConfig:
    filters: int = 16
    resnets: int = 1
    """Gated residual blocks per stream per level in the up pass (the down pass has as many, +1 below the top)."""
    levels: int = 1
    """Resolutions (PixelCNN++: 3), each half the side of the one before; the patch side must divide by
    ``2 ** (levels - 1)``."""
    mixtures: int = 5
    dropout: float = 0.0

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


PIXELCNN_CONFIGS: dict[str, PixelCNNConfig] = {
    "paper": PixelCNNConfig(filters=160, resnets=5, levels=3, mixtures=12, dropout=0.5),
    "small": PixelCNNConfig(filters=16, resnets=1, levels=1, mixtures=5),
    "tiny": PixelCNNConfig(filters=8, resnets=1, levels=1, mixtures=2),
}


def concat_relu(x: torch.Tensor) -> torch.Tensor:
    return torch.cat([F.relu(x), F.relu(-x)], 1)


def gate(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a * hard_sigmoid(b)``: PixelCNN++'s gate with basic arithmetic only."""
    return a * torch.clamp(b * 0.25 + 0.5, 0.0, 1.0)


def softsign(x: torch.Tensor) -> torch.Tensor:
    return x / (1.0 + torch.abs(x))


def down_shift(x: torch.Tensor) -> torch.Tensor:
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1]


def right_shift(x: torch.Tensor) -> torch.Tensor:
    return F.pad(x, (1, 0, 0, 0))[:, :, :, :-1]


class ShiftedConv(nn.Module):
    """PixelCNN++'s down-shifted (``right=False``) or down-right-shifted convolution, strided or transposed.

    Output ``(i, j)`` of a stride-1 convolution sees input rows ``i - kh + 1 .. i`` and
    columns ``j - (kw - 1) / 2 .. j + (kw - 1) / 2`` (down-shifted) or ``j - kw + 1 .. j``
    (down-right-shifted): padding on the top and the left (and right) only.
    """

    def __init__(self, cin: int, cout: int, kernel: tuple[int, int], *, right: bool, stride: int = 1,
                 transposed: bool = False) -> None:
        super().__init__()
        self.kernel, self.right, self.transposed = kernel, right, transposed
        if transposed:
            self.conv: nn.Module = nn.ConvTranspose2d(cin, cout, kernel, stride, output_padding=1)
        else:
            self.conv = nn.Conv2d(cin, cout, kernel, stride)

    @property
    def padding(self) -> tuple[int, int, int, int]:
        """(left, right, top, bottom) of a stride-1 / strided convolution's input."""
        kh, kw = self.kernel
        return (kw - 1, 0, kh - 1, 0) if self.right else ((kw - 1) // 2, (kw - 1) // 2, kh - 1, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kh, kw = self.kernel
        if not self.transposed:
            return self.conv(F.pad(x, self.padding))
        y = self.conv(x)
        h, w = y.shape[-2:]
        if self.right:
            return y[:, :, : h - kh + 1, : w - kw + 1]
        return y[:, :, : h - kh + 1, (kw - 1) // 2 : w - (kw - 1) // 2]


def vertical(cin: int, cout: int, kernel: tuple[int, int] = (2, 3), **kw: int | bool) -> ShiftedConv:
    return ShiftedConv(cin, cout, kernel, right=False, **kw)  # type: ignore[arg-type]


def horizontal(cin: int, cout: int, kernel: tuple[int, int] = (2, 2), **kw: int | bool) -> ShiftedConv:
    return ShiftedConv(cin, cout, kernel, right=True, **kw)  # type: ignore[arg-type]


class GatedResnet(nn.Module):
    """``x + gate(conv_out(act(conv_in(act(x)) + skip(act(a)))))``, as PixelCNN++'s ``gated_resnet``."""

    def __init__(self, filters: int, conv: Callable[[int, int], ShiftedConv], skip_channels: int,
                 dropout: float) -> None:
        super().__init__()
        self.conv_in = conv(2 * filters, filters)  # `vertical` or `horizontal`
        self.skip = nn.Conv2d(2 * skip_channels, filters, 1) if skip_channels else None
        self.drop = nn.Dropout(dropout)
        self.conv_out = conv(2 * filters, 2 * filters)

    def forward(self, x: torch.Tensor, a: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv_in(concat_relu(x))
        if self.skip is not None and a is not None:
            h = h + self.skip(concat_relu(a))
        h = self.conv_out(self.drop(concat_relu(h)))
        g, b = h.chunk(2, 1)
        return x + gate(g, b)


def coupling_pairs(channels: int) -> list[list[int]]:
    """Per channel, the earlier channels of its group its means depend on (groups of `GROUP`)."""
    return [list(range(c - c % GROUP, c)) for c in range(channels)]


def head_channels(channels: int, mixtures: int) -> int:
    """Means, log-scales and logits per channel, then one coefficient per (component, coupled pair)."""
    return mixtures * (3 * channels + sum(len(p) for p in coupling_pairs(channels)))


class PixelCNNNetwork(nn.Module):
    """PixelCNN++ over ``in_channels`` channels; ``forward(xn)`` gives the mixture head (B, head, S, S)."""

    def __init__(self, cfg: PixelCNNConfig, in_channels: int) -> None:
        super().__init__()
        self.cfg, self.in_channels = cfg, in_channels
        f, r, levels = cfg.filters, cfg.resnets, cfg.levels
        cin = in_channels + 1
        self.u_init = vertical(cin, f, (2, 3))
        self.ul_init_v = vertical(cin, f, (1, 3))
        self.ul_init_h = horizontal(cin, f, (2, 1))
        self.up_u = nn.ModuleList(nn.ModuleList(GatedResnet(f, vertical, 0, cfg.dropout) for _ in range(r))
                                  for _ in range(levels))
        self.up_ul = nn.ModuleList(nn.ModuleList(GatedResnet(f, horizontal, f, cfg.dropout) for _ in range(r))
                                   for _ in range(levels))
        down = [r if level == levels - 1 else r + 1 for level in range(levels)]  # top resolution last
        self.down_u = nn.ModuleList(nn.ModuleList(GatedResnet(f, vertical, f, cfg.dropout) for _ in range(n))
                                    for n in down)
        self.down_ul = nn.ModuleList(nn.ModuleList(GatedResnet(f, horizontal, 2 * f, cfg.dropout) for _ in range(n))
                                     for n in down)
        self.downsize_u = nn.ModuleList(vertical(f, f, (2, 3), stride=2) for _ in range(levels - 1))
        self.downsize_ul = nn.ModuleList(horizontal(f, f, (2, 2), stride=2) for _ in range(levels - 1))
        self.upsize_u = nn.ModuleList(vertical(f, f, (2, 3), stride=2, transposed=True) for _ in range(levels - 1))
        self.upsize_ul = nn.ModuleList(horizontal(f, f, (2, 2), stride=2, transposed=True) for _ in range(levels - 1))
        self.head = nn.Conv2d(2 * f, head_channels(in_channels, cfg.mixtures), 1)
        assert self.head.bias is not None  # nn.Conv2d makes one unless bias=False
        common.init_mixture_bias(self.head.bias[: 3 * cfg.mixtures * in_channels], cfg.mixtures, in_channels)
        with torch.no_grad():
            self.head.bias[3 * cfg.mixtures * in_channels :] = 0.0

    @staticmethod
    def with_ones(xn: torch.Tensor) -> torch.Tensor:
        return torch.cat([xn, torch.ones_like(xn[:, :1])], 1)

    def forward(self, xn: torch.Tensor) -> torch.Tensor:
        x = self.with_ones(xn)
        u = down_shift(self.u_init(x))
        ul = down_shift(self.ul_init_v(x)) + right_shift(self.ul_init_h(x))
        us, uls = [u], [ul]
        for level in range(self.cfg.levels):
            for gu, gul in zip(self.up_u[level], self.up_ul[level]):  # type: ignore[call-overload]
                u = gu(u)
                ul = gul(ul, u)
                us.append(u)
                uls.append(ul)
            if level < self.cfg.levels - 1:
                u, ul = self.downsize_u[level](u), self.downsize_ul[level](ul)
                us.append(u)
                uls.append(ul)
        u, ul = us.pop(), uls.pop()
        for level in range(self.cfg.levels):  # lowest resolution first
            for gu, gul in zip(self.down_u[self.cfg.levels - 1 - level], self.down_ul[self.cfg.levels - 1 - level]):  # type: ignore[call-overload]
                u = gu(u, us.pop())
                ul = gul(ul, torch.cat([u, uls.pop()], 1))
            if level < self.cfg.levels - 1:
                u, ul = self.upsize_u[level](u), self.upsize_ul[level](ul)
        return self.head(concat_relu(ul))

    def channel_params(self, head: torch.Tensor, xn: torch.Tensor,
                       c: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Channel ``c``'s normalised means, log-scales, logits (B, K, ...) given the earlier channels' ``xn``.

        ``head`` (B, head, ...) and ``xn`` (B, C, ...) may have any trailing dims:
        the codec calls this on one pixel position, training on whole patches, with
        the same element-wise operations.
        """
        k = self.cfg.mixtures
        base = head[:, 3 * k * c : 3 * k * (c + 1)]
        m, ls, lg = base[:, :k], base[:, k : 2 * k], base[:, 2 * k :]
        pairs = coupling_pairs(self.in_channels)
        start = 3 * k * self.in_channels + k * sum(len(p) for p in pairs[:c])
        for n, j in enumerate(pairs[c]):
            m = m + softsign(head[:, start + k * n : start + k * (n + 1)]) * xn[:, j : j + 1]
        return m, ls, lg

    def nll_bits(self, u: torch.Tensor, s: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        """Bits of each patch (B,) under the coder's distribution (`coding_loss`).

        ``u = x - offset`` (B, C, S, S), scales (B,), end symbols minus offset (B, C)."""
        s4 = s.view(-1, 1, 1, 1)
        xn = u / s4
        head = self(xn)
        log_s = torch.log(s4)
        bits = torch.zeros(u.shape[0], dtype=u.dtype, device=u.device)
        for c in range(self.in_channels):
            m, ls, lg = self.channel_params(head, xn, c)
            lp = coding_log2p(u[:, c : c + 1], m * s4, ls + log_s, lg,
                              low=low[:, c].view(-1, 1, 1, 1), high=high[:, c].view(-1, 1, 1, 1))
            bits = bits - lp.flatten(1).sum(1)
        return bits


LN2_OVER_STEPS = math.log(2.0) / common.SCALE_STEPS
"""log(scale) = code * LN2_OVER_STEPS: the codec's log-scale offset by basic arithmetic (no log)."""
