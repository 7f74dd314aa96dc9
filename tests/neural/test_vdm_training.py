"""VDM trained until its validation bound stops improving: early stopping, the sidecar's curve, the records' flag."""

from __future__ import annotations

import json
import math

import pytest
import torch

from baselines.neural.data import CropSampler, load_images, validation_patches
from baselines.neural.vdm import VDM, VDM_CONFIGS
from baselines.neural.vdm_curve import (
    MOVED_THRESHOLD,
    STOP_MAX_STEPS,
    STOP_PLATEAU,
    STOP_TIME_CAP,
    EarlyStopping,
    curve_summary,
    move_note,
)
from baselines.neural.vdm_estimate import training_facts
from baselines.neural.vdm_records import estimate_record, shipped_entries
from baselines.neural.vdm_train import PAPER_TRACKS, checkpoint_path, train_until_plateau, validation_bpp
from evaluator.results.records import BOUND_NOTE_KEY

SPLIT = "synthetic-small-s0:full_test"


def _run(values: list[float], *, tolerance: float = 0.01, patience: int = 3) -> tuple[EarlyStopping, int, list[int]]:
    """Feed ``values`` (one per evaluation, every 10 steps) until the stopper says stop."""
    stopper = EarlyStopping(tolerance=tolerance, patience=patience)
    kept: list[int] = []
    for i, v in enumerate(values):
        if stopper.update(10 * i, 0.1 * i, v):
            kept.append(10 * i)
        if stopper.should_stop:
            return stopper, i, kept
    return stopper, len(values) - 1, kept


def test_early_stopping_stops_after_patience_and_keeps_the_best():
    # falls, then creeps down by less than the 1 % tolerance, then rises: stops 3 evaluations after the last real gain
    curve = [10.0, 9.0, 8.0, 7.99, 7.985, 8.3, 6.0, 5.0]
    stopper, stopped_at, kept = _run(curve)
    assert stopped_at == 5 and stopper.should_stop
    assert stopper.best == 7.985 and stopper.best_step == 40  # a sub-tolerance gain is still the best weights
    assert kept == [0, 10, 20, 30, 40]
    assert [p["val_bpp"] for p in stopper.curve] == curve[:6] and stopper.initial == 10.0
    summary = curve_summary(stopper, stopped=STOP_PLATEAU, minutes=0.5)
    assert summary["val_bpp_initial"] == 10.0 and summary["val_bpp_best"] == 7.985
    assert summary["moved"] == pytest.approx(0.2015) and summary["bound_moved"] is True
    assert summary["stopped"] == STOP_PLATEAU and len(summary["curve"]) == 6


def test_early_stopping_keeps_going_while_it_improves_and_flags_a_flat_bound():
    stopper, stopped_at, _ = _run([5.0 * 0.98 ** i for i in range(30)])
    assert not stopper.should_stop and stopped_at == 29  # every evaluation gains 2 % > tolerance: never stops
    flat, at, kept = _run([4.0, 3.99, 3.988, 4.01, 3.99], tolerance=0.001, patience=2)
    assert at == 3 and kept == [0, 10, 20]
    s = curve_summary(flat, stopped=STOP_PLATEAU, minutes=1.0)
    assert s["moved"] == pytest.approx(0.003) and s["bound_moved"] is False
    assert "untrained preconditioner" in (move_note(s["moved"], s["bound_moved"]) or "")
    assert move_note(0.05, True) is None and move_note(None, None) is None


def test_early_stopping_refuses_nonsense():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="diverged"):
        EarlyStopping().update(0, 0.0, math.nan)


def test_train_until_plateau_keeps_the_best_weights_and_reports_the_curve():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = load_images("synthetic", ["sdss-2d"], frames=1, residual_input=False)
    model = VDM(VDM_CONFIGS["tiny"], 1)
    val = validation_patches(data.val, "direct", limit=8)
    run = train_until_plateau(model, CropSampler(data.train, "direct", 0), val, max_minutes=2.0, lr=3e-3, batch=8,
                              eval_every=2, patience=50, max_steps=6)
    assert run["steps"] == 6 and run["stopped"] == STOP_MAX_STEPS
    assert [p["step"] for p in run["curve"]] == [0, 2, 4, 6]
    assert run["val_bpp_initial"] == run["curve"][0]["val_bpp"]
    assert run["val_bpp_best"] == min(p["val_bpp"] for p in run["curve"])
    # the model holds the best weights: its validation bound is the best point of the curve
    assert validation_bpp(model, val, 0) == pytest.approx(run["val_bpp_best"], abs=1e-4)


def test_every_shipped_vdm_checkpoint_records_its_training_curve():
    for track in PAPER_TRACKS:
        meta = json.loads(checkpoint_path(track).with_suffix(".json").read_text())
        curve = meta["curve"]
        assert curve and curve[0]["step"] == 0 and curve[0]["val_bpp"] == meta["val_bpp_initial"], track
        assert [p["step"] for p in curve] == sorted(p["step"] for p in curve)
        assert meta["val_bpp_best"] == min(p["val_bpp"] for p in curve) <= meta["val_bpp_initial"]
        assert meta["val_bpp"] == meta["val_bpp_best"]  # the kept weights are the best ones
        moved = (meta["val_bpp_initial"] - meta["val_bpp_best"]) / meta["val_bpp_initial"]
        assert meta["moved"] == pytest.approx(moved, abs=1e-5)
        assert meta["bound_moved"] == (meta["moved"] > MOVED_THRESHOLD), track
        assert meta["stopped"] in (STOP_PLATEAU, STOP_TIME_CAP) and meta["total_minutes"] > 0
        assert meta["steps"] >= curve[-1]["step"] > 0


def test_shipped_estimates_and_their_records_say_whether_the_bound_moved():
    entries = {e["track"]: e for e in shipped_entries()}
    assert set(entries) == set(PAPER_TRACKS)
    for track, entry in entries.items():
        meta = json.loads(checkpoint_path(track).with_suffix(".json").read_text())
        info = entry["info"]
        assert info["weights_sha256"] == meta["sha256"], f"{track}: re-run scripts/vdm_estimates.py --ship"
        facts = training_facts(meta)
        assert {k: info[k] for k in facts} == facts, track
        assert info["bound_moved"] is meta["bound_moved"] and info["moved"] == meta["moved"]
        assert info["curve"] == meta["curve"] and info["total_minutes"] == meta["total_minutes"]
        rec, _ = estimate_record(entry)
        assert rec.manifest["bound_moved"] is meta["bound_moved"]
        assert rec.codec_info["bound_moved"] is meta["bound_moved"]
        assert rec.manifest["bound_moved_relative"] == meta["moved"]
        assert (BOUND_NOTE_KEY in rec.manifest) is (not meta["bound_moved"]), track


def test_a_flat_bound_is_noted_on_the_record_and_a_moved_one_is_not():
    items = [{"item_id": "x", "shape": [32, 32], "npix": 1024, "bpp": 4.0, "stderr": 0.01, "samples": [4.0],
              "seconds": 1.0}]
    base = {"track": "hubble", "split": SPLIT, "synthetic": True, "created_at": "2026-12-01T00:00:00+00:00",
            "items": items}
    flat, _ = estimate_record({**base, "info": {"samples": 1, "moved": 0.011, "bound_moved": False}})
    moved, _ = estimate_record({**base, "info": {"samples": 1, "moved": 0.08, "bound_moved": True}})
    assert "1.10 %" in flat.manifest[BOUND_NOTE_KEY] and flat.codec_info["bound_moved"] is False
    assert BOUND_NOTE_KEY not in moved.manifest and moved.manifest["bound_moved"] is True
