"""The code length under the distribution the coder applies: window table, escape entry and tail code.

`logistic.ideal_bits` is the model's own NLL (the raw mixture). The coder does not code that
distribution: it codes a window of the mixture plus an escape entry with a floor
(`logistic.ESCAPE_FLOOR`), and an escaped symbol's distance with the tail code (`tail`).
:func:`coding_bits` is the ideal length of *that* distribution (before the range coder's
fixed-point quantization), so bytes over coding bits measures the range coder alone, and
coding bits over ideal bits what the window, the escape floor and the tail cost or save.

For reporting only: it uses numpy's ``log2`` (platform-dependent in its last bits), never
feeds a coded decision.
"""

from __future__ import annotations

import numpy as np

from evaluator.sdk.coding.logistic import MixtureParams, window_chunks
from evaluator.sdk.coding.tail import GROUP_PROBS, bit_length, scale_bits

QUANTUM = 2.0**-24
"""The least probability constriction's ``Categorical(perfect=False)`` gives an entry (24-bit fixed point)."""

_GROUP_BITS = -np.log2(GROUP_PROBS.astype(np.float64) / GROUP_PROBS.sum(dtype=np.float64))


def tail_bits(beyond: np.ndarray, scale: np.ndarray) -> float:
    """Ideal length of the tail code (`tail.encode_tail`) for distances ``beyond`` at escape scales ``scale``."""
    v = np.asarray(beyond, np.int64)
    m = np.where(v < 0, -v - 1, v)
    k = scale_bits(scale)
    g = bit_length(m >> k)
    return float(v.size + _GROUP_BITS[g].sum() + (k + np.maximum(g - 1, 0)).sum())


def coding_bits(symbols: np.ndarray, params: MixtureParams, *, max_symbol: int = 65535) -> float:
    """Bits to code ``symbols`` under the coder's distribution for ``params`` (window, escape, tail code)."""
    x = np.asarray(symbols).reshape(-1).astype(np.int64)
    total = 0.0
    for chunk in window_chunks(params, max_symbol=max_symbol):
        xs = x[chunk.rows]
        index = xs - chunk.lo
        escaped = (index < 0) | (index >= chunk.width)
        index[escaped] = chunk.width
        p = chunk.probs.astype(np.float64)
        # constriction's leaky quantization gives every entry at least one unit of its 2^24 (a zero: 2^-24)
        chosen = np.maximum(p[np.arange(p.shape[0]), index] / p.sum(axis=1), QUANTUM)
        total += float(-np.log2(chosen).sum())
        if escaped.any():
            xe, lo = xs[escaped], chunk.lo[escaped]
            beyond = np.where(xe >= lo + chunk.width, xe - (lo + chunk.width), xe - lo)
            total += tail_bits(beyond, chunk.escape_scale[escaped])
    return total


__all__ = ["coding_bits", "tail_bits"]
