"""What every neural model implements, in the manner of CompressAI: its loss, its coding, its table row.

A model is an ``nn.Module`` that owns its forward pass and probability model and codes one *chunk* of
32x32 patches into the shared range-coded stream (`NeuralModel`). Its module (``baselines/neural/<name>.py``,
named like its row of the baseline catalog, `baselines.catalog`) exports ``SPEC``, a `ModelSpec`: how to
build it from a checkpoint's config, its named configs, the paper's training hyper-parameters and how many
patches it codes together. The generic codec (`baselines.neural.codec`), trainer (`baselines.neural.train`)
and checkpoint loader (`baselines.neural.checkpoints`) serve every model through these two, looked up in
`baselines.neural.models.MODELS`; none of them names a model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch

if TYPE_CHECKING:
    from baselines.neural.data import Batch
    from baselines.neural.streams import Tally
    from evaluator.sdk.coding import MixtureRangeDecoder, MixtureRangeEncoder


@dataclass(frozen=True)
class Chunk:
    """One chunk of patches as encoder and decoder both see it (all but the pixels: the side information)."""

    s: torch.Tensor  # (B,) per-patch scales, in the model's float type
    offset: torch.Tensor  # (B, C) per-patch offsets, in the model's float type
    codes: np.ndarray  # (B, C) per-patch log-scale codes (`common.SideInfo.codes`)
    real: np.ndarray  # (B, S, S) True where a pixel is the image's, not reflect padding
    max_symbol: int  # the largest pixel symbol of the variant
    size: int  # the patch side S

    @property
    def n(self) -> int:
        return int(self.s.shape[0])


class NeuralModel(Protocol):
    """A trained network that is also a chunk coder (`Chunk`); encoder and decoder run it on the same tensors.

    The chunk's tensors (``u``, ``Chunk.s``, ``Chunk.offset``) are on the model's device (the CPU, or the GPU the
    evaluator granted: `baselines.neural.codec.codec_device`); the coder is numpy on the CPU, so a chunk coder
    moves what it codes to the CPU and what it decodes back to the model's device."""

    in_channels: int

    def batch_bits(self, b: Batch, device: torch.device) -> torch.Tensor:
        """The training loss: code length in bits of each patch of a batch (B,), side information excluded."""
        ...

    def max_symbol(self, variant: str) -> int:
        """The largest symbol this model writes to the range coder for pixels of ``variant``."""
        ...

    def encode_chunk(self, u: torch.Tensor, chunk: Chunk, enc: MixtureRangeEncoder, tally: Tally) -> None:
        """Code ``u = patches - offsets`` (B, C, S, S, the model's float type) into ``enc``."""
        ...

    def decode_chunk(self, chunk: Chunk, dec: MixtureRangeDecoder) -> torch.Tensor:
        """The ``u`` that `encode_chunk` coded, read back from ``dec``."""
        ...


@dataclass(frozen=True)
class ModelSpec:
    """One neural model's row: everything the generic codec, trainer and checkpoint loader need of it."""

    name: str  # checkpoint prefix and catalog name
    title: str  # the paper architecture's name, in codec titles ("IDF", "PixelCNN++")
    build: Callable[[dict[str, Any], int], NeuralModel]  # (config as a checkpoint records it, input channels)
    configs: Mapping[str, Any]  # named configs (each with ``to_dict()``), ``small`` among them
    hparams: Mapping[str, Any]  # the paper's optimizer, lr, batch, decay per epoch
    chunk: int = 256  # patches coded together (the same chunks in encoder and decoder)
    always_exact: bool = False  # run through `baselines.neural.exact` even in process (its codec relies on it)

    def config(self, name: str) -> dict[str, Any]:
        if name not in self.configs:
            raise ValueError(f"unknown {self.name} config {name!r}; choose one of {', '.join(self.configs)}")
        return dict(self.configs[name].to_dict())
