"""Near-lossless baselines of ours (not in the paper): |decoded - original| <= δ ADU on every pixel.

Each codec is ``encode(x, max_abs_error=δ) -> bytes`` / ``decode(bytes) -> array``
(the SDK passes the request's bound as that keyword); the bitstream carries
everything the decoder needs, δ included. ``NEAR_LOSSLESS_CODECS`` is their table:

- ``jpegls-near``: JPEG-LS near-lossless, CharLS's NEAR parameter = δ
  (``imagecodecs.jpegls_encode(y, level=δ)``), framed exactly as the lossless
  JPEG-LS baseline (``baselines.classical.codecs``: header + payload, frames
  reshaped to (H, -1)). The JPEG-LS stream records NEAR itself; δ = 0 writes
  byte for byte the lossless JPEG-LS bitstream. CharLS takes NEAR <= 255: a
  larger δ is coded at NEAR = 255 (within the bound, not using all of it).
- ``quantize-rice``, ``quantize-jpegxl``: quantise, then code losslessly.
  Uniform bins of width 2δ+1, ``q = (x + δ) // (2δ+1)`` (in uint32, no
  overflow), mid-point reconstruction ``x̂ = min(q (2δ+1), 65535)`` so
  |x̂ - x| <= δ; the lossless baseline (RICE; JPEG-XL at imagecodecs' default
  effort 5) codes q. Bitstream = ``b"Q"`` + δ (u16, little endian; any δ >=
  65535 allows every error and is stored as 65535) + the inner baseline's
  bitstream of q. δ = 0 is the identity: the inner codec's lossless result.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

import imagecodecs
import numpy as np

from baselines.classical.bitstream_header import BitstreamError
from baselines.classical.codecs import get_codec

BOUND_KEYWORD = "max_abs_error"  # the SDK's keyword (evaluator.sdk.server.BOUND_KEYWORD)
UINT16_MAX = 65535
CHARLS_MAX_NEAR = 255  # CharLS refuses a larger NEAR ("outside the range [0, 255]")
_QUANT = struct.Struct("<cH")  # b"Q", δ
_QUANT_MAGIC = b"Q"


def checked_bound(codec: str, max_abs_error: object) -> int:
    """The bound as an int >= 0; a negative or non-integer one is refused with the reason."""
    if isinstance(max_abs_error, bool) or not isinstance(max_abs_error, (int, np.integer)):
        raise TypeError(f"{codec}: {BOUND_KEYWORD} must be an integer number of ADU >= 0, "
                        f"got {max_abs_error!r} ({type(max_abs_error).__name__})")
    if max_abs_error < 0:
        raise ValueError(f"{codec}: {BOUND_KEYWORD} must be >= 0 ADU, got {max_abs_error}")
    return int(max_abs_error)


def quantize(x: np.ndarray, delta: int) -> np.ndarray:
    """Bin indices ``(x + δ) // (2δ+1)`` of uint16 data, as uint16 (δ <= 65535)."""
    if delta == 0:
        return x
    return ((x.astype(np.uint32) + delta) // (2 * delta + 1)).astype(np.uint16)


def dequantize(q: np.ndarray, delta: int) -> np.ndarray:
    """Mid-point reconstruction ``min(q (2δ+1), 65535)``: within δ of every value of bin q."""
    if delta == 0:
        return q
    return np.minimum(q.astype(np.uint32) * (2 * delta + 1), UINT16_MAX).astype(np.uint16)


@dataclass(frozen=True)
class JpeglsNear:
    """JPEG-LS with NEAR = δ, in the lossless JPEG-LS baseline's framing."""

    name: str
    title: str

    def encode(self, x: np.ndarray, max_abs_error: int = 0) -> bytes:
        near = min(checked_bound(self.name, max_abs_error), CHARLS_MAX_NEAR)
        lossless = get_codec("jpegls")  # its header, dtype checks and (H, -1) reshape; NEAR in place of 0
        return replace(lossless, _encode=lambda y: bytes(imagecodecs.jpegls_encode(y, level=near))).encode(x)

    def decode(self, data: bytes) -> np.ndarray:
        return get_codec("jpegls").decode(data)  # CharLS reads NEAR from the JPEG-LS stream


@dataclass(frozen=True)
class QuantizeThenCode:
    """Bins of width 2δ+1, then the lossless baseline ``inner`` codes the bin indices."""

    name: str
    title: str
    inner: str  # a codec of ``baselines.classical.codecs.CODECS``

    def encode(self, x: np.ndarray, max_abs_error: int = 0) -> bytes:
        delta = min(checked_bound(self.name, max_abs_error), UINT16_MAX)
        if x.dtype != np.uint16:
            raise TypeError(f"{self.name}: expected uint16 data, got {x.dtype}")
        return _QUANT.pack(_QUANT_MAGIC, delta) + get_codec(self.inner).encode(quantize(np.ascontiguousarray(x), delta))

    def decode(self, data: bytes) -> np.ndarray:
        if len(data) < _QUANT.size or data[:1] != _QUANT_MAGIC:
            raise BitstreamError(f"{self.name}: not a quantised bitstream (bad magic)")
        _, delta = _QUANT.unpack_from(data)
        return dequantize(get_codec(self.inner).decode(bytes(memoryview(data)[_QUANT.size:])), delta)


NearLosslessCodec = JpeglsNear | QuantizeThenCode

_CODEC_LIST: list[NearLosslessCodec] = [
    JpeglsNear("jpegls-near", "JPEG-LS near-lossless"),
    QuantizeThenCode("quantize-rice", "Quantise 2δ+1 + RICE", "rice"),
    QuantizeThenCode("quantize-jpegxl", "Quantise 2δ+1 + JPEG-XL", "jpegxl"),
]
NEAR_LOSSLESS_CODECS: dict[str, NearLosslessCodec] = {c.name: c for c in _CODEC_LIST}


def get_near_lossless_codec(name: str) -> NearLosslessCodec:
    try:
        return NEAR_LOSSLESS_CODECS[name]
    except KeyError:
        raise KeyError(f"unknown near-lossless codec {name!r}; choose one of: {', '.join(NEAR_LOSSLESS_CODECS)}") \
            from None
