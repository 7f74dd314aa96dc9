"""What the models' chunk coders share: coder tables from network outputs, and the ideal-length tally.

Each model codes its chunks itself (`model_api.NeuralModel.encode_chunk`, in its own module).
Encoder and decoder run the network on exactly the same tensors (same shapes, same
order, contiguous), so its float32 outputs, and with them the coder's tables, are
bit-identical on both sides. Per chunk: ``u = patches - offsets`` (integers as float32)
and ``s`` the per-patch scales (`common.SideInfo`).
"""

from __future__ import annotations

import numpy as np
import torch

from evaluator.sdk.coding import BitstreamError, MixtureParams, ideal_bits


def mixture_rows(t: torch.Tensor) -> np.ndarray:
    """(B, K, C, h, w) -> float32 (B*C*h*w, K)."""
    return np.ascontiguousarray(t.permute(0, 2, 3, 4, 1).reshape(-1, t.shape[1]).numpy(), np.float32)


class Tally:
    """Ideal code length (model NLL under the coder's exact mixture), for reporting."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.bits = enabled, 0.0

    def add(self, symbols: np.ndarray, params: MixtureParams, max_symbol: int) -> None:
        if self.enabled:
            self.bits += ideal_bits(symbols, params, max_symbol=max_symbol)

    def add_categorical(self, symbols: np.ndarray, probs: np.ndarray) -> None:
        if self.enabled:
            p = probs / probs.sum(axis=1, keepdims=True)
            self.bits += float(-np.log2(p[np.arange(len(symbols)), symbols]).sum())


def probabilities(logits: torch.Tensor) -> np.ndarray:
    """(..., L) logits -> float32 (N, L) probabilities."""
    return np.ascontiguousarray(torch.softmax(logits, dim=-1).reshape(-1, logits.shape[-1]).numpy(), np.float32)


__all__ = ["BitstreamError", "Tally", "mixture_rows", "probabilities"]
