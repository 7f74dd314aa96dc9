"""Checkpoints of the neural baselines: weights, metadata, and the weights' sha256.

A checkpoint ``checkpoints/<model>-<dataset>.pt`` holds ``{"meta": ..., "state_dict": ...}``;
``<model>-<dataset>.json`` next to it repeats the metadata (model, config, variant,
tracks, data label and revision, steps, minutes, validation bits/pixel, sha256) for
people and tools that do not load torch. The sha256 is over the weights themselves
(sorted names, dtypes, shapes and bytes), not over the pickle, so it names the
numbers a bitstream depends on and goes into every `StreamHeader`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from baselines.neural.idf import IDF, IDF_CONFIGS, IDFConfig
from baselines.neural.l3c import L3C, L3C_CONFIGS, L3CConfig
from baselines.neural.pixelcnn import PIXELCNN_CONFIGS, PixelCNN, PixelCNNConfig

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
MODELS: tuple[str, ...] = ("idf", "l3c", "pixelcnn")

IDF_DATASET_OF_TRACK: dict[str, str] = {
    "lco": "lco", "keck": "keck", "hubble": "hubble", "jwst-2d": "jwst-2d", "jwst-2d-res": "jwst-2d-res",
    "jwst-3d": "jwst-2d", "sdss-2d": "sdss", "sdss-3d-lambda": "sdss", "sdss-3d-time": "sdss", "sdss-4d": "sdss",
}
"""IDF codes 3D items as a first frame plus residuals: one SDSS model serves every SDSS track."""

L3C_DATASET_OF_TRACK: dict[str, str] = {
    **{t: t for t in ("lco", "keck", "hubble", "jwst-2d", "jwst-2d-res", "sdss-2d", "sdss-3d-lambda", "sdss-3d-time")},
    "jwst-3d": "jwst-2d", "sdss-4d": "sdss-2d",
}
"""L3C takes a 3D item's three frames as channels (the paper's choice): one model per 3D track."""

PIXELCNN_DATASET_OF_TRACK: dict[str, str] = dict(L3C_DATASET_OF_TRACK)
"""PixelCNN++ also takes a 3D item's three frames as channels, modelled autoregressively (as RGB)."""

DATASET_OF_TRACK: dict[str, dict[str, str]] = {
    "idf": IDF_DATASET_OF_TRACK, "l3c": L3C_DATASET_OF_TRACK, "pixelcnn": PIXELCNN_DATASET_OF_TRACK,
}
"""Per model: which checkpoint (by dataset name) serves each track."""


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable, or whose weights do not match their recorded hash."""


def weights_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return h.hexdigest()


def build_model(model: str, config: dict[str, int], in_channels: int) -> nn.Module:
    if model == "idf":
        return IDF(IDFConfig(**config), in_channels)
    if model == "l3c":
        return L3C(L3CConfig(**config), in_channels)
    if model == "pixelcnn":
        return PixelCNN(PixelCNNConfig(**config), in_channels)  # type: ignore[arg-type]
    raise CheckpointError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")


def named_config(model: str, name: str) -> dict[str, Any]:
    table: dict[str, Any] = {"idf": IDF_CONFIGS, "l3c": L3C_CONFIGS, "pixelcnn": PIXELCNN_CONFIGS}[model]
    if name not in table:
        raise ValueError(f"unknown {model} config {name!r}; choose one of {', '.join(table)}")
    return dict(table[name].to_dict())


def checkpoint_path(model: str, track: str, folder: Path | None = None) -> Path:
    """Where the checkpoint serving ``track`` lives."""
    table = DATASET_OF_TRACK.get(model, {})
    if track not in table:
        raise CheckpointError(f"no {model} checkpoint serves track {track!r}; known: {', '.join(table)}")
    return (folder or CHECKPOINT_DIR) / f"{model}-{table[track]}.pt"


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
        raise CheckpointError(f"checkpoint {path}: weights hash {digest[:12]} != recorded {str(meta.get('sha256'))[:12]}")
    model = build_model(meta["model"], meta["config"], int(meta["in_channels"]))
    model.load_state_dict(state)
    model.eval()
    return Checkpoint(meta, model)
