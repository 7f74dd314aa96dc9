"""A self-describing header so a decoder needs nothing but the bitstream.

Layout (little endian): magic ``b"AC"``, format version (u8), dtype code
(u8), ndim (u8), then ndim x u32 dimensions; the codec payload follows.
Counted in the compressed size like every other byte.
"""

from __future__ import annotations

import struct

import numpy as np

from evaluator.sdk.errors import BadInput

MAGIC = b"AC"
VERSION = 1
_DTYPES: dict[int, np.dtype] = {1: np.dtype("<u2"), 2: np.dtype("<i2"), 3: np.dtype("u1")}
_CODES: dict[np.dtype, int] = {v: k for k, v in _DTYPES.items()}


class BitstreamError(BadInput, ValueError):
    """The bytes are not a bitstream this codec wrote (truncated or foreign)."""


def pack_header(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    dt = np.dtype(dtype).newbyteorder("<") if np.dtype(dtype).itemsize > 1 else np.dtype(dtype)
    if dt not in _CODES:
        raise TypeError(f"unsupported dtype {dtype}; the challenge data is uint16")
    if not 1 <= len(shape) <= 8:
        raise ValueError(f"unsupported number of dimensions: {len(shape)}")
    return MAGIC + struct.pack(f"<BBB{len(shape)}I", VERSION, _CODES[dt], len(shape), *shape)


def unpack_header(data: bytes) -> tuple[tuple[int, ...], np.dtype, int]:
    """Return ``(shape, dtype, header_length)``."""
    if len(data) < 5 or data[:2] != MAGIC:
        raise BitstreamError("not an AstroCompress bitstream (bad magic)")
    version, code, ndim = struct.unpack_from("<BBB", data, 2)
    if version != VERSION:
        raise BitstreamError(f"bitstream format version {version}, this decoder reads {VERSION}")
    if code not in _DTYPES or not 1 <= ndim <= 8:
        raise BitstreamError("corrupt bitstream header")
    end = 5 + 4 * ndim
    if len(data) < end:
        raise BitstreamError("truncated bitstream header")
    shape = struct.unpack_from(f"<{ndim}I", data, 5)
    return tuple(int(s) for s in shape), _DTYPES[code], end
