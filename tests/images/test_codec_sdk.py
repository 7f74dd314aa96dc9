"""challenge.sdk: the contract as seen from outside the codec (CONTRACT.md)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from challenge.sdk import serve


def _enc(x: np.ndarray) -> bytes:
    # Shape-carrying toy bitstream: ndim, dims, raw bytes.
    head = np.array([x.ndim, *x.shape], dtype="<u4").tobytes()
    return head + x.astype("<u2").tobytes()


def _dec(b: bytes) -> np.ndarray:
    ndim = int(np.frombuffer(b[:4], "<u4")[0])
    shape = tuple(int(v) for v in np.frombuffer(b[4 : 4 + 4 * ndim], "<u4"))
    return np.frombuffer(b[4 + 4 * ndim :], "<u2").reshape(shape).astype(np.uint16)


def _run(mode: str, lines: list[str], **kw: object) -> tuple[int, list[dict]]:
    out = io.StringIO()
    rc = serve(_enc, _dec, argv=[mode], stdin=io.StringIO("".join(line + "\n" for line in lines)), stdout=out, **kw)
    return rc, [json.loads(line) for line in out.getvalue().splitlines()]


def _req(rid: str, src: Path, dst: Path) -> str:
    return json.dumps({"id": rid, "input": str(src), "output": str(dst)})


def test_ready_line_first_then_roundtrip_and_exit_zero_on_eof(tmp_path: Path) -> None:
    x = np.random.default_rng(0).integers(0, 65535, size=(3, 5, 7), dtype=np.uint16)
    np.save(tmp_path / "a.npy", x)
    rc, msgs = _run("encode", [_req("a", tmp_path / "a.npy", tmp_path / "a.bin")], name="toy", version="0.1")
    assert rc == 0
    assert msgs[0] == {"ready": True, "name": "toy", "version": "0.1"}
    assert msgs[1:] == [{"id": "a", "ok": True}]
    rc, msgs = _run("decode", [_req("a", tmp_path / "a.bin", tmp_path / "a.out")])
    assert rc == 0 and msgs == [{"ready": True}, {"id": "a", "ok": True}]
    # Written to exactly the requested path (no ".npy" appended), loadable without pickle.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "a.npy", "a.out"]
    y = np.load(tmp_path / "a.out", allow_pickle=False)
    assert y.dtype == np.uint16 and np.array_equal(x, y)


def test_error_per_request_keeps_serving(tmp_path: Path) -> None:
    x = np.arange(12, dtype=np.uint16).reshape(3, 4)
    np.save(tmp_path / "ok.npy", x)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    lines = [
        "this is not json",
        json.dumps({"id": "nofields"}),
        _req("missing", tmp_path / "missing.npy", tmp_path / "m.bin"),
        _req("pickle", tmp_path / "obj.npy", tmp_path / "p.bin"),
        "",
        _req("good", tmp_path / "ok.npy", tmp_path / "ok.bin"),
    ]
    rc, msgs = _run("encode", lines)
    assert rc == 0
    answers = msgs[1:]
    assert [m["id"] for m in answers] == [None, "nofields", "missing", "pickle", "good"]
    assert [m["ok"] for m in answers] == [False, False, False, False, True]
    assert "not JSON" in answers[0]["error"]
    assert "FileNotFoundError" in answers[2]["error"]
    assert "pickle" in answers[3]["error"].lower()
    assert not (tmp_path / "p.bin").exists()  # failed items leave no output behind
    assert _dec((tmp_path / "ok.bin").read_bytes()).tolist() == x.tolist()


def test_wrong_return_types_are_item_errors(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.zeros((2, 2), np.uint16))
    out = io.StringIO()
    rc = serve(lambda x: "text", _dec, argv=["encode"], stdout=out,  # type: ignore[arg-type,return-value]
               stdin=io.StringIO(_req("a", tmp_path / "a.npy", tmp_path / "a.bin") + "\n"))
    reply = json.loads(out.getvalue().splitlines()[1])
    assert rc == 0 and reply["ok"] is False and "bytes" in reply["error"]
    assert not (tmp_path / "a.bin").exists()


@pytest.mark.parametrize("argv", [[], ["compress"], ["encode", "extra"]])
def test_bad_argv_prints_usage_and_fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    rc = serve(_enc, _dec, argv=argv, stdin=io.StringIO(""), stdout=out)
    assert rc == 2 and out.getvalue() == ""
    assert "usage" in capsys.readouterr().err


CODEC_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from challenge.sdk import serve

    print("chatter at import time goes to stderr too?")  # before serve: the author's choice

    def encode(x):
        print("python print from encode")
        os.write(1, b"native write to fd 1 from encode\\n")
        sys.stdout.write("sys.stdout.write from encode\\n")
        return x.tobytes()

    def decode(b):
        print("python print from decode")
        return np.frombuffer(b, np.uint16).reshape(4, 4)

    raise SystemExit(serve(encode, decode, name="noisy"))
    """
)


def test_stdout_carries_protocol_only_in_a_real_process(tmp_path: Path) -> None:
    script = tmp_path / "codec.py"
    script.write_text(CODEC_SCRIPT.replace('print("chatter at import time goes to stderr too?")', ""))
    x = np.arange(16, dtype=np.uint16).reshape(4, 4)
    np.save(tmp_path / "x.npy", x)
    requests = _req("1", tmp_path / "x.npy", tmp_path / "x.bin") + "\n" + "garbage\n"
    proc = subprocess.run([sys.executable, str(script), "encode"], input=requests,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"ready": True, "name": "noisy"},
        {"id": "1", "ok": True},
        {"id": None, "ok": False, "error": lines and json.loads(lines[2])["error"]},
    ]
    for chatter in ("python print from encode", "native write to fd 1", "sys.stdout.write from encode"):
        assert chatter in proc.stderr and chatter not in proc.stdout
    proc = subprocess.run([sys.executable, str(script), "decode"],
                          input=_req("1", tmp_path / "x.bin", tmp_path / "y.npy") + "\n",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 2
    assert np.array_equal(np.load(tmp_path / "y.npy"), x)


def test_server_answers_each_request_before_the_next_arrives(tmp_path: Path) -> None:
    """A persistent server: the evaluator waits for each answer before sending more."""
    script = tmp_path / "codec.py"
    script.write_text(CODEC_SCRIPT.replace('print("chatter at import time goes to stderr too?")', ""))
    x = np.arange(16, dtype=np.uint16).reshape(4, 4)
    np.save(tmp_path / "x.npy", x)
    proc = subprocess.Popen([sys.executable, str(script), "encode"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        assert json.loads(proc.stdout.readline())["ready"] is True
        for i in range(3):
            proc.stdin.write(_req(str(i), tmp_path / "x.npy", tmp_path / f"{i}.bin") + "\n")
            proc.stdin.flush()
            assert json.loads(proc.stdout.readline()) == {"id": str(i), "ok": True}
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
