"""A Variational Diffusion Model (Kingma et al. 2021) on 16-bit frames: its bound in bits, not a codec.

The variational bound of a VDM on integer data, per 32x32 patch, in bits:

    -log2 p(x | side)  <=  prior + diffusion + reconstruction

with the three terms of Kingma et al. (2021, eq. 11-17, continuous time):

- **prior** ``KL(q(z_1 | x) || N(0, I))`` (closed form);
- **diffusion** ``0.5 E_{t ~ U(0,1), eps} [gamma'(t) ||eps - eps_hat(z_t, gamma_t)||^2]``, one ``t`` per
  patch per sample (the estimate averages over samples);
- **reconstruction** ``-log p(x | z_0)``: a discretized logistic over the integers (its tails at 0 and
  65535 own the rest of the line), centred on ``z_0 / alpha_0`` with the std of ``q(z_0 | x)``.

Data space. Every patch is seen as ``v = (x - offset) / scale`` with the per-patch side
information of the other neural baselines (`common.side_info`: per-channel median offset,
a noise scale quantized to a quarter octave), so the background has unit variance in
every patch. The bits of the side information (2 C + 1 bytes per patch) are added by the
callers (`vdm_estimate`), which divide by the raw 16-bit pixels of the item.

Noise schedule. The learned monotone ``gamma(t)`` of VDM (their monotonic MLP with positive
weights, normalised to run from ``gamma_0`` to ``gamma_1``). One change for 16-bit data:
an integer bin is ``1 / scale`` wide in ``v`` and the scale spans 2^0 .. 2^15 across
patches, so ``gamma_0`` is set *per patch* relative to its bin: ``gamma_0 = g0 - 2 ln scale``
(``g0`` learned: the reconstruction's std is ``exp(g0 / 2)`` integer units in every patch).
``gamma_1`` and the shape are shared. A schedule that depends on the transmitted side
information leaves the bound valid.

Network. ``eps_hat = sigma z / var_z + (alpha sigma_d / sqrt(var_z)) F(...)`` with
``var_z = alpha^2 sigma_d^2 + sigma^2``: with ``F = 0`` this is the exact posterior mean of
the noise for Gaussian data of std ``sigma_d`` (a learned scalar, ~1 after the scale
normalisation), so an untrained model already bounds a patch by its Gaussian entropy and
training improves on it. ``F`` is VDM's U-Net without downsampling (``blocks`` ResNet
blocks forward, a middle of two ResNet blocks with optional attention, ``blocks + 1`` in
reverse with skip connections, constant width), conditioned on ``gamma_t``; its input is
``asinh(z / sqrt(var_z))`` and VDM's Fourier features ``sin / cos(2 pi 2^k z scale / alpha)``
at periods of one and a half integer bin (they show the network the integer grid when the
noise is smaller than a bin).

Configs: ``small`` (32 channels, 1 block: what the CPU checkpoints use), ``tiny``
(tests) and ``paper`` (the AstroCompress paper's 128 channels, 4 blocks, attention).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from baselines.neural.common import logistic_mixture_log2p

LN2 = math.log(2.0)
FOURIER_OCTAVES: tuple[int, ...] = (0, 1)  # frequencies 2^k per integer bin: periods 1 and 1/2 bin
SHRINK_AT = 16.0  # z^2 beyond 16 background variances (4 sigma): a source pixel, its variance read off z


@dataclass(frozen=True)
class VDMConfig:
    channels: int = 32
    blocks: int = 1
    attention: int = 0  # 1: one self-attention layer in the middle (the paper's)
    schedule_width: int = 64  # hidden units of the monotone schedule MLP (VDM: 1024)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


VDM_CONFIGS: dict[str, VDMConfig] = {
    "paper": VDMConfig(channels=128, blocks=4, attention=1, schedule_width=1024),
    "small": VDMConfig(channels=32, blocks=1, attention=0, schedule_width=64),
    "tiny": VDMConfig(channels=8, blocks=1, attention=0, schedule_width=16),
}


class MonotoneSchedule(nn.Module):
    """VDM's learned noise schedule: gamma_tilde(t) = l1(t) + l3(sigmoid(l2(t))), weights kept positive."""

    def __init__(self, width: int, g0: float = 0.0, gamma_1: float = 20.0) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.tensor(1.0))
        self.w2 = nn.Parameter(torch.randn(width) * 2.0)
        self.b2 = nn.Parameter(torch.randn(width))
        self.w3 = nn.Parameter(torch.rand(width))
        self.g0 = nn.Parameter(torch.tensor(g0))  # gamma_0 of a patch = g0 - 2 ln(scale)
        self.gamma_1 = nn.Parameter(torch.tensor(gamma_1))

    def _tilde(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """gamma_tilde(t) and its derivative, for t of shape (B,)."""
        w1, w2, w3 = self.w1.abs(), self.w2.abs(), self.w3.abs()
        s = torch.sigmoid(t[:, None] * w2 + self.b2)
        value = w1 * t + (s * w3).sum(1) / w3.numel()
        slope = w1 + (s * (1 - s) * w2 * w3).sum(1) / w3.numel()
        return value, slope

    def forward(self, t: torch.Tensor, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(gamma_t, d gamma_t / dt) per patch: t (B,), scale (B,) the patch's noise scale."""
        ends, _ = self._tilde(torch.tensor([0.0, 1.0], dtype=t.dtype, device=t.device))
        value, slope = self._tilde(t)
        g_0 = self.g0 - 2.0 * torch.log(scale)
        span = torch.clamp(self.gamma_1 - g_0, min=1.0)
        norm = ends[1] - ends[0]
        return g_0 + span * (value - ends[0]) / norm, span * slope / norm

    def endpoints(self, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        g_0 = self.g0 - 2.0 * torch.log(scale)
        return g_0, torch.maximum(self.gamma_1.expand_as(g_0), g_0 + 1.0)


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c: int, emb: int) -> None:
        super().__init__()
        self.n1 = nn.GroupNorm(min(8, c_in), c_in)
        self.c1 = nn.Conv2d(c_in, c, 3, padding=1)
        self.t = nn.Linear(emb, c)
        self.n2 = nn.GroupNorm(min(8, c), c)
        self.c2 = nn.Conv2d(c, c, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c, 1) if c_in != c else nn.Identity()
        assert self.c2.bias is not None  # nn.Conv2d makes one unless bias=False
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x))) + self.t(e)[:, :, None, None]
        return self.skip(x) + self.c2(F.silu(self.n2(h)))


class Attention(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(min(8, c), c)
        self.attn = nn.MultiheadAttention(c, 1, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        seq = self.norm(x).flatten(2).transpose(1, 2)
        out, _ = self.attn(seq, seq, seq, need_weights=False)
        return x + out.transpose(1, 2).reshape(b, c, h, w)


class ScoreNet(nn.Module):
    """VDM's U-Net without downsampling: forward blocks, a middle, reverse blocks over the skips."""

    def __init__(self, cfg: VDMConfig, in_channels: int) -> None:
        super().__init__()
        c, emb = cfg.channels, 4 * cfg.channels
        feats = in_channels * (1 + 2 * len(FOURIER_OCTAVES))
        self.embed = nn.Sequential(nn.Linear(32, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.inp = nn.Conv2d(feats, c, 3, padding=1)
        self.down = nn.ModuleList(ResBlock(c, c, emb) for _ in range(cfg.blocks))
        self.mid1, self.mid2 = ResBlock(c, c, emb), ResBlock(c, c, emb)
        self.attn = Attention(c) if cfg.attention else None
        self.up = nn.ModuleList(ResBlock(2 * c, c, emb) for _ in range(cfg.blocks + 1))
        self.out_norm = nn.GroupNorm(min(8, c), c)
        self.out = nn.Conv2d(c, in_channels, 3, padding=1)
        assert self.out.bias is not None  # nn.Conv2d makes one unless bias=False
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    @staticmethod
    def gamma_embedding(gamma: torch.Tensor) -> torch.Tensor:
        """Sinusoidal embedding (32 dims) of gamma_t rescaled to about [0, 1]."""
        x = (gamma + 30.0) / 50.0 * 1000.0
        freqs = torch.exp(-math.log(10000.0) * torch.arange(16, device=gamma.device) / 16)
        arg = x[:, None] * freqs
        return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)

    def forward(self, feats: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
        e = self.embed(self.gamma_embedding(gamma))
        h = self.inp(feats)
        skips = [h]
        for blk in self.down:
            h = blk(h, e)
            skips.append(h)
        h = self.mid1(h, e)
        if self.attn is not None:
            h = self.attn(h)
        h = self.mid2(h, e)
        for blk in self.up:
            h = blk(torch.cat([h, skips.pop()], dim=1), e)
        return self.out(F.silu(self.out_norm(h)))


@dataclass
class BoundTerms:
    """Per patch (B,), in bits: the three terms of the bound (side information not included)."""

    prior: torch.Tensor
    diffusion: torch.Tensor
    reconstruction: torch.Tensor

    @property
    def total(self) -> torch.Tensor:
        return self.prior + self.diffusion + self.reconstruction


class VDM(nn.Module):
    """Schedule plus score network; `bound_bits` is the variational bound of integer patches."""

    def __init__(self, cfg: VDMConfig, in_channels: int) -> None:
        super().__init__()
        self.cfg, self.in_channels = cfg, in_channels
        self.schedule = MonotoneSchedule(cfg.schedule_width)
        self.net = ScoreNet(cfg, in_channels)
        self.log_sigma_d = nn.Parameter(torch.tensor(0.0))

    def _features(self, z: torch.Tensor, alpha: torch.Tensor, var_z: torch.Tensor,
                  scale: torch.Tensor) -> torch.Tensor:
        """asinh(z / sqrt(var_z)) and the Fourier features of z in integer-bin units (float64 phases)."""
        parts = [torch.asinh(z / var_z.sqrt())]
        u = z.double() * (scale / alpha).double()[:, None, None, None]
        for k in FOURIER_OCTAVES:
            phase = 2 * math.pi * torch.remainder(u * (2 ** k), 1.0)
            parts += [torch.sin(phase).float(), torch.cos(phase).float()]
        return torch.cat(parts, dim=1)

    def eps_hat(self, z: torch.Tensor, gamma: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        alpha2, sigma2 = torch.sigmoid(-gamma)[:, None, None, None], torch.sigmoid(gamma)[:, None, None, None]
        # shrinkage: a pixel whose z is far outside the background (a star) gets the data variance z says
        sd2 = torch.exp(2 * self.log_sigma_d)
        base = alpha2 * sd2 + sigma2
        sd2 = sd2 + F.relu(z * z - SHRINK_AT * base) / alpha2
        var_z = alpha2 * sd2 + sigma2
        alpha, sigma = alpha2.sqrt(), sigma2.sqrt()
        feats = self._features(z, alpha[:, 0, 0, 0], var_z, scale)
        out = self.net(feats, gamma)
        return sigma * z / var_z + alpha * sd2.sqrt() / var_z.sqrt() * out

    def bound_bits(self, u: torch.Tensor, scale: torch.Tensor, low: torch.Tensor, high: torch.Tensor,
                   t: torch.Tensor, generator: torch.Generator | None = None) -> BoundTerms:
        """The bound of integer patches ``u = x - offset`` (B, C, S, S) with noise ``scale`` (B,).

        ``low`` / ``high`` (B, C): the end symbols (0 and 65535 less the offset), whose bins own
        the tails. ``t`` (B,): one diffusion time per patch. Noise from ``generator``.
        """
        s4 = scale[:, None, None, None]
        v = u / s4
        dims = (1, 2, 3)
        g_0, g_1 = self.schedule.endpoints(scale)
        # prior: KL(N(alpha_1 v, sigma_1^2) || N(0, 1)) per dimension
        a1, s1 = torch.sigmoid(-g_1)[:, None, None, None], torch.sigmoid(g_1)[:, None, None, None]
        prior = 0.5 * (s1 + a1 * v * v - torch.log(s1) - 1.0).sum(dims) / LN2
        # diffusion loss at t
        gamma_t, dgamma = self.schedule(t, scale)
        eps = torch.randn(u.shape, generator=generator, dtype=u.dtype, device=u.device)
        at = torch.sigmoid(-gamma_t).sqrt()[:, None, None, None]
        st = torch.sigmoid(gamma_t).sqrt()[:, None, None, None]
        z_t = at * v + st * eps
        err = (eps - self.eps_hat(z_t, gamma_t, scale)).pow(2).sum(dims)
        diffusion = 0.5 * dgamma * err / LN2
        # reconstruction: discretized logistic around z_0 / alpha_0, in integer units
        eps0 = torch.randn(u.shape, generator=generator, dtype=u.dtype, device=u.device)
        a0, s0 = torch.sigmoid(-g_0).sqrt()[:, None, None, None], torch.sigmoid(g_0).sqrt()[:, None, None, None]
        mean = (a0 * v + s0 * eps0) / a0 * s4  # (x - offset) + noise of std (s0 / a0) * scale
        std = (s0 / a0) * s4
        log_scale = torch.log(std * math.sqrt(3.0) / math.pi).expand_as(u)
        c = u.shape[1]
        rec = torch.zeros_like(u)
        for ch in range(c):
            rec[:, ch : ch + 1] = -logistic_mixture_log2p(
                u[:, ch : ch + 1], mean[:, ch : ch + 1], log_scale[:, ch : ch + 1], torch.zeros_like(u[:, :1]),
                low=low[:, ch, None, None, None], high=high[:, ch, None, None, None])
        return BoundTerms(prior, diffusion, rec.sum(dims))


def stratified_times(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """VDM's low-discrepancy sampler: ``(u0 + i / n) mod 1`` for i < n, one uniform shift ``u0``."""
    u0 = torch.rand((), generator=generator)
    return torch.remainder(u0 + torch.arange(n, dtype=torch.float32) / n, 1.0)
