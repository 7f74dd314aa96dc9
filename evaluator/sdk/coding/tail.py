"""The escape tail: how far beyond its window an escaped symbol lies, coded with integer arithmetic only.

An escaped symbol (`logistic`: outside the window of its mixture) is coded as its distance
beyond the window. The code is an Elias-gamma code scaled to the mixture, in three parts,
each a `constriction` model whose quantization is integer or basic float arithmetic:

1. the side (above the window: ``v >= 0``; below it: ``v < 0``): one `Uniform` bit;
2. the magnitude ``m`` (``v`` above, ``-v - 1`` below) in units of ``2**k``, where ``k`` is
   the escape scale's binary exponent (``frexp``: exact): the bit length ``g`` of
   ``m >> k`` (0 .. 16) under `GROUP_PROBS`, a table shipped here as decimal literals: the
   masses a Cauchy of scale ``2**k`` puts on ``[0, 2**k)``, ``[2**k, 2**(k+1))``, ... (the
   heavy tail of the coder before, so a cosmic ray still costs a few dozen bits);
3. the ``k + max(g - 1, 0)`` bits below the leading one, uniform, in at most two
   `Uniform` draws of up to 16 bits.

No platform ``exp``/``log``/``atan`` is evaluated anywhere (the `QuantizedCauchy` used
before computes ``atan``/``tan`` through the C library, whose code differs between CPUs),
so an encoder and a decoder on any two machines agree. The parts go into the stream one
kind after the other for all escaped symbols of a call (sides, groups, low bits, high
bits): the decoder reads the groups before it knows how many bits follow.
"""

from __future__ import annotations

import constriction
import numpy as np

GROUP_PROBS = np.array([
    0.5, 0.204832765, 0.139208975, 0.0767914124, 0.0394297997, 0.019849153, 0.00994152109, 0.00497288377,
    0.00248670745, 0.00124338693, 0.000621697613, 0.000310849325, 0.000155424727, 7.77123719e-05,
    3.88561869e-05, 1.94280936e-05, 1.94280936e-05,
], np.float32)
"""P(bit length of ``m >> k`` = g), g = 0 .. 16: a Cauchy's mass per octave (the last entry: the rest)."""

MAX_SCALE_BITS = 16  # k: the escape scale's octave, clipped to 0 .. 16
LOW_BITS = 16  # mantissa bits per Uniform draw

_CATEGORICAL = constriction.stream.model.Categorical(perfect=False)
_UNIFORM = constriction.stream.model.Uniform()
_SIDE = constriction.stream.model.Uniform(2)


def scale_bits(scale: np.ndarray) -> np.ndarray:
    """``k = floor(log2(scale))`` clipped to 0 .. `MAX_SCALE_BITS` (exact: ``frexp``, no logarithm)."""
    _, exponent = np.frexp(np.asarray(scale, np.float64))
    return np.clip(exponent.astype(np.int64) - 1, 0, MAX_SCALE_BITS)


def bit_length(q: np.ndarray) -> np.ndarray:
    """Bit length of non-negative integers below 2**31 (0 for 0): exact, by ``frexp`` of exact floats."""
    _, e = np.frexp(q.astype(np.float64))
    return np.where(q > 0, e, 0).astype(np.int64)


def _split(nbits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low = np.minimum(nbits, LOW_BITS)
    return low, nbits - low


def encode_tail(coder: constriction.stream.queue.RangeEncoder, beyond: np.ndarray, scale: np.ndarray) -> None:
    """Append the distances ``beyond`` (int, v >= 0 above the window, v < 0 below) under escape scales ``scale``."""
    v = np.asarray(beyond, np.int64)
    below = v < 0
    m = np.where(below, -v - 1, v)
    k = scale_bits(scale)
    q = m >> k
    g = bit_length(q)
    mantissa = np.where(g > 0, ((q - (np.int64(1) << np.maximum(g - 1, 0))) << k) | (m & ((np.int64(1) << k) - 1)),
                        m)
    low, high = _split(k + np.maximum(g - 1, 0))
    coder.encode(below.astype(np.int32), _SIDE)
    coder.encode(g.astype(np.int32), _CATEGORICAL, np.broadcast_to(GROUP_PROBS, (v.size, GROUP_PROBS.size)).copy())
    encode_bits(coder, mantissa & ((np.int64(1) << low) - 1), low)
    encode_bits(coder, mantissa >> low, high)


def decode_tail(coder: constriction.stream.queue.RangeDecoder, scale: np.ndarray) -> np.ndarray:
    """The distances `encode_tail` wrote for escape scales ``scale`` (int64, one per scale)."""
    n = int(np.asarray(scale).size)
    below = np.asarray(coder.decode(_SIDE, n), np.int64) == 1
    g = np.asarray(coder.decode(_CATEGORICAL, np.broadcast_to(GROUP_PROBS, (n, GROUP_PROBS.size)).copy()), np.int64)
    k = scale_bits(scale)
    low, high = _split(k + np.maximum(g - 1, 0))
    mantissa = decode_bits(coder, low) | (decode_bits(coder, high) << low)
    q = np.where(g > 0, (np.int64(1) << np.maximum(g - 1, 0)) + (mantissa >> k), 0)
    m = (q << k) | (mantissa & ((np.int64(1) << k) - 1))
    out: np.ndarray = np.where(below, -m - 1, m)
    return out


def encode_bits(coder: constriction.stream.queue.RangeEncoder, values: np.ndarray, nbits: np.ndarray) -> None:
    """Append ``values[j]`` as ``nbits[j]`` uniform bits (0 to `LOW_BITS` each; 0: nothing)."""
    used = nbits > 0
    if used.any():
        coder.encode(values[used].astype(np.int32), _UNIFORM, (np.int64(1) << nbits[used]).astype(np.int32))


def decode_bits(coder: constriction.stream.queue.RangeDecoder, nbits: np.ndarray) -> np.ndarray:
    """The values `encode_bits` wrote with these bit counts (int64)."""
    out = np.zeros(nbits.shape, np.int64)
    used = nbits > 0
    if used.any():
        sizes = (np.int64(1) << nbits[used]).astype(np.int32)
        out[used] = np.asarray(coder.decode(_UNIFORM, sizes), np.int64)
    return out


__all__ = ["GROUP_PROBS", "bit_length", "decode_bits", "decode_tail", "encode_bits", "encode_tail", "scale_bits"]
