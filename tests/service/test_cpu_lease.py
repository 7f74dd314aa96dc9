"""Host-wide core leases (evaluator.sandbox.cpu_lease) between real processes and threads, without Docker."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from evaluator.sandbox.cpu_lease import lease_cores


def _hold(folder: str, cpus: list[int], n: int, out: mp.Queue, hold_s: float) -> None:
    with lease_cores(cpus, n, folder=Path(folder)) as got:
        out.put((os.getpid(), got, time.monotonic()))
        time.sleep(hold_s)


def test_two_processes_get_disjoint_cores_and_a_third_waits(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    cpus = [0, 1]
    first = [ctx.Process(target=_hold, args=(str(tmp_path), cpus, 1, out, 3.0)) for _ in range(2)]
    for p in first:
        p.start()
    a, b = out.get(timeout=60), out.get(timeout=60)
    assert {tuple(a[1]), tuple(b[1])} == {(0,), (1,)}, "two holders share a core"
    t_free = max(a[2], b[2])
    third = ctx.Process(target=_hold, args=(str(tmp_path), cpus, 2, out, 0.0))
    third.start()
    c = out.get(timeout=60)
    assert c[1] == [0, 1] and c[2] >= t_free + 2.0, "the third took cores still held"
    for p in [*first, third]:
        p.join(30)


def test_a_killed_holder_frees_its_core(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    p = ctx.Process(target=_hold, args=(str(tmp_path), [0], 1, out, 600.0))
    p.start()
    out.get(timeout=60)
    os.kill(p.pid or 0, signal.SIGKILL)
    p.join(30)
    with lease_cores([0], 1, folder=tmp_path, timeout_s=10) as got:
        assert got == [0]


def test_threads_of_one_process_conflict_too(tmp_path: Path) -> None:
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with lease_cores([3], 1, folder=tmp_path):
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(10)
    with pytest.raises(TimeoutError, match="no 1 free core"), lease_cores([3], 1, folder=tmp_path, timeout_s=1.0):
        pass
    release.set()
    t.join()
    with lease_cores([3], 1, folder=tmp_path, timeout_s=5.0) as got:
        assert got == [3]
