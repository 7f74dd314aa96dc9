"""Train a neural baseline (any row of `baselines.neural.models.MODELS`) and write its checkpoint.

    python -m baselines.neural.train --model idf --track hubble --data synthetic --minutes 5

Defaults are the paper's hyper-parameters (Supplement C), each model's ``SPEC.hparams``: IDF
Adamax lr 1e-3, batch 256, lr x0.999 per epoch; L3C RMSprop lr 1e-4, batch 256. On one CPU core for a few
minutes a batch of 256 buys only ~100 steps, so the committed checkpoints were trained
with ``--batch 64`` (and L3C with ``--lr 2e-4``: at 1e-4 RMSprop barely moves off its
initialisation in a few hundred steps); the checkpoint's metadata records what was used.
``--variant auto`` trains ``direct`` and ``msb-lsb`` for a quarter of the budget each,
keeps the one with the lower validation bits/pixel and spends the rest on it.
The checkpoint's name, input layout and training tracks follow from ``--track``'s fields
(`baselines.neural.track_plan`). A GPU is used when present.
``--init CHECKPOINT`` fine-tunes a trained checkpoint (its config, variant and weights) for ``--minutes``;
the sidecar then records both runs (``finetune``: from which weights, steps, minutes, validation before).
Every run trains on the coder's distribution (`baselines.neural.coding_loss`: window, escape entry and tail
code, with gradients), so the validation bits/pixel is the code length the stream pays (``loss: coding``);
checkpoints trained before that on the raw mixture were fine-tuned with ``--init`` (their sidecars say so).
The sidecar's ``validation`` block names both validation figures: ``synthetic`` (the ``val_bpp`` above) and
``real_packaged``, the same measurement on the real (packaged) frames beside RICE and JPEG-XL max
(`baselines.neural.real_val`; ``bpp: null`` with the reason when the frames are not fetched or the layout
cannot take a 2D frame).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from baselines.neural import common
from baselines.neural.checkpoints import (
    CHECKPOINT_DIR,
    build_model,
    load_checkpoint,
    named_config,
    save_checkpoint,
)
from baselines.neural.data import (
    CropSampler,
    TrainingData,
    load_images,
    validation_patches,
)
from baselines.neural.models import MODELS, frames_as_channels
from baselines.neural.real_val_sidecar import with_validation
from baselines.neural.track_plan import CheckpointPlan, checkpoint_plan
from baselines.neural.validation import batch_bits, evaluate

log = logging.getLogger("baselines.neural.train")

LOSS = "coding"
"""What the sidecar's ``loss`` names: the coder's distribution (`baselines.neural.coding_loss`)."""

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adamax": torch.optim.Adamax, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
}


def training_plan(model: str, track: str) -> CheckpointPlan:
    """The checkpoint serving ``track``: its name, input layout and the tracks whose training items feed it."""
    return checkpoint_plan(model, frames_as_channels(model), track)


class Run:
    """One model being trained on one variant."""

    def __init__(self, kind: str, config: dict[str, int], variant: str, frames: int, data: TrainingData,
                 hp: dict[str, Any], device: torch.device, seed: int) -> None:
        torch.manual_seed(seed)
        self.kind, self.variant, self.hp, self.device = kind, variant, hp, device
        self.model = build_model(kind, config, frames * common.variant_channels(variant)).to(device)
        self.model.train()
        params = self.model.parameters()
        self.opt: torch.optim.Optimizer = OPTIMIZERS[hp["optimizer"]](params, lr=hp["lr"])
        pixels = sum(im.shape[1] * im.shape[2] for im in data.train)
        self.steps_per_epoch = max(1.0, pixels / (hp["batch"] * 32 * 32))
        self.sampler = CropSampler(data.train, variant, seed)
        self.val = validation_patches(data.val, variant)
        self.steps, self.seconds, self.last_loss = 0, 0.0, float("nan")
        self.ema, self.best_ema, self.best_state = float("inf"), float("inf"), self._state()
        self.initial_state: dict[str, torch.Tensor] | None = None  # a fine-tune's starting weights
        self.initial_bpp = float("inf")
        self.kept = "final"  # which weights `keep_best` kept: final, snapshot or (fine-tune) initial

    def start_from(self, trained: nn.Module) -> float:
        """Continue from ``trained``'s weights (fine-tuning); their validation bpp (`keep_best` weighs them too)."""
        self.model.load_state_dict(trained.state_dict())
        self.best_state = self.initial_state = self._state()
        self.initial_bpp = self.val_bpp()
        return self.initial_bpp

    def _state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def train_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.monotonic()
            b = self.sampler.sample(self.hp["batch"])
            loss = batch_bits(self.model, b, self.device).sum() / b.pixels
            self.opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
            self.opt.step()
            self.steps += 1
            lr = self.hp["lr"] * self.hp["decay"] ** (self.steps / self.steps_per_epoch)
            for g in self.opt.param_groups:
                g["lr"] = lr
            self.last_loss = float(loss.detach())
            self.ema = self.last_loss if self.ema == float("inf") else 0.9 * self.ema + 0.1 * self.last_loss
            if self.steps % 10 == 0 and self.ema < self.best_ema:  # a guard against late divergence
                self.best_ema, self.best_state = self.ema, self._state()
            self.seconds += time.monotonic() - t0
            if self.steps % 20 == 0:
                log.info("%s %s step %d loss %.4f bpp (%.0f s)", self.kind, self.variant, self.steps, self.last_loss,
                         self.seconds)

    def val_bpp(self) -> float:
        return evaluate(self.model, self.val, self.variant, self.device)

    def keep_best(self) -> float:
        """Validation bpp of the final weights, the lowest-loss snapshot or (a fine-tune) the starting weights,
        whichever is lowest (kept, named in ``kept``)."""
        final, last = self.val_bpp(), self._state()
        self.model.load_state_dict(self.best_state)
        scores = {"final": (final, last), "snapshot": (self.val_bpp(), self.best_state)}
        if self.initial_state is not None:
            scores["initial"] = (self.initial_bpp, self.initial_state)
        self.kept = min(scores, key=lambda k: scores[k][0])  # ties: the first, final
        bpp, state = scores[self.kept]
        self.model.load_state_dict(state)
        if self.kept != "final":
            log.info("validation bpp %s: keeping the %s weights",
                     ", ".join(f"{k} {v[0]:.4f}" for k, v in scores.items()), self.kept)
        return bpp


def finetune_meta(old: dict[str, Any], steps: int, minutes: float, before: float | None,
                  kept: str) -> dict[str, Any]:
    """The sidecar fields of a fine-tuned checkpoint: the totals of both runs, what it started from and which
    weights validated best under the coding loss (``kept``: final, snapshot, or initial when fine-tuning did
    not lower the validation bpp)."""
    kept_old = kept == "initial"  # the weights are the old run's: its steps; the minutes count both runs
    return {
        "steps": int(old.get("steps") or 0) + (0 if kept_old else steps),
        "minutes": round(float(old.get("minutes") or 0.0) + minutes, 2),
        "finetune": {"from_sha256": old.get("sha256"), "from_loss": old.get("loss", "mixture"), "steps": steps,
                     "minutes": minutes, "val_bpp_before": None if before is None else round(before, 4),
                     "kept": kept},
    }


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=tuple(MODELS), required=True)
    ap.add_argument("--track", required=True, help="a track; the checkpoint serving it decides the training items")
    ap.add_argument("--data", default="synthetic", help="synthetic | a corpus folder | hub@REV (training split)")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--config", default="small", help="small | paper | tiny (L3C also paper-3d)")
    ap.add_argument("--variant", default="auto", choices=("auto", *common.VARIANTS))
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None,
                    help=f"checkpoint path (default {CHECKPOINT_DIR}/<model>-<dataset>.pt)")
    ap.add_argument("--init", type=Path, default=None,
                    help="fine-tune this checkpoint (its config, variant and weights) instead of training anew")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    plan = training_plan(a.model, a.track)
    dataset, tracks, frames, residual = plan.name, list(plan.tracks), plan.frames, plan.residual_input
    data = load_images(a.data, tracks, frames=frames, residual_input=residual, seed=a.seed)
    init = load_checkpoint(a.init) if a.init else None
    if init is not None and (init.meta["model"], init.meta["dataset"]) != (a.model, dataset):
        raise SystemExit(f"--init {a.init} is a {init.meta['model']} checkpoint of {init.meta['dataset']}, "
                         f"not {a.model} of {dataset}")
    config = dict(init.meta["config"]) if init else named_config(a.model, a.config)
    hp = dict(init.meta["hparams"] if init else MODELS[a.model].hparams)  # a fine-tune keeps the run's settings
    hp.update({k: v for k, v in (("batch", a.batch), ("lr", a.lr)) if v is not None})
    budget = a.minutes * 60.0
    variants = [str(init.meta["variant"])] if init else list(common.VARIANTS) if a.variant == "auto" else [a.variant]
    runs = {v: Run(a.model, config, v, frames, data, hp, device, a.seed) for v in variants}
    before = runs[variants[0]].start_from(init.model) if init is not None else None
    scores: dict[str, float] = {}
    if len(runs) > 1:
        for v, run in runs.items():
            run.train_for(budget / 4)
            scores[v] = run.val_bpp()
            log.info("variant %s: %.4f bpp after %d steps", v, scores[v], run.steps)
        best = min(scores, key=scores.__getitem__)
        runs[best].train_for(budget - sum(r.seconds for r in runs.values()))
    else:
        best = variants[0]
        runs[best].train_for(budget)
    run = runs[best]
    val = run.keep_best()
    meta = {
        "model": a.model, "config_name": init.meta["config_name"] if init else a.config, "config": config,
        "variant": best, "loss": LOSS,
        "in_channels": frames * common.variant_channels(best), "frames": frames, "residual_input": residual,
        "dataset": dataset, "tracks": tracks, "data": data.label, "revision": data.revision, "items": data.items,
        "steps": run.steps, "minutes": round(sum(r.seconds for r in runs.values()) / 60.0, 2),
        "hparams": hp, "val_bpp": round(val, 4), "val_bpp_by_variant": {k: round(v, 4) for k, v in scores.items()},
        "device": device.type, "params": common.count_params(run.model),
    }
    if init is not None:
        meta.update(finetune_meta(init.meta, run.steps, meta["minutes"], before, run.kept))
    path = a.out or CHECKPOINT_DIR / plan.filename
    run.model.to("cpu")
    # the second validation set: the real (packaged) frames, measured as ``evaluate`` measures the synthetic one
    # (imported here: it codes the frames with RICE and JPEG-XL max through imagecodecs, which a machine that only
    # trains, such as a lent GPU machine running scripts/gpu_check.sh, need not have)
    from baselines.neural.real_val import real_frames_or_reason, real_val_block  # noqa: PLC0415

    meta = with_validation(meta, real_val_block(run.model, meta, real_frames_or_reason()))
    meta = save_checkpoint(path, run.model, meta)
    log.info("wrote %s: %s %s, %d steps, val %.4f bpp, sha256 %s", path, a.model, best, run.steps, val,
             meta["sha256"][:12])
    return path


if __name__ == "__main__":
    main()
