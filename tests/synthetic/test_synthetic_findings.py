"""The paper's qualitative findings, checked on the synthetic default corpus.

Paper Table 1 (ratios and codec ordering), Figure 2 (ratio falls as exposure
time grows), Supplement D / Figure 5 (JPEG-LS bits per pixel linear in log
background sigma). Real frames are not downloadable here; these tests are
what makes the synthetic generator a credible stand-in.
"""

from __future__ import annotations

import math
import re

import imagecodecs
import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr

from baselines.classical import CODECS
from baselines.paper_seeds import paper_results
from evaluator.core.metrics import bits_per_pixel, compression_ratio
from evaluator.core.tracks import HUBBLE, KECK, LEGACY, PAPER_TRACKS, TRACKS
from evaluator.data.noise_floor import background_sigma
from evaluator.data.synthetic_sky import make_file

PAPER = paper_results()["table1_ratio"]

def _libjxl_version() -> tuple[int, ...]:
    text = str(imagecodecs.jpegxl_version())  # e.g. "libjxl 0.11.2"
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


# JPEG-XL max >= default is a property of the libjxl version as much as of the data.
# Measured on exactly these items: with imagecodecs 2023.9.18 (libjxl 0.8.2, the paper's
# era) effort 9 beats effort 5 on every track (LCO +5.9 %, Keck +2.9 %, Hubble +8.5 %,
# JWST-2D +2.2 %, JWST-2D-Res +24 %, SDSS-2D +8.3 %, SDSS-3D +8 %), close to the
# paper's margins. From libjxl 0.10 on, effort 5 is much stronger and effort 9 trails
# it by 1-3 % on frames dominated by Gaussian read/sky noise, at small and full size
# alike (full-size synthetic LCO -2.6 %, Keck -1.9 %, JWST-2D -1.5 %); it still wins
# where outliers (cosmic rays, hot pixels), wrapped residuals or cross-band structure
# feed its larger context model. Strict: if these start to pass, update the list.
JXL_MAX_BEHIND_WITH_NEW_LIBJXL = {"lco", "keck", "jwst-2d", "sdss-2d", "sdss-3d-time"}
NEW_LIBJXL = _libjxl_version() >= (0, 10)


@pytest.mark.parametrize(
    "track",
    [pytest.param(t, marks=pytest.mark.xfail(NEW_LIBJXL, strict=True, reason="libjxl >= 0.10: effort 9 trails "
                                             "effort 5 on noise-dominated frames (see comment)"))
     if t in JXL_MAX_BEHIND_WITH_NEW_LIBJXL else t for t in PAPER_TRACKS],
)
def test_jpegxl_max_not_worse_than_default(track: str, mean_ratios: dict[str, dict[str, float]]) -> None:
    row = mean_ratios[track]
    assert row["jpegxl-max"] >= row["jpegxl"], row


def test_jpegxl_max_close_to_default_everywhere(mean_ratios: dict[str, dict[str, float]]) -> None:
    """Where effort 9 trails effort 5 on this data, it trails by a few percent, never more than 5 %."""
    for track, row in mean_ratios.items():
        assert row["jpegxl-max"] >= 0.95 * row["jpegxl"], (track, row)


def test_rice_lowest_on_most_tracks(mean_ratios: dict[str, dict[str, float]]) -> None:
    """Paper Table 1: RICE is the weakest classical codec on 7 of 8 experiments."""
    lowest = {t: min(row, key=row.__getitem__) for t, row in mean_ratios.items()}
    rice_lowest = [t for t, c in lowest.items() if c == "rice"]
    assert len(rice_lowest) >= 6, lowest


def test_jpeg2000_worst_on_wrapped_jwst_residuals(mean_ratios: dict[str, dict[str, float]]) -> None:
    """Paper Table 1, JWST-2D-Res: JPEG-2000 (1.69) far below every other codec (≥2.37)."""
    row = mean_ratios["jwst-2d-res"]
    others = [v for c, v in row.items() if c != "jpeg2000"]
    assert row["jpeg2000"] < 0.75 * min(others), row


def test_ratios_in_paper_range(mean_ratios: dict[str, dict[str, float]]) -> None:
    """Every track × codec mean ratio lies in the paper's 1.2-3.7 span and near the paper's cell.

    JPEG-LS, JPEG-2000 and JPEG-XL max within 12 %; every other cell within
    30 % (the paper's JPEG-XL default on JWST-2D-Res, 2.37, is an outlier of
    its own), except RICE on the 3-frame SDSS tracks, checked below.
    """
    for track, row in mean_ratios.items():
        for cid, value in row.items():
            assert 1.2 <= value <= 3.7, (track, cid, value)
            if cid == "rice" and TRACKS[track].ndim == 3:
                continue
            paper = PAPER[track][CODECS[cid].title]
            tol = 0.12 if cid in ("jpegls", "jpeg2000", "jpegxl-max") else 0.30
            assert abs(math.log(value / paper)) <= math.log(1 + tol), (track, cid, value, paper)


@pytest.mark.parametrize("track", ["sdss-3d-lambda", "sdss-3d-time"])
def test_rice_on_planar_three_frame_items_matches_paper(track: str, default_items) -> None:
    """RICE on ``item.reshape(H, -1)`` (frames side by side) lands on the paper's 3.05.

    ``baselines.classical`` interleaves the frames (channels last) before the
    reshape, which costs RICE ~40 % on SDSS cubes whose bands differ in sky
    level; the planar layout reproduces the paper, so the data are calibrated.
    """
    ratios = [compression_ratio(len(imagecodecs.rcomp_encode(it.data.reshape(it.data.shape[1], -1))), it.data.size)
              for it in default_items[track]]
    assert abs(math.log(np.mean(ratios) / PAPER[track]["RICE"])) <= math.log(1.12), ratios


EXPTIME_SWEEPS = {
    HUBBLE: (60.0, 150.0, 400.0, 1000.0, 2400.0),
    KECK: (30.0, 80.0, 200.0, 500.0, 900.0),
    LEGACY: (5.0, 15.0, 45.0, 120.0, 300.0),
}


@pytest.mark.parametrize("dataset", list(EXPTIME_SWEEPS))
@pytest.mark.parametrize("codec", ["jpegxl", "jpegls", "jpeg2000", "rice"])
def test_ratio_falls_with_exposure_time(dataset: str, codec: str) -> None:
    """Paper Figure 2 (Hubble) and §4.4: longer exposures, more noise bits, lower ratios."""
    ratios = []
    for t in EXPTIME_SWEEPS[dataset]:
        x = make_file(dataset, 0, 0, exptime=t).samples[0]  # same field, same detector
        ratios.append(compression_ratio(len(CODECS[codec].encode(x)), x.size))
    rho = spearmanr(EXPTIME_SWEEPS[dataset], ratios).statistic
    assert rho <= -0.9, (ratios, rho)


def test_jpegls_bpp_linear_in_log_background_sigma(default_items) -> None:
    """Paper Supplement D, Figure 5: JPEG-LS bpp vs log σ of the background is linear, rising.

    Single-frame tracks (JWST is the paper's outlier and left out), plus an
    exposure sweep per CCD dataset to cover a decade of σ.
    """
    frames = [it.data for t in ("lco", "keck", "hubble", "sdss-2d") for it in default_items[t]]
    for ds, times in EXPTIME_SWEEPS.items():
        frames += [make_file(ds, 0, 1, exptime=t).samples[0] for t in times]
    log_sigma = np.array([math.log2(background_sigma(x)) for x in frames])
    bpp = np.array([bits_per_pixel(len(CODECS["jpegls"].encode(x)), x.size) for x in frames])
    slope, _ = np.polyfit(log_sigma, bpp, 1)
    r = pearsonr(log_sigma, bpp).statistic
    assert 0.6 <= slope <= 1.4, slope  # a Gaussian's entropy grows 1 bit per doubling of σ
    assert r >= 0.9, r
