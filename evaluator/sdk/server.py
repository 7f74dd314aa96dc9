"""The codec SDK: two Python functions become a contract-speaking codec.

``challenge/CONTRACT.md`` (contract_version 2) is the contract; this module
is one implementation of it for Python authors::
    from challenge.sdk import serve

    def encode(x: np.ndarray) -> bytes: ...
    def decode(data: bytes) -> np.ndarray: ...

A near-lossless codec takes the request's bound as a keyword (and declares
``modes = ["lossless", "near-lossless"]`` in its ``codec.toml``)::

    def encode(x: np.ndarray, max_abs_error: int = 0) -> bytes: ...  # |decoded - x| <= max_abs_error

    if __name__ == "__main__":
        raise SystemExit(serve(encode, decode, name="my-codec", version="1.0"))

The image's entrypoint runs that file; the evaluator starts it as
``docker run IMAGE encode`` and ``docker run IMAGE decode``. ``serve``
prints the ready line, answers one JSON request per line until EOF (exit 0),
reports a failing item as ``{"ok": false, "error": ...}`` and keeps serving.
An ``encode`` may return an `Encoded` (bytes with the codec's coding NLL and
side bits): the ``ok`` answer then carries them, a report the evaluator records
but never verifies or ranks.
stdout carries protocol lines only: while ``serve`` runs, anything the user
code prints (Python ``print`` or a C library writing to file descriptor 1)
goes to stderr, the codec's log.

Runs with only numpy installed: it is copied into the codec base image, where
``challenge.sdk`` re-exports it as on the host. Participants import it by its
public name, ``challenge.sdk``.
"""

from __future__ import annotations

import inspect
import json
import logging
import numbers
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

import numpy as np

from evaluator.sdk.errors import BadInput

log = logging.getLogger("challenge.sdk")

MODES = ("encode", "decode")
# The evaluator refuses protocol lines longer than 64 KiB (CONTRACT.md,
# hardware profile table); error texts are cut well below that.
MAX_ERROR_CHARS = 4000
USAGE = "usage: <entrypoint> encode|decode   (JSON-lines codec server, see challenge/CONTRACT.md)"

TRACK_ENV = "ASTROCOMPRESS_TRACK"  # the evaluator names the track in both containers (CONTRACT.md)
THREAD_ENVS = ("ASTROCOMPRESS_CORES", "OMP_NUM_THREADS")  # the evaluator's thread count, first set wins


def current_track() -> str | None:
    """The track this container serves (``$ASTROCOMPRESS_TRACK``), or None when not run by the evaluator.

    A codec may use it to pick a per-track model when encoding; its decoder
    must still need nothing but the bitstream (write the choice into it).
    """
    return os.environ.get(TRACK_ENV) or None


def thread_count() -> int | None:
    """The thread count the evaluator gave this container (``$ASTROCOMPRESS_CORES``, else ``$OMP_NUM_THREADS``).

    None when neither is a positive integer (not run by the evaluator).
    """
    for var in THREAD_ENVS:
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def _apply_thread_count() -> None:
    """PyTorch, when the codec imported it, runs the evaluator's thread count, whatever the codec set at import.

    The SDK never pins threads itself: the evaluator decides (and its portable-decode
    check decodes under another count, which must take effect).
    """
    torch = sys.modules.get("torch")
    threads = thread_count()
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)


@runtime_checkable
class TrackSpecific(Protocol):
    """A codec object with a model per track: ``for_track(name)`` gives the one to encode that track with."""

    def for_track(self, track: str) -> Any: ...


Encoder = Callable[..., bytes]  # encode(x) or, near-lossless, encode(x, max_abs_error=0); may return `Encoded`

CODING_BITS_KEY, SIDE_BITS_KEY = "coding_bits", "side_bits"  # the encode answer's optional report (CONTRACT.md §2)
MAX_CODING_BITS = 8 * 2**40  # the most coding_bits the evaluator takes (a terabyte of bits)


class Encoded(bytes):
    """A bitstream with the codec's own report beside it: what ``encode`` may return instead of plain bytes.

    ``coding_bits``: the ideal length in bits of the range-coded payload under the distribution the coder applied
    (``MixtureRangeEncoder.coding_bits``); ``side_bits``: the bits of the stream that are not range-coded payload
    (header and side information). ``serve`` adds both to the ``ok`` answer, the evaluator records them beside
    the bytes (its ``coding_overhead``: payload bits over coding bits). A codec's own report: never verified,
    never ranked. Slicing or ``bytes(...)`` gives plain bytes.
    """

    coding_bits: float | None
    side_bits: int | None

    def __new__(cls, data: bytes | bytearray | memoryview, *, coding_bits: float | None = None,
                side_bits: int | None = None) -> Encoded:
        self = super().__new__(cls, data)
        self.coding_bits = None if coding_bits is None else _report_bits(coding_bits)
        self.side_bits = None if side_bits is None else _report_side_bits(side_bits, len(self))
        return self

    def report(self) -> dict[str, float | int]:
        """The fields the ``ok`` answer carries (those given)."""
        out: dict[str, float | int] = {}
        if self.coding_bits is not None:
            out[CODING_BITS_KEY] = self.coding_bits
        if self.side_bits is not None:
            out[SIDE_BITS_KEY] = self.side_bits
        return out


def _report_bits(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) <= MAX_CODING_BITS:
        raise ValueError(f"Encoded: coding_bits must be a finite number of bits in 0 .. {MAX_CODING_BITS}, "
                         f"got {value!r}")
    return float(value)


def _report_side_bits(value: object, nbytes: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= int(value) <= 8 * nbytes:
        raise ValueError(f"Encoded: side_bits must be an integer in 0 .. 8 * len(stream) = {8 * nbytes} "
                         f"(header and side information), got {value!r}")
    return int(value)


def encode_report(data: object) -> dict[str, float | int]:
    """What the ``ok`` answer to an encode request adds for ``encode``'s result: an `Encoded`'s report, else none.

    The evaluator's in-process path reads a result the same way (both record the same)."""
    return data.report() if isinstance(data, Encoded) else {}


BOUND_KEYWORD = "max_abs_error"  # the request field and the encode keyword (CONTRACT.md §2, near-lossless)
Decoder = Callable[[bytes], np.ndarray]


class RequestError(BadInput, ValueError):
    """A request line the server cannot act on (bad JSON or missing fields)."""


def supports_bound(encode: Callable[..., Any]) -> bool:
    """Whether ``encode`` takes the near-lossless bound (a ``max_abs_error`` keyword)."""
    try:
        params = inspect.signature(encode).parameters
    except (TypeError, ValueError):
        return False
    p = params.get(BOUND_KEYWORD)
    return p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)


def call_encode(encode: Callable[..., Any], x: np.ndarray, max_abs_error: int = 0) -> Any:
    """``encode(x)`` for a lossless request; ``encode(x, max_abs_error=d)`` for a near-lossless one.

    A lossless-only ``encode`` (no ``max_abs_error`` keyword) asked for d > 0 raises: it cannot honour
    the bound, and the evaluator never offers it a near-lossless track.
    """
    if not max_abs_error:
        return encode(x)
    if not supports_bound(encode):
        raise RequestError(f"this codec is lossless-only: its encode takes no {BOUND_KEYWORD} keyword, "
                           f"but the request asks for {BOUND_KEYWORD}={max_abs_error}")
    return encode(x, **{BOUND_KEYWORD: max_abs_error})


def request_bound(request: dict[str, Any]) -> int:
    """The request's ``max_abs_error`` (0 when absent: lossless); a non-integer or negative value is refused."""
    value = request.get(BOUND_KEYWORD, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RequestError(f"{BOUND_KEYWORD} must be an integer >= 0 (ADU), got {value!r}")
    return value


def serve(
    encode: Encoder,
    decode: Decoder,
    *,
    name: str | None = None,
    version: str | None = None,
    info: dict[str, Any] | None = None,
    argv: list[str] | None = None,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
) -> int:
    """Run the codec server for the mode named in ``argv``; return the exit code.

    ``argv`` defaults to ``sys.argv[1:]`` and must be exactly ``["encode"]``
    or ``["decode"]`` (anything else prints the usage to stderr and returns
    2). ``info`` (small, JSON-able: e.g. ``{"params": 220435, "weights_sha256":
    ...}``) goes into the ready line; the evaluator records it beside the
    results. ``stdin``/``stdout`` default to the process's own streams; with the
    defaults, file descriptor 1 is pointed at stderr for the duration so no
    stray output can corrupt the protocol.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] not in MODES:
        print(f"{USAGE}\ngot arguments: {args!r}", file=sys.stderr)
        return 2
    mode = args[0]
    _configure_logging()
    _apply_thread_count()
    handler: Handler
    if mode == "encode":
        handler = lambda src, dst, bound: _encode_one(encode, src, dst, bound)  # noqa: E731
    else:
        handler = lambda src, dst, bound: _decode_one(decode, src, dst)  # noqa: E731
    source = stdin if stdin is not None else sys.stdin
    with _protocol_channel(stdout) as channel:
        ready: dict[str, Any] = {"ready": True}
        if name is not None:
            ready["name"] = name
        if version is not None:
            ready["version"] = version
        if info:
            ready["info"] = info
        _send(channel, ready)
        log.info("%s server ready (%s %s)", mode, name or "codec", version or "")
        while True:
            line = source.readline()
            if not line:
                log.info("end of input: exiting")
                return 0
            if not line.strip():
                continue
            _send(channel, _handle_line(line, handler))


Handler = Callable[[Path, Path, int], dict[str, float | int]]  # (input, output, bound) -> the answer's report


def _handle_line(line: str, handler: Handler) -> dict[str, Any]:
    request_id: Any = None
    try:
        request = _parse_request(line)
        if isinstance(request.get("id"), str):
            request_id = request["id"]  # echoed even when the rest of the request is bad
        _check_fields(request)
        src, dst = Path(request["input"]), Path(request["output"])
        bound = request_bound(request)
        started = time.perf_counter()
        with _user_stdout_to_stderr():
            report = handler(src, dst, bound)
        log.debug("request %s done in %.3f s", request_id, time.perf_counter() - started)
        return {"id": request_id, "ok": True, **report}
    except Exception as exc:  # noqa: BLE001 - every failure is reported for its item
        log.exception("request %s failed", request_id)
        text = f"{type(exc).__name__}: {exc}"
        return {"id": request_id, "ok": False, "error": text[:MAX_ERROR_CHARS]}


def _parse_request(line: str) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RequestError(f"request is not JSON: {exc}") from None
    if not isinstance(request, dict):
        raise RequestError("request must be a JSON object")
    return request


def _check_fields(request: dict[str, Any]) -> None:
    missing = [k for k in ("id", "input", "output") if not isinstance(request.get(k), str)]
    if missing:
        raise RequestError(f"request lacks string field(s): {', '.join(missing)}")


def _encode_one(encode: Encoder, src: Path, dst: Path, max_abs_error: int = 0) -> dict[str, float | int]:
    array = np.load(src, allow_pickle=False)
    data = call_encode(encode, array, max_abs_error)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"encode must return bytes, got {type(data).__name__}")
    _write_output(dst, lambda fh: fh.write(data))
    return encode_report(data)


def _decode_one(decode: Decoder, src: Path, dst: Path) -> dict[str, float | int]:
    data = src.read_bytes()
    array = decode(data)
    if not isinstance(array, np.ndarray):
        raise TypeError(f"decode must return a numpy array, got {type(array).__name__}")
    # Written to the file handle: np.save(path) would append ".npy" to a path without it.
    _write_output(dst, lambda fh: np.save(fh, array, allow_pickle=False))
    return {}


def _write_output(dst: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write exactly the requested output file; remove it again if writing fails."""
    try:
        with open(dst, "wb") as fh:
            write(fh)
    except BaseException:
        try:
            dst.unlink()
        except OSError:
            pass
        raise


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, separators=(",", ":")) + "\n")
    channel.flush()


@contextmanager
def _protocol_channel(stdout: IO[str] | None) -> Iterator[IO[str]]:
    """The stream protocol lines go to.

    Given a stream, use it. Otherwise duplicate file descriptor 1 for the
    protocol and point fd 1 at stderr, so output from user code and native
    libraries lands in the log, never in the protocol.
    """
    if stdout is not None:
        yield stdout
        return
    try:
        sys.stdout.flush()
        fd_out = sys.stdout.fileno()
        fd_err = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield sys.stdout
        return
    saved = os.dup(fd_out)
    channel = os.fdopen(os.dup(fd_out), "w", encoding="utf-8", buffering=1)
    os.dup2(fd_err, fd_out)
    try:
        yield channel
    finally:
        channel.flush()
        channel.close()
        os.dup2(saved, fd_out)
        os.close(saved)


@contextmanager
def _user_stdout_to_stderr() -> Iterator[None]:
    """Python-level ``print`` in user code goes to stderr during a request."""
    previous = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = previous


def _configure_logging() -> None:
    """Log to stderr when the codec has not configured logging itself."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            stream=sys.stderr,
            level=os.environ.get("CODEC_LOG_LEVEL", "INFO"),
            format="%(asctime)s %(name)s %(levelname)s %(message)s",
        )
