"""The self-describing header in front of every neural codec's bitstream, and `BitstreamError`.

Layout: ``b"ACNC"``, one version byte, a little-endian uint32 length, then that many
bytes holding the `StreamHeader` fields as compact JSON (sorted keys). Version 2 (what
`pack_header` writes) stores that JSON raw-deflated against a fixed preset dictionary
(`ZDICT`): the fields stay self-describing but cost ~90 bytes instead of ~530, which
matters for small frames (a 160x160 frame codes to ~15 KB, so the plain JSON alone was
3.5 % of it). Version 1 (plain JSON) is still read. The payload (the entropy coder's
bytes) follows; `unpack_header` returns its offset.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

from evaluator.sdk.errors import BadInput

MAGIC = b"ACNC"
VERSION = 2
READABLE_VERSIONS = (1, 2)
ZDICT = (
    b'"AVX512","unset","msb-lsb","l3c:sdss-3d-lambda","l3c:sdss-3d-time","idf:jwst-2d-res",'
    b'{"dtype":"<u2","extra":{"chunk":256,"frames":1,"kind":"idf","patch":32,"residual_input":false,'
    b'"variant":"direct"},"float_env":{"ATEN_CPU_CAPABILITY":"avx2","MKL_CBWR":"AVX2",'
    b'"MKL_NUM_THREADS":"1","NPY_DISABLE_CPU_FEATURES":"unset","OMP_NUM_THREADS":"1",'
    b'"ONEDNN_MAX_CPU_ISA":"AVX2","machine":"x86_64","numpy":"2.4.6","numpy_simd":"X86_V3",'
    b'"torch":"2.13.0+cpu","torch_cpu_capability":"AVX2"},"model_id":"idf:sdss","shape":[800,800],'
    b'"weights_sha256":"'
)
"""Version 2's preset deflate dictionary: a typical header. Part of the format: never change it."""
_PREFIX = struct.Struct("<4sBI")  # magic, version, JSON length
MAX_JSON_BYTES = 1 << 20
"""A header over 1 MiB is refused as garbage (real ones are a few hundred bytes)."""


class BitstreamError(BadInput, ValueError):
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
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, ZDICT)
    packed = deflate.compress(body) + deflate.flush()
    return _PREFIX.pack(MAGIC, VERSION, len(packed)) + packed


def _inflate(packed: bytes) -> bytes:
    """Version 2's body: raw deflate against `ZDICT`, refused past `MAX_JSON_BYTES` (no zip bombs)."""
    inflate = zlib.decompressobj(-15, ZDICT)
    try:
        body = inflate.decompress(packed, MAX_JSON_BYTES + 1)
    except zlib.error as e:
        raise BitstreamError(f"header is corrupt (deflate: {e})") from e
    if len(body) > MAX_JSON_BYTES or inflate.unconsumed_tail:
        raise BitstreamError(f"header inflates past the limit of {MAX_JSON_BYTES} bytes of JSON: corrupt bitstream")
    if not inflate.eof:
        raise BitstreamError("header is corrupt: its deflate stream ends early")
    return body


def unpack_header(data: bytes) -> tuple[StreamHeader, int]:
    """The header at the start of ``data`` and the offset where the payload begins."""
    if len(data) < _PREFIX.size:
        raise BitstreamError(f"bitstream truncated: {len(data)} bytes, a header needs at least {_PREFIX.size}")
    magic, version, length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise BitstreamError(f"not an AstroCompress neural bitstream: starts with {magic!r}, expected {MAGIC!r}")
    if version not in READABLE_VERSIONS:
        raise BitstreamError(
            f"bitstream header version {version}; this decoder reads versions {', '.join(map(str, READABLE_VERSIONS))}"
        )
    if length > MAX_JSON_BYTES:
        raise BitstreamError(f"header claims {length} bytes of JSON (limit {MAX_JSON_BYTES}): corrupt bitstream")
    end = _PREFIX.size + length
    if len(data) < end:
        raise BitstreamError(f"bitstream truncated inside the header: needs {end} bytes, has {len(data)}")
    body = bytes(data[_PREFIX.size : end])
    if version == 2:
        body = _inflate(body)
    try:
        fields = json.loads(body.decode("utf-8"))
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
