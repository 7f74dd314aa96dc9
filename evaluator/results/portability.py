"""Portable decode (DESIGN.md "Measurement"): the environments a sample of bitstreams is decoded again under.

After a track's round trips succeed, the evaluator decodes a few of its
bitstreams again (:class:`SampleKeeper`: the first, the largest and the last
item) in a *fresh* decoder container of the same image, with the same
hardening, under each environment of :data:`PORTABLE_ENVS` in order (one
container start per environment), and stops at the first that breaks a
round trip. A codec whose floating point depends on the thread count or on
the CPU's instruction set (shared ``NEURAL.md`` "Determinism") fails here:
its bitstreams would not decode on another machine. The result is a
:class:`PortableCheck` on the record: shown on the leaderboard, never ranked,
and it never fails the track.

Every codec container is told its thread count by :func:`thread_env` (the
granted cores in a normal run). An environment of the table sets another
thread count and its CPU-dispatch variables:

- ``ATEN_CPU_CAPABILITY=default``: PyTorch's ATen kernels without AVX2/AVX-512;
- ``MKL_CBWR=COMPATIBLE``: MKL's conditional numerical reproducibility, the
  generic code branch (SSE2-compatible, the same on every x86 CPU);
- ``NPY_DISABLE_CPU_FEATURES=X86_V4 AVX512_ICL AVX512_SPR``: numpy 2.x's
  AVX-512 dispatch groups off. These are exactly the AVX-512 entries of
  ``__cpu_dispatch__`` of the codec base image's numpy (2.4; its baseline is
  ``X86_V2``, its dispatch ``X86_V3 X86_V4 AVX512_ICL AVX512_SPR``); numpy 2.x
  accepts disabling a dispatched group silently, whether or not the CPU has
  it (checked on an AVX2-only CPU, with ``-W error``). Baseline features
  (``X86_V2``) would raise a RuntimeError at ``import numpy``; numpy 1.x
  names (``AVX512F``, ``AVX512_SKX``, ...) make numpy 2.x emit an
  ImportWarning, which would fail a codec running with warnings as errors,
  so they are left out. AVX2 (``X86_V3``) stays on: the check is "a machine
  without AVX-512", the common deployment target (``tests/sandbox/test_portable.py``
  checks the value in a real base-image container).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypedDict

import numpy as np

from evaluator.core.failures import CodecFailure
from evaluator.sdk.named_table import NamedTable

# The thread variables every codec container gets (a normal run: the granted cores).
THREAD_ENV: Final = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ASTROCOMPRESS_CORES")
NPY_AVX512_GROUPS: Final = "X86_V4 AVX512_ICL AVX512_SPR"  # numpy 2.x names; see the module docstring
SAMPLE_SIZE: Final = 3  # bitstreams decoded again per environment: first, largest, last


def thread_env(threads: int) -> dict[str, str]:
    """The thread variables of a codec container told to use ``threads`` threads."""
    return {k: str(threads) for k in THREAD_ENV}


def other_thread_count(cores: int) -> int:
    """A thread count different from ``cores`` (the normal run's): 2 for one core, else 1."""
    return 2 if cores == 1 else 1


@dataclass(frozen=True)
class PortableEnv:
    """One alternative environment of the portable-decode check."""

    name: str
    dispatch: Mapping[str, str]  # CPU-dispatch variables set in the container
    threads: Callable[[int], int]  # the thread count, from the normal run's (the granted cores)
    doc: str

    def variables(self, cores: int) -> dict[str, str]:
        """Everything this environment sets differently from a normal run granted ``cores`` cores."""
        return {**thread_env(self.threads(cores)), **self.dispatch}


PORTABLE_ENV_TABLE: tuple[PortableEnv, ...] = (
    PortableEnv(
        "generic",
        {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE", "NPY_DISABLE_CPU_FEATURES": NPY_AVX512_GROUPS},
        other_thread_count,
        "another thread count and generic CPU dispatch (PyTorch default kernels, MKL compatible branch, "
        "numpy without AVX-512)",
    ),
)
PORTABLE_ENVS: NamedTable[PortableEnv] = NamedTable("portable environment", PORTABLE_ENV_TABLE)


@dataclass
class Sample:
    """One round trip kept for the check: the original (the evaluator's copy) and its counted bitstream."""

    item_id: str
    original: np.ndarray
    bitstream: bytes | bytearray


@dataclass
class SampleKeeper:
    """Keeps the first, the largest (in pixels) and the last round trip of a stream."""

    first: Sample | None = None
    largest: Sample | None = None
    last: Sample | None = None

    def offer(self, sample: Sample) -> None:
        if self.first is None:
            self.first = sample
            return
        prev = self.last
        if prev is not None and (self.largest is None or prev.original.size > self.largest.original.size):
            self.largest = prev  # an item is a "middle" candidate once a later one arrived
        self.last = sample

    def samples(self) -> list[Sample]:
        return [s for s in (self.first, self.largest, self.last) if s is not None][:SAMPLE_SIZE]


@dataclass
class PortableRun:
    """What the sandbox reports: the environment it stopped at, and the failure there (None: all passed)."""

    environment: str
    env: dict[str, str]
    items_checked: int
    failure: CodecFailure | None
    seconds: float
    stderr_tail: str = ""  # the portable decoder's stderr (shown on public data only)


class PortableCheckJson(TypedDict):
    """A :class:`PortableCheck` as records store it."""

    ok: bool
    environment: str
    env: dict[str, str]
    items_checked: int
    detail: str | None
    seconds: float | None


@dataclass(frozen=True)
class PortableCheck:
    """A record's portable-decode result. None on a record: not checked (in-process, failed, older record)."""

    ok: bool
    environment: str  # the environment that broke it, or (ok) the last one run: every one before it passed
    env: dict[str, str] = field(default_factory=dict)  # the variables of ``environment``
    items_checked: int = 0  # bitstreams decoded under ``environment`` (the breaking one included)
    detail: str | None = None  # failure kind and message; on hidden data the failure table's hidden message
    seconds: float | None = None  # wall time of the whole check (container starts included)

    def to_dict(self) -> PortableCheckJson:
        return PortableCheckJson(ok=self.ok, environment=self.environment, env=dict(self.env),
                                 items_checked=self.items_checked, detail=self.detail, seconds=self.seconds)

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> PortableCheck | None:
        """A stored check (fields it does not know are ignored); None when there is none."""
        if not data:
            return None
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})  # type: ignore[arg-type]  # stored JSON


def merge_checks(checks: list[PortableCheck | None]) -> PortableCheck | None:
    """One track's check from its shards' (in shard order): the first that broke, else all passed; None: none ran."""
    ran = [c for c in checks if c is not None]
    if not ran:
        return None
    broke = next((c for c in ran if not c.ok), None)
    if broke is not None:
        return broke
    seconds = [c.seconds for c in ran if c.seconds is not None]
    return PortableCheck(ok=True, environment=ran[-1].environment, env=dict(ran[-1].env),
                         items_checked=sum(c.items_checked for c in ran), seconds=sum(seconds) if seconds else None)
