"""Validation bits per pixel of a neural model: what training reports and the checkpoints' sidecars record.

One function for both validation sets: the synthetic validation patches (``baselines.neural.train``) and the
packaged real frames (``baselines.neural.real_val``).
"""

from __future__ import annotations

from typing import cast

import numpy as np
import torch
from torch import nn

from baselines.neural.data import Batch, make_batch
from baselines.neural.model_api import NeuralModel


def batch_bits(model: nn.Module, b: Batch, device: torch.device) -> torch.Tensor:
    """Bits of each sample of ``b`` under ``model`` (side information excluded)."""
    return cast(NeuralModel, model).batch_bits(b, device)


def evaluate(model: nn.Module, patches: np.ndarray, variant: str, device: torch.device) -> float:
    """Validation bits per 16-bit pixel, side information included."""
    model.eval()
    bits, pixels = 0.0, 0
    with torch.no_grad():
        for start in range(0, patches.shape[0], 128):
            b = make_batch(patches[start : start + 128], variant)
            bits += float(batch_bits(model, b, device).sum()) + b.side_bits
            pixels += b.pixels
    model.train()
    return bits / max(pixels, 1)


__all__ = ["batch_bits", "evaluate"]
