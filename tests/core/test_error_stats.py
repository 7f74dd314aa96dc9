"""evaluator.run.error_stats: exact pixel statistics and the photometry check on synthetic stars."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluator.core.tracks import HUBBLE, KECK
from evaluator.data.noise_floor import background_sigma
from evaluator.data.synthetic_sky import make_file
from evaluator.run.error_stats import APERTURE_RADIUS, ErrorStats, error_stats, item_gain

N_APERTURE = 29  # pixels within 3 px of a pixel centre


def test_exact_pixel_stats() -> None:
    orig = np.array([[0, 10], [20, 65535]], dtype=np.uint16)
    dec = np.array([[65535, 10], [18, 65535]], dtype=np.uint16)
    s = error_stats(orig, dec)
    assert s.err_abs_max == 65535  # no uint16 wrap
    assert s.err_mean == pytest.approx((65535 - 2) / 4)
    assert s.err_rms == pytest.approx(math.sqrt((65535**2 + 4) / 4))
    assert s.changed_frac == 0.5
    assert (s.flux_dev_median, s.flux_dev_worst, s.flux_bias, s.n_sources) == (None, None, None, None)
    assert set(s.to_row()) == {f for f in ErrorStats.__dataclass_fields__}


def test_identical_and_negative_errors_on_cubes() -> None:
    orig = np.full((3, 5, 4, 4), 1000, dtype=np.uint16)
    s = error_stats(orig, orig.copy(), sources=[(2.0, 2.0)])
    assert (s.err_abs_max, s.err_rms, s.err_mean, s.changed_frac) == (0, 0.0, 0.0, 0.0)
    assert s.n_sources is None  # the flux check is for 2D items only
    dec = orig.copy()
    dec[0, 0, 0, 0] = 0
    s = error_stats(orig, dec)
    assert s.err_abs_max == 1000 and s.err_mean == pytest.approx(-1000 / orig.size)


def test_shape_and_dtype_checks() -> None:
    with pytest.raises(ValueError):
        error_stats(np.zeros((2, 2), np.uint16), np.zeros((2, 3), np.uint16))
    with pytest.raises(TypeError):
        error_stats(np.zeros((2, 2), np.uint16), np.zeros((2, 2), np.float32))


def test_flux_check_by_hand() -> None:
    orig = np.full((40, 40), 100, dtype=np.uint16)
    dec = orig.copy()
    yy, xx = np.mgrid[:40, :40]
    dec[(yy - 20) ** 2 + (xx - 20) ** 2 <= APERTURE_RADIUS**2] += 1  # +1 ADU on each aperture pixel
    s = error_stats(orig, dec, sources=[(20.2, 19.9), (1.0, 1.0), (38.0, 20.0)], gain=1.0, sigma=2.0)
    assert s.n_sources == 1  # the two sources near the edge leave the frame
    z = N_APERTURE / math.sqrt(N_APERTURE * 4.0)  # flat frame: no star signal, background noise only
    assert s.flux_dev_median == pytest.approx(z) and s.flux_dev_worst == pytest.approx(z)
    assert s.flux_bias == pytest.approx(z)
    assert error_stats(orig, dec, sources=[], sigma=2.0).n_sources == 0
    sat = orig.copy()
    sat[20, 21] = 65535
    assert error_stats(sat, sat, sources=[(20.0, 20.0)], sigma=2.0).n_sources == 0  # saturated: skipped


def test_star_signal_enters_sigma_f() -> None:
    orig = np.full((40, 40), 100, dtype=np.uint16)
    orig[20, 20] = 100 + 400  # 400 ADU of star above the annulus median
    dec = orig.copy()
    dec[20, 20] += 10
    for gain, var in ((None, 0.0), (1.0, 400 / 1.0), (4.0, 400 / 4.0)):  # gain None: no star term (stricter)
        s = error_stats(orig, dec, sources=[(20.0, 20.0)], gain=gain, sigma=1.0)
        assert s.flux_dev_median == pytest.approx(10 / math.sqrt(var + N_APERTURE))


def test_item_gain() -> None:
    assert item_gain({"gain": 2.05}) == 2.05
    assert item_gain({"gain": [1.6, 3.9, 4.7, 5.1, 4.7]}) == 4.7  # SDSS: r band
    assert item_gain({}) is None and item_gain({"gain": True}) is None and item_gain({"gain": -1.0}) is None


@pytest.fixture(scope="module", params=[(KECK, 1, 0), (HUBBLE, 0, 0)], ids=["keck", "hubble"])
def star_frame(request: pytest.FixtureRequest) -> tuple[np.ndarray, list[list[float]], float, float]:
    """A synthetic frame, its injected stars (generator coordinates), gain and background sigma."""
    dataset, index, chip = request.param
    f = make_file(dataset, 0, index)
    frame = f.samples[chip]
    stars = f.meta["chips"][chip]["stars"]
    assert len(stars) >= 5
    return frame, stars, float(f.meta["gain"]), background_sigma(frame)


def test_mid_point_quantiser_is_unbiased_and_below_noise(star_frame) -> None:
    frame, stars, gain, sigma = star_frame
    d = int(sigma // 2)
    assert d >= 2
    x = frame.astype(np.int64)
    q = (x + d) // (2 * d + 1)
    xhat = np.minimum(q * (2 * d + 1), 65535).astype(np.uint16)
    s = error_stats(frame, xhat, sources=stars, gain=gain, sigma=sigma)
    assert s.err_abs_max <= d
    assert abs(s.err_mean) < 0.05 * d
    assert s.n_sources is not None and s.n_sources >= 5
    assert s.flux_dev_median is not None and s.flux_dev_median < 0.3
    assert s.flux_dev_worst is not None and s.flux_dev_worst < 1.0


def test_round_down_codec_shows_in_the_bias_columns(star_frame) -> None:
    frame, stars, gain, sigma = star_frame
    d = int(sigma // 2)
    x = frame.astype(np.int64)
    xhat = (x - x % (d + 1)).astype(np.uint16)
    s = error_stats(frame, xhat, sources=stars, gain=gain, sigma=sigma)
    assert s.err_abs_max <= d
    assert s.err_mean == pytest.approx(-d / 2, rel=0.1)
    assert s.flux_bias is not None and s.flux_bias < -0.5
