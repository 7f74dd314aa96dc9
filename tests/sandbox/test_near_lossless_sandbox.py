"""A near-lossless baseline image in the sandbox: the bound reaches the codec and holds; a lossless one is not asked."""

from __future__ import annotations

import pytest

from baselines.registry import BASELINES
from evaluator.core.tracks import select_tracks
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, evaluate_image, first_items

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]


def test_sandboxed_jpegls_near_holds_the_bound_and_lossless_jpegls_gets_no_near_lossless_record(
        docker_client, test_profile) -> None:
    from baselines.baseline_images import ensure_baseline_images  # noqa: PLC0415

    images = ensure_baseline_images(["jpegls-near", "jpegls"])
    store = ResultStore("memory://near-lossless")
    source = first_items("synthetic", 1)
    tracks = select_tracks("keck-nl2")
    spec = BASELINES["jpegls-near"]
    (rec,) = evaluate_image(ImageRun(images["jpegls-near"].tag, tracks, source, test_profile, store,
                                     submission=spec.submission, codec_name=spec.title, measure_image_size=False))
    assert rec.status == "ok", rec.failure
    assert rec.summary.bound_max == 2 and rec.summary.err_abs_max is not None and rec.summary.err_abs_max <= 2
    assert (rec.summary.ratio_mean or 0) > 1.5

    lossless = evaluate_image(ImageRun(images["jpegls"].tag, tracks, source, test_profile, store,
                                       submission=BASELINES["jpegls"].submission, measure_image_size=False))
    assert lossless == []  # a lossless-only image (its modes label) is never offered a near-lossless track
