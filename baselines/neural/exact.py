"""Exact inference: a trained network that computes the same bits on every CPU, BLAS and thread count.

A float32 convolution changes its last bits with the summation order, which
depends on ``MKL_CBWR``, the oneDNN ISA, the vector width and the threads
(shared NEURAL.md, "Determinism"); one differing bit in a probability table
and the decoder cannot decode. :func:`make_exact` turns a trained model into
one whose convolutions are exact: each convolution's input is floored onto a
grid of 1/``GRID`` and clamped to +-``BOUND``, its weights are rounded onto
the same grid (biases onto 1/``GRID``^2), and it runs in float64. Counted in
units of 1/GRID^2, every product is an integer below 2^35 and a sum over a
fan-in below 2^18 stays below 2^53: float64 adds such integers exactly, so
the order of the additions no longer matters (``MAX_FAN_IN`` keeps a 4x
margin). This holds for any summation order and any hardware that adds
float64 by IEEE rules, a GPU included, as long as the convolution is a sum
of products (im2col and GEMM, or direct): FFT and Winograd algorithms
transform the inputs first and are not exact; :func:`exact_device_settings`
turns them off on CUDA. ReLU, concatenation, permutations and additions of such
values stay exact. What the model computes besides convolutions must be
IEEE basic arithmetic (``+ - * /``, ``round``, ``floor``): those are
correctly rounded everywhere. Transcendental functions whose values reach the
coder (softmax, log, tanh) come from `baselines.neural.portable_ops`, which
builds them from those same basic operations (never torch's or numpy's
dispatched ``exp``/``log``, nor a reduction whose order follows the vector
width), or are computed from values the bitstream carries (PixelCNN++'s
``log scale = code * ln2 / 4``).

The exact model is a slightly different function from the trained float32
one (inputs on a 1/256 grid): the codec's bits per pixel, not the training
loss, is what the benchmark reports.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

GRID = 256.0  # activations entering a convolution are multiples of 1/GRID
BOUND = float(2**16)  # and at most this in magnitude (16 integer bits: raw counts fit)
WEIGHT_BOUND = 8.0  # |weight| <= 8 after rounding (11 significant bits with the grid)
MAX_FAN_IN = 1 << 16  # exact while fan_in * 2^35 + |bias| < 2^53 (fan_in < 2^18); a 4x margin. The paper's
# configurations reach 4,626 (IDF: a 3x3 convolution over 514 channels), well inside it.


def quantize(x: torch.Tensor) -> torch.Tensor:
    """What an exact convolution sees of its input: float64, floored onto the 1/GRID grid, clamped to +-BOUND."""
    return torch.clamp(torch.floor(x.to(torch.float64) * GRID) / GRID, -BOUND, BOUND)


class ExactConv2d(nn.Module):
    """A trained ``nn.Conv2d`` (or ``nn.ConvTranspose2d``), computed exactly (see the module docstring)."""

    weight: torch.Tensor  # buffers (register_buffer below)
    bias: torch.Tensor

    def __init__(self, conv: nn.Conv2d | nn.ConvTranspose2d) -> None:
        super().__init__()
        self.transposed = isinstance(conv, nn.ConvTranspose2d)
        channels = conv.out_channels if self.transposed else conv.in_channels  # the summed ones: weight dim 1
        kh, kw = conv.kernel_size[0], conv.kernel_size[1]
        fan_in = (conv.in_channels if self.transposed else channels) // conv.groups * kh * kw
        if fan_in > MAX_FAN_IN:
            raise ValueError(f"a convolution with fan-in {fan_in} > {MAX_FAN_IN} cannot be summed exactly")
        if conv.padding_mode != "zeros":
            raise ValueError(f"exact convolutions need zero padding, got {conv.padding_mode!r}")
        w = conv.weight.detach().to(torch.float64)
        self.register_buffer("weight", torch.clamp(torch.round(w * GRID) / GRID, -WEIGHT_BOUND, WEIGHT_BOUND))
        bias = conv.bias.detach().to(torch.float64) if conv.bias is not None else torch.zeros(conv.out_channels,
                                                                                             dtype=torch.float64)
        self.register_buffer("bias", torch.round(bias * GRID * GRID) / (GRID * GRID))
        self.stride, self.padding, self.dilation, self.groups = conv.stride, conv.padding, conv.dilation, conv.groups
        self.output_padding = conv.output_padding if self.transposed else (0, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = quantize(x)
        if self.transposed:
            assert not isinstance(self.padding, str)  # nn.ConvTranspose2d takes no "same"/"valid" padding
            return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                      self.groups, self.dilation)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


def _swap_convolutions(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, (nn.Conv2d, nn.ConvTranspose2d)):
            setattr(module, name, ExactConv2d(child))
        elif isinstance(child, (nn.Linear, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)):
            raise TypeError(f"{type(child).__name__} ({name}) has no exact form here; use (transposed) convolutions")
        else:
            _swap_convolutions(child)


@torch.no_grad()
def make_exact(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in float64 whose convolutions are exact; for inference (``eval()`` mode)."""
    exact = copy.deepcopy(model).to(torch.float64).eval()
    if isinstance(exact, (nn.Conv2d, nn.ConvTranspose2d)):
        exact = ExactConv2d(exact)
    _swap_convolutions(exact)
    for p in exact.parameters():
        p.requires_grad_(False)
    return exact
