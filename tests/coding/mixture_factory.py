"""Mixture parameters like a pixel model's, and symbols drawn from them (for the coding tests and bench)."""

from __future__ import annotations

import numpy as np

from evaluator.sdk.coding import MixtureParams


def realistic_params(
    rng: np.random.Generator, n: int, k: int = 5, scale: float = 5.0, top: int = 65535
) -> MixtureParams:
    """Mixtures like a pixel model's: components close together, scales around ``scale``."""
    base = rng.uniform(0.02 * top, 0.9 * top, n)
    means = base[:, None] + rng.normal(0, 0.5 * scale, (n, k))
    log_scales = np.log(scale) + rng.normal(0, 0.4, (n, k))
    logits = rng.normal(0, 1.5, (n, k))
    return MixtureParams(means.astype(np.float32), log_scales.astype(np.float32), logits.astype(np.float32))


def draw(rng: np.random.Generator, p: MixtureParams, top: int = 65535) -> np.ndarray:
    """Symbols drawn from the discretized mixtures themselves (a well-specified model)."""
    w = np.exp(p.logit_weights - p.logit_weights.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    comp = (rng.random(p.n)[:, None] > np.cumsum(w, axis=1)).sum(axis=1).clip(0, p.k - 1)
    rows = np.arange(p.n)
    u = rng.random(p.n).clip(1e-12, 1 - 1e-12)
    x = p.means[rows, comp] + np.exp(p.log_scales[rows, comp]) * np.log(u / (1 - u))
    return np.clip(np.rint(x), 0, top).astype(np.int64)
