"""The SDK never pins threads: serve() gives PyTorch the evaluator's thread count, whatever the codec set."""

from __future__ import annotations

import io
import sys
import types

import numpy as np
import pytest

from evaluator.sdk import server


class _FakeTorch(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("torch")
        self.threads = 1  # what a codec might have pinned at import

    def set_num_threads(self, n: int) -> None:
        self.threads = n


def _encode(x: np.ndarray) -> bytes:
    return b""


def _decode(data: bytes) -> np.ndarray:
    return np.zeros(1, np.uint16)


@pytest.mark.parametrize(("env", "expected"), [
    ({"ASTROCOMPRESS_CORES": "3", "OMP_NUM_THREADS": "5"}, 3),
    ({"OMP_NUM_THREADS": "2"}, 2),
    ({"ASTROCOMPRESS_CORES": "zero", "OMP_NUM_THREADS": "0"}, None),
    ({}, None),
])
def test_serve_applies_the_evaluators_thread_count_to_torch(monkeypatch, env, expected) -> None:
    for var in server.THREAD_ENVS:
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert server.thread_count() == expected
    fake = _FakeTorch()
    monkeypatch.setitem(sys.modules, "torch", fake)
    out = io.StringIO()
    assert server.serve(_encode, _decode, argv=["decode"], stdin=io.StringIO(""), stdout=out) == 0
    assert fake.threads == (1 if expected is None else expected)
    assert '"ready":true' in out.getvalue()


def test_serve_does_not_import_torch(monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    server.serve(_encode, _decode, argv=["encode"], stdin=io.StringIO(""), stdout=io.StringIO())
    assert "torch" not in sys.modules
