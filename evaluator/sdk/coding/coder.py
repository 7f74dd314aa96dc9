"""Entropy coding of integer symbols under model-given distributions (constriction 0.5.0 range coder).

Two kinds of distribution:

- a discretized logistic mixture per symbol (`MixtureParams`, raw 16-bit pixels or 8-bit
  bytes): coded as a window `Categorical` of bins (a bin is a symbol, or ``2**shift``
  symbols for a broad mixture, whose low bits then follow uniformly) plus an escape (see
  `logistic`); an escaped bin's distance beyond its window is coded by `tail` (an Elias-gamma code scaled to
  the mixture, integer arithmetic only), whose heavy tail keeps a cosmic ray or a
  saturated pixel at a few dozen bits;
- an explicit table per symbol (latents): `Categorical` rows.

One stream is a FIFO `constriction.stream.queue.RangeEncoder`: `MixtureRangeEncoder`
takes any sequence of ``encode`` / ``encode_categorical`` calls, and a
`MixtureRangeDecoder` given the same parameters in the same order reads them back.
That is the autoregressive path (the decoder needs symbol t before it can compute the
parameters of t + 1); `encode_mixture` / `decode_mixture` are the one-call case.
Categorical models are always built with ``perfect=False`` (0.5.0's default gives
another bitstream). Same symbols and bit-identical parameters give the same bytes.
`MixtureRangeEncoder.coding_bits` is the coding NLL of everything coded so far
(a `coding_cost.CodingTally` fed each table as it is built): what a codec reports beside its bytes.

The payload is the range coder's words and nothing else: no length, no checksum. A
truncated payload may decode to wrong symbols without an error (the coder reads zeros
past the end); a codec that wants to detect that keeps a checksum in its `StreamHeader`.
"""

from __future__ import annotations

import constriction
import numpy as np

from evaluator.sdk.coding.coding_cost import CodingTally, window_entries
from evaluator.sdk.coding.header import BitstreamError
from evaluator.sdk.coding.logistic import MixtureParams, WindowChunk, window_chunks
from evaluator.sdk.coding.tail import decode_bits, decode_tail, encode_bits, encode_tail

__all__ = [
    "MixtureParams",
    "MixtureRangeDecoder",
    "MixtureRangeEncoder",
    "decode_categorical",
    "decode_mixture",
    "encode_categorical",
    "encode_mixture",
]

_CATEGORICAL = constriction.stream.model.Categorical(perfect=False)


def _check_max_symbol(max_symbol: int) -> int:
    if not 1 <= int(max_symbol) <= 65535:
        raise ValueError(f"max_symbol must be in 1 .. 65535 (65535 for raw 16-bit, 255 for bytes), got {max_symbol}")
    return int(max_symbol)


def _check_symbols(symbols: np.ndarray, n: int, max_symbol: int) -> np.ndarray:
    x = np.asarray(symbols)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f"symbols must be an integer array, got dtype {x.dtype}")
    x = x.reshape(-1).astype(np.int64)
    if x.shape[0] != n:
        raise ValueError(f"{x.shape[0]} symbols but parameters for {n}: one row of parameters per symbol")
    if x.size and (x.min() < 0 or x.max() > max_symbol):
        raise ValueError(f"symbols must lie in 0 .. {max_symbol}, got {x.min()} .. {x.max()}")
    return x


def _check_probs(probs: np.ndarray) -> np.ndarray:
    p = np.ascontiguousarray(probs, np.float32)
    if p.ndim != 2 or p.shape[1] < 1:
        raise ValueError(f"probs must be (N, L) with L >= 1, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or (p.size and p.min() < 0):
        raise ValueError("probs must be finite and non-negative (they need not sum to one)")
    if p.size and not np.all(p.sum(axis=1, dtype=np.float64) > 0):
        raise ValueError("every row of probs needs some positive probability (a row of zeros has no distribution)")
    return p


class MixtureRangeEncoder:
    """Appends symbols to one range-coded stream, call after call; `finish` gives the bytes."""

    def __init__(self, *, max_symbol: int = 65535) -> None:
        self.max_symbol = _check_max_symbol(max_symbol)
        self._coder = constriction.stream.queue.RangeEncoder()
        self._tally = CodingTally()

    @property
    def coding_bits(self) -> float:
        """Ideal length in bits of everything coded so far under the distribution the coder applies (window,
        escape entry, tail code; categorical rows as they are): `coding_cost.coding_bits`, summed from the tables
        this encoder builds anyway. For reporting (a codec's ``Encoded.coding_bits``); never feeds the stream."""
        return self._tally.bits

    def encode(self, symbols: np.ndarray, params: MixtureParams) -> None:
        """Append ``symbols`` (N,) under the mixtures ``params`` (N rows)."""
        x = _check_symbols(symbols, params.n, self.max_symbol)
        for chunk in window_chunks(params, max_symbol=self.max_symbol):
            self._encode_chunk(x[chunk.rows], chunk)

    def _encode_chunk(self, x: np.ndarray, chunk: WindowChunk) -> None:
        index, escaped, beyond = window_entries(x, chunk)
        self._coder.encode(index.astype(np.int32), _CATEGORICAL, chunk.probs)
        scale = chunk.escape_scale[escaped] if beyond.size else beyond
        if beyond.size:
            encode_tail(self._coder, beyond, scale)
        if chunk.shift:  # the symbols' low bits within their bins, uniform
            encode_bits(self._coder, x & ((1 << chunk.shift) - 1), np.full(x.shape, chunk.shift, np.int64))
        self._tally.add_window(chunk, index, beyond, scale)

    def encode_categorical(self, symbols: np.ndarray, probs: np.ndarray) -> None:
        """Append ``symbols`` (N,), each under its own row of ``probs`` (N, L) (unnormalised ok)."""
        p = _check_probs(probs)
        x = _check_symbols(symbols, p.shape[0], p.shape[1] - 1)
        if x.size:
            self._coder.encode(x.astype(np.int32), _CATEGORICAL, p)
            self._tally.add_table(p, x)

    def finish(self) -> bytes:
        """The stream so far, as bytes (little-endian 32-bit words)."""
        words: np.ndarray = self._coder.get_compressed()
        return words.astype("<u4").tobytes()


class MixtureRangeDecoder:
    """Reads back what a `MixtureRangeEncoder` wrote, given the same parameters in the same order."""

    def __init__(self, data: bytes, *, max_symbol: int = 65535) -> None:
        self.max_symbol = _check_max_symbol(max_symbol)
        if len(data) % 4:
            raise BitstreamError(f"coded payload is {len(data)} bytes, not a whole number of 32-bit words: truncated?")
        self._coder = constriction.stream.queue.RangeDecoder(np.frombuffer(bytes(data), "<u4").astype(np.uint32))

    def decode(self, params: MixtureParams) -> np.ndarray:
        """The next ``params.n`` symbols (int64), coded by `MixtureRangeEncoder.encode` with these params."""
        out = np.empty(params.n, np.int64)
        for chunk in window_chunks(params, max_symbol=self.max_symbol):
            out[chunk.rows] = self._decode_chunk(chunk)
        return out

    def _decode_chunk(self, chunk: WindowChunk) -> np.ndarray:
        try:
            index = np.asarray(self._coder.decode(_CATEGORICAL, chunk.probs), np.int64)
            x = chunk.lo + index  # bins, then symbols
            escaped = index == chunk.width
            if escaped.any():
                beyond = decode_tail(self._coder, chunk.escape_scale[escaped])
                lo = chunk.lo[escaped]
                x[escaped] = np.where(beyond >= 0, lo + chunk.width + beyond, lo + beyond)
            if chunk.shift:
                x = (x << chunk.shift) | decode_bits(self._coder, np.full(x.shape, chunk.shift, np.int64))
        except (RuntimeError, ValueError, AssertionError) as e:
            raise BitstreamError(f"coded payload is corrupt or was coded with other parameters: {e}") from e
        if x.min() < 0 or x.max() > self.max_symbol:
            raise BitstreamError(
                f"decoded symbols outside 0 .. {self.max_symbol}: the payload is corrupt or the parameters differ "
                "from the encoder's (check the float environment in the header)"
            )
        return x

    def decode_categorical(self, probs: np.ndarray) -> np.ndarray:
        """The next ``len(probs)`` symbols (int64) coded by `MixtureRangeEncoder.encode_categorical`."""
        p = _check_probs(probs)
        if p.shape[0] == 0:
            return np.empty(0, np.int64)
        try:
            return np.asarray(self._coder.decode(_CATEGORICAL, p), np.int64)
        except (RuntimeError, ValueError, AssertionError) as e:
            raise BitstreamError(f"coded payload is corrupt or was coded with other probabilities: {e}") from e


def encode_mixture(symbols: np.ndarray, params: MixtureParams, *, max_symbol: int = 65535) -> bytes:
    """All ``symbols`` (N,) under their mixtures (params known up front), as bytes."""
    encoder = MixtureRangeEncoder(max_symbol=max_symbol)
    encoder.encode(symbols, params)
    return encoder.finish()


def decode_mixture(data: bytes, params: MixtureParams, *, max_symbol: int = 65535) -> np.ndarray:
    """The inverse of `encode_mixture`: int64 symbols (N,)."""
    return MixtureRangeDecoder(data, max_symbol=max_symbol).decode(params)


def encode_categorical(symbols: np.ndarray, probs: np.ndarray) -> bytes:
    """Symbols (N,) in 0 .. L - 1, each under its own row of ``probs`` (N, L), as bytes."""
    encoder = MixtureRangeEncoder()
    encoder.encode_categorical(symbols, probs)
    return encoder.finish()


def decode_categorical(data: bytes, probs: np.ndarray) -> np.ndarray:
    """The inverse of `encode_categorical`: int64 symbols (N,)."""
    return MixtureRangeDecoder(data).decode_categorical(probs)
