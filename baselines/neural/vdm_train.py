"""Train the VDM likelihood model of a paper track and write its checkpoint.

    python -m baselines.neural.vdm_train --track hubble --data synthetic --minutes 3

Writes ``checkpoints/vdm-<dataset>.pt`` and its ``.json`` (the format of
`baselines.neural.checkpoints`: metadata plus the weights' sha256). Adam, lr 2e-4 as
in the paper (Supplement C.2; it trains on 64x64 patches, we on the 32x32 crops of the
other neural baselines), batch 16 by default (one CPU core), gradients clipped at 5.
The loss is the bound itself (bits per pixel, side information excluded: it does not
depend on the weights), one diffusion time per patch from VDM's low-discrepancy sampler.
At the end the validation bound (fixed seed, 2 time samples) of the final weights is
compared with that of the initial ones (the Gaussian-noise model the preconditioning
starts from) and the better weights are kept; the metadata says which.

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
from evaluator.core.tracks import PAPER_TRACKS

log = logging.getLogger("baselines.neural.vdm_train")

VAL_PATCHES = 256
VAL_SAMPLES = 2


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
          seed: int = 0, max_steps: int | None = None) -> tuple[int, float]:
    """Adam on the bound for ``seconds`` (or ``max_steps``); returns (steps, seconds spent)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
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
    return steps, spent


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--track", required=True, choices=PAPER_TRACKS)
    ap.add_argument("--data", default="synthetic", help="synthetic | a corpus folder | hub@REV (training split)")
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--config", default="small", choices=tuple(VDM_CONFIGS))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None,
                    help=f"checkpoint path (default {CHECKPOINT_DIR}/vdm-<dataset>.pt)")
    a = ap.parse_args(argv)
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
    initial_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    initial = validation_bpp(model, val, a.seed)
    steps, spent = train(model, sampler, a.minutes * 60.0, lr=a.lr, batch=a.batch, seed=a.seed)
    final = validation_bpp(model, val, a.seed)
    kept = "final"
    if initial < final:
        model.load_state_dict(initial_state)
        kept = "initial"
        log.info("final weights %.4f bpp > initial %.4f bpp: keeping the initial weights", final, initial)
    meta = {
        "model": "vdm", "config_name": a.config, "config": config.to_dict(), "in_channels": frames,
        "frames": frames, "residual_input": residual, "dataset": dataset, "tracks": [a.track],
        "data": data.label, "revision": data.revision, "items": data.items, "steps": steps,
        "minutes": round(spent / 60.0, 2), "hparams": {"optimizer": "adam", "lr": a.lr, "batch": a.batch},
        "val_bpp": round(min(initial, final), 4), "val_bpp_initial": round(initial, 4),
        "val_bpp_final": round(final, 4), "kept": kept, "val_patches": int(val.shape[0]),
        "val_samples": VAL_SAMPLES, "device": "cpu", "params": common.count_params(model), "seed": a.seed,
    }
    path = a.out or CHECKPOINT_DIR / plan.filename
    meta = save_checkpoint(path, model, meta)
    log.info("wrote %s: %d steps in %.1f min, val %.4f bpp (initial %.4f, final %.4f, kept %s)", path, steps,
             spent / 60, meta["val_bpp"], initial, final, kept)
    return path


if __name__ == "__main__":
    main()
