"""Reading what a codec wrote, safely, and the bit-exact round-trip check.

DESIGN.md "Sandbox": output files are checked with ``lstat`` (regular file,
no symlink, one link, size within the cap: a sparse file can claim 100 GB on
a 64 MB tmpfs), opened with ``O_NOFOLLOW`` and read into memory *once*,
right after the ``ok`` (a background process could still be appending). Any
other file that appeared in the output folder is an error. The decoded
``.npy`` header is validated before anything is allocated, then the array is
viewed in place (``np.frombuffer``: no pickle, no copy; the same result as
``np.load(..., allow_pickle=False)``) and compared with the evaluator's own
in-memory copy of the original (DESIGN.md "Measurement": shape, dtype and
every bit).
"""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import numpy as np

from evaluator.core.failures import CodecFailure

NPY_MAGIC = b"\x93NUMPY"
MAX_NPY_HEADER = 64 * 1024
_ACCEPTED_DTYPES = {np.dtype("<u2")} | ({np.dtype("=u2")} if np.little_endian else set())


def check_output_folder(folder: Path, expected: str, who: str) -> None:
    """Fail with ``extra_files`` when anything but ``expected`` is in ``folder``."""
    extra = sorted(e.name for e in os.scandir(folder) if e.name != expected)
    if extra:
        shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        raise CodecFailure(
            "extra_files",
            f"the {who} left files besides the requested output in /work/out: {shown}; "
            "write only the requested output (use /tmp for scratch files)",
        )


def oversized_output(folder: Path, cap: int) -> str | None:
    """Name a file in ``folder`` larger than ``cap`` (or the total), if any: used after a failure."""
    total = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for e in entries:
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        total += st.st_size
        if st.st_size > cap:
            return f"{e.name} has {st.st_size} bytes"
    if total > cap:
        return f"{len(entries)} files total {total} bytes"
    return None


def read_output(folder: Path, name: str, cap: int, who: str) -> bytearray:
    """Read ``folder/name`` once, safely; the bytes returned are what gets counted and decoded."""
    path = folder / name
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise CodecFailure("protocol", f"the {who} answered ok but wrote no /work/out/{name}") from None
    if stat.S_ISLNK(st.st_mode):
        raise CodecFailure("protocol", f"the {who}'s output /work/out/{name} is a symlink; write a regular file")
    if not stat.S_ISREG(st.st_mode):
        raise CodecFailure("protocol", f"the {who}'s output /work/out/{name} is not a regular file")
    if st.st_size > cap:
        raise CodecFailure(
            "output_too_large", f"the {who}'s output /work/out/{name} has {st.st_size} bytes, over the cap of {cap}"
        )
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise CodecFailure("protocol", f"cannot open the {who}'s output /work/out/{name}: {exc.strerror}") from None
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode) or fst.st_nlink != 1:
            raise CodecFailure(
                "protocol", f"the {who}'s output /work/out/{name} changed into a non-regular or linked file"
            )
        # One preallocated buffer of the size the file has now (no chunk list, no join copy);
        # a file still growing after the ok is read on up to the cap, never beyond.
        buf = bytearray(min(fst.st_size, cap))
        view = memoryview(buf)
        got = 0
        while got < len(buf):
            n = os.readv(fd, [view[got:]])
            if n == 0:
                break
            got += n
        del view
        if got < len(buf):
            del buf[got:]
        while len(buf) <= cap:
            more = os.read(fd, min(1 << 20, cap + 1 - len(buf)))
            if not more:
                break
            buf += more
        if len(buf) > cap:
            raise CodecFailure("output_too_large",
                               f"the {who}'s output /work/out/{name} grew past the cap of {cap} bytes")
        return buf
    finally:
        os.close(fd)


def _parse_npy_header(data: bytes | bytearray) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """(dtype, shape, fortran_order, offset of the array bytes); raises ValueError."""
    if len(data) < 10 or bytes(data[:6]) != NPY_MAGIC:
        raise ValueError("not a .npy file (bad magic bytes)")
    major = data[6]
    if major == 1:
        hlen = int.from_bytes(data[8:10], "little")
        start = 10
    elif major in (2, 3):
        if len(data) < 12:
            raise ValueError("truncated .npy header")
        hlen = int.from_bytes(data[8:12], "little")
        start = 12
    else:
        raise ValueError(f"unsupported .npy version {major}")
    if hlen > MAX_NPY_HEADER or start + hlen > len(data):
        raise ValueError("truncated or oversized .npy header")
    try:
        header = ast.literal_eval(bytes(data[start : start + hlen]).decode("latin1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError(f"unreadable .npy header ({exc.__class__.__name__})") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise ValueError("the .npy header must have exactly descr, fortran_order and shape")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str):
        raise ValueError(f"unsupported .npy dtype description {descr!r}")
    try:
        dtype = np.dtype(descr)
    except TypeError:
        raise ValueError(f"unsupported .npy dtype {descr!r}") from None
    if not isinstance(fortran, bool):
        raise ValueError("fortran_order must be True or False")
    if not isinstance(shape, tuple) or not all(isinstance(s, int) and s >= 0 for s in shape) or len(shape) > 32:
        raise ValueError(f"bad .npy shape {shape!r}")
    return dtype, shape, fortran, start + hlen


def load_decoded(data: bytes | bytearray, original: np.ndarray, who: str = "decoder") -> np.ndarray:
    """Validate a decoded ``.npy`` against the original's shape and dtype, then load it.

    Nothing is allocated from the header's numbers: the shape must equal the
    original's and the byte count must match exactly before the bytes are
    viewed as an array.
    """
    try:
        dtype, shape, _fortran, offset = _parse_npy_header(data)
    except ValueError as exc:
        raise CodecFailure("not_lossless", f"the {who}'s output is not a valid .npy: {exc}") from None
    if dtype.hasobject or dtype not in _ACCEPTED_DTYPES:
        raise CodecFailure(
            "not_lossless", f"decoded dtype {dtype.str} ({dtype.name}), expected uint16 (<u2) like the original"
        )
    if tuple(shape) != tuple(original.shape):
        raise CodecFailure("not_lossless", f"decoded shape {tuple(shape)}, expected {tuple(original.shape)}")
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise CodecFailure(
            "not_lossless", f"decoded .npy has {len(data)} bytes, expected {expected} for shape {tuple(shape)}"
        )
    # Header and size are validated: view the bytes as the array (no copy, no pickle possible;
    # equivalent to np.load(..., allow_pickle=False) on this validated input).
    return np.frombuffer(data, dtype=dtype, count=int(np.prod(shape, dtype=np.int64)), offset=offset).reshape(
        shape, order="F" if _fortran else "C")


def compare(decoded: np.ndarray, original: np.ndarray) -> None:
    """Raise ``not_lossless`` unless shape, dtype and every bit agree."""
    if decoded.shape != original.shape:
        raise CodecFailure("not_lossless", f"decoded shape {decoded.shape}, expected {original.shape}")
    if decoded.dtype != original.dtype:
        raise CodecFailure("not_lossless", f"decoded dtype {decoded.dtype}, expected {original.dtype}")
    a = np.ascontiguousarray(decoded).view(np.uint16)
    b = np.ascontiguousarray(original).view(np.uint16)
    if not np.array_equal(a, b):
        diff = a != b
        n = int(diff.sum())
        first = tuple(int(i) for i in np.argwhere(diff)[0])
        raise CodecFailure(
            "not_lossless",
            f"{n} of {a.size} pixels differ; first at index {first}: decoded {int(a[first])}, "
            f"original {int(b[first])}",
        )


def check_bound(decoded: np.ndarray, original: np.ndarray, max_abs_error: int) -> None:
    """Near-lossless: raise ``bound_exceeded`` unless |decoded - original| <= ``max_abs_error`` on every pixel.

    Shape and dtype must agree as for a lossless item. The difference is taken in int64 (exact: no uint16
    wrap-around, no floating point), and the message names the worst pixel, its error and the bound.
    """
    if max_abs_error <= 0:
        compare(decoded, original)
        return
    if decoded.shape != original.shape:
        raise CodecFailure("not_lossless", f"decoded shape {decoded.shape}, expected {original.shape}")
    if decoded.dtype != original.dtype:
        raise CodecFailure("not_lossless", f"decoded dtype {decoded.dtype}, expected {original.dtype}")
    err = np.abs(decoded.astype(np.int64) - original.astype(np.int64))
    worst = int(np.argmax(err))
    if int(err.flat[worst]) > max_abs_error:
        where = tuple(int(i) for i in np.unravel_index(worst, err.shape))
        n = int(np.count_nonzero(err > max_abs_error))
        raise CodecFailure(
            "bound_exceeded",
            f"{n} of {err.size} pixels exceed the bound of {max_abs_error} ADU; the worst at index {where}: "
            f"decoded {int(decoded[where])}, original {int(original[where])}, error {int(err[where])} ADU",
        )
