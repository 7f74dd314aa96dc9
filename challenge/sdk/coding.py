"""The SDK's entropy-coding layer, by its public name: ``from challenge.sdk.coding import encode_mixture``.

Discretized logistic mixtures over 16-bit (or 8-bit) symbols, categorical
tables, a range coder for autoregressive models, patches and a bitstream
header (``evaluator.sdk.coding``, on constriction). The torch base image carries
it; the plain base image does not (no constriction there).
"""

from evaluator.sdk.coding import *  # noqa: F403  (the public API is evaluator.sdk.coding.__all__)
from evaluator.sdk.coding import __all__ as __all__  # noqa: PLC0414
