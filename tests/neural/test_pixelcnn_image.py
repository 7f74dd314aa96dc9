"""PixelCNN++ as a codec image: sandboxed on every paper track and on a full-size 800x800 frame, portable."""

from __future__ import annotations

import pytest

from baselines.baseline_images import ensure_baseline_images
from baselines.registry import BASELINES
from evaluator.core.tracks import select_tracks
from evaluator.data.items import Item
from evaluator.data.synthetic_calibration import track_items
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, ItemsSource, evaluate_image, first_items
from evaluator.sandbox.profiles import PROFILES

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PAPER_TRACKS = "lco,keck,hubble,jwst-2d,jwst-2d-res,sdss-2d,sdss-3d-lambda,sdss-3d-time"


@pytest.fixture(scope="module")
def image() -> str:
    return ensure_baseline_images(["pixelcnn"])["pixelcnn"].tag


def _evaluate(tag: str, tracks: str, source, store: ResultStore):  # type: ignore[no-untyped-def]
    spec = BASELINES["pixelcnn"]
    return evaluate_image(ImageRun(tag, select_tracks(tracks), source, "cpu-1", store, submission=spec.submission,
                                   codec_name=spec.title, neural=True, measure_image_size=False))


def test_every_paper_track_round_trips_in_the_sandbox_and_decodes_portably(image: str, tmp_path) -> None:
    records = _evaluate(image, PAPER_TRACKS, first_items("synthetic", 1), ResultStore(str(tmp_path / "r")))
    assert sorted(r.track for r in records) == sorted(PAPER_TRACKS.split(","))
    for rec in records:
        assert rec.status == "ok", (rec.track, rec.failure)
        assert rec.summary.ratio_mean > 1.0 and rec.codec_info["model"] == "pixelcnn"
        assert rec.portable is not None and rec.portable.ok, (rec.track, rec.portable)


def test_a_full_size_frame_decodes_within_the_cpu1_limit(image: str, tmp_path) -> None:
    frame = track_items("sdss-2d", size="full", n_test=1)[0].data
    assert frame.shape == (800, 800)
    source = ItemsSource({"sdss-2d": [Item("sdss-2d-full-0", frame)]}, label="synthetic-full-sdss-2d")
    (rec,) = _evaluate(image, "sdss-2d", source, ResultStore(str(tmp_path / "r")))
    assert rec.status == "ok", rec.failure  # a timeout (10 s + 60 s per megapixel: 48 s) would fail it
    limit = PROFILES["cpu-1"].request_timeout(frame.size)
    assert limit == pytest.approx(48.4)
    enc, dec = rec.summary.encode_s_median, rec.summary.decode_s_median
    print(f"800x800 sdss-2d: ratio {rec.summary.ratio_mean:.3f}, encode {enc:.1f} s, decode {dec:.1f} s "
          f"(limit {limit:.0f} s)")
    assert dec is not None and dec < limit and rec.portable is not None and rec.portable.ok
