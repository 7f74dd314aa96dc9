"""The generator's contract: shapes, dtypes, determinism, overrides, metadata."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from evaluator.core.tracks import DATASETS, HUBBLE, JWST, KECK, LEGACY, SDSS, TRACKS
from evaluator.data.synthetic.profiles import HUBBLE as HUBBLE_PROFILE
from evaluator.data.synthetic.profiles import KECK as KECK_PROFILE
from evaluator.data.synthetic.profiles import LCO as LCO_PROFILE
from evaluator.data.synthetic_sky import SyntheticFile, make_file, sample_shapes


def _digest(f: SyntheticFile) -> str:
    h = hashlib.sha256()
    for s in f.samples:
        h.update(str((s.shape, s.dtype.str)).encode())
        h.update(s.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("dataset", DATASETS)
def test_small_shapes_dtypes_and_layout(dataset: str) -> None:
    for index in range(3):
        f = make_file(dataset, 0, index)
        assert f.meta["synthetic"] is True and f.meta["dataset"] == dataset
        assert [s.shape for s in f.samples] == sample_shapes(dataset, 0, index)
        for s in f.samples:
            assert s.dtype == np.uint16 and s.flags.c_contiguous
        if dataset == HUBBLE:
            assert len(f.samples) == 2 and f.samples[0].shape == (258, 518)
        elif dataset == JWST:
            (cube,) = f.samples
            assert cube.ndim == 3 and 5 <= cube.shape[0] <= 6 and cube.shape[1:] == (256, 256)
            assert f.meta["ntimes"] == cube.shape[0]
        elif dataset == SDSS:
            (cube,) = f.samples
            assert cube.ndim == 4 and 3 <= cube.shape[0] <= 5 and cube.shape[1:] == (5, 160, 160)
            assert len(f.meta["tai"]) == cube.shape[0]
        else:
            assert len(f.samples) == 1 and f.samples[0].ndim == 2
        # every track on this dataset can cut its items from these samples
        for track in TRACKS.values():
            if track.dataset == dataset:
                for s in f.samples:
                    for _, item in track.items_from_sample(s):
                        assert item.dtype == np.uint16 and item.ndim == track.ndim


def test_full_shapes_are_the_real_ones() -> None:
    """DATA.md "Known-good sizes"; computed without generating the pixels."""
    assert sample_shapes(LEGACY, 0, 0, "full") == [(2112, 3136)]  # LCO
    assert sample_shapes(KECK, 0, 0, "full", layout=0) == [(2048, 2248)]
    assert sample_shapes(KECK, 0, 0, "full", layout=1) == [(2520, 3768)]
    assert sample_shapes(HUBBLE, 0, 0, "full") == [(2068, 4144)] * 2
    for i in range(6):
        (g, h, w), = sample_shapes(JWST, 0, i, "full")
        assert 5 <= g <= 10 and (h, w) == (2048, 2048)
        (t, b, h, w), = sample_shapes(SDSS, 0, i, "full")
        assert 3 <= t <= 90 and (b, h, w) == (5, 800, 800)


@pytest.mark.slow
def test_full_size_frame_generates() -> None:
    f = make_file(LEGACY, 0, 0, "full")
    assert f.samples[0].shape == (2112, 3136) and f.samples[0].dtype == np.uint16


def test_small_is_about_an_eighth_of_full() -> None:
    for ds in (LEGACY, KECK, HUBBLE):
        (hs, ws), (hf, wf) = sample_shapes(ds, 0, 0)[0], sample_shapes(ds, 0, 0, "full")[0]
        assert 6 <= hf / hs <= 10 and 6 <= wf / ws <= 10, (ds, (hs, ws), (hf, wf))


def test_legacy_cycles_telescopes_half_lco() -> None:
    tels = [make_file(LEGACY, 0, i).meta["telescope"] for i in range(8)]
    assert tels[0::2] == ["LCO"] * 4
    assert set(tels[1::2]) == {"INT", "JKT", "TJO", "WHT"}
    assert sum(t == "LCO" for t in tels[:6]) == 3


@pytest.mark.parametrize("dataset", DATASETS)
def test_deterministic_and_order_independent(dataset: str) -> None:
    a = _digest(make_file(dataset, 3, 1))
    make_file(dataset, 3, 0)  # generating other files in between changes nothing
    make_file(dataset, 4, 1)
    assert _digest(make_file(dataset, 3, 1)) == a
    assert _digest(make_file(dataset, 3, 2)) != a
    assert _digest(make_file(dataset, 4, 1)) != a


def test_meta_has_the_header_facts() -> None:
    for ds in DATASETS:
        m = make_file(ds, 0, 0).meta
        for key in ("exptime", "telescope", "filter", "gain", "readnoise", "bias", "sky", "psf_fwhm",
                    "seeing", "ra", "dec", "pixscale", "n_cosmic_rays"):
            assert key in m, (ds, key)
    assert make_file(JWST, 0, 0).meta["ntimes"] >= 5
    amps = make_file(KECK, 0, 0).meta["amplifiers"]
    assert amps["n_amps"] in (2, 4) and len(amps["sections"]) == amps["n_amps"]
    assert amps["sections"][-1]["columns"][1] == make_file(KECK, 0, 0).samples[0].shape[1]
    for sec in amps["sections"]:
        assert {"prescan", "data", "overscan", "gain", "readnoise", "bias"} <= set(sec)


def test_exposure_times_vary_in_the_telescope_range() -> None:
    for ds, prof, idx in ((HUBBLE, HUBBLE_PROFILE, range(8)), (KECK, KECK_PROFILE, range(8)),
                          (LEGACY, LCO_PROFILE, range(0, 16, 2))):
        times = [make_file(ds, 0, i).meta["exptime"] for i in idx]
        assert all(prof.exptime[0] <= t <= prof.exptime[1] for t in times)
        assert max(times) / min(times) > 3, times


def test_bad_arguments_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="choose one of"):
        make_file("GBI-99", 0, 0)
    with pytest.raises(ValueError, match="allowed"):
        make_file(HUBBLE, 0, 0, ngroups=3)
    with pytest.raises(ValueError, match="small"):
        make_file(HUBBLE, 0, 0, size="medium")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="choose one of"):
        make_file(LEGACY, 0, 0, telescope="HST")
