"""The mixture and categorical coders: exact round trips, determinism, overhead, outliers, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mixture_factory import draw, realistic_params

from evaluator.sdk.coding import (
    BitstreamError,
    MixtureParams,
    MixtureRangeDecoder,
    MixtureRangeEncoder,
    decode_categorical,
    decode_mixture,
    encode_categorical,
    encode_mixture,
    ideal_bits,
    mixture_cdf,
    symbol_log2_probs,
)
from evaluator.sdk.coding.logistic import HALF_WIDTHS, window_layout


def roundtrip(x: np.ndarray, p: MixtureParams, top: int = 65535) -> bytes:
    data = encode_mixture(x, p, max_symbol=top)
    back = decode_mixture(data, p, max_symbol=top)
    assert back.dtype == np.int64
    np.testing.assert_array_equal(back, x)
    return data


def test_raw_16bit_roundtrip_with_edge_values() -> None:
    rng = np.random.default_rng(1)
    p = realistic_params(rng, 3000)
    x = draw(rng, p)
    # edge values: under mixtures at the edges (the tails are theirs) and as escapes from mid-range windows
    p.means[:10] = 0.0
    p.means[10:20] = 65535.0
    x[:5], x[5:10], x[10:15], x[15:20] = 0, 65535, 65535, 0
    x[20:30] = 0
    x[30:40] = 65535
    roundtrip(x, p)


def test_8bit_roundtrip_narrow_and_full_alphabet_windows() -> None:
    rng = np.random.default_rng(2)
    p = realistic_params(rng, 4000, k=3, scale=2.0, top=255)
    p.log_scales[:1000] = np.log(150.0)  # window as wide as the alphabet (an LSB channel)
    p.log_scales[1000:2000] = np.log(0.05)  # nearly deterministic (an MSB channel)
    x = draw(rng, p, top=255)
    lay = window_layout(p, max_symbol=255)
    assert lay.bucket.min() == 0 and HALF_WIDTHS[lay.bucket.max()] << lay.shift.max() >= 128
    roundtrip(x, p, top=255)


def test_broad_mixtures_are_coded_in_bins_at_their_ideal_length() -> None:
    """A noisy pixel (scale 300 to 3000 ADU): bins of 2**shift symbols plus the low bits, a window of at most
    BIN_HALF_MAX bins each side; the stream stays within 0.5 % of the raw mixture's NLL."""
    rng = np.random.default_rng(5)
    n = 6000
    mu = rng.uniform(5000, 60000, (n, 1)).astype(np.float32)
    scales = np.exp(rng.uniform(np.log(300), np.log(3000), (n, 1))).astype(np.float32)
    p = MixtureParams(mu, np.log(scales), np.zeros((n, 1), np.float32))
    x = np.rint(mu[:, 0] + rng.logistic(0, 1, n) * scales[:, 0]).clip(0, 65535).astype(np.int64)
    lay = window_layout(p, max_symbol=65535)
    assert lay.shift.min() >= 2 and (HALF_WIDTHS[lay.bucket.max()]) <= 256
    data = roundtrip(x, p)
    assert abs(8 * len(data) / ideal_bits(x, p) - 1) < 0.005
    assert window_layout(p, max_symbol=255).shift.max() <= 8  # bins tile the alphabet: at most 2**8 for bytes


def test_single_symbol_and_empty() -> None:
    rng = np.random.default_rng(3)
    p = realistic_params(rng, 1)
    for v in (0, 12345, 65535):
        roundtrip(np.array([v]), p)
    empty = MixtureParams(np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32))
    roundtrip(np.zeros(0, np.int64), empty)


def test_many_symbols_roundtrip_and_overhead_within_one_percent() -> None:
    rng = np.random.default_rng(4)
    p = realistic_params(rng, 100_000)
    x = draw(rng, p)
    data = roundtrip(x, p)
    ideal = ideal_bits(x, p)
    assert 4.0 < ideal / x.size < 7.0  # realistic: ~5.3 bits per pixel
    assert len(data) * 8 <= 1.01 * ideal + 64, (len(data) * 8, ideal)


def test_all_escape_roundtrip() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    p = MixtureParams(np.full((n, 2), 30000.0), np.zeros((n, 2)), np.zeros((n, 2)))
    x = rng.integers(0, 65536, n)
    x[:2] = 0, 65535
    x[np.abs(x - 30000) < 100] = 0  # every symbol outside its window
    roundtrip(x, p)


def test_outlier_costs_a_few_dozen_bits_not_a_thousand() -> None:
    rng = np.random.default_rng(6)
    n, m = 20_000, 200
    p = realistic_params(rng, n)
    x = draw(rng, p)
    base = len(encode_mixture(x, p)) * 8
    hit = rng.choice(n, m, replace=False)
    std = np.exp(p.log_scales[hit]).max(axis=1) * np.pi / np.sqrt(3)
    cosmic = x.copy()
    cosmic[hit] = np.clip(np.rint(p.means[hit].mean(axis=1) + 50 * std), 0, 65535)
    per_outlier = (len(roundtrip(cosmic, p)) * 8 - base) / m
    assert per_outlier < 40, per_outlier
    assert ideal_bits(cosmic, p) - ideal_bits(x, p) > 100 * m  # what a plain mixture would charge
    saturated = x.copy()
    saturated[hit] = 65535
    assert (len(roundtrip(saturated, p)) * 8 - base) / m < 40


def test_repeated_encodes_are_byte_identical() -> None:
    rng = np.random.default_rng(7)
    p = realistic_params(rng, 5000)
    x = draw(rng, p)
    copy = MixtureParams(p.means.copy(), p.log_scales.copy(), p.logit_weights.copy())
    assert encode_mixture(x, p) == encode_mixture(x, p) == encode_mixture(x.copy(), copy)


def test_autoregressive_steps_roundtrip() -> None:
    """Many encode calls then finish; the decoder replays the same calls (params of step t known after t - 1)."""
    rng = np.random.default_rng(8)
    steps, patches = 300, 7
    params = [realistic_params(rng, patches, k=3) for _ in range(steps)]
    symbols = [draw(rng, p) for p in params]
    symbols[10][3] = 65535  # an escape inside the sequence
    latents = rng.integers(0, 4, 9)
    table = rng.random((9, 4)).astype(np.float32)

    def encode() -> bytes:
        enc = MixtureRangeEncoder()
        enc.encode_categorical(latents, table)
        for x, p in zip(symbols, params):
            enc.encode(x, p)
        return enc.finish()

    data = encode()
    assert data == encode()
    dec = MixtureRangeDecoder(data)
    np.testing.assert_array_equal(dec.decode_categorical(table), latents)
    for x, p in zip(symbols, params):
        np.testing.assert_array_equal(dec.decode(p), x)


def test_categorical_roundtrip_zero_probabilities_still_codable() -> None:
    rng = np.random.default_rng(9)
    probs = rng.random((500, 16)).astype(np.float32)
    probs[:, 3] = 0.0
    x = rng.integers(0, 16, 500)
    x[:20] = 3
    data = encode_categorical(x, probs)
    assert data == encode_categorical(x, probs)
    np.testing.assert_array_equal(decode_categorical(data, probs), x)


def test_ideal_bits_matches_a_direct_computation_and_sums_to_one() -> None:
    rng = np.random.default_rng(10)
    p = realistic_params(rng, 3, k=2, scale=20.0, top=255)
    every = np.arange(256)
    for i in range(3):
        row = MixtureParams(*(np.repeat(a[i : i + 1], 256, axis=0) for a in (p.means, p.log_scales, p.logit_weights)))
        probs = 2.0 ** symbol_log2_probs(every, row, max_symbol=255)
        assert abs(probs.sum() - 1.0) < 1e-9
    single = MixtureParams(np.array([[100.0]]), np.array([[np.log(3.0)]]), np.zeros((1, 1)))
    direct = 1 / (1 + np.exp(-(107.5 - 100) / 3)) - 1 / (1 + np.exp(-(106.5 - 100) / 3))
    assert ideal_bits(np.array([107]), single) == pytest.approx(-np.log2(direct), rel=1e-12)
    far = ideal_bits(np.array([100 + 3 * 300]), single)  # 300 scales away: finite, not inf
    assert 400 < far < 1000


def test_mixture_cdf_is_a_cdf() -> None:
    rng = np.random.default_rng(11)
    p = realistic_params(rng, 50, k=4)
    edges = p.means[:, :1] + np.linspace(-500, 500, 1001, dtype=np.float32)
    cdf = mixture_cdf(edges, p.means, p.log_scales, p.logit_weights)
    assert cdf.dtype == np.float32 and cdf.shape == edges.shape
    assert np.all(np.diff(cdf, axis=1) >= 0) and cdf.min() >= 0 and cdf.max() <= 1.0 + 1e-6
    assert cdf[:, 0].max() < 1e-9 and cdf[:, -1].min() > 1 - 1e-6
    w = np.exp(p.logit_weights.astype(np.float64))
    w /= w.sum(axis=1, keepdims=True)
    z = (edges.astype(np.float64)[:, :, None] - p.means[:, None, :]) / np.exp(
        p.log_scales[:, None, :].astype(np.float64)
    )
    reference = (w[:, None, :] / (1 + np.exp(-z))).sum(axis=2)
    np.testing.assert_allclose(cdf, reference, atol=1e-6)


def test_bad_inputs_are_refused_with_a_reason() -> None:
    p = MixtureParams(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="0 .. 255"):
        encode_mixture(np.array([0, 1, 256]), p, max_symbol=255)
    with pytest.raises(ValueError, match="one row of parameters per symbol"):
        encode_mixture(np.array([0, 1]), p)
    with pytest.raises(TypeError, match="integer"):
        encode_mixture(np.array([0.0, 1.0, 2.0]), p)
    with pytest.raises(ValueError, match="NaN"):
        MixtureParams(np.full((2, 2), np.nan), np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="one shape"):
        MixtureParams(np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="non-negative"):
        encode_categorical(np.array([0]), np.array([[-1.0, 2.0]]))
    with pytest.raises(ValueError, match="row of zeros"):
        encode_categorical(np.array([0, 1]), np.array([[1.0, 2.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="max_symbol"):
        MixtureRangeEncoder(max_symbol=70000)
    with pytest.raises(BitstreamError, match="32-bit words"):
        decode_mixture(b"abc", p)


def test_decoding_garbage_raises_or_differs_never_crashes() -> None:
    rng = np.random.default_rng(12)
    p = realistic_params(rng, 400)
    x = draw(rng, p)
    data = bytearray(encode_mixture(x, p))
    data[len(data) // 2] ^= 0xFF
    try:
        back = decode_mixture(bytes(data), p)
    except BitstreamError:
        return
    assert not np.array_equal(back, x)


def test_the_coding_layer_does_not_import_torch() -> None:
    code = "import sys, evaluator.sdk.coding; assert 'torch' not in sys.modules, 'torch imported'"
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
