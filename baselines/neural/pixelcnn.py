"""PixelCNN++ as a neural baseline: the network (`pixelcnn_net`) and its chunk coder, raster step by step.

`PixelCNN` is `pixelcnn_net.PixelCNNNetwork` (same weights, same names) with the chunk coder of
`baselines.neural.model_api.NeuralModel`: its training loss and the coding of a chunk of patches through the
cached incremental step (`pixelcnn_step`, `pixelcnn_stream`; both read the network module, so this one can import
them). ``SPEC`` is its row of `baselines.neural.models.MODELS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from baselines.neural import common
from baselines.neural.model_api import Chunk, ModelSpec
from baselines.neural.pixelcnn_net import (
    GROUP,
    LN2_OVER_STEPS,
    PIXELCNN_CONFIGS,
    PixelCNNConfig,
    PixelCNNNetwork,
    coupling_pairs,
    head_channels,
)
from baselines.neural.pixelcnn_stream import pixelcnn_decode, pixelcnn_encode
from baselines.neural.streams import Tally
from evaluator.sdk.coding import MixtureRangeDecoder, MixtureRangeEncoder

if TYPE_CHECKING:
    from baselines.neural.data import Batch


class PixelCNN(PixelCNNNetwork):
    """PixelCNN++ over ``in_channels`` channels, as a chunk coder (`model_api.NeuralModel`)."""

    def batch_bits(self, b: Batch, device: torch.device) -> torch.Tensor:
        return self.nll_bits(b.u.to(device), b.s.to(device), b.low.to(device), b.high.to(device))

    def max_symbol(self, variant: str) -> int:
        return common.variant_max_symbol(variant)

    def encode_chunk(self, u: torch.Tensor, chunk: Chunk, enc: MixtureRangeEncoder, tally: Tally) -> None:
        pixelcnn_encode(self, u, chunk.s, chunk.codes, chunk.offset, chunk.real, enc, tally, chunk.max_symbol)

    def decode_chunk(self, chunk: Chunk, dec: MixtureRangeDecoder) -> torch.Tensor:
        return pixelcnn_decode(self, chunk.s, chunk.codes, chunk.offset, chunk.real, dec, chunk.n, chunk.size)


SPEC = ModelSpec("pixelcnn", "PixelCNN++", lambda config, channels: PixelCNN(PixelCNNConfig(**config), channels),
                 PIXELCNN_CONFIGS, {"optimizer": "adam", "lr": 2e-4, "batch": 16, "decay": 0.999}, chunk=1024,
                 always_exact=True)
"""The paper's Adam at 2e-4 (Supplement C.2) with pixel-cnn-pp's batch of 16; a chunk of 1,024 patches advances
together through the 1,024 raster steps; always exact (its cached step equals the full pass, the likelihood training
and validation measure, only then)."""

__all__ = ["GROUP", "LN2_OVER_STEPS", "PIXELCNN_CONFIGS", "SPEC", "PixelCNN", "PixelCNNConfig", "coupling_pairs",
           "head_channels"]
