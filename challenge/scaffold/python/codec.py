"""A simple codec for uint16 images: delta filter + zigzag + byte planes + zlib.

Replace ``encode`` and ``decode`` with your own method; ``challenge test``
checks every item round-trips bit-exactly and measures ratio and speed.

Near-lossless tracks (``codec.toml``: ``modes = ["lossless", "near-lossless"]``)
ask ``encode`` for ``|decoded - x| <= max_abs_error``: this template quantises
to bins of width ``2 * max_abs_error + 1`` (mid-point reconstruction) before
coding. With 0 (lossless tracks) it is the identity.

The bitstream is self-contained (the contract requires it): a magic, the
bound, the number of dimensions, the shape, then the compressed payload.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from challenge.sdk import serve

MAGIC = b"DZ02"


def _zigzag(diff: np.ndarray) -> np.ndarray:
    s = diff.view(np.int16).astype(np.int32)
    return ((s << 1) ^ (s >> 15)).astype(np.uint16)


def _unzigzag(z: np.ndarray) -> np.ndarray:
    u = z.astype(np.uint32)
    return ((u >> 1) ^ (-(u & 1)).astype(np.uint32)).astype(np.uint16)


def encode(image: np.ndarray, max_abs_error: int = 0) -> bytes:
    if image.dtype != np.uint16:
        raise ValueError(f"expected uint16 input, got {image.dtype}")
    width = 2 * max_abs_error + 1  # bins of 2d+1 values; the decoder multiplies back (error <= d)
    quantised = ((image.astype(np.int64) + max_abs_error) // width).astype(np.uint16)
    rows = np.ascontiguousarray(quantised).reshape(-1, image.shape[-1])
    # Predict each pixel by its left neighbour (differences wrap modulo 2**16).
    diff = np.diff(rows, axis=1, prepend=np.zeros((rows.shape[0], 1), np.uint16))
    z = _zigzag(diff.astype(np.uint16))
    planes = z.astype("<u2").view(np.uint8).reshape(-1, 2).T  # low bytes, then high bytes
    payload = zlib.compress(np.ascontiguousarray(planes).tobytes(), 9)
    header = MAGIC + struct.pack("<HB", max_abs_error, image.ndim) + struct.pack(f"<{image.ndim}I", *image.shape)
    return header + payload


def decode(stream: bytes) -> np.ndarray:
    if stream[:4] != MAGIC:
        raise ValueError("not a DZ02 bitstream")
    bound, ndim = struct.unpack_from("<HB", stream, 4)
    shape = struct.unpack_from(f"<{ndim}I", stream, 7)
    planes = np.frombuffer(zlib.decompress(stream[7 + 4 * ndim:]), np.uint8).reshape(2, -1)
    z = np.ascontiguousarray(planes.T).view("<u2").reshape(-1, shape[-1]).astype(np.uint16)
    rows = np.cumsum(_unzigzag(z), axis=1, dtype=np.uint16)  # wraps modulo 2**16, as the diff did
    values = rows.reshape(shape).astype(np.int64) * (2 * bound + 1)
    return np.minimum(values, 65535).astype(np.uint16)


if __name__ == "__main__":
    raise SystemExit(serve(encode, decode, name="{{name}}", version="0.1.0"))
