"""The near-lossless baselines (baselines.classical.near_lossless): the bound held, d = 0 exact, the registry rows."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.baseline_images import baseline_image_folders, dockerfile
from baselines.classical import get_codec
from baselines.classical.near_lossless import NEAR_LOSSLESS_CODECS, get_near_lossless_codec
from baselines.registry import BASELINES
from evaluator.core.manifest import load_manifest, modes_near_lossless
from evaluator.core.tracks import NEAR_LOSSLESS_TRACKS, select_tracks
from evaluator.data.synthetic_calibration import track_items
from evaluator.run.evaluate import first_items
from evaluator.run.inprocess import evaluate_inprocess
from evaluator.sdk.server import supports_bound

NAMES = list(NEAR_LOSSLESS_CODECS)
BOUNDS = (0, 1, 2, 4, 7)
INNER = {"jpegls-near": "jpegls", "quantize-rice": "rice", "quantize-jpegxl": "jpegxl"}  # the lossless codec at d = 0
DEMO = ("keck", "hubble", "sdss-2d")


@pytest.fixture(scope="module")
def items() -> dict[str, np.ndarray]:
    """One real synthetic item of a 2D and of a 3D track."""
    return {t: track_items(t, n_test=1)[0].data for t in ("keck", "sdss-3d-lambda")}


def _err(decoded: np.ndarray, x: np.ndarray) -> int:
    return int(np.abs(decoded.astype(np.int64) - x.astype(np.int64)).max())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("track", ["keck", "sdss-3d-lambda"])
def test_round_trip_holds_the_bound_and_gains_with_it(name: str, track: str, items: dict[str, np.ndarray]) -> None:
    codec, x = get_near_lossless_codec(name), items[track]
    assert x.ndim == (2 if track == "keck" else 3) and x.dtype == np.uint16
    ratios = {}
    for d in BOUNDS:
        data = codec.encode(x, max_abs_error=d)
        y = codec.decode(data)
        assert y.dtype == np.uint16 and y.shape == x.shape
        assert _err(y, x) <= d, (name, track, d)
        ratios[d] = x.nbytes / len(data)
    assert np.array_equal(codec.decode(codec.encode(x)), x)  # d = 0 (the default): bit-exact
    assert ratios[4] > ratios[1] > ratios[0] and ratios[7] > ratios[2] * 0.98, ratios  # more error, more ratio


@pytest.mark.parametrize("name", NAMES)
def test_d0_is_the_lossless_baseline(name: str, items: dict[str, np.ndarray]) -> None:
    codec, lossless, x = get_near_lossless_codec(name), get_codec(INNER[name]), items["keck"]
    ours, theirs = codec.encode(x, max_abs_error=0), lossless.encode(x)
    if name == "jpegls-near":
        assert ours == theirs  # NEAR = 0: byte for byte the lossless JPEG-LS bitstream
    else:
        assert ours.endswith(theirs) and len(ours) - len(theirs) == 3  # b"Q" + δ, then the inner bitstream


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("d", BOUNDS)
def test_values_at_both_ends_of_uint16(name: str, d: int) -> None:
    rng = np.random.default_rng(d)
    x = rng.integers(0, 65536, (40, 48)).astype(np.uint16)
    x[:6] = rng.integers(0, 2 * d + 2, (6, 48))  # near 0
    x[6:12] = 65535 - rng.integers(0, 2 * d + 2, (6, 48))  # near 65535
    x[12:14], x[14:16] = 0, 65535
    codec = get_near_lossless_codec(name)
    y = codec.decode(codec.encode(x, max_abs_error=d))
    assert _err(y, x) <= d
    if d == 0:
        assert np.array_equal(y, x)


def test_charls_near_is_capped_at_255_and_still_holds_a_larger_bound() -> None:
    x = np.random.default_rng(5).integers(0, 65536, (32, 32)).astype(np.uint16)
    codec = get_near_lossless_codec("jpegls-near")
    assert _err(codec.decode(codec.encode(x, max_abs_error=1000)), x) <= 255
    q = get_near_lossless_codec("quantize-rice")
    assert _err(q.decode(q.encode(x, max_abs_error=100_000)), x) <= 65535


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [-1, 1.5, 2.0, "2", True, None])
def test_a_bad_bound_is_refused(name: str, bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match="max_abs_error"):
        get_near_lossless_codec(name).encode(np.zeros((8, 8), np.uint16), max_abs_error=bad)  # type: ignore[arg-type]


def test_foreign_bytes_and_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="bad magic"):
        get_near_lossless_codec("quantize-rice").decode(b"AC\x01garbage")
    with pytest.raises(KeyError, match="choose one of"):
        get_near_lossless_codec("webp-near")
    with pytest.raises(TypeError, match="uint16"):
        get_near_lossless_codec("quantize-jpegxl").encode(np.zeros((8, 8), np.float32), max_abs_error=1)


def test_registry_rows_are_offered_the_near_lossless_variants_of_the_demo_tracks() -> None:
    variants = {v.name for v in NEAR_LOSSLESS_TRACKS.values() if v.lossless_track in DEMO}
    assert {"keck-nl2", "keck-nlsigma", "sdss-2d-nl1"} <= variants
    for name in NAMES:
        spec = BASELINES[name]
        assert spec.kind == "classical" and spec.paper_column is None and "(ours" in spec.title
        assert spec.factory() is NEAR_LOSSLESS_CODECS[name]
        assert supports_bound(spec.factory().encode)
        assert spec.demo_tracks is not None and set(spec.demo_tracks) == set(DEMO) | variants
    assert not supports_bound(BASELINES["jpegls"].factory().encode)  # the lossless baselines stay lossless-only


def test_the_near_lossless_flag_matches_the_manifests_and_the_images_use_the_classical_template() -> None:
    folders = baseline_image_folders()
    for spec in BASELINES.values():
        assert spec.near_lossless == modes_near_lossless(load_manifest(folders[spec.name]).modes), spec.name
        if spec.kind == "classical":
            assert spec.near_lossless == supports_bound(spec.factory().encode)
    for name in NAMES:
        assert folders[name].parent.name == "classical"
        assert f'"baselines.serve", "{name}"]' in dockerfile(BASELINES[name])


def test_in_process_evaluation_on_near_lossless_tracks() -> None:
    source = first_items("synthetic", 1)
    tracks = select_tracks("keck-nl2,keck-nlsigma")
    records = {r.track: r for r in evaluate_inprocess(get_near_lossless_codec("jpegls-near"), tracks, source)}
    assert set(records) == {"keck-nl2", "keck-nlsigma"}
    for rec in records.values():
        assert rec.status == "ok", rec.failure
        s = rec.summary
        assert s.bound_max is not None and s.err_abs_max is not None and s.err_abs_max <= s.bound_max
    assert records["keck-nl2"].summary.bound_max == 2 and records["keck-nl2"].summary.err_abs_max == 2
    assert (records["keck-nl2"].summary.ratio_mean or 0) > 1.5
    assert evaluate_inprocess(get_codec("jpegls"), tracks, source) == []  # lossless-only: no near-lossless record
