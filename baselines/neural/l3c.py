"""L3C (Mentzer et al. 2019): a hierarchy of quantized latents, each scale predicting the one below.

Encoders ``E_s`` (5x5 stride-2 conv, ``blocks`` residual blocks, a conv to
``latent_channels``) give features and latents ``z_s`` quantized to ``levels`` fixed
centres in [-2, 2] (straight-through in training). Decoders ``D_s`` take ``z_s`` plus the
features of the scale above, run residual blocks and upsample; from their features a
1x1 head predicts ``z_{s-1}`` as a Categorical over the levels, and at the first scale
the pixels as a discretized logistic mixture. The top latents get a learned
per-channel Categorical (the paper codes them uniformly; this is cheaper and never worse).

Pixels are coded relative to the side information (`common.SideInfo`); several
channels (msb-lsb bytes, or frames as channels for 3D items as in the paper) use L3C's
RGB scheme: channel ``c``'s means get ``sum_{j<c} alpha_{c,j} x_j`` (``alpha`` per
component, predicted, tanh-bounded), so channels are coded one after the other.

What reaches the coder after the network (tanh of the coupling, log of the scale, the
categorical softmax) is computed by `portable_ops` (IEEE basic operations only), never by
torch's dispatched transcendental functions: an exact model's tables are the same bits on
every CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from baselines.neural import portable_ops
from baselines.neural.coding_loss import coding_log2p
from baselines.neural.common import conv_bias, init_mixture_bias, variant_max_symbol
from baselines.neural.model_api import Chunk, ModelSpec
from baselines.neural.streams import Tally, mixture_rows, probabilities
from evaluator.sdk.coding import MixtureParams, MixtureRangeDecoder, MixtureRangeEncoder

if TYPE_CHECKING:
    from baselines.neural.data import Batch

Params = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class L3CConfig:
    scales: int = 3
    cf: int = 32
    blocks: int = 4
    latent_channels: int = 5
    levels: int = 25
    components: int = 10

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


L3C_CONFIGS: dict[str, L3CConfig] = {
    "paper": L3CConfig(scales=3, cf=64, blocks=8, latent_channels=5, levels=25, components=10),
    "paper-3d": L3CConfig(scales=3, cf=96, blocks=8, latent_channels=8, levels=25, components=10),
    "small": L3CConfig(scales=3, cf=32, blocks=4, latent_channels=5, levels=25, components=10),
    "tiny": L3CConfig(scales=2, cf=8, blocks=1, latent_channels=2, levels=5, components=2),
}


class ResBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(c, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(F.relu(self.a(x)))


class Encoder(nn.Module):
    def __init__(self, c_in: int, cfg: L3CConfig) -> None:
        super().__init__()
        self.down = nn.Conv2d(c_in, cfg.cf, 5, stride=2, padding=2)
        self.body = nn.Sequential(*(ResBlock(cfg.cf) for _ in range(cfg.blocks)))
        self.to_z = nn.Conv2d(cfg.cf, cfg.latent_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body(self.down(x))
        return f, self.to_z(f)


class Decoder(nn.Module):
    def __init__(self, cfg: L3CConfig, head_out: int) -> None:
        super().__init__()
        self.head = nn.Conv2d(cfg.latent_channels, cfg.cf, 3, padding=1)
        self.body = nn.Sequential(*(ResBlock(cfg.cf) for _ in range(cfg.blocks)))
        self.up = nn.ConvTranspose2d(cfg.cf, cfg.cf, 4, stride=2, padding=1)
        self.out = nn.Conv2d(cfg.cf, head_out, 1)

    def forward(self, z: torch.Tensor, above: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.head(z)
        if above is not None:
            h = h + above
        f = self.up(F.relu(self.body(h)))
        return f, self.out(f)


class L3C(nn.Module):
    """``in_channels``: coded channels per patch (1 direct, 2 msb-lsb, 3 frames, ...)."""

    centers: torch.Tensor  # a buffer (register_buffer below)

    def __init__(self, cfg: L3CConfig, in_channels: int = 1) -> None:
        super().__init__()
        self.cfg, self.in_channels = cfg, in_channels
        k, c, lat, lv = cfg.components, in_channels, cfg.latent_channels, cfg.levels
        self.pairs = c * (c - 1) // 2
        encoders = [Encoder(c if s == 0 else cfg.cf, cfg) for s in range(cfg.scales)]
        self.encoders = nn.ModuleList(encoders)
        heads = [c * 3 * k + self.pairs * k] + [lat * lv] * (cfg.scales - 1)
        decoders = [Decoder(cfg, heads[s]) for s in range(cfg.scales)]
        self.decoders = nn.ModuleList(decoders)
        with torch.no_grad():
            out = decoders[0].out
            out.weight.mul_(0.01)
            conv_bias(out).zero_()
            init_mixture_bias(conv_bias(out)[: c * 3 * k], k, c)
            # start with constant latents (all at the centre level, nearly free): the model begins
            # as a per-patch logistic and learns to spend latent bits where they pay (CPU budgets)
            for enc in encoders:
                enc.to_z.weight.mul_(0.01)
                conv_bias(enc.to_z).zero_()
            for dec in decoders[1:]:
                dec.out.weight.mul_(0.01)
                conv_bias(dec.out).view(lat, lv)[:, lv // 2] = 6.0
        top = torch.zeros(lat, lv)
        top[:, lv // 2] = 6.0
        self.top_logits = nn.Parameter(top)
        self.register_buffer("centers", torch.linspace(-2.0, 2.0, lv))

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(straight-through value, level index)."""
        idx = torch.argmin(torch.abs(z.unsqueeze(-1) - self.centers), dim=-1)
        hard = self.centers[idx]
        return (z + (hard - z).detach()) if self.training else hard, idx

    def encode_latents(self, xn: torch.Tensor,
                       raw: list[torch.Tensor] | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(value, index) of every scale's latents, scale 1 first; ``xn`` is the normalized input.
        ``raw`` collects the unquantized latents (training: the rate's gradient)."""
        out, f = [], xn
        for enc in self.encoders:
            f, z = enc(f)
            out.append(self.quantize(z))
            if raw is not None:
                raw.append(z)
        return out

    def latent_bits(self, z: torch.Tensor, idx: torch.Tensor, log_p: torch.Tensor) -> torch.Tensor:
        """Bits per sample of latents ``idx`` under ``log_p`` (..., L); the gradient reaches ``z``
        through a soft assignment to the levels (straight-through: the value is the hard one)."""
        step = self.centers[1] - self.centers[0]
        soft = torch.softmax(-4.0 * (z.unsqueeze(-1) - self.centers) ** 2 / step ** 2, dim=-1)
        hard = F.one_hot(idx, self.cfg.levels).to(soft.dtype)
        onehot = hard + soft - soft.detach()
        return -(onehot * log_p).sum(-1).flatten(1).sum(1) / math.log(2.0)

    def top_logit_grid(self, b: int, h: int, w: int) -> torch.Tensor:
        """(B, C_lat, h, w, L) logits of the top latents (`streams.probabilities` makes the coded table)."""
        return self.top_logits[None, :, None, None, :].expand(b, -1, h, w, -1)

    def decode_step(self, scale: int, z: torch.Tensor, above: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder of ``scale`` (0-based): features and head output."""
        return self.decoders[scale](z, above)

    def latent_logits(self, head: torch.Tensor) -> torch.Tensor:
        b, _, h, w = head.shape
        return head.view(b, self.cfg.latent_channels, self.cfg.levels, h, w).permute(0, 1, 3, 4, 2)

    def run_decoders(self, values: list[torch.Tensor],
                     decode: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
                     ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Top-down; ``values[s]`` the latents of scale s (top one given); with ``decode``,
        ``decode(scale, logits)`` supplies the latent values of the scale below (decoder side).
        Returns the first scale's head (pixel parameters) and the logits predicted for scales 0..S-2."""
        s_top = self.cfg.scales - 1
        above, z = None, values[s_top]
        logits: list[torch.Tensor] = [torch.empty(0)] * s_top
        for s in range(s_top, -1, -1):
            above, head = self.decode_step(s, z, above)
            if s == 0:
                return head, logits
            logits[s - 1] = self.latent_logits(head)
            z = decode(s - 1, logits[s - 1]) if decode is not None else values[s - 1]
        raise AssertionError("unreachable")

    def pixel_params(self, head: torch.Tensor, xn: torch.Tensor, s: torch.Tensor, channel: int) -> Params:
        """Mixture of ``channel`` (counts relative to its offset), from the head and channels < channel of ``xn``."""
        b, _, h, w = head.shape
        k, c = self.cfg.components, self.in_channels
        p = head[:, : c * 3 * k].view(b, c, 3, k, h, w)[:, channel]
        mean = p[:, 0]
        if channel:
            coef = portable_ops.tanh(head[:, c * 3 * k :].view(b, self.pairs, k, h, w))
            first = channel * (channel - 1) // 2
            for j in range(channel):
                mean = mean + coef[:, first + j] * xn[:, j : j + 1]
        s4 = s.view(-1, 1, 1, 1)
        return (mean * s4).unsqueeze(2), (p[:, 1] + portable_ops.log(s4)).unsqueeze(2), p[:, 2].unsqueeze(2)

    def nll_bits(self, u: torch.Tensor, s: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        """Bits per sample under the coder's distribution (`coding_loss`).

        ``u`` = x - offset, ``low`` / ``high`` (B, C) the end symbols minus the offset."""
        xn = u / s.view(-1, 1, 1, 1)
        raw: list[torch.Tensor] = []
        lat = self.encode_latents(xn, raw)
        head, logits = self.run_decoders([v for v, _ in lat])
        total = torch.zeros(u.shape[0], dtype=u.dtype, device=u.device)
        for s_idx in range(len(lat) - 1):
            total = total + self.latent_bits(raw[s_idx], lat[s_idx][1], F.log_softmax(logits[s_idx], dim=-1))
        top_lp = F.log_softmax(self.top_logits, dim=-1)[None, :, None, None, :]
        total = total + self.latent_bits(raw[-1], lat[-1][1], top_lp)
        for c in range(self.in_channels):
            m, ls, lg = self.pixel_params(head, xn, s, c)
            lo, hi = low[:, c].view(-1, 1, 1, 1, 1), high[:, c].view(-1, 1, 1, 1, 1)
            log2p = coding_log2p(u[:, c : c + 1].unsqueeze(1), m, ls, lg, low=lo, high=hi)
            total = total - log2p.flatten(1).sum(1)
        return total

    # The chunk coder (`baselines.neural.model_api.NeuralModel`): latents top-down, then the pixels channel by channel.
    def batch_bits(self, b: Batch, device: torch.device) -> torch.Tensor:
        return self.nll_bits(b.u.to(device), b.s.to(device), b.low.to(device), b.high.to(device))

    def max_symbol(self, variant: str) -> int:
        return variant_max_symbol(variant)

    def _pixel_rows(self, head: torch.Tensor, xn: torch.Tensor, s: torch.Tensor, c: int,
                    offset: torch.Tensor) -> MixtureParams:
        m, ls, lg = self.pixel_params(head, xn, s, c)
        return MixtureParams(mixture_rows(m + offset[:, c].view(-1, 1, 1, 1, 1)), mixture_rows(ls), mixture_rows(lg))

    def encode_chunk(self, u: torch.Tensor, chunk: Chunk, enc: MixtureRangeEncoder, tally: Tally) -> None:
        s, offset = chunk.s, chunk.offset
        xn = u / s.view(-1, 1, 1, 1)
        lat = self.encode_latents(xn)
        b, _, h, w = lat[-1][1].shape
        top_idx = lat[-1][1].reshape(-1).cpu().numpy().astype(np.int64)
        probs = probabilities(self.top_logit_grid(b, h, w))
        enc.encode_categorical(top_idx, probs)
        tally.add_categorical(top_idx, probs)
        head, logits = self.run_decoders([v for v, _ in lat])
        for scale in range(len(lat) - 2, -1, -1):
            idx = lat[scale][1].reshape(-1).cpu().numpy().astype(np.int64)
            p = probabilities(logits[scale])
            enc.encode_categorical(idx, p)
            tally.add_categorical(idx, p)
        x = (u + offset.view(*offset.shape, 1, 1)).cpu().numpy().astype(np.int64)
        for c in range(self.in_channels):
            mp = self._pixel_rows(head, xn, s, c, offset)
            enc.encode(x[:, c].reshape(-1), mp)
            tally.add(x[:, c].reshape(-1), mp, chunk.max_symbol)

    def decode_chunk(self, chunk: Chunk, dec: MixtureRangeDecoder) -> torch.Tensor:
        """Decoded ``u`` (B, C, S, S) float32."""
        s, offset, b, size = chunk.s, chunk.offset, chunk.n, chunk.size
        side = size >> self.cfg.scales
        lat_c = self.cfg.latent_channels
        top_p = probabilities(self.top_logit_grid(b, side, side))
        top = torch.from_numpy(dec.decode_categorical(top_p)).to(s.device).view(b, lat_c, side, side)
        values: list[torch.Tensor] = [torch.empty(0)] * (self.cfg.scales - 1) + [self.centers[top]]

        def decode(scale: int, logits: torch.Tensor) -> torch.Tensor:
            idx = torch.from_numpy(dec.decode_categorical(probabilities(logits))).to(s.device).view(logits.shape[:-1])
            return self.centers[idx]

        head, _ = self.run_decoders(values, decode)
        s4 = s.view(-1, 1, 1, 1)
        xn = torch.zeros(b, self.in_channels, size, size, dtype=s.dtype, device=s.device)
        u = torch.zeros(b, self.in_channels, size, size, dtype=s.dtype, device=s.device)
        for c in range(self.in_channels):
            mp = self._pixel_rows(head, xn, s, c, offset)
            x = torch.from_numpy(dec.decode(mp).astype(np.float32)).to(s.device, s.dtype).view(b, size, size)
            u[:, c] = x - offset[:, c].view(-1, 1, 1)
            xn[:, c] = u[:, c] / s4[:, 0]
        return u


SPEC = ModelSpec("l3c", "L3C", lambda config, channels: L3C(L3CConfig(**config), channels), L3C_CONFIGS,
                 {"optimizer": "rmsprop", "lr": 1e-4, "batch": 256, "decay": 0.999})
"""The paper's RMSprop at 1e-4, batch 256 (Supplement C)."""
