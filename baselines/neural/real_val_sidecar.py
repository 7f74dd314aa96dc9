"""The two validation sets of a neural checkpoint, as its ``.json`` sidecar names them.

A sidecar's ``validation`` block holds both measurements side by side, each named:

- ``synthetic``: the bits per pixel on the synthetic validation patches training kept apart
  (the same number as the sidecar's older top-level ``val_bpp``, which stays for its readers);
- ``real_packaged``: the same measurement (``baselines.neural.train.evaluate`` over every 32x32 patch)
  on the *real (packaged)* frames (``evaluator.data.packaged_frames``), beside RICE's and JPEG-XL max's
  bits per pixel on the same frames, the frame set's label, revision and frame names
  (`baselines.neural.real_val` measures it). A checkpoint whose layout cannot take a 2D frame (frames
  as channels, residual inputs) or one measured before the frames were fetched records ``bpp: null``
  and the ``reason``.

This module reads and writes that block with json only (no torch, no data source): a baseline image
carries the sidecars and its codec names the checkpoint's real-val figures in its ready line
(`ready_info`), so every record of the checkpoint carries them and the board can mark a checkpoint
that is worse than RICE on the real frames (``leaderboard.data.real_val_note``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

VALIDATION_KEY = "validation"
SYNTHETIC = "synthetic"
REAL = "real_packaged"
INFO_KEY = "real_val"
"""The key of the ready line's ``info`` (and so of a record's ``codec_info``) that carries the figures."""
READY_FIELDS: tuple[str, ...] = ("set", "bpp", "rice_bpp", "jpegxl_max_bpp", "reason")


def not_applicable(frames: int, residual_input: bool) -> str:
    """Why a checkpoint of this layout cannot be measured on single 2D frames ("" when it can)."""
    if frames > 1:
        return (f"not applicable: the model takes {frames} frames as channels (a 3D track's cube); the packaged "
                "real frames are single 2D frames")
    if residual_input:
        return ("not applicable: the model codes frame differences (a residual track's items); the packaged real "
                "frames are plain 2D frames")
    return ""


def synthetic_block(meta: dict[str, Any]) -> dict[str, Any]:
    """The synthetic validation figure of ``meta`` (its ``val_bpp``), named with the data it came from."""
    return {"bpp": meta.get("val_bpp"), "data": meta.get("data"), "revision": meta.get("revision"),
            "how": "train.evaluate over the validation patches kept apart from the training split"}


def with_validation(meta: dict[str, Any], real: dict[str, Any]) -> dict[str, Any]:
    """``meta`` with its ``validation`` block: the synthetic figure and ``real`` (a real-val block)."""
    return {**meta, VALIDATION_KEY: {SYNTHETIC: synthetic_block(meta), REAL: real}}


def real_block(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The sidecar's real-val block, or None when it has none (a checkpoint older than the field)."""
    block = (meta.get(VALIDATION_KEY) or {}).get(REAL)
    return block if isinstance(block, dict) else None


def ready_info(sidecar: Path) -> dict[str, Any]:
    """``{"real_val": {...}}`` for a codec's ready-line info: the figures of ``sidecar``; {} when it has none."""
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    block = real_block(meta) if isinstance(meta, dict) else None
    if block is None:
        return {}
    return {INFO_KEY: {k: block.get(k) for k in READY_FIELDS if k in block}}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def worse_than_rice(block: dict[str, Any]) -> bool | None:
    """Whether the checkpoint's real-val bpp is above RICE's on the same frames (None: not measured)."""
    bpp, rice = _number(block.get("bpp")), _number(block.get("rice_bpp"))
    if bpp is None or rice is None:
        return None
    return bpp > rice


def write_sidecar(path: Path, meta: dict[str, Any]) -> None:
    """Rewrite a ``.json`` sidecar as `baselines.neural.checkpoints.save_checkpoint` writes it (the .pt untouched)."""
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
