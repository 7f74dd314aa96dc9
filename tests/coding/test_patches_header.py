"""Patches (reflection padding, exact inverse), the bitstream header, and the float environment."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import zlib

import numpy as np
import pytest

from evaluator.sdk.coding import (
    PINNED_ENV,
    BitstreamError,
    StreamHeader,
    float_env_mismatches,
    float_environment,
    from_patches,
    pack_header,
    to_patches,
    unpack_header,
)
from evaluator.sdk.coding import header as header_module
from evaluator.sdk.coding.patches import reflect_indices


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (32, 32), (33, 65), (2, 1, 1), (3, 40, 7)])
@pytest.mark.parametrize("size", [1, 4, 32])
def test_patches_roundtrip_exactly(shape: tuple[int, ...], size: int) -> None:
    x = np.random.default_rng(0).integers(0, 65536, shape).astype(np.uint16)
    patches, grid = to_patches(x, size)
    c = 1 if len(shape) == 2 else shape[0]
    assert patches.shape == (grid.count, c, size, size) and patches.dtype == np.uint16
    assert grid.rows * size - grid.pad[0] == shape[-2] and grid.cols * size - grid.pad[1] == shape[-1]
    back = from_patches(patches, grid)
    assert back.shape == x.shape and back.dtype == x.dtype
    np.testing.assert_array_equal(back, x)


def test_padding_reflects_like_numpy_and_handles_tiny_frames() -> None:
    for n in (2, 3, 5):
        for total in (n, n + 1, 3 * n + 2):
            a = np.arange(n)
            np.testing.assert_array_equal(a[reflect_indices(n, total)], np.pad(a, (0, total - n), mode="reflect"))
    np.testing.assert_array_equal(reflect_indices(1, 4), [0, 0, 0, 0])
    x = np.array([[1, 2, 3], [4, 5, 6]])
    patches, grid = to_patches(x, 4)
    np.testing.assert_array_equal(patches[0, 0], [[1, 2, 3, 2], [4, 5, 6, 5], [1, 2, 3, 2], [4, 5, 6, 5]])
    assert grid.pad == (2, 1)
    one, _ = to_patches(np.array([[7]]), 3)
    assert (one == 7).all()


def test_patches_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match=r"\(H, W\) or \(C, H, W\)"):
        to_patches(np.zeros(5))
    with pytest.raises(ValueError, match="empty"):
        to_patches(np.zeros((0, 4)))
    patches, grid = to_patches(np.zeros((8, 8)), 4)
    with pytest.raises(ValueError, match="do not fit the grid"):
        from_patches(patches[:3], grid)


def header() -> StreamHeader:
    return StreamHeader(
        shape=(2, 800, 800),
        dtype="<u2",
        model_id="pixelmlp-v1",
        weights_sha256="ab" * 32,
        float_env={"torch": "2.13.0", "OMP_NUM_THREADS": "1"},
        extra={"patch": 32, "medians": [1.5, 2.0]},
    )


def test_header_roundtrip_and_payload_offset() -> None:
    h = header()
    blob = pack_header(h) + b"PAYLOAD"
    back, offset = unpack_header(blob)
    assert back == h and isinstance(back.shape, tuple)
    assert blob[offset:] == b"PAYLOAD"
    assert blob[:4] == b"ACNC" and pack_header(h) == pack_header(back)


def v1(body: bytes) -> bytes:
    """A version-1 header (plain JSON) holding ``body``."""
    return b"ACNC\x01" + len(body).to_bytes(4, "little") + body


def v2(body: bytes, zdict: bytes = header_module.ZDICT) -> bytes:
    """A version-2 header (raw deflate against the preset dictionary) holding ``body``."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    packed = deflate.compress(body) + deflate.flush()
    return b"ACNC\x02" + len(packed).to_bytes(4, "little") + packed


def test_header_is_small_and_version_1_still_reads() -> None:
    h = header()
    blob = pack_header(h)
    body = json.dumps(dataclasses.asdict(h), sort_keys=True, separators=(",", ":")).encode()
    assert blob[4] == 2 and blob == v2(body)
    assert len(blob) < len(body) / 2, f"{len(blob)} header bytes for {len(body)} bytes of JSON"
    assert unpack_header(v1(body) + b"P") == (h, 9 + len(body))


def test_truncated_or_garbage_headers_say_what_is_wrong() -> None:
    blob = pack_header(header())
    for cut in range(len(blob)):
        with pytest.raises(BitstreamError, match="truncated|ends early"):
            unpack_header(blob[:cut])
    with pytest.raises(BitstreamError, match="not an AstroCompress neural bitstream"):
        unpack_header(b"\x89PNG" + blob[4:])
    with pytest.raises(BitstreamError, match="version 9"):
        unpack_header(blob[:4] + b"\x09" + blob[5:])
    with pytest.raises(BitstreamError, match="header is corrupt"):
        unpack_header(blob[:9] + b"\xff" * (len(blob) - 9))
    with pytest.raises(BitstreamError, match="JSON is corrupt"):
        unpack_header(v2(b"{" * 100))
    with pytest.raises(BitstreamError, match="JSON is corrupt"):
        unpack_header(v1(b"{" * 100))
    with pytest.raises(BitstreamError, match="limit"):
        unpack_header(blob[:5] + b"\xff\xff\xff\xff" + blob[9:])
    with pytest.raises(BitstreamError, match="inflates past the limit"):
        unpack_header(v2(b" " * (2 << 20)))
    body = json.dumps({"shape": [1]}).encode()
    for make in (v1, v2):
        with pytest.raises(BitstreamError, match="do not match"):
            unpack_header(make(body))
    fields = {**dataclasses.asdict(header()), "shape": [-1]}
    body = json.dumps(fields).encode()
    with pytest.raises(BitstreamError, match="invalid"):
        unpack_header(v2(body))


def test_header_refuses_values_json_cannot_hold() -> None:
    with pytest.raises(ValueError, match="JSON values only"):
        pack_header(StreamHeader(shape=(1,), extra={"a": object()}))
    with pytest.raises(TypeError, match="shape"):
        StreamHeader(shape=(1.5,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        StreamHeader(shape=(-1,))


def test_float_environment_names_what_the_floats_depend_on(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = types.SimpleNamespace(get_cpu_capability=lambda: "AVX2")
    fake_torch = types.SimpleNamespace(__version__="2.13.0+cpu", backends=types.SimpleNamespace(cpu=cpu))
    monkeypatch.setitem(sys.modules, "torch", fake_torch)  # the real one takes seconds to import
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("MKL_CBWR", raising=False)
    env = float_environment()
    assert env["torch"] == "2.13.0+cpu" and env["torch_cpu_capability"] == "AVX2"
    assert env["OMP_NUM_THREADS"] == "1" and env["MKL_CBWR"] == "unset"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
    for key in (*PINNED_ENV, "NPY_DISABLE_CPU_FEATURES", "torch", "torch_cpu_capability", "numpy", "machine"):
        assert key in env
    assert PINNED_ENV == {
        "ATEN_CPU_CAPABILITY": "avx2",
        "MKL_CBWR": "AVX2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
    }
    assert float_env_mismatches(env, env) == {}
    other = {**env, "OMP_NUM_THREADS": "8"}
    assert float_env_mismatches(other, env) == {"OMP_NUM_THREADS": ("8", env["OMP_NUM_THREADS"])}
