"""The self-describing header in front of every neural codec's bitstream, and `BitstreamError`.

Layout: ``b"ACNC"``, one version byte, a little-endian uint32 length, then that many
bytes of compact JSON (sorted keys) holding the `StreamHeader` fields. The payload
(the entropy coder's bytes) follows; `unpack_header` returns its offset.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict, dataclass, field
from typing import Any

MAGIC = b"ACNC"
VERSION = 1
_PREFIX = struct.Struct("<4sBI")  # magic, version, JSON length
MAX_JSON_BYTES = 1 << 20
"""A header over 1 MiB is refused as garbage (real ones are a few hundred bytes)."""


class BitstreamError(ValueError):
    """A bitstream that cannot be decoded: truncated, not ours, another version, or corrupt."""


@dataclass(frozen=True)
class StreamHeader:
    """What a decoder must know before the payload: the array, the model, the float environment."""

    shape: tuple[int, ...]
    dtype: str = "<u2"
    model_id: str = ""
    weights_sha256: str = ""
    float_env: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shape = tuple(self.shape)
        if not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
            raise TypeError(f"StreamHeader.shape must be a tuple of ints, got {self.shape!r}")
        if any(d < 0 for d in shape):
            raise ValueError(f"StreamHeader.shape must not hold negative sizes, got {self.shape!r}")
        object.__setattr__(self, "shape", shape)
        for name in ("dtype", "model_id", "weights_sha256"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"StreamHeader.{name} must be a str, got {getattr(self, name)!r}")
        if not isinstance(self.float_env, dict) or not isinstance(self.extra, dict):
            raise TypeError("StreamHeader.float_env and StreamHeader.extra must be dicts")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.float_env.items()):
            raise TypeError("StreamHeader.float_env must map str to str (see float_environment())")


def pack_header(h: StreamHeader) -> bytes:
    """The header's bytes; raises ValueError when ``extra`` holds something JSON cannot write."""
    try:
        body = json.dumps(asdict(h), sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"StreamHeader.extra must hold JSON values only (str, int, float, bool, list, dict): {e}"
        ) from e
    if len(body) > MAX_JSON_BYTES:
        raise ValueError(f"StreamHeader is {len(body)} bytes of JSON; the limit is {MAX_JSON_BYTES}")
    return _PREFIX.pack(MAGIC, VERSION, len(body)) + body


def unpack_header(data: bytes) -> tuple[StreamHeader, int]:
    """The header at the start of ``data`` and the offset where the payload begins."""
    if len(data) < _PREFIX.size:
        raise BitstreamError(f"bitstream truncated: {len(data)} bytes, a header needs at least {_PREFIX.size}")
    magic, version, length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise BitstreamError(f"not an AstroCompress neural bitstream: starts with {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise BitstreamError(f"bitstream header version {version}; this decoder reads version {VERSION} only")
    if length > MAX_JSON_BYTES:
        raise BitstreamError(f"header claims {length} bytes of JSON (limit {MAX_JSON_BYTES}): corrupt bitstream")
    end = _PREFIX.size + length
    if len(data) < end:
        raise BitstreamError(f"bitstream truncated inside the header: needs {end} bytes, has {len(data)}")
    try:
        fields = json.loads(bytes(data[_PREFIX.size : end]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BitstreamError(f"header JSON is corrupt: {e}") from e
    if not isinstance(fields, dict):
        raise BitstreamError(f"header JSON must be an object, got {type(fields).__name__}")
    expected = {"shape", "dtype", "model_id", "weights_sha256", "float_env", "extra"}
    if set(fields) != expected:
        raise BitstreamError(
            f"header fields {sorted(fields)} do not match {sorted(expected)}: written by another version?"
        )
    if not isinstance(fields["shape"], list):
        raise BitstreamError(f"header 'shape' must be a list, got {fields['shape']!r}")
    try:
        header = StreamHeader(**{**fields, "shape": tuple(fields["shape"])})
    except (TypeError, ValueError, AttributeError) as e:
        raise BitstreamError(f"header fields are invalid: {e}") from e
    return header, end
