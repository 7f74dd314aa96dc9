"""Integer Discrete Flows (Hoogeboom et al. 2019), as the AstroCompress paper used them.

Per level: squeeze (space-to-depth 2x2), ``flows`` x [fixed channel permutation, additive
integer coupling ``z_b = x_b - round(NN(x_a))``], then (except at the last level) half of
the channels are factored out with a discretized logistic mixture prior conditioned on
the other half; the last level's latents get a learned per-channel mixture. Coupling
networks are DenseNet blocks (``depth`` layers) and a zero-initialised output
convolution, so the flow starts as the identity. Two block layouts (``IDFConfig.block``):

- ``"upstream"``, as upstream IDF builds it (``models/networks.py`` of
  jornpeters/integer_discrete_flows): each layer is a 1x1 convolution keeping its
  ``n`` input channels, then a 3x3 one adding ``growth`` channels; the block grows
  ``c_in`` to ``channels + c_in``. The paper configuration (8 flows x 3 levels, 512
  channels, depth 12) has 54.1 M parameters on one 16-bit channel (the issue's
  53.8 M is upstream's single-logistic split prior; ours is a 5-component mixture).
- ``"compact"`` (the shipped small checkpoints): the 1x1 convolution narrows to
  ``growth`` first and the block grows ``c_in`` to ``channels``: 7x fewer FLOPs.

Everything is relative to the per-patch side information (`common.SideInfo`): the flow
runs on ``u = x - offset`` (integers), networks see ``u / scale`` and their outputs are
multiplied by ``scale`` (translations) or shifted by ``log scale`` (prior log-scales).
Rounding uses a straight-through gradient in training (`common.round_ste`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from baselines.neural import portable_ops
from baselines.neural.coding_loss import coding_log2p
from baselines.neural.common import conv_bias, init_mixture_bias, round_ste
from baselines.neural.model_api import Chunk, ModelSpec
from baselines.neural.streams import Tally, mixture_rows
from evaluator.sdk.coding import MixtureParams, MixtureRangeDecoder, MixtureRangeEncoder

if TYPE_CHECKING:
    from baselines.neural.data import Batch

MAX_TRANSLATION = float(1 << 17)
"""Coupling translations are clamped to +-2^17 counts: latents stay far inside the coder's range."""

Params = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
"""(means, log_scales, logits), each (B, K, C, h, w), in counts relative to the offset."""


@dataclass(frozen=True)
class IDFConfig:
    flows: int = 4
    levels: int = 3
    channels: int = 64
    depth: int = 4
    components: int = 5
    seed: int = 0
    block: str = "compact"  # "compact" or "upstream" (module docstring)

    def __post_init__(self) -> None:
        if self.block not in BLOCKS:
            raise ValueError(f"IDF block {self.block!r}: choose one of {', '.join(BLOCKS)}")

    def to_dict(self) -> dict[str, int | str]:
        return asdict(self)


BLOCKS = ("compact", "upstream")


IDF_CONFIGS: dict[str, IDFConfig] = {
    "paper": IDFConfig(flows=8, levels=3, channels=512, depth=12, components=5, block="upstream"),
    "small": IDFConfig(flows=4, levels=3, channels=64, depth=4, components=5),
    "tiny": IDFConfig(flows=1, levels=2, channels=8, depth=1, components=2),
}


class DenseLayer(nn.Module):
    def __init__(self, n_in: int, growth: int, block: str = "compact") -> None:
        super().__init__()
        mid = n_in if block == "upstream" else growth  # upstream's 1x1 keeps its width
        self.nn = nn.Sequential(nn.Conv2d(n_in, mid, 1), nn.ReLU(),
                                nn.Conv2d(mid, growth, 3, padding=1), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.nn(x)], dim=1)


def densenet(n_in: int, n_out: int, channels: int, depth: int, block: str = "compact") -> nn.Sequential:
    """DenseNet block (``block``: module docstring), then a 3x3 conv to ``n_out`` (zero-initialised)."""
    layers: list[nn.Module] = []
    grow = channels if block == "upstream" else channels - n_in  # upstream grows c_in to channels + c_in
    width, future = n_in, max(grow, depth)
    for d in range(depth):
        growth = future // (depth - d)
        layers.append(DenseLayer(width, growth, block))
        width, future = width + growth, future - growth
    out = nn.Conv2d(width, n_out, 3, padding=1)
    assert out.bias is not None  # nn.Conv2d makes one unless bias=False
    nn.init.zeros_(out.weight)
    nn.init.zeros_(out.bias)
    return nn.Sequential(*layers, out)


def squeeze(x: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    return x.view(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, c * 4, h // 2, w // 2)


def unsqueeze(x: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    return x.view(b, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(b, c // 4, h * 2, w * 2)


class Coupling(nn.Module):
    """A fixed permutation, then ``x_b -= round(scale * NN(x_a / scale))``."""

    perm: torch.Tensor  # buffers (register_buffer below)
    inv_perm: torch.Tensor

    def __init__(self, c: int, cfg: IDFConfig, generator: torch.Generator) -> None:
        super().__init__()
        self.ca = c // 2
        self.register_buffer("perm", torch.randperm(c, generator=generator))
        self.register_buffer("inv_perm", torch.argsort(self.perm))
        self.nn = densenet(self.ca, c - self.ca, cfg.channels, cfg.depth, cfg.block)

    def translation(self, xa: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        t = torch.clamp(self.nn(xa.contiguous() / s) * s, -MAX_TRANSLATION, MAX_TRANSLATION)
        return round_ste(t) if self.training else torch.round(t)

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        x = x[:, self.perm]
        xa, xb = x[:, : self.ca], x[:, self.ca :]
        return torch.cat([xa, xb - self.translation(xa, s)], dim=1)

    def inverse(self, z: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        za, zb = z[:, : self.ca], z[:, self.ca :]
        return torch.cat([za, zb + self.translation(za, s)], dim=1)[:, self.inv_perm]


class FactorPrior(nn.Module):
    """Mixture parameters of the factored-out half from the kept half."""

    def __init__(self, c_keep: int, c_out: int, cfg: IDFConfig) -> None:
        super().__init__()
        self.c_out, self.k = c_out, cfg.components
        self.nn = densenet(c_keep, c_out * 3 * self.k, cfg.channels, cfg.depth, cfg.block)
        init_mixture_bias(conv_bias(cast(nn.Conv2d, self.nn[-1])), self.k, c_out)  # densenet ends in a Conv2d

    def forward(self, keep: torch.Tensor, s: torch.Tensor) -> Params:
        b, _, h, w = keep.shape
        p = self.nn(keep / s.view(-1, 1, 1, 1)).view(b, self.c_out, 3, self.k, h, w).permute(0, 2, 3, 1, 4, 5)
        return scale_params(p, s)


def scale_params(p: torch.Tensor, s: torch.Tensor) -> Params:
    """(B, 3, K, C, h, w) normalized -> (means, log_scales, logits) in counts (``log``: `portable_ops`, coded)."""
    s6 = s.view(-1, 1, 1, 1, 1)
    return p[:, 0] * s6, p[:, 1] + portable_ops.log(s6), p[:, 2]


class IDF(nn.Module):
    """The flow; ``in_channels`` is 1 (direct) or 2 (msb-lsb) per coded plane."""

    def __init__(self, cfg: IDFConfig, in_channels: int = 1) -> None:
        super().__init__()
        self.cfg, self.in_channels = cfg, in_channels
        g = torch.Generator().manual_seed(cfg.seed)
        self.levels = nn.ModuleList()
        self.priors = nn.ModuleList()
        c = in_channels
        for level in range(cfg.levels):
            c *= 4
            self.levels.append(nn.ModuleList(Coupling(c, cfg, g) for _ in range(cfg.flows)))
            if level < cfg.levels - 1:
                self.priors.append(FactorPrior(c // 2, c - c // 2, cfg))
                c //= 2
        self.top_channels = c
        top = torch.zeros(c * 3 * cfg.components)
        init_mixture_bias(top, cfg.components, c)
        self.top = nn.Parameter(top.view(c, 3, cfg.components))

    def top_params(self, b: int, h: int, w: int, s: torch.Tensor) -> Params:
        p = self.top.permute(1, 2, 0)[None, :, :, :, None, None].expand(b, 3, self.cfg.components,
                                                                         self.top_channels, h, w)
        return scale_params(p, s)

    def latents(self, u: torch.Tensor, s: torch.Tensor) -> list[tuple[torch.Tensor, Params]]:
        """The latents and their priors in decoding order (top first); ``u`` (B, C, S, S), ``s`` (B,)."""
        s4 = s.view(-1, 1, 1, 1)
        out: list[tuple[torch.Tensor, Params]] = []
        x = u
        for level, flows in enumerate(self.levels):
            x = squeeze(x)
            for flow in cast(nn.ModuleList, flows):
                x = flow(x, s4)
            if level < len(self.priors):
                c = x.shape[1] // 2
                keep, z = x[:, :c].contiguous(), x[:, c:].contiguous()
                out.append((z, self.priors[level](keep, s)))
                x = keep
        b, _, h, w = x.shape
        out.append((x, self.top_params(b, h, w, s)))
        return out[::-1]

    def reconstruct(self, s: torch.Tensor, decode: Callable[[Params], torch.Tensor], b: int, size: int) -> torch.Tensor:
        """The inverse: ``decode(params)`` returns each latent (top first); gives ``u`` (B, C, S, S)."""
        s4 = s.view(-1, 1, 1, 1)
        side = size >> len(self.levels)
        x = decode(self.top_params(b, side, side, s))
        for level in range(len(self.levels) - 1, -1, -1):
            if level < len(self.priors):
                x = torch.cat([x, decode(self.priors[level](x, s))], dim=1)
            for flow in reversed(cast(nn.ModuleList, self.levels[level])):
                x = cast(Coupling, flow).inverse(x, s4)
            x = unsqueeze(x)
        return x

    def nll_bits(self, u: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """Code length in bits per sample (B,), under the coder's distribution (`coding_loss`)."""
        total = torch.zeros(u.shape[0], dtype=u.dtype, device=u.device)
        for z, (m, ls, lg) in self.latents(u, s):
            # the coder's symbols are z - centre + LATENT_OFFSET in 0 .. LATENT_MAX_SYMBOL (`_centred`)
            with torch.no_grad():
                low = torch.round((F.softmax(lg, dim=1) * m).sum(1, keepdim=True)) - LATENT_OFFSET
            total = total - coding_log2p(z.unsqueeze(1), m, ls, lg, low=low,
                                         high=low + LATENT_MAX_SYMBOL).flatten(1).sum(1)
        return total

    # The chunk coder (`baselines.neural.model_api.NeuralModel`): the latents, centred, in one range-coded stream.
    def batch_bits(self, b: Batch, device: torch.device) -> torch.Tensor:
        return self.nll_bits(b.u.to(device), b.s.to(device))

    def max_symbol(self, variant: str) -> int:
        return LATENT_MAX_SYMBOL  # latents, not pixels: the same for every variant

    def encode_chunk(self, u: torch.Tensor, chunk: Chunk, enc: MixtureRangeEncoder, tally: Tally) -> None:
        for z, params in self.latents(u, chunk.s):
            centre, mp = _centred(params)
            r = (z - centre).reshape(-1).cpu().numpy().astype(np.int64) + LATENT_OFFSET
            sym = np.clip(r, 0, LATENT_MAX_SYMBOL)
            enc.encode(sym, mp)
            ends = (sym == 0) | (sym == LATENT_MAX_SYMBOL)
            _encode_excess(enc, np.abs(r[ends] - sym[ends]))
            tally.add(sym, mp, LATENT_MAX_SYMBOL)

    def decode_chunk(self, chunk: Chunk, dec: MixtureRangeDecoder) -> torch.Tensor:
        def decode(params: Params) -> torch.Tensor:
            centre, mp = _centred(params)
            sym = dec.decode(mp)
            ends = (sym == 0) | (sym == LATENT_MAX_SYMBOL)
            e = _decode_excess(dec, int(ends.sum()))
            sym[ends] += np.where(sym[ends] == 0, -e, e)
            r = torch.from_numpy((sym - LATENT_OFFSET).astype(np.float32)).to(centre.device, centre.dtype)
            r = r.view(centre.shape)
            return (r + centre).contiguous()

        return self.reconstruct(chunk.s, decode, chunk.n, chunk.size)


LATENT_OFFSET = 1 << 15
"""IDF latents are coded as ``z - centre + LATENT_OFFSET``, clipped to 0 .. 65535; at the two
end symbols (which own the mixture's tails) the distance beyond them follows (`_encode_excess`)."""
LATENT_MAX_SYMBOL = 65535
_EXCESS_LO = MixtureParams(np.zeros((1, 1), np.float32), np.full((1, 1), 12.0 * portable_ops.LN2, np.float32),
                           np.zeros((1, 1), np.float32))
_EXCESS_HI = MixtureParams(np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32))


def _excess_params(base: MixtureParams, n: int) -> MixtureParams:
    return MixtureParams(*(np.repeat(a, n, axis=0) for a in (base.means, base.log_scales, base.logit_weights)))


def _encode_excess(enc: MixtureRangeEncoder, e: np.ndarray) -> None:
    """Non-negative distances beyond an end symbol: low 16 bits, then the rest."""
    if e.size:
        enc.encode(e & 0xFFFF, _excess_params(_EXCESS_LO, e.size))
        enc.encode(e >> 16, _excess_params(_EXCESS_HI, e.size))


def _decode_excess(dec: MixtureRangeDecoder, n: int) -> np.ndarray:
    if not n:
        return np.zeros(0, np.int64)
    lo = dec.decode(_excess_params(_EXCESS_LO, n))
    return lo + (dec.decode(_excess_params(_EXCESS_HI, n)) << 16)


def _centred(params: Params) -> tuple[torch.Tensor, MixtureParams]:
    """Integer centre per latent (B, C, h, w) and the mixture relative to it, shifted into range.

    The centre decides coded integers: softmax and the sum over components are `portable_ops`'
    (IEEE basic operations, a fixed order), so encoder and decoder agree on every CPU."""
    m, ls, lg = params
    centre = torch.round(portable_ops.sequential_sum(portable_ops.softmax(lg, dim=1) * m, 1))
    shifted = m - centre.unsqueeze(1) + float(LATENT_OFFSET)
    return centre, MixtureParams(mixture_rows(shifted), mixture_rows(ls), mixture_rows(lg))


SPEC = ModelSpec("idf", "IDF", lambda config, channels: IDF(IDFConfig(**config), channels), IDF_CONFIGS,
                 {"optimizer": "adamax", "lr": 1e-3, "batch": 256, "decay": 0.999})
"""The paper's Adamax at 1e-3, batch 256, lr x0.999 per epoch (Supplement C)."""

__all__ = ["IDF", "IDFConfig", "IDF_CONFIGS", "Params", "SPEC"]
