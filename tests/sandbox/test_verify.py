"""Safe reading of codec outputs and the bit-exact check (no Docker needed)."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

from evaluator.core.failures import CodecFailure
from evaluator.sandbox.verify import (
    check_output_folder,
    compare,
    load_decoded,
    oversized_output,
    read_output,
)


def npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=a.dtype.hasobject)  # object arrays: a pickle the evaluator must refuse
    return buf.getvalue()


ORIG = np.arange(12 * 10, dtype=np.uint16).reshape(12, 10)


def kind_of(fn, *args) -> tuple[str, str]:
    with pytest.raises(CodecFailure) as exc:
        fn(*args)
    return exc.value.kind, exc.value.message


def test_round_trip_accepts_exact_copy_and_big_endian_is_refused():
    out = load_decoded(npy_bytes(ORIG), ORIG)
    compare(out, ORIG)
    assert kind_of(load_decoded, npy_bytes(ORIG.astype(">u2")), ORIG)[0] == "not_lossless"


def test_fortran_order_is_loaded_correctly():
    out = load_decoded(npy_bytes(np.asfortranarray(ORIG)), ORIG)
    compare(out, ORIG)


@pytest.mark.parametrize("bad, text", [
    (npy_bytes(ORIG.astype(np.int32)), "decoded dtype <i4"),
    (npy_bytes(ORIG[:, :-1].copy()), "decoded shape (12, 9), expected (12, 10)"),
    (npy_bytes(ORIG)[:-2], "bytes, expected"),
    (b"not an npy file", "bad magic"),
    (npy_bytes(np.array([{"a": 1}], dtype=object)), "dtype"),
])
def test_bad_decoded_files_are_not_lossless(bad, text):
    kind, message = kind_of(load_decoded, bad, ORIG)
    assert kind == "not_lossless" and text in message


def test_header_claiming_a_huge_shape_allocates_nothing():
    header = "{'descr': '<u2', 'fortran_order': False, 'shape': (1000000000, 1000000000), }"
    header += " " * (63 - len(header) % 64) + "\n"
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    kind, message = kind_of(load_decoded, data, ORIG)
    assert kind == "not_lossless" and "(1000000000, 1000000000)" in message


def test_one_bit_difference_names_the_pixel():
    bad = ORIG.copy()
    bad[3, 4] ^= 1
    kind, message = kind_of(compare, bad, ORIG)
    assert kind == "not_lossless" and "first at index (3, 4)" in message


def test_read_output_checks_type_size_and_extra_files(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"x" * 10)
    assert read_output(tmp_path, "a.bin", 10, "encoder") == b"x" * 10
    assert kind_of(read_output, tmp_path, "a.bin", 9, "encoder")[0] == "output_too_large"
    assert kind_of(read_output, tmp_path, "missing.bin", 9, "encoder")[0] == "protocol"
    secret = tmp_path / "secret"
    secret.write_text("host secret")
    os.symlink(secret, tmp_path / "link.bin")
    kind, message = kind_of(read_output, tmp_path, "link.bin", 100, "encoder")
    assert kind == "protocol" and "symlink" in message
    os.mkfifo(tmp_path / "fifo.bin")
    assert kind_of(read_output, tmp_path, "fifo.bin", 100, "encoder")[0] == "protocol"
    os.link(tmp_path / "a.bin", tmp_path / "hard.bin")
    assert "linked" in kind_of(read_output, tmp_path, "hard.bin", 100, "encoder")[1]
    kind, message = kind_of(check_output_folder, tmp_path, "a.bin", "encoder")
    assert kind == "extra_files" and "secret" in message


def test_sparse_file_is_judged_by_its_claimed_size(tmp_path):
    with open(tmp_path / "s.bin", "wb") as fh:
        fh.truncate(1 << 40)  # 1 TiB, no blocks
    assert kind_of(read_output, tmp_path, "s.bin", 1 << 20, "encoder")[0] == "output_too_large"
    assert oversized_output(tmp_path, 1 << 20) is not None
