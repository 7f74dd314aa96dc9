"""The training loss is the code length under the distribution the coder applies, with gradients.

The coder (`evaluator.sdk.coding.logistic`, `tail`) does not code a symbol with the raw mixture:
it codes a **window** of ``width`` symbols around the mixture's mean plus an **escape** entry
(the mass outside the window, at least ``ESCAPE_FLOOR``), normalised together; an escaped
symbol then pays the **tail code** for its distance beyond the window; no entry is cheaper than
constriction's 2^-24 quantum. `coding_log2p` is log2 of that probability as a torch function:

- in the window: ``P(bin x) / Z`` with ``Z = 1 - P_out + max(P_out, ESCAPE_FLOOR)``;
- escaped: ``max(P_out, ESCAPE_FLOOR) / Z * 2 ** -tail_bits(distance, escape scale)``.

Gradients flow through every mass (the bin, ``P_out``, ``Z``); the window's placement, its
width and the escape scale are the coder's discrete decisions, taken without gradient by the
same rules as `logistic._layout` (in the model's float type: a rounding tie or a reach on a
width boundary may fall the other way than the float32 coder's, which moves a symbol's cost
by a fraction of a bit). What training minimises is then what the stream pays, so the reported
coding NLL is the training objective (``tests/neural/test_coding_loss.py`` checks it against
`evaluator.sdk.coding.coding_cost.coding_bits`).

``low`` / ``high``: the end symbols (in the units of ``x``) that own the tails beyond them and
bound the window; None for an unbounded alphabet (IDF's latents).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from baselines.neural.common import logistic_mixture_log2p
from evaluator.sdk.coding.coding_cost import QUANTUM
from evaluator.sdk.coding.logistic import (
    ESCAPE_FLOOR,
    ESCAPE_SCALE_MIN,
    HALF_WIDTHS,
    LOG_SCALE_RANGE,
    WINDOW_MIN_PROB,
)
from evaluator.sdk.coding.tail import GROUP_PROBS, MAX_SCALE_BITS

LN2 = math.log(2.0)
_GROUP_BITS = [-math.log2(float(p) / float(GROUP_PROBS.astype("float64").sum())) for p in GROUP_PROBS]


def _window(mu: torch.Tensor, log_s: torch.Tensor, log_w: torch.Tensor,
            low: torch.Tensor | None, high: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The coder's window ``[lo, hi)`` and escape scale per symbol (no gradient; components on dim 1)."""
    with torch.no_grad():
        centre = torch.round((log_w.exp() * mu).sum(1, keepdim=True))
        if low is not None and high is not None:
            centre = torch.minimum(torch.maximum(centre, low), high)
        nats = log_w - log_s - math.log2(WINDOW_MIN_PROB) * LN2
        s = log_s.exp()
        reach = torch.where(nats > 0, (mu - centre).abs() + nats * s, torch.zeros_like(mu)).amax(1, keepdim=True)
        widths = torch.tensor(HALF_WIDTHS, dtype=mu.dtype, device=mu.device)
        bucket = torch.searchsorted(widths, reach.contiguous()).clamp(max=len(HALF_WIDTHS) - 1)
        half = widths[bucket]
        width = 2 * half + 1
        lo = centre - half
        if low is not None and high is not None:
            width = torch.minimum(width, high - low + 1)
            lo = torch.minimum(torch.maximum(lo, low), high + 1 - width)
        beyond = (half - (mu - centre).abs()).clamp(min=0.0) / s
        heaviest = torch.argmax(log_w - beyond, dim=1, keepdim=True)
        escape_scale = torch.gather(s, 1, heaviest).clamp(min=ESCAPE_SCALE_MIN)
        return lo, lo + width, escape_scale


def _outside_mass(lo: torch.Tensor, hi: torch.Tensor, mu: torch.Tensor, inv_s: torch.Tensor, w: torch.Tensor,
                  low: torch.Tensor | None, high: torch.Tensor | None) -> torch.Tensor:
    """The mixture's mass outside ``[lo, hi)`` (with gradient); an end symbol inside the window keeps its tail."""
    below = torch.sigmoid((lo - 0.5 - mu) * inv_s)
    above = torch.sigmoid((mu - (hi - 0.5)) * inv_s)
    if low is not None:
        below = torch.where(lo <= low, torch.zeros_like(below), below)
    if high is not None:
        above = torch.where(hi - 1 >= high, torch.zeros_like(above), above)
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
    lo_t = None if low is None else torch.as_tensor(low, dtype=x.dtype, device=x.device)
    hi_t = None if high is None else torch.as_tensor(high, dtype=x.dtype, device=x.device)
    log_s = torch.clamp(log_scales, *LOG_SCALE_RANGE)
    log_w = F.log_softmax(logits, dim=1)
    lo, hi, escape_scale = _window(means, log_s, log_w, lo_t, hi_t)
    p_out = _outside_mass(lo, hi, means, torch.exp(-log_s), log_w.exp(), lo_t, hi_t)
    escape = p_out.clamp(min=ESCAPE_FLOOR)
    log_z = torch.log1p(escape - p_out)
    inside = (x >= lo) & (x < hi)
    in_bits = logistic_mixture_log2p(x, means, log_scales, logits, low=low, high=high) - log_z / LN2
    in_bits = in_bits.clamp(min=math.log2(QUANTUM))  # constriction's least entry (leaky quantization)
    distance = torch.where(x >= hi, x - hi, x - lo)
    escaped = (torch.log(escape) - log_z) / LN2 - tail_bits(distance, escape_scale)
    return torch.where(inside, in_bits, escaped)


__all__ = ["coding_log2p", "tail_bits"]
