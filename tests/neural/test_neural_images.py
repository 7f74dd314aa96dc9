"""IDF and L3C as real codec images: sandboxed, bit-exact, portable, and naming their checkpoint."""

from __future__ import annotations

import json

import pytest

from baselines.baseline_images import ensure_baseline_images
from baselines.registry import BASELINES
from evaluator.core.tracks import select_tracks
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, evaluate_image, first_items

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.every_portable_env]


@pytest.fixture(scope="module")
def neural_images() -> dict:
    return ensure_baseline_images(["idf", "l3c"])


@pytest.mark.parametrize("model", ["idf", "l3c"])
def test_neural_image_round_trips_in_the_sandbox_and_is_portable(neural_images, model: str, tmp_path) -> None:
    spec = BASELINES[model]
    store = ResultStore(str(tmp_path / "results"))
    tracks = select_tracks("keck,sdss-3d-lambda")
    records = evaluate_image(ImageRun(neural_images[model].tag, tracks, first_items("synthetic", 1), "cpu-1", store,
                                      submission=spec.submission, codec_name=spec.title, neural=True,
                                      measure_image_size=False))
    for rec in records:
        assert rec.status == "ok", (rec.track, rec.failure)
        assert rec.neural and rec.summary.ratio_mean > 1.0
        assert rec.portable is not None and rec.portable.ok, rec.portable
        sidecar = json.loads((spec_checkpoint(model, rec.track)).read_text())
        assert rec.codec_info["sha256"] == sidecar["sha256"] and rec.codec_info["params"] == sidecar["params"]


def spec_checkpoint(model: str, track: str):
    from baselines.neural.checkpoints import checkpoint_path  # noqa: PLC0415  (torch: neural tests only)

    return checkpoint_path(model, track).with_suffix(".json")
