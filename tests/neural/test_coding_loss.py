"""The training loss is the coder's distribution: torch `coding_log2p` against numpy `coding_bits`, with gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from baselines.neural.coding_loss import coding_log2p
from evaluator.sdk.coding.coding_cost import coding_bits
from evaluator.sdk.coding.logistic import MixtureParams, ideal_bits


def _case(max_symbol: int, n: int = 20000, k: int = 3, seed: int = 0) -> tuple[np.ndarray, MixtureParams]:
    """Mixtures across the alphabet, symbols with Cauchy outliers (escapes), the two end symbols."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(0.02, 0.98, (n, 1)) * max_symbol + rng.normal(0, max_symbol / 3000, (n, k))
    log_scales = rng.normal(np.log(max_symbol) / 7, 1.5, (n, k))
    logits = rng.normal(0, 1, (n, k))
    x = np.rint(means[:, 0] + rng.standard_cauchy(n) * np.exp(log_scales[:, 0]) * 3).clip(0, max_symbol)
    x = x.astype(np.int64)
    x[:50], x[50:100] = 0, max_symbol
    return x, MixtureParams(means.astype(np.float32), log_scales.astype(np.float32), logits.astype(np.float32))


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, np.float64))


@pytest.mark.parametrize("max_symbol", [65535, 255])
def test_the_loss_is_the_coders_code_length(max_symbol: int) -> None:
    x, p = _case(max_symbol)
    coded = coding_bits(x, p, max_symbol=max_symbol)
    loss = -coding_log2p(_t(x)[:, None], _t(p.means), _t(p.log_scales), _t(p.logit_weights),
                         low=0.0, high=float(max_symbol)).sum()
    assert float(loss) == pytest.approx(coded, rel=1e-4)
    # the raw mixture's NLL, the loss before, is another number on these outliers
    assert abs(ideal_bits(x, p, max_symbol=max_symbol) / coded - 1) > 0.05


def test_an_unbounded_alphabet_equals_a_bounded_one_far_from_its_ends() -> None:
    x, p = _case(65535, n=2000, seed=1)
    inner = (x > 2000) & (x < 63000) & (p.means.min(1) > 4000) & (p.means.max(1) < 61000)
    args = (_t(x[inner])[:, None], _t(p.means[inner]), _t(p.log_scales[inner]), _t(p.logit_weights[inner]))
    bounded = coding_log2p(*args, low=0.0, high=65535.0)
    assert torch.allclose(coding_log2p(*args), bounded)


def test_gradients_reach_means_scales_and_weights() -> None:
    x, p = _case(65535, n=500, seed=2)
    params = [_t(a).requires_grad_() for a in (p.means, p.log_scales, p.logit_weights)]
    loss = -coding_log2p(_t(x)[:, None], *params, low=0.0, high=65535.0).sum()
    loss.backward()
    for g in (q.grad for q in params):
        assert g is not None and torch.isfinite(g).all() and float(g.abs().sum()) > 0


def test_the_symbols_get_the_raw_mixtures_gradient_inside_the_window() -> None:
    """A flow's latents are ``x`` here (IDF): the bin index is ``floor`` in value and straight through in gradient.

    With ``floor``'s zero gradient, fine-tuning IDF on this loss drifted (hubble: 4.2 -> 5.0 bits/pixel in 160
    steps). Inside the window and at one symbol per bin, the loss moves with ``x`` exactly as the raw mixture's.
    """
    from baselines.neural.common import logistic_mixture_log2p  # noqa: PLC0415

    rng = np.random.default_rng(4)
    n, k = 400, 3
    means = _t(rng.uniform(20000, 40000, (n, 1)) + rng.normal(0, 5, (n, k)))
    log_scales, logits = _t(rng.normal(1.5, 0.3, (n, k))), _t(rng.normal(0, 1, (n, k)))
    x = torch.round(means[:, :1] + _t(rng.normal(0, 4, (n, 1)))).requires_grad_()
    coded = coding_log2p(x, means, log_scales, logits, low=0.0, high=65535.0)
    (g_coded,) = torch.autograd.grad(coded.sum(), x)
    (g_raw,) = torch.autograd.grad(logistic_mixture_log2p(x, means, log_scales, logits).sum(), x)
    assert float(g_coded.abs().min()) > 0  # every symbol moves its cost
    assert torch.allclose(g_coded, g_raw, rtol=1e-9, atol=1e-12)
