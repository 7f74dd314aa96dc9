"""Checkpoints of the neural baselines: weights, metadata, and the weights' sha256.

A checkpoint ``checkpoints/<model>-<dataset>.pt`` holds ``{"meta": ..., "state_dict": ...}``;
``<model>-<dataset>.json`` next to it repeats the metadata (model, config, variant,
tracks, data label and revision, steps, minutes, validation bits/pixel, sha256) for
people and tools that do not load torch. The sha256 is over the weights themselves
(sorted names, dtypes, shapes and bytes), not over the pickle, so it names the
numbers a bitstream depends on and goes into every `StreamHeader`. Which checkpoint serves a
track follows from the track's fields (`baselines.neural.track_plan`); which network a file holds,
from its ``model`` field (`baselines.neural.models.MODELS`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from baselines.neural.model_api import NeuralModel
from baselines.neural.models import MODELS, frames_as_channels
from baselines.neural.track_plan import NoCheckpoint, checkpoint_plan
from evaluator.sdk.errors import BadInput

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"


class CheckpointError(BadInput, ValueError):
    """A checkpoint that is missing, unreadable, or whose weights do not match their recorded hash."""


def weights_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return h.hexdigest()


def build_model(model: str, config: dict[str, Any], in_channels: int) -> nn.Module:
    """An untrained ``model`` (a row of `baselines.neural.models.MODELS`) of ``config`` on ``in_channels``."""
    if model not in MODELS:
        raise CheckpointError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    net: NeuralModel = MODELS[model].build(config, in_channels)
    if not isinstance(net, nn.Module):
        raise TypeError(f"{model}: SPEC.build must return an nn.Module, got {type(net).__name__}")
    return net


def named_config(model: str, name: str) -> dict[str, Any]:
    return MODELS[model].config(name)


def checkpoint_path(model: str, track: str, folder: Path | None = None) -> Path:
    """Where the checkpoint serving ``track`` lives (derived from the track's fields: `track_plan`)."""
    try:
        plan = checkpoint_plan(model, frames_as_channels(model), track)
    except NoCheckpoint as e:
        raise CheckpointError(str(e)) from e
    return (folder or CHECKPOINT_DIR) / plan.filename


@dataclass
class Checkpoint:
    meta: dict[str, Any]
    model: nn.Module

    @property
    def sha256(self) -> str:
        return str(self.meta["sha256"])


def save_checkpoint(path: Path, model: nn.Module, meta: dict[str, Any]) -> dict[str, Any]:
    """Write ``path`` (.pt) and its .json sidecar; returns the metadata with ``sha256`` filled in."""
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    meta = {**meta, "sha256": weights_sha256(state)}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"meta": meta, "state_dict": state}, path)
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def load_checkpoint(path: Path) -> Checkpoint:
    """The model in eval mode, its hash verified against the recorded one."""
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: train one with python -m baselines.neural.train")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        meta, state = blob["meta"], blob["state_dict"]
    except Exception as e:  # noqa: BLE001 - any unreadable file is the same error to the caller
        raise CheckpointError(f"checkpoint {path} is unreadable: {e}") from e
    digest = weights_sha256(state)
    if digest != meta.get("sha256"):
        recorded = str(meta.get("sha256"))[:12]
        raise CheckpointError(f"checkpoint {path}: weights hash {digest[:12]} != recorded {recorded}")
    model = build_model(meta["model"], meta["config"], int(meta["in_channels"]))
    model.load_state_dict(state)
    model.eval()
    return Checkpoint(meta, model)
