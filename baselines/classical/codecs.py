"""The paper's classical codecs, in process, with the paper's settings.

Each codec is a plain ``encode(array) -> bytes`` / ``decode(bytes) -> array``
pair; the bitstream starts with ``bitstream_header`` so decode needs nothing
else. These exact functions run inside the baseline codec images.

Settings (paper Section 4.1 and Supplement C; ``shared/DATA.md``):
- JPEG-XL max: ``jpegxl_encode(x, lossless=True, effort=9)``;
- JPEG-XL default: ``jpegxl_encode(x, lossless=True)`` (imagecodecs' effort 5);
- JPEG-2000, JPEG-LS: imagecodecs defaults, lossless;
- RICE: ``rcomp_encode`` (block size 32);
- multi-frame items: JPEG-XL and JPEG-2000 take the frames as channels
  (H, W, C); JPEG-LS and RICE get ``x.reshape((H, -1))`` of the frames-first
  item, literally as the authors wrote it (on the synthetic SDSS-3D tracks this
  gives RICE 3.10 / JPEG-LS 3.23 against the paper's 3.05 / 3.24, where
  interleaving the frames gives RICE 1.8). All single-threaded (imagecodecs'
  default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import imagecodecs
import numpy as np

from baselines.classical.bitstream_header import pack_header, unpack_header


def _to_channels_last(x: np.ndarray) -> np.ndarray:
    """(H, W) stays; (C, H, W) and (T, C, H, W) become (H, W, frames)."""
    if x.ndim == 2:
        return x
    frames = x.reshape((-1,) + x.shape[-2:])
    return np.ascontiguousarray(np.moveaxis(frames, 0, -1))


def _from_channels_last(y: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if len(shape) == 2:
        return y.reshape(shape)
    h, w = shape[-2:]
    return np.ascontiguousarray(np.moveaxis(y.reshape(h, w, -1), -1, 0)).reshape(shape)


@dataclass(frozen=True)
class ClassicalCodec:
    name: str  # identifier, also the image name suffix
    title: str  # the paper's column label
    _encode: Callable[[np.ndarray], bytes]
    _decode: Callable[[bytes, tuple[int, ...]], np.ndarray]
    flatten_frames: bool  # True: reshape((H, -1)); False: frames as channels

    def encode(self, x: np.ndarray) -> bytes:
        if x.dtype != np.uint16:
            raise TypeError(f"{self.name}: expected uint16 data, got {x.dtype}")
        if not 2 <= x.ndim <= 4:
            raise ValueError(f"{self.name}: expected 2 to 4 dimensions, got shape {x.shape}")
        x = np.ascontiguousarray(x)
        if self.flatten_frames:
            # The authors' literal ``x.reshape((H, -1))`` of the frames-first array.
            y = x.reshape((x.shape[-2], -1))
        else:
            y = _to_channels_last(x)
        return pack_header(x.shape, x.dtype) + self._encode(y)

    def decode(self, data: bytes) -> np.ndarray:
        shape, dtype, offset = unpack_header(data)
        h, w = shape[-2:]
        frames = int(np.prod(shape[:-2], dtype=np.int64)) if len(shape) > 2 else 1
        if self.flatten_frames or frames == 1:
            coded_shape: tuple[int, ...] = (h, w * frames)
        else:
            coded_shape = (h, w, frames)
        y = np.asarray(self._decode(bytes(memoryview(data)[offset:]), coded_shape), dtype=dtype)
        if self.flatten_frames:
            return np.ascontiguousarray(y).reshape(shape)
        return _from_channels_last(y, shape)


def _rice_decode(payload: bytes, shape: tuple[int, ...]) -> np.ndarray:
    return imagecodecs.rcomp_decode(payload, shape=shape, dtype=np.uint16)


CODECS: dict[str, ClassicalCodec] = {
    c.name: c
    for c in [
        ClassicalCodec("jpegxl-max", "JPEG-XL (max)",
                       lambda y: bytes(imagecodecs.jpegxl_encode(y, lossless=True, effort=9)),
                       lambda b, s: imagecodecs.jpegxl_decode(b), False),
        ClassicalCodec("jpegxl", "JPEG-XL",
                       lambda y: bytes(imagecodecs.jpegxl_encode(y, lossless=True)),
                       lambda b, s: imagecodecs.jpegxl_decode(b), False),
        ClassicalCodec("jpegls", "JPEG-LS",
                       lambda y: bytes(imagecodecs.jpegls_encode(y)),
                       lambda b, s: imagecodecs.jpegls_decode(b), True),
        ClassicalCodec("jpeg2000", "JPEG-2000",
                       lambda y: bytes(imagecodecs.jpeg2k_encode(y)),
                       lambda b, s: imagecodecs.jpeg2k_decode(b), False),
        ClassicalCodec("rice", "RICE", lambda y: bytes(imagecodecs.rcomp_encode(y)), _rice_decode, True),
    ]
}


def get_codec(name: str) -> ClassicalCodec:
    try:
        return CODECS[name]
    except KeyError:
        raise KeyError(f"unknown classical codec {name!r}; choose one of: {', '.join(CODECS)}") from None
