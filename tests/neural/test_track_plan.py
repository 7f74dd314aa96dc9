"""Which checkpoint serves a track follows from the track table's fields (no list of track names).

Pure data (the checkpoints' ``.json`` sidecars, the track table): no torch needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from baselines.model_names import OUR_MODELS
from baselines.neural import track_plan
from baselines.neural.track_plan import CheckpointPlan, NoCheckpoint, checkpoint_plan, plans, serving_json
from baselines.registry import BASELINES
from evaluator.core import tracks as track_table
from evaluator.core.tracks import HUBBLE, SDSS, TRACKS, Track

CHECKPOINTS = Path(track_plan.__file__).resolve().parent / "checkpoints"
MODELS = ("idf", "l3c", "pixelcnn", "vdm")


def _plans(model: str) -> dict[str, CheckpointPlan | str]:
    return plans(model, OUR_MODELS[model].frames_as_channels)


@pytest.mark.parametrize("model", MODELS)
def test_every_served_track_has_a_committed_checkpoint_of_its_layout(model: str) -> None:
    served = {t: p for t, p in _plans(model).items() if isinstance(p, CheckpointPlan)}
    assert set(served) >= set(track_table.PAPER_TRACKS)
    for track, plan in served.items():
        sidecar = CHECKPOINTS / plan.filename.replace(".pt", ".json")
        assert sidecar.is_file(), f"{model} {track}: no {sidecar.name}"
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        assert (meta["dataset"], meta["frames"], meta["residual_input"], tuple(meta["tracks"])) == \
            (plan.name, plan.frames, plan.residual_input, plan.tracks), f"{model} {track}"


def test_the_shipped_checkpoints_serve_the_tracks_they_always_served() -> None:
    """The files on disk keep their names: IDF codes every SDSS track with one model, L3C and PixelCNN++ take a
    3D paper track's frames as channels and code the beyond-the-paper tracks frame by frame."""
    want = {
        ("idf", "sdss-2d"): "idf-sdss.pt", ("idf", "sdss-3d-time"): "idf-sdss.pt", ("idf", "sdss-4d"): "idf-sdss.pt",
        ("idf", "jwst-3d"): "idf-jwst-2d.pt", ("idf", "jwst-2d-res"): "idf-jwst-2d-res.pt",
        ("l3c", "sdss-3d-lambda"): "l3c-sdss-3d-lambda.pt", ("l3c", "sdss-4d"): "l3c-sdss-2d.pt",
        ("l3c", "jwst-3d"): "l3c-jwst-2d.pt", ("pixelcnn", "sdss-3d-time"): "pixelcnn-sdss-3d-time.pt",
        ("pixelcnn", "lco"): "pixelcnn-lco.pt", ("vdm", "sdss-3d-time"): "vdm-sdss-3d-time.pt",
    }
    got = {(m, t): checkpoint_plan(m, OUR_MODELS[m].frames_as_channels, t).filename for m, t in want}
    assert got == want


def test_a_new_track_on_an_existing_dataset_picks_its_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    crop = Track("hubble-crop", HUBBLE, 2, "Hubble crop", "a crop", False, False)
    cube = Track("sdss-3d-bands", SDSS, 3, "SDSS bands", "three bands", False, True)
    for t in (crop, cube):
        monkeypatch.setitem(track_table.TRACKS, t.name, t)
        monkeypatch.setitem(track_table.ALL_TRACKS, t.name, t)
    assert checkpoint_plan("idf", False, "hubble-crop").filename == "idf-hubble.pt"
    assert checkpoint_plan("l3c", True, "hubble-crop").filename == "l3c-hubble.pt"
    assert checkpoint_plan("idf", False, "sdss-3d-bands").filename == "idf-sdss.pt"
    assert checkpoint_plan("pixelcnn", True, "sdss-3d-bands").filename == "pixelcnn-sdss-2d.pt"  # frame by frame
    assert all(BASELINES[m].skip_reason(t.name) is None for m in ("idf", "l3c", "pixelcnn") for t in (crop, cube))


def test_a_track_no_checkpoint_serves_is_skipped_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    from baselines.evaluation import evaluate_baselines  # noqa: PLC0415

    alien = Track("alien", "OTHER-16-2D", 2, "Alien", "the frame", False, False)
    monkeypatch.setitem(track_table.TRACKS, alien.name, alien)
    monkeypatch.setitem(track_table.ALL_TRACKS, alien.name, alien)
    with pytest.raises(NoCheckpoint, match="no paper track of dataset OTHER-16-2D"):
        checkpoint_plan("idf", False, "alien")
    reason = BASELINES["idf"].skip_reason("alien")
    assert reason is not None and "OTHER-16-2D" in reason
    assert BASELINES["rice"].skip_reason("alien") is None  # a classical codec codes any track
    told: list[str] = []
    records = evaluate_baselines(["idf"], [alien], "synthetic", "memory://skip", inprocess=True,
                                 progress_for=lambda name: told.append)
    assert records == [] and told == [f"skipping track alien: {reason}"]


def test_near_lossless_variants_and_unknown_tracks_are_refused_with_a_reason() -> None:
    with pytest.raises(NoCheckpoint, match="lossless baseline"):
        checkpoint_plan("l3c", True, "hubble-nl2")
    with pytest.raises(NoCheckpoint, match="unknown track 'nope'"):
        checkpoint_plan("l3c", True, "nope")


def test_an_image_without_the_track_table_reads_the_staged_serving_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A baseline image carries the SDK, not `evaluator.core.tracks`: the plans come from ``serving.json``."""
    path = tmp_path / "serving.json"
    path.write_text(serving_json({"l3c": True, "idf": False}))
    expected = {m: _plans(m) for m in ("l3c", "idf")}
    monkeypatch.setattr(track_plan, "SERVING_FILE", path)
    monkeypatch.setitem(sys.modules, "evaluator.core.tracks", None)  # import evaluator.core.tracks -> ImportError
    assert {m: plans(m, OUR_MODELS[m].frames_as_channels) for m in ("l3c", "idf")} == expected
    assert checkpoint_plan("l3c", True, "sdss-4d").filename == "l3c-sdss-2d.pt"
    assert set(TRACKS) <= set(expected["l3c"])
