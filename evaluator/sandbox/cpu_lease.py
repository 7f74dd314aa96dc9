"""Host-wide leases on CPU cores, so concurrent evaluations never share a core.

A profile's containers are pinned to a cpuset (``evaluator.sandbox.profiles.grant``).
Two workers on one host that both took "the last core" would time each other
(issue 11). :func:`lease_cores` takes ``n`` cores for the duration of one
evaluation: one lock file per core under ``CHALLENGE_HOME/cpu-leases``,
held with ``flock`` (released by the kernel when the holder dies, even on
``kill -9``; two threads of one process conflict too, since each lock is on
its own open file). It is all or nothing: a caller that cannot get ``n``
free cores releases what it took and waits, so two callers never deadlock
holding half a set each. The last cores are tried first, so on a big host
core 0 stays with the evaluator and the system.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from evaluator.core import settings

log = logging.getLogger(__name__)

POLL_S = 0.5


def lease_dir() -> Path:
    path = settings.home() / "cpu-leases"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _try_lock(path: Path) -> IO[bytes] | None:
    fh = open(path, "ab")  # noqa: SIM115  (kept open while the lease is held)
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    fh.truncate(0)
    fh.write(f"{os.getpid()} {threading.get_ident()}\n".encode())
    fh.flush()
    return fh


def _release(held: list[IO[bytes]]) -> None:
    for fh in held:
        try:
            fcntl.flock(fh, fcntl.LOCK_UN)
        finally:
            fh.close()


def _take(cpus: Sequence[int], n: int, folder: Path) -> tuple[list[int], list[IO[bytes]]] | None:
    chosen: list[int] = []
    held: list[IO[bytes]] = []
    for cpu in reversed(cpus):  # the last cores first
        fh = _try_lock(folder / f"cpu-{cpu}.lock")
        if fh is None:
            continue
        chosen.append(cpu)
        held.append(fh)
        if len(chosen) == n:
            return sorted(chosen), held
    _release(held)
    return None


@contextmanager
def lease_cores(cpus: Sequence[int], n: int, *, timeout_s: float | None = None,
                folder: Path | None = None) -> Iterator[list[int]]:
    """Hold ``n`` of ``cpus`` exclusively on this host; yields the cores taken (sorted).

    Waits while fewer than ``n`` are free (``TimeoutError`` after
    ``timeout_s``, if given). ``n`` larger than ``len(cpus)`` is a
    programming error (``grant`` caps it first).
    """
    if not 0 < n <= len(cpus):
        raise ValueError(f"cannot lease {n} of the cores {list(cpus)}")
    where = folder or lease_dir()
    t0 = time.monotonic()
    warned = False
    while True:
        got = _take(cpus, n, where)
        if got is not None:
            break
        if not warned:
            log.info("waiting for %d free core(s) of %s (other evaluations hold them; leases in %s)",
                     n, ",".join(map(str, cpus)), where)
            warned = True
        if timeout_s is not None and time.monotonic() - t0 > timeout_s:
            raise TimeoutError(f"no {n} free core(s) of {list(cpus)} within {timeout_s:.0f} s; "
                               f"other evaluations hold them (see {where})")
        time.sleep(POLL_S)
    chosen, held = got
    if warned:
        log.info("got core(s) %s after %.1f s", chosen, time.monotonic() - t0)
    try:
        yield chosen
    finally:
        _release(held)
