"""Benchmark the shared entropy coder (evaluator.sdk.coding) on a frame's worth of pixel mixtures.

Draws ``side x side`` symbols from realistic raw 16-bit mixtures (K components close
together, logistic scales around ``--scale``: ~5.3 bits per pixel at the default 5,
like a noisy Hubble frame), gives the coder the true parameters, and prints:

- one-call coding (``encode_mixture`` / ``decode_mixture``): seconds, and the
  bitstream's size over the ideal code length (``ideal_bits``);
- the autoregressive path: the same symbols as ``(side / patch)**2`` patches advancing
  together through ``patch**2`` raster steps, one ``MixtureRangeEncoder.encode`` /
  ``MixtureRangeDecoder.decode`` call per step (per-call overhead included);
- the windows chosen (rows per half-width) and the share of escaped symbols;
- the cost of an outlier (a cosmic ray 50 sigma away, a saturated pixel) in bits.

Times are the best of ``--repeat`` runs; they depend on the machine and its load.
The script prints numbers, it asserts nothing (the tests in tests/coding do).

Usage: ``python scripts/bench_coding.py [--side 800] [--k 5] [--scale 5] [--patch 32] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "coding"))  # the realistic mixture factory

from mixture_factory import draw, realistic_params

from evaluator.sdk.coding import (
    MixtureParams,
    MixtureRangeDecoder,
    MixtureRangeEncoder,
    decode_mixture,
    encode_mixture,
    ideal_bits,
)
from evaluator.sdk.coding.logistic import HALF_WIDTHS, window_layout


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    """The fastest of ``repeat`` runs, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def autoregressive(x: np.ndarray, p: MixtureParams, steps: int, repeat: int) -> tuple[float, float, bool]:
    """Encode and decode ``steps`` calls of ``len(x) / steps`` symbols each (the raster path)."""
    rows = np.arange(x.size).reshape(-1, steps).T  # step t: pixel t of every patch
    parts = [p.take(r) for r in rows]

    def encode() -> bytes:
        enc = MixtureRangeEncoder()
        for r, part in zip(rows, parts):
            enc.encode(x[r], part)
        return enc.finish()

    t_enc, data = best_of(repeat, encode)

    def decode() -> np.ndarray:
        dec = MixtureRangeDecoder(data)  # type: ignore[arg-type]
        out = np.empty_like(x)
        for r, part in zip(rows, parts):
            out[r] = dec.decode(part)
        return out

    t_dec, back = best_of(repeat, decode)
    return t_enc, t_dec, bool(np.array_equal(back, x))  # type: ignore[arg-type]


def outlier_bits(
    rng: np.random.Generator, x: np.ndarray, p: MixtureParams, base_bits: int, count: int = 500
) -> dict[str, float]:
    """Extra bits per replaced symbol: a cosmic ray 50 sigma above the mixture, a saturated pixel."""
    hit = rng.choice(x.size, count, replace=False)
    std = np.exp(p.log_scales[hit]).max(axis=1) * np.pi / np.sqrt(3)
    out = {}
    for name, value in (("50 sigma", np.rint(p.means[hit].mean(axis=1) + 50 * std)), ("saturated", 65535)):
        y = x.copy()
        y[hit] = np.clip(value, 0, 65535)
        out[name] = (len(encode_mixture(y, p)) * 8 - base_bits) / count
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=800)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--scale", type=float, default=5.0)
    ap.add_argument("--patch", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    n = args.side * args.side
    p = realistic_params(rng, n, k=args.k, scale=args.scale)
    x = draw(rng, p)
    ideal = ideal_bits(x, p)

    t_enc, data = best_of(args.repeat, lambda: encode_mixture(x, p))
    t_dec, back = best_of(args.repeat, lambda: decode_mixture(data, p))  # type: ignore[arg-type]
    bits = len(data) * 8  # type: ignore[arg-type]
    lay = window_layout(p, max_symbol=65535)
    centre = lay.centre
    half = np.asarray(HALF_WIDTHS)[lay.bucket] << lay.shift  # in symbols
    escaped = np.abs(x - centre) > half  # approximate: windows are clipped at 0 and 65535

    print(f"{n} symbols ({args.side}x{args.side}), K={args.k}, scale ~{args.scale}: {ideal / n:.4f} bits/symbol ideal")
    print(f"one call:   encode {t_enc:.3f} s, decode {t_dec:.3f} s, exact {np.array_equal(back, x)}")  # type: ignore[arg-type]
    print(f"            {bits} bits = ideal + {100 * (bits / ideal - 1):.4f} %")
    steps = args.patch * args.patch
    if n % steps == 0:
        a_enc, a_dec, ok = autoregressive(x, p, steps, args.repeat)
        print(
            f"raster:     {n // steps} patches x {steps} steps: encode {a_enc:.3f} s, decode {a_dec:.3f} s, exact {ok}"
        )
    counts = {h: int((half == h).sum()) for h in HALF_WIDTHS if (half == h).any()}
    print(f"windows:    rows per half-width {counts}; escaped {100 * escaped.mean():.3f} % of symbols")
    extra = outlier_bits(rng, x, p, bits)
    print("outliers:   " + ", ".join(f"{k} {v:.1f} bits" for k, v in extra.items()))


if __name__ == "__main__":
    main()
