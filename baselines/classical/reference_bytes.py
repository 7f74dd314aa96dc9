"""What the reference classical codecs (RICE, JPEG-XL max) write for a frame: bytes, each stream checked.

One function for every place that sets a model beside RICE and JPEG-XL max on the same frames (the
packaged real frames: ``scripts/bench_packaged.py``, ``scripts/bench_neural.py``, the neural checkpoints'
real-val block, ``baselines.neural.real_val``): the bitstream the baseline codec writes (as the baseline
images run it, header included), decoded again and compared bit for bit.
"""

from __future__ import annotations

import numpy as np

from baselines.classical.codecs import get_codec
from evaluator.sdk.errors import PlatformFault

REFERENCE_CODECS: tuple[str, ...] = ("rice", "jpegxl-max")


class RoundTripError(PlatformFault, RuntimeError):
    """A reference codec did not give back the frame it encoded."""


def reference_bytes(data: np.ndarray, item_id: str, codecs: tuple[str, ...] = REFERENCE_CODECS) -> dict[str, int]:
    """Bytes of each codec's bitstream of ``data``; `RoundTripError` when one does not decode to ``data``."""
    out: dict[str, int] = {}
    for name in codecs:
        codec = get_codec(name)
        blob = codec.encode(data)
        if not np.array_equal(codec.decode(blob), data):
            raise RoundTripError(f"{name} did not round-trip {item_id}: its decoded frame differs from the input")
        out[name] = len(blob)
    return out
