import json

import numpy as np
import pytest
from typer.testing import CliRunner

from challenge.cli import app
from evaluator.core.tracks import (
    ALL_TRACKS,
    PAPER_TRACKS,
    TRACKS,
    UnknownTrackError,
    get_track,
    residual_forward,
    residual_inverse,
    select_tracks,
)


def test_ten_tracks_eight_from_the_paper():
    assert len(TRACKS) == 10
    assert set(PAPER_TRACKS) == {
        "lco", "keck", "hubble", "jwst-2d", "jwst-2d-res", "sdss-2d", "sdss-3d-lambda", "sdss-3d-time"}


def test_cli_tracks_json_lists_all():
    result = CliRunner().invoke(app, ["tracks", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == list(ALL_TRACKS)  # the ten lossless ones first, unchanged
    assert [r["name"] for r in rows][:10] == list(TRACKS)
    for r in rows:
        assert {"name", "dataset", "ndim"} <= r.keys()


def _cube(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 65536, size=shape, dtype=np.uint16)


def test_sdss_cuts_are_the_papers_slices():
    cube = _cube((4, 5, 6, 7))
    (sfx, lam), = list(get_track("sdss-3d-lambda").items_from_sample(cube))
    assert lam.shape == (3, 6, 7) and np.array_equal(lam, cube[0, 1:4])
    (_, tim), = list(get_track("sdss-3d-time").items_from_sample(cube))
    assert tim.shape == (3, 6, 7) and np.array_equal(tim, cube[0:3, 2])
    (_, two), = list(get_track("sdss-2d").items_from_sample(cube))
    assert np.array_equal(two, cube[0, 2])
    (_, four), = list(get_track("sdss-4d").items_from_sample(cube))
    assert four.shape == cube.shape


def test_sdss_3d_time_drops_short_cubes():
    assert list(get_track("sdss-3d-time").items_from_sample(_cube((2, 5, 4, 4)))) == []


def test_jwst_residuals_are_invertible_modulo_2_16():
    cube = _cube((5, 8, 9))
    items = list(get_track("jwst-2d-res").items_from_sample(cube))
    assert [s for s, _ in items] == ["r0", "r1", "r2", "r3"]
    for t, (_, r) in enumerate(items):
        assert r.dtype == np.uint16
        assert np.array_equal(residual_inverse(cube[t], r), cube[t + 1])
        expected = (cube[t + 1].view(np.int16) - cube[t].view(np.int16)).view(np.uint16)
        assert np.array_equal(r, expected)
    assert np.array_equal(residual_forward(np.uint16([1]), np.uint16([0])), np.uint16([65535]))


def test_wrong_dtype_is_refused():
    with pytest.raises(TypeError, match="uint16"):
        list(get_track("lco").items_from_sample(np.zeros((4, 4), np.int32)))


def test_select_tracks_and_unknown_names():
    assert len(select_tracks("all")) == 10
    assert [t.name for t in select_tracks("keck,hubble")] == ["keck", "hubble"]
    with pytest.raises(UnknownTrackError, match="choose one of"):
        select_tracks("nope")
