"""Per-item VDM bounds: bits per raw 16-bit pixel, averaged over diffusion-time samples, with their spread.

An item becomes the images its checkpoint models (`common.item_images`: a 2D frame, a
``jwst-2d-res`` residual shifted by 2^15, or a 3D item's frames as channels), cut into
reflect-padded 32x32 patches (`evaluator.sdk.coding.patches.to_patches`, as the codecs cut
them). One **sample** of the bound is one diffusion time per patch from VDM's
low-discrepancy sampler (``(u0 + i / N) mod 1`` over the item's N patches) and fresh
Gaussian noise for ``z_t`` and ``z_0``, seeded by (seed, item id, sample number): an
unbiased estimate of the item's bound. The item's bits are

    sum over patches (prior + diffusion + reconstruction) + 8 * (2 C + 1) side-information bits

(the padded pixels' bits included, as a codec cutting the same patches would pay them),
divided by the item's own 16-bit pixels (``item.npix``), so bits/pixel compare with a
codec's. The estimate is the mean of S samples, its spread their standard error
(``std(ddof=1) / sqrt(S)``): the uncertainty of the Monte-Carlo estimate of *this*
model's bound, not of the data.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from baselines.neural import common
from baselines.neural.vdm import VDM, stratified_times
from baselines.neural.vdm_curve import MOVED_THRESHOLD
from baselines.neural.vdm_train import checkpoint_path, load_vdm, patch_bound_bits
from evaluator.core.tracks import TRACKS
from evaluator.data.data_source import DataSource
from evaluator.data.items import Item
from evaluator.run.evaluate import resolve
from evaluator.sdk.coding import to_patches

PATCH = 32
DEFAULT_SAMPLES = 16
DEFAULT_SEED = 0


@dataclass(frozen=True)
class ItemEstimate:
    item_id: str
    shape: tuple[int, ...]
    npix: int
    samples: tuple[float, ...]  # bound bits per 16-bit pixel, side information included, one per sample
    side_bpp: float
    seconds: float

    @property
    def bpp(self) -> float:
        return float(np.mean(self.samples))

    @property
    def stderr(self) -> float:
        """Standard error of the mean over the samples (0 with one sample: no spread measured)."""
        s = len(self.samples)
        return float(np.std(self.samples, ddof=1) / math.sqrt(s)) if s > 1 else 0.0


def item_patches(data: np.ndarray, frames: int, residual_input: bool) -> np.ndarray:
    """The integer 32x32 patches (N, C, 32, 32) the model bounds for one item."""
    images = common.item_images(data, frames, residual_input and data.ndim == 2)
    return np.concatenate([to_patches(common.split_variant(im, "direct"), PATCH)[0] for im in images])


def sample_generator(seed: int, item_id: str, k: int) -> torch.Generator:
    return torch.Generator().manual_seed(zlib.crc32(f"{seed}:{item_id}:{k}".encode()))


def estimate_item(model: VDM, meta: dict[str, Any], item: Item, *, samples: int = DEFAULT_SAMPLES,
                  seed: int = DEFAULT_SEED) -> ItemEstimate:
    """The bound of one item over ``samples`` time samples (deterministic for a seed)."""
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    t0 = time.perf_counter()
    patches = item_patches(item.data, int(meta["frames"]), bool(meta["residual_input"]))
    if patches.shape[1] != model.in_channels:
        raise ValueError(f"item {item.id} {item.data.shape} gives {patches.shape[1]} channels; the checkpoint "
                         f"models {model.in_channels}")
    out: list[float] = []
    side = 0
    with torch.no_grad():
        for k in range(samples):
            g = sample_generator(seed, item.id, k)
            bits, side, _ = patch_bound_bits(model, patches, stratified_times(patches.shape[0], g), g)
            out.append((bits + side) / item.npix)
    return ItemEstimate(item.id, tuple(int(d) for d in item.data.shape), item.npix, tuple(out), side / item.npix,
                        time.perf_counter() - t0)


@dataclass(frozen=True)
class TrackEstimate:
    track: str
    split: str  # the data source's label
    synthetic: bool
    items: list[ItemEstimate]
    meta: dict[str, Any]  # the checkpoint's metadata
    checkpoint: str  # its file name
    samples: int
    seed: int


def estimate_track(track: str, source: DataSource | str = "synthetic", *, samples: int = DEFAULT_SAMPLES,
                   seed: int = DEFAULT_SEED, n_items: int | None = None, folder: Path | None = None,
                   progress: Callable[[str], None] | None = None) -> TrackEstimate:
    """The bound of every test item (the first ``n_items``) of ``track`` with its committed checkpoint."""
    spec = TRACKS[track]
    path = checkpoint_path(track, folder)
    model, meta = load_vdm(path)
    src = resolve(source)
    items: Iterable[Item] = src.iter_items(spec)
    out: list[ItemEstimate] = []
    for i, item in enumerate(items):
        if n_items is not None and i >= n_items:
            break
        est = estimate_item(model, meta, item, samples=samples, seed=seed)
        out.append(est)
        if progress:
            progress(f"VDM {track} {item.id}: {est.bpp:.4f} +- {est.stderr:.4f} bpp ({est.seconds:.1f} s)")
    if not out:
        raise ValueError(f"no test items for {track} in {getattr(src, 'label', source)!r}")
    return TrackEstimate(track, str(getattr(src, "label", source)), bool(getattr(src, "synthetic", False)), out,
                         meta, path.name, samples, seed)


def training_facts(meta: dict[str, Any]) -> dict[str, Any]:
    """What the checkpoint's training did to the bound (`baselines.neural.vdm_curve`), for the records.

    The curve is the sidecar's (step, minutes, val_bpp per evaluation); checkpoints trained before early
    stopping have no curve and give ``bound_moved`` from their initial and kept bounds.
    """
    curve = meta.get("curve") or []
    initial, best = meta.get("val_bpp_initial"), meta.get("val_bpp_best", meta.get("val_bpp"))
    moved = meta.get("moved")
    if moved is None and initial and best is not None:
        moved = round(max(0.0, (float(initial) - float(best)) / float(initial)), 5)
    return {"val_bpp_initial": initial, "val_bpp_best": best, "moved": moved,
            "bound_moved": meta.get("bound_moved", None if moved is None else moved > MOVED_THRESHOLD),
            "stopped": meta.get("stopped"), "total_minutes": meta.get("total_minutes", meta.get("minutes")),
            "curve_points": len(curve), "curve": curve}


def to_entry(est: TrackEstimate, created_at: str) -> dict[str, Any]:
    """The JSON entry of a track's estimate (`baselines.neural.vdm_records.estimate_record` reads it)."""
    m = est.meta
    info = {"checkpoint": est.checkpoint, "weights_sha256": m.get("sha256"), "config": m.get("config_name"),
            "steps": m.get("steps"), "minutes": m.get("minutes"), "data": m.get("data"), "params": m.get("params"),
            "val_bpp": m.get("val_bpp"), "samples": est.samples, "seed": est.seed, **training_facts(m)}
    items = [{"item_id": i.item_id, "shape": list(i.shape), "npix": i.npix, "bpp": round(i.bpp, 6),
              "stderr": round(i.stderr, 6), "side_bpp": round(i.side_bpp, 6),
              "samples": [round(s, 6) for s in i.samples],
              "seconds": round(i.seconds, 3)} for i in est.items]
    return {"track": est.track, "split": est.split, "synthetic": est.synthetic, "created_at": created_at,
            "info": info, "items": items}
