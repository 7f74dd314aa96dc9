"""Train the VDM likelihood model of a paper track and write its checkpoint.

    python -m baselines.neural.vdm_train --track hubble --data synthetic --max-minutes 6

Writes ``checkpoints/vdm-<dataset>.pt`` and its ``.json`` (the format of
`baselines.neural.checkpoints`: metadata plus the weights' sha256). Adam (lr 5e-4, the
shipped checkpoints'; the paper's 2e-4 is for 64x64 patches on GPUs and moved the bound
too slowly in CPU minutes), batch 16 (one CPU core), gradients clipped at 5, on the 32x32
crops of the other neural baselines. The loss is the bound itself (bits per pixel, side
information excluded: it does not depend on the weights), one diffusion time per patch
from VDM's low-discrepancy sampler.

Training runs until the validation bound stops improving: every ``--eval-every`` steps
the bound of the fixed validation patches (fixed seed, so the same time samples and
noise every time, 2 samples) is measured; the run stops once it has not improved by more
than ``--tolerance`` (relative) for ``--patience`` evaluations (the learning rate halving
after every ``LR_PATIENCE`` of them), or at ``--max-minutes``
(wall clock, validation included), whichever comes first, and keeps the best weights
(`baselines.neural.vdm_curve`). The first evaluation is the untrained model's (the
Gaussian-noise model the preconditioning starts from). The sidecar records the curve
(step, minutes, val_bpp), the initial and best bounds, the relative move, ``bound_moved``
(> 2 %) and why the run stopped (``plateau``, or ``time cap``: then it may still have been
improving).

One checkpoint per paper track, its name and layout from the track's fields
(`baselines.neural.track_plan`, VDM taking frames as channels): single-frame tracks are
2D models; the 3D paper tracks take their three frames as channels (one model each:
spectral and temporal neighbours are different kinds of data); a residual track
(``jwst-2d-res``) models the residual frames shifted by 2^15 (`common.item_images`).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from baselines.neural import common
from baselines.neural.checkpoints import (
    CHECKPOINT_DIR,
    CheckpointError,
    save_checkpoint,
    weights_sha256,
)
from baselines.neural.data import (
    CropSampler,
    load_images,
    make_batch,
    validation_patches,
)
from baselines.neural.models import frames_as_channels
from baselines.neural.track_plan import CheckpointPlan, NoCheckpoint, checkpoint_plan
from baselines.neural.vdm import VDM, VDM_CONFIGS, VDMConfig, stratified_times
from baselines.neural.vdm_curve import STOP_MAX_STEPS, STOP_PLATEAU, STOP_TIME_CAP, EarlyStopping, curve_summary
from evaluator.core.tracks import PAPER_TRACKS

log = logging.getLogger("baselines.neural.vdm_train")

VAL_PATCHES = 256
VAL_SAMPLES = 2
LR_PATIENCE = 3  # evaluations without a gain before the learning rate halves


def vdm_plan(track: str) -> CheckpointPlan:
    """The VDM checkpoint of ``track``: a bound is of the track its model was trained on (paper tracks only)."""
    try:
        plan = checkpoint_plan("vdm", frames_as_channels("vdm"), track)
    except NoCheckpoint as e:
        raise CheckpointError(str(e)) from e
    if track not in plan.tracks:
        raise CheckpointError(f"no VDM checkpoint serves track {track!r}: VDM has one per paper track "
                              f"({', '.join(PAPER_TRACKS)})")
    return plan


def checkpoint_path(track: str, folder: Path | None = None) -> Path:
    return (folder or CHECKPOINT_DIR) / vdm_plan(track).filename


def load_vdm(path: Path) -> tuple[VDM, dict[str, Any]]:
    """The model (eval mode) and its metadata, the weights' hash checked."""
    if not path.is_file():
        raise CheckpointError(f"no VDM checkpoint at {path}: train one with python -m baselines.neural.vdm_train")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    meta, state = blob["meta"], blob["state_dict"]
    if weights_sha256(state) != meta.get("sha256"):
        raise CheckpointError(f"checkpoint {path}: weights hash does not match the recorded one")
    model = VDM(VDMConfig(**meta["config"]), int(meta["in_channels"]))
    model.load_state_dict(state)
    model.eval()
    return model, meta


def patch_bound_bits(model: VDM, patches: np.ndarray, t: torch.Tensor, generator: torch.Generator,
                     chunk: int = 128) -> tuple[float, int, int]:
    """(bound bits without side information, side-information bits, 16-bit pixels) of integer patches."""
    bits, side, pixels = 0.0, 0, 0
    for start in range(0, patches.shape[0], chunk):
        b = make_batch(patches[start : start + chunk], "direct")
        terms = model.bound_bits(b.u, b.s, b.low, b.high, t[start : start + chunk], generator)
        bits += float(terms.total.sum())
        side += b.side_bits
        pixels += b.pixels
    return bits, side, pixels


def validation_bpp(model: VDM, patches: np.ndarray, seed: int = 0, samples: int = VAL_SAMPLES) -> float:
    """Validation bound in bits per 16-bit pixel, side information included (fixed seed)."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    total = 0.0
    with torch.no_grad():
        for _ in range(samples):
            bits, side, pixels = patch_bound_bits(model, patches, stratified_times(patches.shape[0], g), g)
            total += (bits + side) / pixels
    model.train()
    return total / samples


def train(model: VDM, sampler: CropSampler, seconds: float, *, lr: float, batch: int,
          seed: int = 0, max_steps: int | None = None, eval_every: int = 0,
          evaluate: Callable[[int], bool] | None = None,
          optimizer: torch.optim.Optimizer | None = None) -> tuple[int, float]:
    """Adam on the bound for ``seconds`` (or ``max_steps``); returns (steps, seconds spent in steps).

    With ``evaluate``, it is called every ``eval_every`` steps with the step count and stops
    the run when it returns True (early stopping). ``optimizer`` (default: Adam at ``lr``)
    lets the caller change its learning rate between evaluations.
    """
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    model.train()
    steps, spent, end = 0, 0.0, time.monotonic() + seconds
    while time.monotonic() < end and (max_steps is None or steps < max_steps):
        t0 = time.monotonic()
        b = sampler.sample(batch)
        terms = model.bound_bits(b.u, b.s, b.low, b.high, stratified_times(batch, g), g)
        loss = terms.total.sum() / b.pixels
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        steps += 1
        spent += time.monotonic() - t0
        if steps % 25 == 0:
            log.info("vdm step %d loss %.4f bpp (%.0f s)", steps, float(loss.detach()), spent)
        if evaluate is not None and eval_every > 0 and steps % eval_every == 0 and evaluate(steps):
            break
    return steps, spent


def train_until_plateau(model: VDM, sampler: CropSampler, val: np.ndarray, *, max_minutes: float, lr: float,
                        batch: int, seed: int = 0, eval_every: int = 40, patience: int = 8,
                        tolerance: float = 0.001, max_steps: int | None = None) -> dict[str, Any]:
    """Train with early stopping on the validation bound; load the best weights; returns the curve's fields.

    The learning rate halves after ``LR_PATIENCE`` evaluations without a gain above the
    tolerance (constant-rate Adam oscillates around the bound's plateau by ~0.5 %, the
    size of the gains left to find); early stopping waits ``patience`` evaluations.
    """
    start = time.monotonic()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=LR_PATIENCE - 1,
                                                         threshold=tolerance, threshold_mode="rel")
    stopper = EarlyStopping(tolerance=tolerance, patience=patience)
    initial = validation_bpp(model, val, seed)
    plateau.step(initial)
    stopper.update(0, 0.0, initial)
    best = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def evaluate(step: int) -> bool:
        v = validation_bpp(model, val, seed)
        plateau.step(v)
        if stopper.update(step, (time.monotonic() - start) / 60.0, v):
            best.update({k: t.detach().clone() for k, t in model.state_dict().items()})
        log.info("vdm step %d: val %.4f bpp (best %.4f at %d, %d evals without a %.2g gain, lr %.2g)", step, v,
                 stopper.best, stopper.best_step, stopper.since, tolerance, opt.param_groups[0]["lr"])
        return stopper.should_stop

    left = max_minutes * 60.0 - (time.monotonic() - start)
    steps, spent = train(model, sampler, left, lr=lr, batch=batch, seed=seed, max_steps=max_steps,
                         eval_every=eval_every, evaluate=evaluate, optimizer=opt)
    # why it stopped is decided before the last weights' evaluation: a patience completed only by that
    # extra evaluation (a few steps after the previous one) is the time cap's doing, not a plateau
    stopped = STOP_PLATEAU if stopper.should_stop else (
        STOP_MAX_STEPS if max_steps is not None and steps >= max_steps else STOP_TIME_CAP)
    if steps % eval_every and stopper.curve[-1]["step"] != steps:
        evaluate(steps)  # the last weights are evaluated too
    model.load_state_dict(best)
    out = curve_summary(stopper, stopped=stopped, minutes=(time.monotonic() - start) / 60.0)
    out.update({"steps": steps, "train_minutes": round(spent / 60.0, 2), "lr_final": opt.param_groups[0]["lr"]})
    return out


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--track", required=True, choices=PAPER_TRACKS)
    ap.add_argument("--data", default="synthetic", help="synthetic | a corpus folder | hub@REV (training split)")
    ap.add_argument("--max-minutes", "--minutes", dest="max_minutes", type=float, default=6.0,
                    help="wall-clock cap, validation included (default 6)")
    ap.add_argument("--eval-every", type=int, default=40, help="steps between validation bounds (default 40)")
    ap.add_argument("--patience", type=int, default=8, help="evaluations without a gain before stopping (8)")
    ap.add_argument("--tolerance", type=float, default=0.001, help="relative gain that counts (default 0.001)")
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--config", default="small", choices=tuple(VDM_CONFIGS))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None,
                    help=f"checkpoint path (default {CHECKPOINT_DIR}/vdm-<dataset>.pt)")
    a = ap.parse_args(argv)
    if a.eval_every < 1:
        ap.error(f"--eval-every must be >= 1 step, got {a.eval_every}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    plan = vdm_plan(a.track)
    dataset, frames, residual = plan.name, plan.frames, plan.residual_input
    data = load_images(a.data, [a.track], frames=frames, residual_input=residual, seed=a.seed)
    config = VDM_CONFIGS[a.config]
    model = VDM(config, frames)
    sampler = CropSampler(data.train, "direct", a.seed)
    val = validation_patches(data.val, "direct", limit=VAL_PATCHES, seed=a.seed)
    run = train_until_plateau(model, sampler, val, max_minutes=a.max_minutes, lr=a.lr, batch=a.batch, seed=a.seed,
                              eval_every=a.eval_every, patience=a.patience, tolerance=a.tolerance,
                              max_steps=a.max_steps)
    meta = {
        "model": "vdm", "config_name": a.config, "config": config.to_dict(), "in_channels": frames,
        "frames": frames, "residual_input": residual, "dataset": dataset, "tracks": [a.track],
        "data": data.label, "revision": data.revision, "items": data.items, **run,
        "minutes": run["total_minutes"], "hparams": {"optimizer": "adam", "lr": a.lr, "batch": a.batch,
                                                     "eval_every": a.eval_every,
                                                     "lr_schedule": f"halve after {LR_PATIENCE} evals without gain"},
        "val_bpp": run["val_bpp_best"], "val_bpp_final": run["curve"][-1]["val_bpp"],
        "kept": "initial" if run["best_step"] == 0 else "best", "val_patches": int(val.shape[0]),
        "val_samples": VAL_SAMPLES, "device": "cpu", "params": common.count_params(model), "seed": a.seed,
    }
    path = a.out or CHECKPOINT_DIR / plan.filename
    meta = save_checkpoint(path, model, meta)
    log.info("wrote %s: %d steps in %.1f min (%s), val %.4f bpp (initial %.4f, moved %.2f %%)", path,
             run["steps"], run["total_minutes"], run["stopped"], meta["val_bpp"], run["val_bpp_initial"],
             100 * run["moved"])
    return path


if __name__ == "__main__":
    main()
