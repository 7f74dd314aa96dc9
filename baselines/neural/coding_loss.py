"""The training loss is the code length under the distribution the coder applies, with gradients.

The coder (`evaluator.sdk.coding.logistic`, `tail`) does not code a symbol with the raw mixture:
it codes the symbol's **bin** (the symbol itself, or ``x >> shift`` for a broad mixture, whose
``shift`` low bits then follow uniformly) with a **window** of ``width`` bins around the mixture's
mean plus an **escape** entry (the mass outside the window, at least ``ESCAPE_FLOOR``), normalised
together; an escaped bin then pays the **tail code** for its distance beyond the window; no entry
is cheaper than constriction's 2^-24 quantum. `coding_log2p` is log2 of that probability as a torch
function:

- in the window: ``P(bin) / Z * 2 ** -shift`` with ``Z = 1 - P_out + max(P_out, ESCAPE_FLOOR)``;
- escaped: ``max(P_out, ESCAPE_FLOOR) / Z * 2 ** -(tail_bits(distance, escape scale) + shift)``.

Gradients flow through every mass (the bin, ``P_out``, ``Z``) and to ``x`` itself: the bin index is
``floor(x / 2**shift)`` in value with ``x / 2**shift``'s gradient (straight through), as the raw mixture's
loss has it. Without it a flow (IDF), whose ``x`` are its latents, gets no gradient through them and
drifts: fine-tuning IDF on hubble took its training loss from 4.2 to 5.0 bits/pixel in 160 steps.
The window's placement, its width,
the bin shift and the escape scale are the coder's discrete decisions, taken without gradient by the
same rules as `logistic._layout` (in the model's float type: a rounding tie or a reach on a boundary
may fall the other way than the float32 coder's, which moves a symbol's cost by a fraction of a bit).
What training minimises is then what the stream pays, so the reported coding NLL is the training
objective (``tests/neural/test_coding_loss.py`` checks it against
`evaluator.sdk.coding.coding_cost.coding_bits`).

``low`` / ``high``: the end symbols (in the units of ``x``) that own the tails beyond them; the coder's
symbols are ``x - low`` (bins are aligned on them). None: an alphabet of ``2**16`` symbols from 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from baselines.neural.common import logistic_mixture_log2p
from evaluator.sdk.coding.coding_cost import QUANTUM
from evaluator.sdk.coding.logistic import (
    BIN_HALF_MAX,
    ESCAPE_FLOOR,
    ESCAPE_SCALE_MIN,
    HALF_WIDTHS,
    LOG_SCALE_RANGE,
    MAX_SHIFT,
    TAIL_MASS,
    WINDOW_MIN_PROB,
)
from evaluator.sdk.coding.tail import GROUP_PROBS, MAX_SCALE_BITS

LN2 = math.log(2.0)
_GROUP_BITS = [-math.log2(float(p) / float(GROUP_PROBS.astype("float64").sum())) for p in GROUP_PROBS]


@dataclass(frozen=True)
class _Window:
    lo: torch.Tensor  # first bin of the window
    hi: torch.Tensor  # one past its last bin
    bins: torch.Tensor  # bins in the alphabet
    unit: torch.Tensor  # symbols per bin, 2**shift
    shift: torch.Tensor
    escape_scale: torch.Tensor  # in bins


def _trailing_zero_bits(n: torch.Tensor) -> torch.Tensor:
    """The largest r <= MAX_SHIFT with 2**r dividing the integer-valued ``n``."""
    out = torch.zeros_like(n)
    for r in range(1, MAX_SHIFT + 1):
        out = torch.where(torch.remainder(n, float(1 << r)) == 0, torch.full_like(n, float(r)), out)
    return out


def _window(mu: torch.Tensor, log_s: torch.Tensor, log_w: torch.Tensor, n: torch.Tensor) -> _Window:
    """The coder's window per symbol (no gradient; components on dim 1; symbols ``0 .. n - 1``)."""
    with torch.no_grad():
        centre = torch.round((log_w.exp() * mu).sum(1, keepdim=True)).clamp(min=0.0)
        centre = torch.minimum(centre, n - 1)
        s = log_s.exp()
        dist = (mu - centre).abs()
        nats = log_w - log_s - math.log2(WINDOW_MIN_PROB) * LN2
        by_bin = torch.where(nats > 0, dist + nats * s, torch.zeros_like(mu))
        mass_nats = log_w - math.log2(TAIL_MASS) * LN2
        by_mass = torch.where(mass_nats > 0, dist + mass_nats * s, torch.zeros_like(mu))
        reach = torch.maximum(by_bin, by_mass).amax(1, keepdim=True)
        limits = BIN_HALF_MAX * 2.0 ** torch.arange(MAX_SHIFT, dtype=mu.dtype, device=mu.device)
        shift = torch.minimum(torch.searchsorted(limits, reach.contiguous()).to(mu.dtype), _trailing_zero_bits(n))
        unit = torch.pow(2.0, shift)
        widths = torch.tensor(HALF_WIDTHS, dtype=mu.dtype, device=mu.device)
        half = widths[torch.searchsorted(widths, (reach / unit).contiguous()).clamp(max=len(HALF_WIDTHS) - 1)]
        bins = n / unit
        width = torch.minimum(2 * half + 1, bins)
        lo = torch.minimum(torch.clamp(torch.floor(centre / unit) - half, min=0.0), bins - width)
        beyond = (half * unit - dist).clamp(min=0.0) / s
        heaviest = torch.argmax(log_w - beyond, dim=1, keepdim=True)
        escape_scale = (torch.gather(s, 1, heaviest) / unit).clamp(min=ESCAPE_SCALE_MIN)
        return _Window(lo, lo + width, bins, unit, shift, escape_scale)


def _outside_mass(win: _Window, mu: torch.Tensor, inv_s: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The mixture's mass outside the window's bins (with gradient); an end bin inside it keeps its tail."""
    below = torch.sigmoid((win.lo * win.unit - 0.5 - mu) * inv_s)
    above = torch.sigmoid((mu - (win.hi * win.unit - 0.5)) * inv_s)
    below = torch.where(win.lo <= 0, torch.zeros_like(below), below)
    above = torch.where(win.hi >= win.bins, torch.zeros_like(above), above)
    return (w * (below + above)).sum(1, keepdim=True)


def tail_bits(distance: torch.Tensor, escape_scale: torch.Tensor) -> torch.Tensor:
    """Bits of the tail code (`evaluator.sdk.coding.tail`) for integer distances beyond the window (no gradient)."""
    with torch.no_grad():
        m = torch.where(distance < 0, -distance - 1, distance).to(torch.int64)
        k = (torch.floor(torch.log2(escape_scale)).to(torch.int64)).clamp(0, MAX_SCALE_BITS)
        q = m >> k
        g = torch.where(q > 0, torch.floor(torch.log2(q.clamp(min=1).to(torch.float64))).to(torch.int64) + 1, 0)
        g = g.clamp(max=len(_GROUP_BITS) - 1)
        group = torch.tensor(_GROUP_BITS, dtype=torch.float64, device=distance.device)[g]
        return (1.0 + group + k + (g - 1).clamp(min=0)).to(distance.dtype)


def coding_log2p(
    x: torch.Tensor,
    means: torch.Tensor,
    log_scales: torch.Tensor,
    logits: torch.Tensor,
    *,
    low: float | torch.Tensor | None = None,
    high: float | torch.Tensor | None = None,
) -> torch.Tensor:
    """log2 of each symbol's probability under the coder's distribution (see the module docstring).

    ``x`` (B, 1, ...) integers as floats; params (B, K, ...) with the components on dim 1, as
    `common.logistic_mixture_log2p` takes them; the result has ``x``'s shape.
    """
    if low is not None:  # the coder's symbols: x - low in 0 .. high - low
        lo_t = torch.as_tensor(low, dtype=x.dtype, device=x.device)
        x, means = x - lo_t, means - lo_t
        n = torch.as_tensor(high, dtype=x.dtype, device=x.device) - lo_t + 1
    else:
        n = torch.tensor(float(1 << 16), dtype=x.dtype, device=x.device)
    n = n.expand_as(x) if n.dim() else torch.full_like(x, float(n))
    log_s = torch.clamp(log_scales, *LOG_SCALE_RANGE)
    log_w = F.log_softmax(logits, dim=1)
    win = _window(means, log_s, log_w, n)
    p_out = _outside_mass(win, means, torch.exp(-log_s), log_w.exp())
    escape = p_out.clamp(min=ESCAPE_FLOOR)
    log_z = torch.log1p(escape - p_out)
    t = x / win.unit
    b = t - (t - torch.floor(t)).detach()  # the symbol's bin, with x's gradient (a flow's latents need it)
    inside = (b >= win.lo) & (b < win.hi)
    # the bin [b unit - 1/2, (b + 1) unit - 1/2) is the unit bin of b + 1/2 after t = (y + 1/2) / unit
    bin_log2 = logistic_mixture_log2p(b + 0.5, (means + 0.5) / win.unit, log_scales - win.shift * LN2, logits,
                                      low=0.5, high=win.bins - 0.5)
    in_bits = (bin_log2 - log_z / LN2).clamp(min=math.log2(QUANTUM))  # constriction's least entry
    distance = torch.where(b >= win.hi, b - win.hi, b - win.lo)
    escaped = (torch.log(escape) - log_z) / LN2 - tail_bits(distance, win.escape_scale)
    return torch.where(inside, in_bits, escaped) - win.shift


__all__ = ["coding_log2p", "tail_bits"]
