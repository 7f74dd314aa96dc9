"""``MixtureRangeEncoder.coding_bits``: the coding NLL summed from the encoder's own tables (issue 24, item 2)."""

from __future__ import annotations

import numpy as np
import pytest
from mixture_factory import draw, realistic_params

from evaluator.sdk.coding import MixtureParams, MixtureRangeDecoder, MixtureRangeEncoder
from evaluator.sdk.coding.coding_cost import QUANTUM, coding_bits, table_bits


def _with_outliers(rng: np.random.Generator, n: int, top: int = 65535) -> tuple[np.ndarray, MixtureParams]:
    p = realistic_params(rng, n, top=top)
    x = draw(rng, p, top=top)
    x[::37] = rng.integers(0, top + 1, x[::37].size)  # far outside the windows: escapes and tail codes
    x[1::211], x[2::211] = 0, top  # the end symbols
    return x, p


def test_encoder_sum_equals_coding_bits_with_escapes() -> None:
    rng = np.random.default_rng(5)
    x, p = _with_outliers(rng, 3000)
    enc = MixtureRangeEncoder()
    assert enc.coding_bits == 0.0
    rows = np.arange(x.size).reshape(-1, 100).T  # 100 autoregressive calls, rows in any order
    for r in rows:
        enc.encode(x[r], p.take(r))
    expected = sum(coding_bits(x[r], p.take(r)) for r in rows)
    assert enc.coding_bits == pytest.approx(expected, rel=1e-12)  # one formula (coding_cost.chunk_bits)
    one = MixtureRangeEncoder()
    one.encode(x, p)
    assert one.coding_bits == coding_bits(x, p)  # one call: the same chunks summed in the same order
    assert one.coding_bits == pytest.approx(enc.coding_bits, rel=1e-6)  # other windows per call, ~the same length
    assert np.array_equal(MixtureRangeDecoder(enc.finish()).decode(p.take(rows[0])), x[rows[0]])


def test_bytes_within_half_a_percent_of_coding_bits() -> None:
    """A few thousand realistic pixels with outliers: the stream is the coding NLL plus the coder's overhead."""
    rng = np.random.default_rng(6)
    x, p = _with_outliers(rng, 4000)
    enc = MixtureRangeEncoder()
    enc.encode(x, p)
    stream_bits = 8 * len(enc.finish())
    print(f"stream {stream_bits} bits, coding NLL {enc.coding_bits:.1f} bits "
          f"({100 * (stream_bits / enc.coding_bits - 1):+.3f} %)")
    assert enc.coding_bits <= stream_bits <= 1.005 * enc.coding_bits


def test_small_alphabets_and_categorical_rows_count_too() -> None:
    rng = np.random.default_rng(7)
    x, p = _with_outliers(rng, 2000, top=255)
    probs = rng.random((1500, 12)).astype(np.float32)
    probs[:, 3] = 0.0  # a zero entry costs the quantum's floor, not infinity
    sym = rng.integers(0, 12, 1500)
    sym[:5] = 3
    enc = MixtureRangeEncoder(max_symbol=255)
    enc.encode(x, p)
    enc.encode_categorical(sym, probs)
    cat = table_bits(probs, sym)
    share = probs[np.arange(sym.size), sym].astype(np.float64) / probs.sum(axis=1, dtype=np.float64)
    assert np.isclose(cat, -np.log2(np.maximum(share, QUANTUM)).sum(), rtol=1e-6)
    assert enc.coding_bits == pytest.approx(coding_bits(x, p, max_symbol=255) + cat, rel=1e-12)
    stream_bits = 8 * len(enc.finish())
    assert enc.coding_bits <= stream_bits <= 1.005 * enc.coding_bits + 64
    empty = MixtureRangeEncoder()
    empty.encode_categorical(np.zeros(0, np.int64), np.ones((0, 4), np.float32))
    assert empty.coding_bits == 0.0
