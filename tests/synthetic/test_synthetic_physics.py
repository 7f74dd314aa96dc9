"""Physical sanity of the synthetic frames: saturation, cosmic rays, ramps, overscan, SDSS cubes."""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.core.tracks import HUBBLE, JWST, KECK, LEGACY, SDSS
from evaluator.data.synthetic.jwst import GAIN as JWST_GAIN
from evaluator.data.synthetic.jwst import READNOISE_FRAME
from evaluator.data.synthetic.profiles import HUBBLE as HUBBLE_PROFILE
from evaluator.data.synthetic.profiles import LCO as LCO_PROFILE
from evaluator.data.synthetic_sky import make_file


def _saturated_columns_near_bright_sources(dataset: str, index: int, exptime: float) -> int:
    """Assert every saturated pixel sits in a column next to a bright source; return how many."""
    f = make_file(dataset, 0, index, exptime=exptime)
    total = 0
    for frame, chip in zip(f.samples, f.meta["chips"]):
        sat = np.isin(frame, chip["saturation_adu"])
        n = int(sat.sum())
        assert n == chip["n_saturated"]
        total += n
        if not n:
            continue
        xs = np.array([x for _, x in chip["bright_sources"]])
        assert xs.size, f"{n} saturated pixels but no bright source ({dataset} #{index})"
        reach = 3 * f.meta["psf_fwhm"] + 3
        cols = np.unique(np.nonzero(sat)[1])
        far = [c for c in cols if np.min(np.abs(xs - c)) > reach]
        assert not far, f"saturated columns {far} far from bright sources {sorted(xs)}"
    return total


def test_saturation_only_at_bright_sources() -> None:
    long_runs = sum(_saturated_columns_near_bright_sources(HUBBLE, i, 2400.0) for i in range(6))
    long_runs += sum(_saturated_columns_near_bright_sources(LEGACY, i, 300.0) for i in (0, 2, 4, 6))
    assert long_runs > 0, "no saturation at all in long exposures: the test would prove nothing"
    short = sum(_saturated_columns_near_bright_sources(HUBBLE, i, 30.0) for i in range(6))
    assert short < long_runs


def test_saturated_pixels_read_the_full_well() -> None:
    f = make_file(HUBBLE, 0, 1, exptime=2400.0)
    chip = max(f.meta["chips"], key=lambda c: c["n_saturated"])
    assert chip["n_saturated"] > 0
    expected = [int(min(65535, round(b + HUBBLE_PROFILE.full_well / g)))
                for b, g in zip(chip["amp_bias"], chip["amp_gain"])]
    assert chip["saturation_adu"] == expected


def test_cosmic_rays_grow_with_exposure_time_and_are_worse_in_space() -> None:
    counts = [make_file(HUBBLE, 0, 0, exptime=t).meta["n_cosmic_rays"] for t in (100.0, 400.0, 1600.0)]
    assert counts[0] < counts[1] < counts[2], counts
    assert 8 <= counts[2] / max(counts[0], 1) <= 32, counts  # Poisson, rate ∝ exptime
    assert HUBBLE_PROFILE.cr_rate > 50 * LCO_PROFILE.cr_rate
    with_cr = make_file(HUBBLE, 0, 0, exptime=1600.0).samples[0].astype(np.int64)
    without = make_file(HUBBLE, 0, 0, exptime=1600.0, cosmic_rays=False).samples[0].astype(np.int64)
    thresh = np.median(without) + 200
    assert (with_cr > thresh).sum() > (without > thresh).sum() + counts[2]


def test_overscan_is_bias_and_read_noise_only() -> None:
    f = make_file(KECK, 0, 0, exptime=600.0)
    frame = f.samples[0].astype(np.float64)
    for sec in f.meta["amplifiers"]["sections"]:
        o0, o1 = sec["overscan"]
        d0, d1 = sec["data"]
        over, data = frame[:, o0:o1], frame[:, d0:d1]
        assert abs(np.median(over) - sec["bias"]) < 10
        assert np.std(over) < 3 * sec["readnoise"] / sec["gain"]
        assert np.median(data) > np.median(over) + 100  # sky on the light-sensitive columns


def test_hubble_chips_have_prescan_and_virtual_overscan() -> None:
    f = make_file(HUBBLE, 0, 0)
    top, bottom = f.samples
    lay0, lay1 = (c["layout"] for c in f.meta["chips"])
    assert lay0["overscan_rows_at_top"] and not lay1["overscan_rows_at_top"]
    n = lay0["overscan_rows"]
    sky0 = np.median(top[: top.shape[0] - n, 10:-10])
    assert np.median(top[-n:, 10:-10]) < sky0 - 10  # virtual overscan rows: no light
    assert np.median(bottom[:n, 10:-10]) < np.median(bottom[n:, 10:-10]) - 10
    p0, p1 = lay0["sections"][0]["prescan"]
    assert np.median(top[:, p0:p1]) < sky0 - 10


def test_jwst_ramp_accumulates_charge() -> None:
    f = make_file(JWST, 0, 0, pattern="MEDIUM8", ngroups=6)
    cube = f.samples[0].astype(np.int64)
    b = f.meta["reference_border"]
    light = cube[:, b:-b, b:-b]
    diffs = np.diff(light, axis=0)
    sigma = np.sqrt(2) * READNOISE_FRAME / np.sqrt(f.meta["nframes"]) / JWST_GAIN + 4.0  # + 1/f stripes
    assert np.mean(diffs < -6 * sigma) < 1e-3  # non-decreasing except noise
    assert np.median(diffs) > 0  # sky and dark accumulate
    ref = np.diff(cube[:, :b, :], axis=0)  # reference rows: no light
    assert abs(np.mean(ref)) < 1.0
    assert 10_000 <= np.median(cube[0]) <= 15_000  # raw NIRCam bias level
    # cosmic-ray jumps persist: a pixel that jumps stays up in every later group
    jumps = np.argwhere(diffs[:-1] > 500)
    assert len(jumps) > 0
    t, y, x = jumps.T
    before = light[t, y, x]
    later = light[t + 2, y, x]
    assert np.all(later > before + 300)


def test_jwst_saturation_stays_flat() -> None:
    """A star far above the full well: its core ramps up, then stays flat at the full well."""
    from evaluator.data.synthetic.jwst import FULL_WELL, RampSetup, jwst_ramp
    from evaluator.data.synthetic.scene import make_catalog

    cat = make_catalog(np.random.default_rng(1), 60, 60, star_density=0.0, galaxy_density=0.0, rate_min=1.0)
    one = np.array([30.0])
    cat = type(cat)(one, one, np.array([2e3]), np.zeros(1), *(np.zeros(0),) * 8)
    setup = RampSetup(ngroups=8, pattern="MEDIUM8", sky_rate=0.25, cosmic_rays=False)
    cube, facts = jwst_ramp((64, 64), setup, cat, rng_det=np.random.default_rng(2), rng=np.random.default_rng(3),
                            reference_border=2)
    core = cube[:, 32, 32].astype(np.int64)
    assert facts["n_saturated"] > 0
    assert np.all(np.diff(core) > -30), core  # never falls (beyond noise)
    assert core[1] - core[0] > 1000  # rises fast first ...
    assert abs(core[-1] - core[-2]) < 30  # ... then sits at the full well
    assert abs(core[-1] - np.median(cube[0, 2:-2, 2:-2]) - FULL_WELL / JWST_GAIN) < 1500


def test_sdss_epochs_sorted_days_apart_with_zero_fill() -> None:
    f = make_file(SDSS, 0, 0, missing_probability=1.0, n_epochs=5)
    cube = f.samples[0]
    tai = np.array(f.meta["tai"])
    assert np.all(np.diff(tai) >= 0.5 * 86400)  # different nights
    missing = f.meta["missing_epochs"]
    assert len(missing) == 4  # every epoch but the anchor
    for t in range(cube.shape[0]):
        zero_cols = np.all(cube[t] == 0, axis=(0, 1))
        assert zero_cols.any() == (t in missing)
    default = make_file(SDSS, 0, 0).samples[0]
    assert not np.all(default == 0, axis=(1, 2, 3)).any()


def test_sdss_same_field_every_epoch_different_sky() -> None:
    f = make_file(SDSS, 0, 0, n_epochs=4, missing_probability=0.0)  # a field with bright objects
    r = f.samples[0][:, 2].astype(np.float64)
    sky = np.median(r, axis=(1, 2))
    resid = r - sky[:, None, None]
    bright = resid[0] > 10 * np.std(resid[0][resid[0] < np.percentile(resid[0], 90)])
    assert bright.sum() > 20
    for t in range(1, r.shape[0]):
        assert np.corrcoef(resid[0][bright], resid[t][bright])[0, 1] > 0.7  # same objects
    assert np.ptp(sky) > 1.0  # sky differs between nights
    bands_sky = np.median(f.samples[0][0].astype(np.float64), axis=(1, 2))
    assert bands_sky[0] < bands_sky[2]  # u sky fainter than r in DN


@pytest.mark.parametrize("dataset", [LEGACY, KECK, HUBBLE])
def test_noise_grows_with_exposure(dataset: str) -> None:
    from evaluator.data.noise_floor import background_sigma

    lo, hi = (make_file(dataset, 0, 0, exptime=t).samples[0] for t in (20.0, 600.0))
    assert background_sigma(hi) > 1.3 * background_sigma(lo)
