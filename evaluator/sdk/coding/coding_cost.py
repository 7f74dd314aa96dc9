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

from evaluator.sdk.coding.logistic import MixtureParams, WindowChunk, window_chunks
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


_ONES: dict[int, np.ndarray] = {}
_QUANTUM_F32 = np.float32(QUANTUM)


def table_shares(probs: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Float32 share of entry ``index[j]`` in each row ``probs[j]`` (float32, contiguous, unnormalised, as
    ``Categorical(perfect=False)`` takes them), floored at `QUANTUM`: its probability as the coder codes it.

    Each step the cheapest numpy has (a flat gather, the row sums as one matrix-vector product): float32 is
    ample for a length."""
    n, width = probs.shape
    ones = _ONES.get(width)
    if ones is None:
        ones = _ONES.setdefault(width, np.ones(width, np.float32))
    chosen = probs.ravel().take(np.arange(0, n * width, width) + index)
    # constriction's leaky quantization gives every entry at least one unit of its 2^24 (a zero: 2^-24)
    shares: np.ndarray = np.maximum(chosen / np.dot(probs, ones), _QUANTUM_F32)
    return shares


def table_bits(probs: np.ndarray, index: np.ndarray) -> float:
    """Ideal length of coding entry ``index[j]`` of each row ``probs[j]`` (see `table_shares`)."""
    return float(-np.log2(table_shares(probs, index)).sum(dtype=np.float64)) if index.size else 0.0


def window_entries(x: np.ndarray, chunk: WindowChunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where symbols ``x`` (int64, the chunk's rows) fall in its window: the entry coded (``width``: the escape),
    which rows escape, and the escaped rows' distance beyond the window in bins (``v >= 0`` above it: bin
    ``hi + v``; ``v < 0`` below it: bin ``lo + v``), the tail code's input. Bin = ``x >> chunk.shift``."""
    index = (x >> chunk.shift) - chunk.lo
    escaped = (index < 0) | (index >= chunk.width)
    if not escaped.any():
        return index, escaped, _NONE
    index[escaped] = chunk.width
    xe, lo = x[escaped] >> chunk.shift, chunk.lo[escaped]
    beyond = np.where(xe >= lo + chunk.width, xe - (lo + chunk.width), xe - lo)
    return index, escaped, beyond


_NONE = np.zeros(0, np.int64)


class CodingTally:
    """The coding NLL, table by table as a coder codes them: per table only the cheap gathers (`table_shares`,
    the escaped rows' distances), the logarithms and the tail code's lengths in batches of `BATCH` symbols.

    `MixtureRangeEncoder.coding_bits` is one, fed the tables the encoder builds anyway; `coding_bits` one fed
    the same tables: one computation, whoever asks."""

    BATCH = 1 << 16

    def __init__(self) -> None:
        self._bits = 0.0
        self._shares: list[np.ndarray] = []
        self._beyond: list[np.ndarray] = []
        self._scales: list[np.ndarray] = []
        self._pending = 0

    def add_table(self, probs: np.ndarray, index: np.ndarray) -> None:
        """Entries ``index`` of the rows of ``probs`` coded (a categorical table, or a window with its escape)."""
        if index.size:
            self._shares.append(table_shares(probs, index))
            self._pending += index.size
            if self._pending >= self.BATCH:
                self._flush()

    def add_window(self, chunk: WindowChunk, index: np.ndarray, beyond: np.ndarray, scale: np.ndarray) -> None:
        """A window chunk as `window_entries` places its symbols, with the escaped rows' tail codes (``scale``:
        their escape scales)."""
        if beyond.size:
            self._beyond.append(beyond)
            self._scales.append(scale)
        self._bits += float(chunk.shift * index.size)  # the low bits within the bins, uniform
        self.add_table(chunk.probs, index)

    @property
    def bits(self) -> float:
        """Bits so far."""
        self._flush()
        return self._bits

    def _flush(self) -> None:
        if self._shares:
            self._bits += float(-np.log2(np.concatenate(self._shares)).sum(dtype=np.float64))
        if self._beyond:
            self._bits += tail_bits(np.concatenate(self._beyond), np.concatenate(self._scales))
        self._shares, self._beyond, self._scales, self._pending = [], [], [], 0


def coding_bits(symbols: np.ndarray, params: MixtureParams, *, max_symbol: int = 65535) -> float:
    """Bits to code ``symbols`` under the coder's distribution for ``params`` (window, escape, tail code).

    `coder.MixtureRangeEncoder.coding_bits` is the same `CodingTally` fed as it codes (no second table build)."""
    x = np.asarray(symbols).reshape(-1).astype(np.int64)
    tally = CodingTally()
    for chunk in window_chunks(params, max_symbol=max_symbol):
        index, escaped, beyond = window_entries(x[chunk.rows], chunk)
        tally.add_window(chunk, index, beyond, chunk.escape_scale[escaped] if beyond.size else beyond)
    return tally.bits


__all__ = ["QUANTUM", "CodingTally", "coding_bits", "table_bits", "table_shares", "tail_bits", "window_entries"]
