"""What the models' chunk coders share: coder tables from network outputs, and the ideal-length tally.

Each model codes its chunks itself (`model_api.NeuralModel.encode_chunk`, in its own module).
Encoder and decoder run the network on exactly the same tensors (same shapes, same
order, contiguous), so its float32 outputs, and with them the coder's tables, are
bit-identical on both sides. Per chunk: ``u = patches - offsets`` (integers as float32)
and ``s`` the per-patch scales (`common.SideInfo`). Categorical probabilities come from
`portable_ops.softmax` (IEEE basic operations in a fixed order, no dispatched ``exp`` or
reduction), so an exact (float64) model's tables are the same bits on every CPU.
"""

from __future__ import annotations

import numpy as np
import torch

from baselines.neural import portable_ops
from evaluator.sdk.coding import BitstreamError, MixtureParams, ideal_bits
from evaluator.sdk.coding.coding_cost import table_bits


def mixture_rows(t: torch.Tensor) -> np.ndarray:
    """(B, K, C, h, w) -> float32 (B*C*h*w, K)."""
    return np.ascontiguousarray(t.permute(0, 2, 3, 4, 1).reshape(-1, t.shape[1]).cpu().numpy(), np.float32)


class Tally:
    """The model's NLL under its raw mixtures (``bits``), for reporting. The NLL under the distribution the coder
    applies (window, escape entry, tail code) is the encoder's own sum, `MixtureRangeEncoder.coding_bits`: bytes
    over it is the range coder's own overhead."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.bits = enabled, 0.0

    def add(self, symbols: np.ndarray, params: MixtureParams, max_symbol: int) -> None:
        if self.enabled:
            self.bits += ideal_bits(symbols, params, max_symbol=max_symbol)

    def add_categorical(self, symbols: np.ndarray, probs: np.ndarray) -> None:
        if self.enabled:
            self.bits += table_bits(np.ascontiguousarray(probs, np.float32), np.asarray(symbols, np.int64))


def probabilities(logits: torch.Tensor) -> np.ndarray:
    """(..., L) logits -> float32 (N, L) probabilities (`portable_ops.softmax` in float64, no subnormals)."""
    p = portable_ops.to_float32(portable_ops.softmax(logits.to(torch.float64), dim=-1))
    return np.ascontiguousarray(p.reshape(-1, logits.shape[-1]).cpu().numpy(), np.float32)


__all__ = ["BitstreamError", "Tally", "mixture_rows", "probabilities"]
