"""The escape tail code (``evaluator.sdk.coding.tail``): exact round trips at the edges, a Cauchy-like cost."""

from __future__ import annotations

import constriction
import numpy as np

from evaluator.sdk.coding.tail import GROUP_PROBS, decode_tail, encode_tail, scale_bits


def _round_trip(beyond: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, int]:
    enc = constriction.stream.queue.RangeEncoder()
    encode_tail(enc, beyond, scale)
    words = enc.get_compressed()
    dec = constriction.stream.queue.RangeDecoder(words)
    return decode_tail(dec, scale), int(words.size) * 32


def test_every_distance_and_scale_round_trips_exactly() -> None:
    rng = np.random.default_rng(0)
    edges = np.array([0, 1, -1, -2, 65535, 65536, -65536, -65537, 2**15, -(2**15) - 1])
    scales = np.array([1.0, 1.5, 2.0, 1023.9, 1024.0, 65535.0, 65536.0, 1e9, 3.0, 7.0])
    got, _ = _round_trip(edges, scales)
    assert np.array_equal(got, edges)
    beyond = rng.integers(-65537, 65537, 20_000)
    scale = np.exp(rng.uniform(0.0, 12.0, beyond.size))
    got, _ = _round_trip(beyond, scale)
    assert np.array_equal(got, beyond)
    assert np.array_equal(scale_bits(np.array([1.0, 1.99, 2.0, 3.0, 4.0, 1e30])), [0, 0, 1, 1, 2, 16])
    assert abs(float(GROUP_PROBS.sum(dtype=np.float64)) - 1.0) < 1e-6


def test_the_cost_follows_a_cauchy_of_the_same_scale() -> None:
    """On Cauchy-distributed distances the code costs within a bit per symbol of the Cauchy's own ideal length
    (the QuantizedCauchy it replaced), and a far outlier stays at a few dozen bits."""
    rng = np.random.default_rng(1)
    scale = np.full(50_000, 40.0)
    m = np.minimum(np.abs(rng.standard_cauchy(scale.size) * scale), 65000).astype(np.int64)
    beyond = np.where(rng.random(scale.size) < 0.5, m, -m - 1)
    _, bits = _round_trip(beyond, scale)
    # ideal: side bit + the folded Cauchy's mass on [m, m + 1)
    ideal = 1.0 - np.log2(2 / np.pi * (np.arctan((m + 1) / scale) - np.arctan(m / scale)))
    print(f"tail code {bits / scale.size:.2f} bits per escape, Cauchy ideal {ideal.mean():.2f}")
    assert bits / scale.size < ideal.mean() + 1.0
    _, far = _round_trip(np.array([60_000]), np.array([1.0]))
    assert far <= 64


def test_coding_bits_is_what_the_coder_writes() -> None:
    """coding_bits (window + escape + tail) within a fraction of a percent of the real stream, outliers included;
    the raw mixture's NLL (ideal_bits) is a different number where the escape floor applies."""
    from evaluator.sdk.coding import MixtureParams, encode_mixture, ideal_bits  # noqa: PLC0415
    from evaluator.sdk.coding.coding_cost import coding_bits  # noqa: PLC0415

    rng = np.random.default_rng(2)
    n, k = 40_000, 3
    centre = rng.uniform(200, 60_000, (n, 1))
    means = (centre + rng.normal(0, 6.0, (n, k))).astype(np.float32)  # a unimodal-ish mixture, as models give
    params = MixtureParams(means, np.full((n, k), np.log(8.0), np.float32), np.zeros((n, k), np.float32))
    x = np.clip(np.rint(means[:, 0] + rng.logistic(0, 8.0, n)), 0, 65535).astype(np.int64)
    x[::97] = rng.integers(0, 65536, x[::97].size)  # outliers: escapes and tail codes
    coded = len(encode_mixture(x, params)) * 8
    bits = coding_bits(x, params)
    print(f"stream {coded} bits, coding NLL {bits:.0f}, raw mixture NLL {ideal_bits(x, params):.0f}")
    assert bits <= coded <= bits * 1.005 + 64
