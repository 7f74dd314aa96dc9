"""exp, log, tanh and softmax from IEEE-754 basic operations only: the same bits on every CPU, dispatch and thread.

torch's own ``exp``/``log``/``tanh``/``softmax`` are vectorised with SLEEF or hand-written
kernels chosen by the CPU dispatch (``ATEN_CPU_CAPABILITY``: default, AVX2, AVX-512) and
their reductions (``sum``, ``logsumexp``) add in an order that depends on the vector
width: the last bits may change from one machine to the next. Where such a value decides
a coded integer (IDF's latent centres) or a coded probability (L3C's categorical tables,
its channel coupling, both models' log-scales), one changed bit and a stream no longer
decodes. The functions here use only operations IEEE-754 defines exactly (``+ - * /``,
``round``, ``abs``, ``clamp``, ``where``, ``amax``, integer shifts and masks on the float's
bits), each as its own torch call (eager torch fuses nothing), and sum over a dimension
one slice at a time in a fixed order (`sequential_sum`): the same algorithms and
coefficients as `evaluator.sdk.coding.portable_math`, in float64.

- ``exp(x)``: ``x = n ln2 + r`` (``n = round(x log2 e)``, ``ln2`` split in two so that
  ``n ln2_hi`` is exact; ``|r| <= 0.35``), ``exp(r)`` by its Taylor polynomial of degree 13
  (truncation below 5e-18), times ``2**n`` built from its bits (``torch.ldexp`` is
  ``x * pow(2, n)``: a vectorised ``pow``, so not used). Relative error ~2e-16.
- ``log(x)``: ``x = m 2**e`` from the bits, ``m`` in ``[sqrt(1/2), sqrt(2)]``,
  ``log(m) = 2 atanh((m - 1) / (m + 1))`` by ten terms of its series. Error ~1e-16 relative.
- ``tanh(x)``: ``-expm1(-2|x|) / (2 + expm1(-2|x|))`` with a Taylor ``expm1`` for
  ``|x| < 0.625`` (no cancellation near 0), ``(1 - e) / (1 + e)``, ``e = exp(-2|x|)``, above;
  the sign copied back. Its gradient (training) is ``1 - tanh**2`` (`torch.autograd.Function`).
- ``softmax(x, dim)``: ``exp(x - max)`` over a sequential sum.

Inputs are clipped so that nothing is subnormal (flush-to-zero modes, which a library in
the same process may set, then change nothing): ``exp`` to ``[-700, 700]``, ``log`` to
``[2**-1022, max float64]``, ``tanh`` to ``[-40, 40]`` (``tanh(40) = 1`` in float64).
float32 inputs are computed in float64 and rounded once to float32 (within an ulp of
torch's float32 result); only a float64 (exact, `baselines.neural.exact`) model is portable
end to end. The values stay within ~1e-15 (relative) of torch's float64 functions, so a
checkpoint trained with those codes as well as before.
"""

from __future__ import annotations

import math
from typing import Any, cast

import torch

LN2 = 0.6931471805599453  # float64 nearest to ln 2
LN2_HI = 6.93147180369123816490e-01  # ln 2's leading 32 bits (fdlibm's ln2_hi): n * LN2_HI is exact for |n| < 2^21
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
LOG2E = 1.4426950408889634  # float64 nearest to 1 / ln 2
SQRT2 = 1.4142135623730951
EXP_RANGE = (-700.0, 700.0)
"""`exp` clips its argument to this range: results (and every intermediate) stay normal float64 numbers."""
TANH_BOUND = 40.0
FLOAT32_TINY = 2.0**-126
"""The smallest normal float32: `to_float32` clamps magnitudes below it (no subnormal float32 results)."""
_FLOAT64_TINY = 2.0**-1022
_FLOAT64_MAX = 1.7976931348623157e308

_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(14))  # exp(r) = sum r^k / k!, degree 13
_EXPM1_TAYLOR = tuple(1.0 / math.factorial(k + 1) for k in range(21))  # expm1(y) = y * sum y^k / (k + 1)!
_ATANH_TERMS = tuple(1.0 / (2 * k + 1) for k in range(10))  # atanh(f) = f * sum f^2k / (2k + 1)
_EXPM1_BELOW = 0.625  # tanh uses the expm1 series below this |x| (|2x| <= 1.25: 21 terms reach 2e-18)
_MANTISSA = (1 << 52) - 1
_EXPONENT_ONE = 1023 << 52


def _f64(x: torch.Tensor) -> torch.Tensor:
    return x if x.dtype == torch.float64 else x.to(torch.float64)


def _back(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return t if dtype == torch.float64 else t.to(dtype)


def _horner(x: torch.Tensor, coefficients: tuple[float, ...]) -> torch.Tensor:
    """``sum c_k x^k`` (constant term first), one multiply and one add at a time."""
    p = x * coefficients[-1] + coefficients[-2]
    for c in coefficients[-3::-1]:
        p = p * x + c
    return p


def _pow2(n: torch.Tensor) -> torch.Tensor:
    """``2**n`` (float64) for integer-valued float64 ``n`` in [-1022, 1023], written as its bits."""
    return ((n.to(torch.int64) + 1023) << 52).view(torch.float64)


def exp(x: torch.Tensor) -> torch.Tensor:
    """``exp(x)`` (``x``'s dtype; computed in float64), the argument clipped to `EXP_RANGE`."""
    a = torch.clamp(_f64(x), EXP_RANGE[0], EXP_RANGE[1])
    n = torch.round(a * LOG2E)
    r = (a - n * LN2_HI) - n * LN2_LO
    return _back(_horner(r, _EXP_TAYLOR) * _pow2(n), x.dtype)


def log(x: torch.Tensor) -> torch.Tensor:
    """Natural log (``x``'s dtype; computed in float64) of ``x`` clipped to [2^-1022, max float64]."""
    a = torch.clamp(_f64(x), _FLOAT64_TINY, _FLOAT64_MAX).contiguous()
    bits = a.view(torch.int64)
    e = (bits >> 52) - 1023
    m = ((bits & _MANTISSA) | _EXPONENT_ONE).view(torch.float64)  # in [1, 2)
    high = m > SQRT2
    m = torch.where(high, m * 0.5, m)  # in [sqrt(1/2), sqrt(2)]
    ef = (e + high.to(torch.int64)).to(torch.float64)
    f = (m - 1.0) / (m + 1.0)
    series = _horner(f * f, _ATANH_TERMS)
    return _back(ef * LN2_HI + (ef * LN2_LO + (f * 2.0) * series), x.dtype)


def _tanh(x: torch.Tensor) -> torch.Tensor:
    a = _f64(x)
    ax = torch.clamp(torch.abs(a), max=TANH_BOUND)
    small = ax < _EXPM1_BELOW
    y = torch.where(small, ax, 0.0) * -2.0
    em1 = y * _horner(y, _EXPM1_TAYLOR)
    e = exp(ax * -2.0)
    t = torch.where(small, -em1 / (em1 + 2.0), (1.0 - e) / (e + 1.0))
    return _back(torch.copysign(t, a), x.dtype)


class _Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        y = _tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return grad * (1.0 - y * y)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """``tanh(x)`` (``x``'s dtype; computed in float64), differentiable (``1 - tanh**2``)."""
    return cast(torch.Tensor, _Tanh.apply(x))


def sequential_sum(x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    """The sum over ``dim``, adding its slices one at a time in index order (``torch.sum``'s order varies)."""
    total = x.select(dim, 0)
    for k in range(1, x.shape[dim]):
        total = total + x.select(dim, k)
    return total.unsqueeze(dim) if keepdim else total


def softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    """``softmax(x)`` over ``dim`` (``x``'s dtype; computed in float64)."""
    a = _f64(x)
    e = exp(a - torch.amax(a, dim=dim, keepdim=True))
    return _back(e / sequential_sum(e, dim, keepdim=True), x.dtype)


def to_float32(x: torch.Tensor) -> torch.Tensor:
    """``x`` as float32 with magnitudes below `FLOAT32_TINY` clamped up to it (or zero kept zero): no subnormals."""
    a = torch.where((x != 0) & (torch.abs(x) < FLOAT32_TINY), torch.copysign(torch.full_like(x, FLOAT32_TINY), x), x)
    return a.to(torch.float32)


__all__ = ["EXP_RANGE", "FLOAT32_TINY", "LN2", "exp", "log", "sequential_sum", "softmax", "tanh", "to_float32"]
