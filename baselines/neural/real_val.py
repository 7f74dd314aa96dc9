"""Real-val bits per pixel: a checkpoint's model on the *real (packaged)* frames, beside RICE and JPEG-XL max.

Measured exactly as training measures its synthetic validation bits per pixel (``baselines.neural.train.evaluate``
over every 32x32 patch of the images, reflect padded as the codec cuts them, side information included), on each
frame of ``--data packaged`` (`evaluator.data.packaged_source`, all of ``full_test``) taken as a 2D image; the
pooled figure is the bits over the patches' pixels of all frames. RICE and JPEG-XL max code the same frames
whole (`baselines.classical.reference_bytes`, streams checked); their pooled figure is bytes over pixels.
A checkpoint whose layout cannot take a single 2D frame (frames as channels, residual inputs) records why
(`baselines.neural.real_val_sidecar.not_applicable`). The block goes into the checkpoint's sidecar
(``validation.real_packaged``): written by ``baselines.neural.train`` for a new checkpoint and by
``scripts/real_val.py`` for the shipped ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from baselines.classical.reference_bytes import REFERENCE_CODECS, reference_bytes
from baselines.neural import common
from baselines.neural.data import validation_patches
from baselines.neural.real_val_sidecar import not_applicable
from baselines.neural.validation import evaluate
from evaluator.core.tracks import get_track
from evaluator.data.packaged_fetch import FETCH_COMMAND
from evaluator.data.packaged_frames import SET_VERSION
from evaluator.data.packaged_source import PackagedDataError, packaged_source

SERVED_BY = "lco"  # a 2D single-frame track: the packaged source gives every frame, whole, to each such track
HOW = ("baselines.neural.train.evaluate (bits / pixel of every reflect-padded 32x32 patch, side information "
       "included) per frame, pooled over the frames; RICE and JPEG-XL max: bitstream bytes of each whole frame "
       "(header included, decoded and checked) over its pixels, pooled")
_KEY = {"rice": "rice_bpp", "jpegxl-max": "jpegxl_max_bpp"}


@dataclass(frozen=True)
class RealFrame:
    """One packaged frame as a 2D model takes it, with the reference codecs' bytes for it."""

    name: str
    image: np.ndarray  # (1, H, W) uint16
    reference: dict[str, int]  # codec -> bitstream bytes

    @property
    def pixels(self) -> int:
        return int(self.image.shape[1] * self.image.shape[2])

    def reference_bpp(self, codec: str) -> float:
        return 8.0 * self.reference[codec] / self.pixels


@dataclass(frozen=True)
class RealFrames:
    """The packaged frame set (label, revision, frames) with the reference codecs' figures on it."""

    label: str
    revision: str
    frames: tuple[RealFrame, ...]

    def reference_bpp(self, codec: str) -> float:
        """Pooled bits per pixel of ``codec`` over every frame."""
        return 8.0 * sum(f.reference[codec] for f in self.frames) / sum(f.pixels for f in self.frames)

    def identity(self) -> dict[str, Any]:
        return {"set": self.label, "set_version": SET_VERSION, "revision": self.revision,
                "frames": [f.name for f in self.frames], "label": "real (packaged)"}


def load_real_frames(folder: Path | None = None, split: str = "full_test") -> RealFrames:
    """The fetched packaged frames and RICE's and JPEG-XL max's bytes on each (`PackagedDataError` if not fetched)."""
    source = packaged_source(split, folder)
    frames = tuple(RealFrame(item.id, common.item_images(item.data)[0], reference_bytes(item.data, item.id))
                   for item in source.iter_items(get_track(SERVED_BY)))
    return RealFrames(source.label, source.revision, frames)


def real_frames_or_reason(folder: Path | None = None) -> RealFrames | str:
    """The frames, or why there are none (to record in place of the figures)."""
    try:
        return load_real_frames(folder)
    except PackagedDataError as e:
        return (f"not measured: the packaged real frames were not available ({e}); run `{FETCH_COMMAND}`, "
                "then `python scripts/real_val.py`")


def model_bpp(model: nn.Module, image: np.ndarray, variant: str, device: torch.device) -> tuple[float, int]:
    """``train.evaluate``'s bits per pixel of ``model`` on every patch of ``image`` (1, H, W), and those pixels."""

    patches = validation_patches([image], variant, limit=1 << 40)  # every patch: no subset
    return evaluate(model, patches, variant, device), patches.size // common.variant_channels(variant)


def real_val_block(model: nn.Module, meta: dict[str, Any], frames: RealFrames | str,
                   device: torch.device | None = None) -> dict[str, Any]:
    """The sidecar's ``validation.real_packaged`` block of the checkpoint (``meta``: its metadata)."""
    reason = not_applicable(int(meta.get("frames", 1)), bool(meta.get("residual_input", False)))
    if reason or isinstance(frames, str):
        block = {"bpp": None, "reason": reason or frames}
        return block if isinstance(frames, str) else {**block, **frames.identity()}
    device = device or torch.device("cpu")
    variant = str(meta["variant"])
    per_frame: dict[str, dict[str, float]] = {}
    bits, pixels = 0.0, 0
    for f in frames.frames:
        bpp, n = model_bpp(model, f.image, variant, device)
        bits, pixels = bits + bpp * n, pixels + n
        per_frame[f.name] = {"bpp": round(bpp, 4), **{_KEY[c]: round(f.reference_bpp(c), 4) for c in REFERENCE_CODECS}}
    bpp = bits / max(pixels, 1)
    refs = {_KEY[c]: round(frames.reference_bpp(c), 4) for c in REFERENCE_CODECS}
    return {
        **frames.identity(), "bpp": round(bpp, 4), **refs,
        "worse_than_rice": bool(round(bpp, 4) > refs["rice_bpp"]),
        "frames_worse_than_rice": sum(v["bpp"] > v["rice_bpp"] for v in per_frame.values()),
        "mean_ratio": _mean_ratios(per_frame), "per_frame": per_frame, "patch_pixels": pixels, "how": HOW,
    }


def _mean_ratios(per_frame: dict[str, dict[str, float]]) -> dict[str, float]:
    """The evaluator's headline on the same frames: the mean over frames of 16 / bpp, per coder."""
    keys = {"model": "bpp", "rice": "rice_bpp", "jpegxl_max": "jpegxl_max_bpp"}
    return {name: round(float(np.mean([16.0 / v[k] for v in per_frame.values()])), 4) for name, k in keys.items()}
