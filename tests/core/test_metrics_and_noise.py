import math

import numpy as np
import pytest

from evaluator.core.metrics import bits_per_pixel, compression_ratio, summarize
from evaluator.data.noise_floor import background_sigma, gaussian_entropy_bits, noise_floor


def test_ratio_and_bpp_follow_the_paper():
    assert compression_ratio(500, 1000) == pytest.approx(4.0)  # 16 bits -> 4 bits
    assert bits_per_pixel(500, 1000) == pytest.approx(4.0)


def test_track_summary_mean_of_ratios_differs_from_aggregate():
    s = summarize([100, 100], [50, 100], encode_s=[0.1, 0.3], decode_s=[0.2, 0.2], noise_bpp=[3.0, 3.0])
    assert s.ratio_mean == pytest.approx((4.0 + 2.0) / 2)
    assert s.ratio_aggregate == pytest.approx(16 * 200 / (8 * 150))
    assert s.encode_s_median == pytest.approx(0.2)
    assert s.encode_mb_s == pytest.approx(2 * 200 / 1e6 / 0.4)
    assert s.efficiency == pytest.approx(3.0 * 200 / (8 * 150))


def test_summary_needs_items():
    with pytest.raises(ValueError):
        summarize([], [])


@pytest.mark.parametrize("sigma", [1.0, 3.0, 10.0, 40.0])
def test_background_sigma_is_robust_to_sources_and_gradients(sigma):
    rng = np.random.default_rng(3)
    img = 1200 + np.linspace(0, 400, 300)[None, :] + rng.normal(0, sigma, (300, 300))
    img[100:110, 100:110] += 30000  # a bright star
    img[rng.integers(0, 300, 200), rng.integers(0, 300, 200)] = 65535  # cosmic rays
    est = background_sigma(np.round(img).clip(0, 65535).astype(np.uint16))
    assert est == pytest.approx(math.hypot(sigma, 1 / math.sqrt(12)), rel=0.1)


def test_entropy_bound_matches_closed_form_for_large_sigma():
    for s in (5.0, 20.0, 200.0):
        assert gaussian_entropy_bits(s) == pytest.approx(0.5 * math.log2(2 * math.pi * math.e * s * s), abs=0.01)
    assert gaussian_entropy_bits(0.0) == 0.0
    assert gaussian_entropy_bits(0.3) < 1.0


def test_noise_floor_of_multi_frame_item():
    rng = np.random.default_rng(0)
    cube = (1000 + rng.normal(0, 6, (3, 128, 128))).astype(np.uint16)
    nf = noise_floor(cube)
    assert nf.sigma == pytest.approx(6.0, rel=0.1)
    assert nf.bits_per_pixel == pytest.approx(gaussian_entropy_bits(nf.sigma))
