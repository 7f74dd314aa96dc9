"""Real-val bits per pixel (issue 24, item 6): every shipped non-VDM sidecar names its synthetic and its real
(packaged) validation figures, the measurement is training's own, and the codec's ready line carries it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines.classical.codecs import get_codec
from baselines.classical.reference_bytes import reference_bytes
from baselines.neural.checkpoints import CHECKPOINT_DIR, build_model, named_config
from baselines.neural.data import validation_patches
from baselines.neural.multi import MultiTrackCodec
from baselines.neural.real_val import RealFrame, RealFrames, real_frames_or_reason, real_val_block
from baselines.neural.real_val_sidecar import INFO_KEY, REAL, SYNTHETIC, VALIDATION_KEY, ready_info, worse_than_rice
from baselines.neural.train import evaluate
from evaluator.data.packaged_frames import FRAMES, SET_VERSION

SIDECARS = sorted(p for m in ("idf", "l3c", "pixelcnn") for p in CHECKPOINT_DIR.glob(f"{m}-*.json"))


def test_there_are_shipped_sidecars() -> None:
    assert len(SIDECARS) >= 20 and not any(p.name.startswith("vdm-") for p in SIDECARS)


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda p: p.stem)
def test_every_shipped_sidecar_has_both_validation_figures(sidecar: Path) -> None:
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    block = meta[VALIDATION_KEY]
    assert block[SYNTHETIC]["bpp"] == meta["val_bpp"] and block[SYNTHETIC]["data"] == meta["data"]
    real = block[REAL]
    layout_2d = meta["frames"] == 1 and not meta["residual_input"]
    if not layout_2d:
        assert real["bpp"] is None and real["reason"].startswith("not applicable"), real
        return
    assert real["set"] == f"real-packaged-v{SET_VERSION}:full_test" and real["set_version"] == SET_VERSION
    assert real["frames"] == [f.name for f in FRAMES] and set(real["per_frame"]) == set(real["frames"])
    assert 0 < real["bpp"] < 32 and 0 < real["rice_bpp"] < 16 and 0 < real["jpegxl_max_bpp"] < real["rice_bpp"]
    assert real["worse_than_rice"] == (real["bpp"] > real["rice_bpp"]) == worse_than_rice(real)
    assert real["frames_worse_than_rice"] == sum(v["bpp"] > v["rice_bpp"] for v in real["per_frame"].values())
    # the .pt keeps its weights: the sidecar still names them (load_checkpoint checks the .pt's own hash)
    blob = torch.load(sidecar.with_suffix(".pt"), map_location="cpu", weights_only=True)
    assert blob["meta"]["sha256"] == meta["sha256"]


def _fixture_frames() -> RealFrames:
    rng = np.random.default_rng(3)
    sky = (1000 + rng.poisson(40.0, size=(40, 70))).astype(np.uint16)
    sky[10:14, 20:24] += 3000  # a star
    flat = (500 + rng.poisson(5.0, size=(32, 32))).astype(np.uint16)
    frames = tuple(RealFrame(name, x[None], reference_bytes(x, name)) for name, x in (("sky", sky), ("flat", flat)))
    return RealFrames("real-packaged-v1:full_test", "real-packaged-v1-fixture", frames)


def test_real_val_block_is_trainings_evaluate_on_every_patch_of_each_frame() -> None:
    torch.manual_seed(0)
    model = build_model("idf", named_config("idf", "tiny"), 1)
    frames = _fixture_frames()
    meta = {"frames": 1, "residual_input": False, "variant": "direct"}
    block = real_val_block(model, meta, frames)
    device = torch.device("cpu")
    per = {}
    for f in frames.frames:
        patches = validation_patches([f.image], "direct", limit=1 << 40)
        per[f.name] = (evaluate(model, patches, "direct", device), patches.shape[0] * 32 * 32)
    assert per["sky"][1] == 2 * 3 * 1024 and per["flat"][1] == 1024  # reflect padded to whole patches
    pooled = sum(b * n for b, n in per.values()) / sum(n for _, n in per.values())
    assert block["bpp"] == round(pooled, 4) and block["patch_pixels"] == 7 * 1024
    assert block["per_frame"]["sky"]["bpp"] == round(per["sky"][0], 4)
    rice = get_codec("rice")
    rice_bits = sum(8 * len(rice.encode(f.image[0])) for f in frames.frames)
    assert block["rice_bpp"] == round(rice_bits / (40 * 70 + 32 * 32), 4)
    assert block["worse_than_rice"] == (block["bpp"] > block["rice_bpp"])
    assert block["mean_ratio"]["rice"] == pytest.approx(
        np.mean([16 / (8 * len(rice.encode(f.image[0])) / f.pixels) for f in frames.frames]), abs=1e-3)
    assert block["frames"] == ["sky", "flat"] and block["set"] == "real-packaged-v1:full_test"
    # msb-lsb: the same function, on the variant's channels
    msb = real_val_block(build_model("idf", named_config("idf", "tiny"), 2), {**meta, "variant": "msb-lsb"}, frames)
    assert msb["patch_pixels"] == 7 * 1024 and np.isfinite(msb["bpp"])


def test_layouts_that_cannot_take_a_2d_frame_and_missing_frames_say_why(tmp_path: Path) -> None:
    model = build_model("idf", named_config("idf", "tiny"), 1)
    frames = _fixture_frames()
    cube = real_val_block(model, {"frames": 3, "residual_input": False, "variant": "direct"}, frames)
    assert cube["bpp"] is None and "3 frames as channels" in cube["reason"] and cube["set"] == frames.label
    res = real_val_block(model, {"frames": 1, "residual_input": True, "variant": "direct"}, frames)
    assert res["bpp"] is None and "frame differences" in res["reason"]
    missing = real_frames_or_reason(tmp_path / "nothing-fetched")
    assert isinstance(missing, str) and "challenge data fetch-packaged" in missing
    block = real_val_block(model, {"frames": 1, "residual_input": False, "variant": "direct"}, missing)
    assert block == {"bpp": None, "reason": missing}


def test_ready_line_info_carries_the_checkpoints_real_val_figures() -> None:
    tc = MultiTrackCodec("pixelcnn").for_track("keck")
    sidecar = json.loads((CHECKPOINT_DIR / tc.info["checkpoint"]).with_suffix(".json").read_text())
    real = sidecar[VALIDATION_KEY][REAL]
    assert tc.info[INFO_KEY] == {k: real[k] for k in ("set", "bpp", "rice_bpp", "jpegxl_max_bpp")}
    assert json.loads(json.dumps(tc.info)) == tc.info  # it travels in the ready line


def test_ready_info_of_a_sidecar_without_the_block_is_empty(tmp_path: Path) -> None:
    old = tmp_path / "idf-old.json"
    old.write_text(json.dumps({"val_bpp": 4.2}))
    assert ready_info(old) == {} and ready_info(tmp_path / "absent.json") == {}
    old.write_text("{not json")
    assert ready_info(old) == {}
