"""The entropy-coding layer the neural codecs share (numpy + constriction 0.5.0; never torch).

Models produce distributions, this package turns them into bytes and back:

- `coder`: discretized logistic mixtures (`MixtureParams`) and categorical tables coded
  with constriction's range coder, one call or step by step (autoregressive);
- `logistic`: the mixture's CDF, its window tables and its ideal code length;
- `patches`: frames to square patches (reflection padding) and back;
- `header`: the bitstream header (`StreamHeader`) and `BitstreamError`;
- `float_env`: the floating-point environment a model's numbers depend on.

It sits at the bottom of the stack, next to the codec SDK, so it can be copied into
codec images as it is.
"""

from evaluator.sdk.coding.coder import (
    MixtureRangeDecoder,
    MixtureRangeEncoder,
    decode_categorical,
    decode_mixture,
    encode_categorical,
    encode_mixture,
)
from evaluator.sdk.coding.float_env import PINNED_ENV, float_env_mismatches, float_environment
from evaluator.sdk.coding.header import BitstreamError, StreamHeader, pack_header, unpack_header
from evaluator.sdk.coding.logistic import MixtureParams, ideal_bits, mixture_cdf, symbol_log2_probs
from evaluator.sdk.coding.patches import PatchGrid, from_patches, to_patches

__all__ = [
    "PINNED_ENV",
    "BitstreamError",
    "MixtureParams",
    "MixtureRangeDecoder",
    "MixtureRangeEncoder",
    "PatchGrid",
    "StreamHeader",
    "decode_categorical",
    "decode_mixture",
    "encode_categorical",
    "encode_mixture",
    "float_env_mismatches",
    "float_environment",
    "from_patches",
    "ideal_bits",
    "mixture_cdf",
    "pack_header",
    "symbol_log2_probs",
    "to_patches",
    "unpack_header",
]
