"""The evaluator's side of the JSON-lines codec contract (DESIGN.md "The codec contract").

A codec container's stdin, stdout and stderr travel over one Docker attach
socket, multiplexed in frames (8-byte header: stream id, 3 zero bytes,
big-endian length). One reader thread per container demultiplexes it:

- stdout is cut into lines, each at most ``line_cap`` bytes; a longer line,
  a non-JSON line or an answer with the wrong id is a ``protocol`` failure.
  Lines wait in a small bounded queue, so a codec that floods stdout blocks
  on its own pipe instead of filling the evaluator's memory;
- stderr goes to :class:`StderrTail`, which keeps only the first and last
  ``keep`` bytes (DESIGN.md: bounded capture, Docker's log driver is off).

Each wait has its own timeout (the inner layer); ``evaluator.sandbox`` adds the
hard outer deadline that kills the container whatever happens inside.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import queue
import socket
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from evaluator.core.failures import CodecFailure
from evaluator.sdk.server import CODING_BITS_KEY, MAX_CODING_BITS, SIDE_BITS_KEY  # an encode answer's report

log = logging.getLogger(__name__)

READY_KEY = "ready"
MAX_ABS_ERROR_KEY = "max_abs_error"  # CONTRACT.md §2: the per-pixel error bound of a near-lossless encode request
_HEADER = struct.Struct(">BxxxL")
_STDOUT, _STDERR = 1, 2


class RawSocket(Protocol):
    def recv(self, n: int) -> bytes: ...
    def sendall(self, data: bytes) -> None: ...
    def shutdown(self, how: int) -> None: ...
    def close(self) -> None: ...


class StderrTail:
    """The first and last ``keep`` bytes of a stream, and how many bytes it had."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            self.total += len(data)
            room = self.keep - len(self.head)
            if room > 0:
                self.head += data[:room]
                data = data[room:]
            if data:
                self.tail += data
                if len(self.tail) > self.keep:
                    del self.tail[: len(self.tail) - self.keep]

    def text(self) -> str:
        with self._lock:
            skipped = self.total - len(self.head) - len(self.tail)
            out = bytes(self.head)
            if skipped > 0:
                out += f"\n[... {skipped} bytes of stderr skipped ...]\n".encode()
            out += bytes(self.tail)
        return out.decode("utf-8", errors="replace")

    def last(self, n: int = 2000) -> str:
        """The last ``n`` characters, for a failure message."""
        t = self.text()
        return t[-n:]


@dataclass(frozen=True)
class CodecReport:
    """What a codec said of its own bitstream in the ``ok`` answer (``evaluator.sdk.server.Encoded``): never
    verified, never ranked. ``coding_bits``: the payload's ideal length under its coder's distribution;
    ``side_bits``: header and side information, the bits that are not range-coded payload. None: not said."""

    coding_bits: float | None = None
    side_bits: int | None = None

    @classmethod
    def parse(cls, answer: Mapping[str, Any], who: str = "codec") -> CodecReport:
        """The report in ``answer`` (an ``ok`` line, or the same fields read off an in-process result), checked as
        hostile input: finite numbers in range, else a ``protocol`` failure naming the field and what is allowed.
        A field absent or null is not said."""
        coding, side = answer.get(CODING_BITS_KEY), answer.get(SIDE_BITS_KEY)
        if coding is not None and not (_is_number(coding) and 0 <= coding <= MAX_CODING_BITS):
            raise _bad_report(who, CODING_BITS_KEY, coding, f"a finite number of bits in 0 .. {MAX_CODING_BITS}")
        if side is not None and not (isinstance(side, int) and not isinstance(side, bool)
                                     and 0 <= side <= MAX_CODING_BITS):
            raise _bad_report(who, SIDE_BITS_KEY, side, "an integer number of bits >= 0, at most 8 x the output's "
                                                        "bytes")
        return cls(None if coding is None else float(coding), side)

    def check_size(self, nbytes: int, who: str = "codec") -> CodecReport:
        """The report, once the output is read: ``side_bits`` within its ``8 * nbytes`` bits."""
        if self.side_bits is not None and self.side_bits > 8 * nbytes:
            raise _bad_report(who, SIDE_BITS_KEY, self.side_bits,
                              f"at most 8 x the output's {nbytes} bytes = {8 * nbytes} bits")
        return self


def _is_number(value: object) -> bool:
    """A real, finite JSON number (json.loads gives ``NaN`` and ``Infinity`` as floats, and any size of int)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) if isinstance(value, float) else True


def _bad_report(who: str, key: str, value: object, allowed: str) -> CodecFailure:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:60] + "..."
    return CodecFailure("protocol", f"the {who} reported {key} = {shown}; allowed: {allowed} "
                        "(an optional field: send it right, or leave it out)")


@dataclass(frozen=True)
class Answer:
    """An ``ok`` answer: seconds from sending the request to reading it (measured here), and the codec's report."""

    seconds: float
    report: CodecReport = CodecReport()


@dataclass
class _Event:
    kind: str  # "line", "overflow", "eof"
    data: bytes = b""
    at: float = 0.0  # perf_counter when the line was complete


class JsonLinesClient:
    """Send requests to one codec container and read its answers, with caps and timeouts."""

    def __init__(self, sock: RawSocket, *, line_cap: int, stderr: StderrTail, name: str = "codec") -> None:
        self._sock = sock
        self.line_cap = line_cap
        self.stderr = stderr
        self.name = name
        self._events: queue.Queue[_Event] = queue.Queue(maxsize=8)
        self._stop = threading.Event()
        self._draining = False
        self._thread = threading.Thread(target=self._read_loop, name=f"{name}-reader", daemon=True)
        self.stdout_bytes = 0

    def start(self) -> None:
        self._thread.start()

    # -- reader thread -------------------------------------------------------------

    def _put(self, ev: _Event) -> bool:
        while not self._stop.is_set():
            if self._draining:  # nobody reads protocol lines any more; keep reading (stderr, and so
                if ev.kind == "eof":  # the engine can finish a kill) and drop them; only EOF still counts
                    with contextlib.suppress(queue.Full):
                        self._events.put_nowait(ev)
                return True
            try:
                self._events.put(ev, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _read_loop(self) -> None:
        buf = bytearray()
        line = bytearray()
        overflowed = False
        try:
            while not self._stop.is_set():
                try:
                    chunk = self._sock.recv(1 << 16)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= _HEADER.size:
                    stream, size = _HEADER.unpack_from(buf)
                    if len(buf) < _HEADER.size + size:
                        break
                    payload = bytes(buf[_HEADER.size : _HEADER.size + size])
                    del buf[: _HEADER.size + size]
                    if stream == _STDERR:
                        self.stderr.write(payload)
                        continue
                    self.stdout_bytes += len(payload)
                    if overflowed:
                        continue  # the stream is already condemned; drop the rest
                    start = 0
                    while True:
                        nl = payload.find(b"\n", start)
                        if nl < 0:
                            line += payload[start:]
                            break
                        line += payload[start:nl]
                        start = nl + 1
                        if len(line) > self.line_cap:
                            break
                        if not self._put(_Event("line", bytes(line), time.perf_counter())):
                            return
                        line.clear()
                    if len(line) > self.line_cap:
                        overflowed = True
                        line.clear()
                        if not self._put(_Event("overflow", at=time.perf_counter())):
                            return
        finally:
            self._put(_Event("eof", at=time.perf_counter()))

    # -- caller side ---------------------------------------------------------------

    def _next(self, timeout: float, what: str) -> _Event:
        try:
            return self._events.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            raise CodecFailure("timeout", f"the {self.name} gave no answer to {what} within {timeout:.1f} s") from None

    def _parse(self, ev: _Event, what: str) -> dict[str, Any]:
        if ev.kind == "eof":
            raise CodecFailure("crash", f"the {self.name} exited (closed stdout) during {what}", exited=True)
        if ev.kind == "overflow":
            raise CodecFailure(
                "protocol",
                f"the {self.name} wrote a stdout line longer than {self.line_cap} bytes during {what}; "
                "stdout is for protocol lines only, log to stderr",
            )
        try:
            msg = json.loads(ev.data)
        except (ValueError, UnicodeDecodeError):
            shown = ev.data[:200].decode("utf-8", errors="replace")
            raise CodecFailure(
                "protocol",
                f"the {self.name} wrote a non-JSON stdout line during {what}: {shown!r}; "
                "stdout is for protocol lines only, log to stderr",
            ) from None
        if not isinstance(msg, dict):
            raise CodecFailure("protocol", f"the {self.name} wrote {type(msg).__name__} instead of a JSON object")
        return msg

    def wait_ready(self, timeout: float) -> dict[str, Any]:
        """Block until the ``{"ready": true}`` line; returns it (may carry name, version)."""
        ev = self._next(timeout, "startup")
        if ev.kind == "eof":
            raise CodecFailure("startup_failed", f"the {self.name} exited before printing {{\"ready\": true}}",
                               exited=True)
        msg = self._parse(ev, "startup")
        if msg.get(READY_KEY) is not True:
            raise CodecFailure(
                "protocol", f"the {self.name}'s first line must be {{\"ready\": true}}, got {json.dumps(msg)[:200]}"
            )
        return msg

    def request(self, req_id: str, input_path: str, output_path: str, timeout: float, *,
                max_abs_error: int = 0) -> Answer:
        """Send one request; return seconds from send to the ``ok`` line (measured here, outside) and the
        answer's optional report (`CodecReport`, checked; ``side_bits`` against the output once it is read).

        ``max_abs_error`` (near-lossless encode requests only): the bound in ADU, sent as the request's
        ``max_abs_error`` field; a lossless request carries no such field (contract version 1 lines).
        """
        request: dict[str, object] = {"id": req_id, "input": input_path, "output": output_path}
        if max_abs_error:
            request[MAX_ABS_ERROR_KEY] = int(max_abs_error)
        line = json.dumps(request).encode() + b"\n"
        what = f"request {req_id}"
        if not self._events.empty():  # a line nobody asked for (e.g. an answer sent ahead of its request)
            msg = self._parse(self._events.get_nowait(), f"the wait before {what}")
            raise CodecFailure("protocol", f"the {self.name} wrote an unsolicited line before {what}: "
                               f"{json.dumps(msg)[:200]}; answer each request once, after reading it")
        t0 = time.perf_counter()
        try:
            self._sock.sendall(line)
        except OSError as exc:
            raise CodecFailure("crash", f"the {self.name} no longer reads stdin ({exc})") from None
        ev = self._next(timeout, what)
        msg = self._parse(ev, what)
        if msg.get("id") != req_id:
            raise CodecFailure(
                "protocol", f"the {self.name} answered id {msg.get('id')!r} to request {req_id!r} "
                "(one answer per request, in order)"
            )
        if msg.get("ok") is not True:
            err = str(msg.get("error", "no error message"))[:2000]
            raise CodecFailure("crash", f"the {self.name} reported an error on {what}: {err}")
        return Answer(ev.at - t0, CodecReport.parse(msg, self.name))

    def close_stdin(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def discard(self) -> None:
        """From now on read stdout only to drop it (the caller is done with this container).

        A container being killed must not sit on a full pipe: the engine
        finishes a kill only once the container's output is read, so a codec
        flooding stdout while nobody reads would hold ``docker kill`` (and the
        evaluator) until some outer timeout."""
        self._draining = True

    def drain(self, timeout: float) -> None:
        """After the container stopped: read on to EOF (at most ``timeout`` s) so no stderr is lost."""
        self.discard()
        self._thread.join(timeout)

    def close(self) -> None:
        self._stop.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        self._thread.join(timeout=5)
