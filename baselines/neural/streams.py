"""Model-specific coding of one chunk of patches into a shared range-coded stream.

Encoder and decoder run the network on exactly the same tensors (same shapes, same
order, contiguous), so its float32 outputs, and with them the coder's tables, are
bit-identical on both sides. Per chunk: ``u = patches - offsets`` (integers as float32)
and ``s`` the per-patch scales (`common.SideInfo`).
"""

from __future__ import annotations

import numpy as np
import torch

from baselines.neural.idf import IDF
from baselines.neural.idf import Params as IDFParams
from baselines.neural.l3c import L3C
from evaluator.coding import BitstreamError, MixtureParams, MixtureRangeDecoder, MixtureRangeEncoder, ideal_bits

LATENT_OFFSET = 1 << 15
"""IDF latents are coded as ``z - centre + LATENT_OFFSET``, clipped to 0 .. 65535; at the two
end symbols (which own the mixture's tails) the distance beyond them follows (`_encode_excess`)."""
LATENT_MAX_SYMBOL = 65535
_EXCESS_LO = MixtureParams(np.zeros((1, 1), np.float32), np.full((1, 1), np.log(4096.0), np.float32), np.zeros((1, 1), np.float32))
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


def _rows(t: torch.Tensor) -> np.ndarray:
    """(B, K, C, h, w) -> float32 (B*C*h*w, K)."""
    return np.ascontiguousarray(t.permute(0, 2, 3, 4, 1).reshape(-1, t.shape[1]).numpy(), np.float32)


def _idf_centred(params: IDFParams) -> tuple[torch.Tensor, MixtureParams]:
    """Integer centre per latent (B, C, h, w) and the mixture relative to it, shifted into range."""
    m, ls, lg = params
    centre = torch.round((torch.softmax(lg, dim=1) * m).sum(dim=1))
    shifted = m - centre.unsqueeze(1) + float(LATENT_OFFSET)
    return centre, MixtureParams(_rows(shifted), _rows(ls), _rows(lg))


class Tally:
    """Ideal code length (model NLL under the coder's exact mixture), for reporting."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.bits = enabled, 0.0

    def add(self, symbols: np.ndarray, params: MixtureParams, max_symbol: int) -> None:
        if self.enabled:
            self.bits += ideal_bits(symbols, params, max_symbol=max_symbol)

    def add_categorical(self, symbols: np.ndarray, probs: np.ndarray) -> None:
        if self.enabled:
            p = probs / probs.sum(axis=1, keepdims=True)
            self.bits += float(-np.log2(p[np.arange(len(symbols)), symbols]).sum())


def idf_encode(model: IDF, u: torch.Tensor, s: torch.Tensor, enc: MixtureRangeEncoder, tally: Tally) -> None:
    for z, params in model.latents(u, s):
        centre, mp = _idf_centred(params)
        r = (z - centre).reshape(-1).numpy().astype(np.int64) + LATENT_OFFSET
        sym = np.clip(r, 0, LATENT_MAX_SYMBOL)
        enc.encode(sym, mp)
        ends = (sym == 0) | (sym == LATENT_MAX_SYMBOL)
        _encode_excess(enc, np.abs(r[ends] - sym[ends]))
        tally.add(sym, mp, LATENT_MAX_SYMBOL)


def idf_decode(model: IDF, s: torch.Tensor, dec: MixtureRangeDecoder, b: int, size: int) -> torch.Tensor:
    def decode(params: IDFParams) -> torch.Tensor:
        centre, mp = _idf_centred(params)
        sym = dec.decode(mp)
        ends = (sym == 0) | (sym == LATENT_MAX_SYMBOL)
        e = _decode_excess(dec, int(ends.sum()))
        sym[ends] += np.where(sym[ends] == 0, -e, e)
        r = torch.from_numpy((sym - LATENT_OFFSET).astype(np.float32)).to(centre.dtype).view(centre.shape)
        return (r + centre).contiguous()

    return model.reconstruct(s, decode, b, size)


def _probs(logits: torch.Tensor) -> np.ndarray:
    """(..., L) logits -> float32 (N, L) probabilities."""
    return np.ascontiguousarray(torch.softmax(logits, dim=-1).reshape(-1, logits.shape[-1]).numpy(), np.float32)


def _pixel_rows(model: L3C, head: torch.Tensor, xn: torch.Tensor, s: torch.Tensor, c: int,
                offset: torch.Tensor) -> MixtureParams:
    m, ls, lg = model.pixel_params(head, xn, s, c)
    return MixtureParams(_rows(m + offset[:, c].view(-1, 1, 1, 1, 1)), _rows(ls), _rows(lg))


def l3c_encode(model: L3C, u: torch.Tensor, s: torch.Tensor, offset: torch.Tensor, enc: MixtureRangeEncoder,
               tally: Tally, max_symbol: int) -> None:
    xn = u / s.view(-1, 1, 1, 1)
    lat = model.encode_latents(xn)
    b, _, h, w = lat[-1][1].shape
    top_idx = lat[-1][1].reshape(-1).numpy().astype(np.int64)
    probs = _probs(model.top_probs(b, h, w))
    enc.encode_categorical(top_idx, probs)
    tally.add_categorical(top_idx, probs)
    head, logits = model.run_decoders([v for v, _ in lat])
    for scale in range(len(lat) - 2, -1, -1):
        idx = lat[scale][1].reshape(-1).numpy().astype(np.int64)
        p = _probs(logits[scale])
        enc.encode_categorical(idx, p)
        tally.add_categorical(idx, p)
    x = (u + offset.view(*offset.shape, 1, 1)).numpy().astype(np.int64)
    for c in range(model.in_channels):
        mp = _pixel_rows(model, head, xn, s, c, offset)
        enc.encode(x[:, c].reshape(-1), mp)
        tally.add(x[:, c].reshape(-1), mp, max_symbol)


def l3c_decode(model: L3C, s: torch.Tensor, offset: torch.Tensor, dec: MixtureRangeDecoder, b: int, size: int) -> torch.Tensor:
    """Decoded ``u`` (B, C, S, S) float32."""
    side = size >> model.cfg.scales
    lat_c = model.cfg.latent_channels
    top = torch.from_numpy(dec.decode_categorical(_probs(model.top_probs(b, side, side)))).view(b, lat_c, side, side)
    values: list[torch.Tensor] = [torch.empty(0)] * (model.cfg.scales - 1) + [model.centers[top]]

    def decode(scale: int, logits: torch.Tensor) -> torch.Tensor:
        idx = torch.from_numpy(dec.decode_categorical(_probs(logits))).view(logits.shape[:-1])
        return model.centers[idx]

    head, _ = model.run_decoders(values, decode)
    s4 = s.view(-1, 1, 1, 1)
    xn = torch.zeros(b, model.in_channels, size, size, dtype=s.dtype)
    u = torch.zeros(b, model.in_channels, size, size, dtype=s.dtype)
    for c in range(model.in_channels):
        mp = _pixel_rows(model, head, xn, s, c, offset)
        x = torch.from_numpy(dec.decode(mp).astype(np.float32)).to(s.dtype).view(b, size, size)
        u[:, c] = x - offset[:, c].view(-1, 1, 1)
        xn[:, c] = u[:, c] / s4[:, 0]
    return u


__all__ = ["BitstreamError", "Tally", "idf_decode", "idf_encode", "l3c_decode", "l3c_encode"]
