"""Training data of the neural baselines: images from a data source's training split, crops, validation.

The training split's items (``full_train``) become the images a model codes
(`common.item_images`: frames, residuals). They are split 85/15 into training and
validation by item, seeded; with fewer than 7 items (the small synthetic corpus) every
item is split instead: its last 15 % of rows (at least 32) for validation.
Training batches are random 32x32 crops with random horizontal flips; validation is
every non-overlapping 32x32 patch (reflect padded, as the codec cuts them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from baselines.neural import common
from evaluator.core.tracks import TRACKS
from evaluator.data.data_source import resolve_source
from evaluator.sdk.coding import to_patches

PATCH = 32
VAL_FRACTION = 0.15
MIN_ITEMS_FOR_FILE_SPLIT = 7


@dataclass
class TrainingData:
    train: list[np.ndarray]
    val: list[np.ndarray]
    label: str
    revision: str
    items: int


def load_images(spec: str, tracks: list[str], *, frames: int, residual_input: bool, seed: int = 0) -> TrainingData:
    images: list[list[np.ndarray]] = []
    label = revision = ""
    for name in tracks:
        source = resolve_source(spec, split="full_train")
        label, revision = str(getattr(source, "label", spec)), str(getattr(source, "revision", ""))
        for item in source.iter_items(TRACKS[name]):
            images.append(common.item_images(item.data, frames, residual_input and item.data.ndim == 2))
    if not images:
        raise ValueError(f"no training items for {tracks} in {spec!r}")
    rng = np.random.default_rng(seed)
    train: list[np.ndarray] = []
    val: list[np.ndarray] = []
    if len(images) >= MIN_ITEMS_FOR_FILE_SPLIT:
        order = rng.permutation(len(images))
        n_val = max(1, round(VAL_FRACTION * len(images)))
        for rank, i in enumerate(order):
            (val if rank < n_val else train).extend(images[i])
    else:
        for group in images:
            for im in group:
                h = im.shape[1]
                cut = h - max(PATCH, round(VAL_FRACTION * h))
                train.append(im[:, :cut])
                val.append(im[:, cut:])
    return TrainingData(train, val, label, revision, len(images))


@dataclass
class Batch:
    u: torch.Tensor  # x - offset, float32 (B, C, S, S)
    s: torch.Tensor  # scales (B,)
    low: torch.Tensor  # 0 - offset (B, C)
    high: torch.Tensor  # max symbol - offset (B, C)
    pixels: int  # 16-bit pixels the batch stands for
    side_bits: int


def make_batch(patches: np.ndarray, variant: str) -> Batch:
    """Integer patches (B, C, S, S) already split into the variant's channels."""
    info = common.side_info(patches)
    off = info.offsets.astype(np.float32)
    u = torch.from_numpy(patches.astype(np.float32) - off[:, :, None, None])
    low = torch.from_numpy(-off)
    high = torch.from_numpy(common.variant_max_symbol(variant) - off)
    pixels = patches.size // common.variant_channels(variant)
    side_bits = 8 * common.SideInfo.nbytes(patches.shape[0], patches.shape[1])
    return Batch(u, torch.from_numpy(info.scales.copy()), low, high, pixels, side_bits)


class CropSampler:
    """Random 32x32 crops (area-weighted over images) with random horizontal flips."""

    def __init__(self, images: list[np.ndarray], variant: str, seed: int = 0) -> None:
        self.images = [im for im in images if im.shape[1] >= PATCH and im.shape[2] >= PATCH]
        if not self.images:
            raise ValueError("no training image is at least 32x32")
        area = np.array([im.shape[1] * im.shape[2] for im in self.images], np.float64)
        self.p = area / area.sum()
        self.variant = variant
        self.rng = np.random.default_rng(seed)

    def sample(self, batch: int) -> Batch:
        out = []
        for i in self.rng.choice(len(self.images), size=batch, p=self.p):
            im = self.images[i]
            y = self.rng.integers(0, im.shape[1] - PATCH + 1)
            x = self.rng.integers(0, im.shape[2] - PATCH + 1)
            crop = im[:, y : y + PATCH, x : x + PATCH]
            out.append(crop[:, :, ::-1] if self.rng.random() < 0.5 else crop)
        patches = common.split_variant(np.stack(out), "direct")
        if self.variant != "direct":
            patches = np.concatenate([patches & 255, patches >> 8], axis=1)
        return make_batch(patches, self.variant)


def validation_patches(images: list[np.ndarray], variant: str, limit: int = 768, seed: int = 0) -> np.ndarray:
    """Every 32x32 patch of the validation images in the variant's channels (a seeded subset if many)."""
    parts = [to_patches(common.split_variant(im, variant), PATCH)[0] for im in images]
    p = np.concatenate(parts)
    if p.shape[0] > limit:
        p = p[np.sort(np.random.default_rng(seed).choice(p.shape[0], limit, replace=False))]
    return p
