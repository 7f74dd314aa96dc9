"""The JSON-lines client over a Docker-style multiplexed stream (a socketpair stands in for the socket)."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time

import pytest

from evaluator.core.failures import CodecFailure
from evaluator.sandbox.protocol import JsonLinesClient, StderrTail


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


class FakeCodec:
    """The far end of the socket: reads request lines, answers with scripted frames."""

    def __init__(self, answer):
        self.ours, self.theirs = socket.socketpair()
        self.answer = answer
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        self.theirs.sendall(frame(1, b'{"ready": true}\n') + frame(2, b"starting\n"))
        buf = b""
        while True:
            chunk = self.theirs.recv(4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                req = json.loads(line)
                try:
                    for part in self.answer(req):
                        self.theirs.sendall(part)
                except OSError:
                    return
        self.theirs.close()


def client_for(answer, line_cap=1024, keep=64):
    fake = FakeCodec(answer)
    fake.thread.start()
    c = JsonLinesClient(fake.ours, line_cap=line_cap, stderr=StderrTail(keep), name="encoder")
    c.start()
    assert c.wait_ready(5) == {"ready": True}
    return c


def ok(req):
    yield frame(1, json.dumps({"id": req["id"], "ok": True}).encode() + b"\n")


def test_request_round_trip_and_timing():
    c = client_for(ok)
    seconds = c.request("000001", "/work/in/a.npy", "/work/out/a.bin", 5).seconds
    assert 0 <= seconds < 5
    c.close()


def test_answer_split_across_frames_is_reassembled():
    def split(req):
        line = json.dumps({"id": req["id"], "ok": True}).encode() + b"\n"
        yield frame(1, line[:5])
        yield frame(2, b"log in between\n")
        yield frame(1, line[5:])

    c = client_for(split)
    c.request("1", "i", "o", 5)
    assert "log in between" in c.stderr.text()
    c.close()


@pytest.mark.parametrize("answer, kind, text", [
    (lambda req: [frame(1, b"A" * 5000)], "protocol", "longer than 1024"),
    (lambda req: [frame(1, b"hello\n")], "protocol", "non-JSON"),
    (lambda req: [frame(1, b'{"id": "other", "ok": true}\n')], "protocol", "answered id 'other'"),
    (lambda req: [frame(1, json.dumps({"id": req["id"], "ok": False, "error": "boom"}).encode() + b"\n")],
     "crash", "boom"),
    (lambda req: [], "timeout", "no answer"),
])
def test_bad_answers(answer, kind, text):
    c = client_for(answer)
    with pytest.raises(CodecFailure) as exc:
        c.request("1", "i", "o", 1.0)
    assert exc.value.kind == kind and text in exc.value.message
    c.close()


def test_endless_stdout_is_bounded():
    def flood(req):
        for _ in range(200):
            yield frame(1, b"B" * 65536)  # 12.5 MiB without a newline

    c = client_for(flood, line_cap=65536)
    with pytest.raises(CodecFailure) as exc:
        c.request("1", "i", "o", 5)
    assert exc.value.kind == "protocol"
    c.close()


def test_eof_is_a_crash_and_stderr_is_capped():
    def die(req):
        yield frame(2, b"x" * 1000 + b"THE END")
        raise OSError("closing")

    fake = FakeCodec(die)
    fake.thread.start()
    c = JsonLinesClient(fake.ours, line_cap=1024, stderr=StderrTail(64), name="decoder")
    c.start()
    c.wait_ready(5)
    threading.Timer(0.3, fake.theirs.close).start()
    with pytest.raises(CodecFailure) as exc:
        c.request("1", "i", "o", 5)
    assert exc.value.kind == "crash"
    text = c.stderr.text()
    assert text.startswith("starting") and text.endswith("THE END") and "bytes of stderr skipped" in text
    assert len(c.stderr.head) <= 64 and len(c.stderr.tail) <= 64
    c.close()


def test_stderr_tail_keeps_head_and_tail():
    t = StderrTail(4)
    for part in (b"ab", b"cdef", b"ghij"):
        t.write(part)
    assert t.total == 10 and bytes(t.head) == b"abcd" and bytes(t.tail) == b"ghij"


def test_answer_sent_ahead_of_its_request_is_a_protocol_error():
    def ahead(req):
        yield frame(1, json.dumps({"id": req["id"], "ok": True}).encode() + b"\n")
        yield frame(1, json.dumps({"id": str(int(req["id"]) + 1), "ok": True}).encode() + b"\n")

    c = client_for(ahead)
    c.request("1", "i", "o", 5)
    time.sleep(0.3)
    with pytest.raises(CodecFailure) as exc:
        c.request("2", "i", "o", 5)
    assert exc.value.kind == "protocol" and "unsolicited" in exc.value.message
    c.close()
