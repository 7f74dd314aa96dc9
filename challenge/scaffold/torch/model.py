"""The network of this codec: a small CNN that predicts the "white" pixels of a checkerboard from the "black" ones.

Input (N, 2, P, P): the black pixels normalised by their patch's median and
scale (white pixels zero), and the black-pixel mask. Output (N, 3K, P, P):
for every pixel, K logistic means and log-scales (in normalised units) and
K mixture logits.

Training runs the float32 network (:class:`CheckerboardNet`). Coding runs
:func:`exact_forward`: weights, biases and activations on a grid of 1/256,
bounded, in float64, so every product and every sum is exact and the result
does not depend on the order of the additions, so CPU dispatch, BLAS and the
thread count cannot change it (the evaluator's portable-decode check measures
exactly that under the environments it names; a float32 convolution changes its last bits with
``MKL_CBWR`` or the vector width, and a decoder whose probabilities differ
by one bit from the encoder's cannot decode).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

K = 3  # mixture components
CHANNELS = 24
PATCH = 64  # patch side (pixels): both sides run the network on the same (N, 2, 64, 64) tensors


class CheckerboardNet(nn.Module):
    def __init__(self, channels: int = CHANNELS, k: int = K) -> None:
        super().__init__()
        self.k = k
        self.body = nn.Sequential(
            nn.Conv2d(2, channels, 5, padding=2, padding_mode="zeros"), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 3 * k, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


GRID = 256.0  # activations and weights are multiples of 1/GRID
BOUND = 4096.0  # |activation| <= BOUND: 20 significant bits, products <= 31, sums of <= 2^13 terms exact in float64


def _on_grid(t: torch.Tensor, grid: float = GRID) -> torch.Tensor:
    return torch.clamp(torch.floor(t * grid) / grid, -BOUND, BOUND)


@torch.no_grad()
def exact_forward(net: CheckerboardNet, x: torch.Tensor) -> torch.Tensor:
    """``net(x)`` computed exactly (float64 on a fixed grid): bit-identical on every machine."""
    y = _on_grid(x.to(torch.float64))
    for layer in net.body:
        if isinstance(layer, nn.Conv2d):
            w = torch.clamp(torch.round(layer.weight.to(torch.float64) * GRID) / GRID, -8.0, 8.0)
            b = torch.round(layer.bias.to(torch.float64) * GRID * GRID) / (GRID * GRID)
            y = F.conv2d(y, w, b, padding=layer.padding)
        else:  # ReLU, then back onto the grid (floor and clamp are exact)
            y = _on_grid(torch.relu(y))
    return y
