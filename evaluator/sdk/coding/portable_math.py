"""exp and log from IEEE-754 basic operations only: the same bits on every CPU and numpy dispatch.

numpy's own ``exp``/``log``/``log1p`` are SIMD-dispatched: other code, other last bits under
AVX-512, AVX2 or numpy's baseline (measured: 39 % of float32 ``exp`` and 12 % of ``log``
values change when numpy runs without AVX2, ``NPY_DISABLE_CPU_FEATURES=X86_V3``). A coder's
tables must not depend on them, or a stream decodes only where numpy dispatches alike.

Every function here is a fixed sequence of separate numpy ufuncs whose results IEEE-754
defines exactly (``+ - * /``, ``rint``, ``ldexp``, ``frexp``, ``minimum``/``maximum``,
integer casts): correctly rounded, so identical under every dispatch (no ufunc fuses a
multiply and an add). Inputs are clipped first, so no intermediate is subnormal and
flush-to-zero modes (which a library in the same process may set) change nothing.

- ``2**t`` (float32): ``t = n + f`` with ``n = rint(t)``, ``|f| <= 1/2``; ``2**f`` by a fixed
  degree-5 polynomial (relative error below 2.4e-7, about two float32 ulps), then
  ``ldexp(p, n)`` (exact);
- ``log(x)`` (float64): ``x = m 2**e`` (``frexp``) with ``m`` in ``[sqrt(1/2), sqrt(2))``,
  ``log(m) = 2 atanh((m - 1) / (m + 1))`` by its series (ten terms: error below 1e-15).

Accuracy only costs compression (a table a few ulps off codes a few parts per billion
worse); identical bits are what make a stream decodable.
"""

from __future__ import annotations

import numpy as np

LN2 = 0.6931471805599453  # float64 nearest to log(2)
LOG2E = 1.4426950408889634  # float64 nearest to 1 / log(2)
EXP2_RANGE = (-120.0, 120.0)
"""``exp2_f32`` clips its argument to this range: results stay normal float32 numbers."""

# minimax-fitted float32 coefficients of 2**f on [-1/2, 1/2], constant term first
_EXP2_POLY = tuple(np.float32(c) for c in (
    1.0000001192092896, 0.6931469440460205, 0.24022120237350464,
    0.05550715699791908, 0.009675535373389721, 0.0013275743694975972,
))


def exp2_f32_clipped(
    t: np.ndarray, *, work: np.ndarray | None = None, iwork: np.ndarray | None = None
) -> np.ndarray:
    """``2**t`` in place for a float32 array ``t`` already clipped to `EXP2_RANGE` (returns ``t``).

    ``work`` (float32) and ``iwork`` (int32), of ``t``'s shape, are optional scratch arrays.
    """
    n = np.rint(t) if work is None else np.rint(t, out=work)
    np.subtract(t, n, out=t)  # f in [-1/2, 1/2]
    exponent = n.astype(np.int32) if iwork is None else iwork
    if iwork is not None:
        np.copyto(iwork, n, casting="unsafe")
    f = n  # reuse: n is no longer needed as a float
    np.multiply(t, _EXP2_POLY[5], out=f)
    for c in _EXP2_POLY[4:0:-1]:
        f += c
        f *= t
    f += _EXP2_POLY[0]
    np.ldexp(f, exponent, out=t)
    return t


def exp2_f32(t: np.ndarray) -> np.ndarray:
    """``2**t`` (float32, a new array); the argument is clipped to `EXP2_RANGE` first."""
    out = np.clip(np.asarray(t, np.float32), np.float32(EXP2_RANGE[0]), np.float32(EXP2_RANGE[1]))
    return exp2_f32_clipped(out)


def exp_f32(x: np.ndarray) -> np.ndarray:
    """``exp(x)`` (float32, a new array) as ``2**(x log2(e))``; clipped like `exp2_f32`."""
    return exp2_f32(np.asarray(x, np.float32) * np.float32(LOG2E))


_ATANH_TERMS = tuple(1.0 / (2 * k + 1) for k in range(10))


def log_f64(x: np.ndarray) -> np.ndarray:
    """Natural log (float64) of a positive, finite, normal array (checked: a ValueError otherwise)."""
    a = np.asarray(x, np.float64)
    if a.size and not (np.all(np.isfinite(a)) and a.min() >= np.finfo(np.float64).tiny):
        raise ValueError("log_f64 needs positive, finite, normal numbers")
    m, e = np.frexp(a)  # a = m 2**e, m in [1/2, 1)
    low = m < 0.7071067811865476
    m = np.where(low, m * 2.0, m)
    e = e - low.astype(e.dtype)
    f = (m - 1.0) / (m + 1.0)
    s = f * f
    series = np.full(a.shape, _ATANH_TERMS[-1])
    for c in _ATANH_TERMS[-2::-1]:
        series = series * s + c
    out: np.ndarray = e.astype(np.float64) * LN2 + 2.0 * f * series
    return out
