"""Portable decode (DESIGN.md "Measurement"): the environments a sample of bitstreams is decoded again under.

After a track's round trips succeed, the evaluator decodes a few of its
bitstreams again (:class:`SampleKeeper`: the first and the last item) in a
*fresh* decoder container of the same image, with the same hardening, under
every environment of :data:`PORTABLE_ENVS` (one container start per
environment; within one, the first item that fails ends that environment).
Each environment changes one thing, so a failure names its cause. A codec
whose floating point depends on the thread count or on the CPU's instruction
set (shared ``NEURAL.md`` "Determinism") fails here: its bitstreams would not
decode on another machine. The result is a :class:`PortableCheck` on the
record, one :class:`EnvResult` per environment: shown on the leaderboard,
never ranked, and it never fails the track.

Every codec container is told its thread count by :func:`thread_env` (the
granted cores in a normal run); the environments keep it, except ``threads``:

- ``aten-default``: ``ATEN_CPU_CAPABILITY=default``, PyTorch's ATen kernels
  without AVX2/AVX-512;
- ``mkl-compatible``: ``MKL_CBWR=COMPATIBLE``, MKL's conditional numerical
  reproducibility, the generic code branch (the same on every x86 CPU);
- ``onednn-sse41``: ``ONEDNN_MAX_CPU_ISA=SSE41``, oneDNN (which runs
  PyTorch's float32 convolutions) limited to SSE4.1;
- ``numpy-baseline``: ``NPY_DISABLE_CPU_FEATURES=X86_V3 X86_V4 AVX512_ICL
  AVX512_SPR``, numpy 2.x at its baseline (no AVX2, no AVX-512). These are
  exactly the dispatch groups of ``__cpu_dispatch__`` of the codec base
  image's numpy (2.4; its baseline is ``X86_V2``, its dispatch ``X86_V3 X86_V4
  AVX512_ICL AVX512_SPR``); numpy 2.x accepts disabling a dispatched group
  silently, whether or not the CPU has it (checked on an AVX2-only CPU, with
  ``-W error``). Baseline features (``X86_V2``) would raise a RuntimeError at
  ``import numpy``; numpy 1.x names (``AVX512F``, ``AVX512_SKX``, ...) make
  numpy 2.x emit an ImportWarning, which would fail a codec running with
  warnings as errors, so they are left out (``tests/sandbox/test_portable.py``
  checks the value in a real base-image container);
- ``threads``: another thread count (2 for one granted core, else 1), which
  the codec cannot override (the SDK applies the evaluator's count to PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypedDict

import numpy as np

from evaluator.core.failures import CodecFailure
from evaluator.sdk.named_table import NamedTable

# The thread variables every codec container gets (a normal run: the granted cores).
THREAD_ENV: Final = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ASTROCOMPRESS_CORES")
NPY_AVX512_GROUPS: Final = "X86_V4 AVX512_ICL AVX512_SPR"  # numpy 2.x names; see the module docstring
NPY_BELOW_AVX2: Final = f"X86_V3 {NPY_AVX512_GROUPS}"  # numpy at its baseline X86_V2: no AVX2, no AVX-512
SAMPLE_SIZE: Final = 2  # bitstreams decoded again per environment: the first and the last


GPU_ENV: Final = "ASTROCOMPRESS_GPUS"
"""How many GPUs the codec container was granted (the profile's: ``gpu-1`` 1, CPU profiles 0); a codec takes its
device from it (CONTRACT.md §4)."""


def thread_env(threads: int) -> dict[str, str]:
    """The thread variables of a codec container told to use ``threads`` threads."""
    return {k: str(threads) for k in THREAD_ENV}


def device_env(gpus: int) -> dict[str, str]:
    """The device variable of a codec container granted ``gpus`` GPUs."""
    return {GPU_ENV: str(gpus)}


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
    gpu_only: bool = False  # checked only when the run was granted a GPU (the GPU -> CPU decode)
    broken: str = ""  # what a record whose streams this environment broke is called ("": not portable (name))

    def applies(self, gpus: int) -> bool:
        """Whether a run granted ``gpus`` GPUs is checked under this environment."""
        return bool(gpus) or not self.gpu_only

    def variables(self, cores: int) -> dict[str, str]:
        """Everything this environment sets differently from a normal run granted ``cores`` cores."""
        return {**thread_env(self.threads(cores)), **self.dispatch}


def _same_threads(cores: int) -> int:
    return cores


PORTABLE_ENV_TABLE: tuple[PortableEnv, ...] = (
    PortableEnv("aten-default", {"ATEN_CPU_CAPABILITY": "default"}, _same_threads,
                "PyTorch's default kernels (ATEN_CPU_CAPABILITY=default)"),
    PortableEnv("mkl-compatible", {"MKL_CBWR": "COMPATIBLE"}, _same_threads,
                "MKL's compatible branch (MKL_CBWR=COMPATIBLE)"),
    PortableEnv("onednn-sse41", {"ONEDNN_MAX_CPU_ISA": "SSE41"}, _same_threads,
                "oneDNN at SSE4.1 (ONEDNN_MAX_CPU_ISA=SSE41)"),
    PortableEnv("numpy-baseline", {"NPY_DISABLE_CPU_FEATURES": NPY_BELOW_AVX2}, _same_threads,
                "numpy without AVX2 and AVX-512 (NPY_DISABLE_CPU_FEATURES)"),
    PortableEnv("threads", {}, other_thread_count, "another thread count"),
    # GPU -> CPU: a stream encoded on the granted GPU, decoded with the GPU hidden. Failing it means the streams
    # decode only on the encoder's device class, and the record says so (not portable: cpu-decode).
    PortableEnv("cpu-decode", {GPU_ENV: "0", "CUDA_VISIBLE_DEVICES": ""}, _same_threads,
                "decoded on the CPU with the GPU hidden, after a GPU encode (gpu profiles only)", gpu_only=True,
                broken="decodes only on the encoder's device class"),
)
PORTABLE_ENVS: NamedTable[PortableEnv] = NamedTable("portable environment", PORTABLE_ENV_TABLE)


def broken_label(environment: str) -> str:
    """What a record is called whose streams broke under ``environment`` (a ``PortableCheck.environment``:
    names joined by ", "): *not portable (names)*, or for the GPU -> CPU decode alone the policy's words,
    *decodes only on the encoder's device class (cpu-decode)*. Unknown names (an older table) are just named."""
    names = [n.strip() for n in environment.split(",") if n.strip()]
    words = {PORTABLE_ENVS[n].broken if n in PORTABLE_ENVS else "" for n in names}
    if len(words) == 1 and (said := words.pop()):
        return f"{said} ({environment})"
    return f"not portable ({environment or '?'})"


def select_envs(names: Iterable[str] | None) -> list[PortableEnv]:
    """The environments named (None: all), in table order; an unknown name raises ``UnknownName``."""
    if names is None:
        return list(PORTABLE_ENVS.values())
    wanted = {PORTABLE_ENVS[n].name for n in names}
    return [env for env in PORTABLE_ENVS.values() if env.name in wanted]


def cpu_env_names() -> frozenset[str]:
    """The environments every run is checked under when none is left out (all but the GPU-only ones)."""
    return frozenset(env.name for env in PORTABLE_ENVS.values() if not env.gpu_only)


def portable_envs(gpus: int) -> list[PortableEnv]:
    """The environments a run granted ``gpus`` GPUs is checked under (``gpu_only`` ones need a GPU run)."""
    return [env for env in PORTABLE_ENVS.values() if env.applies(gpus)]


@dataclass
class Sample:
    """One round trip kept for the check: the original (the evaluator's copy) and its counted bitstream."""

    item_id: str
    original: np.ndarray
    bitstream: bytes | bytearray


@dataclass
class SampleKeeper:
    """Keeps the first and the last round trip of a stream (few: each is decoded once per environment)."""

    first: Sample | None = None
    last: Sample | None = None

    def offer(self, sample: Sample) -> None:
        if self.first is None:
            self.first = sample
        else:
            self.last = sample

    def samples(self) -> list[Sample]:
        return [s for s in (self.first, self.last) if s is not None][:SAMPLE_SIZE]


@dataclass
class EnvRun:
    """What the sandbox reports for one environment: items decoded, and the failure there (None: passed)."""

    environment: str
    env: dict[str, str]
    items_checked: int
    failure: CodecFailure | None
    seconds: float
    stderr_tail: str = ""  # the portable decoder's stderr (shown on public data only)


@dataclass
class PortableRun:
    """What the sandbox reports: one :class:`EnvRun` per environment run, in table order."""

    runs: list[EnvRun]
    seconds: float  # the whole check, container starts included


class EnvResultJson(TypedDict):
    """An :class:`EnvResult` as records store it."""

    environment: str
    env: dict[str, str]
    ok: bool
    items_checked: int
    detail: str | None


@dataclass(frozen=True)
class EnvResult:
    """One environment's outcome on a record: passed, or failed with the item and failure kind in ``detail``."""

    environment: str
    env: dict[str, str]
    ok: bool
    items_checked: int
    detail: str | None = None  # failure kind, item and message; on hidden data the failure table's hidden message

    def to_dict(self) -> EnvResultJson:
        return EnvResultJson(environment=self.environment, env=dict(self.env), ok=self.ok,
                             items_checked=self.items_checked, detail=self.detail)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> EnvResult:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})  # type: ignore[arg-type]  # stored JSON


class PortableCheckJson(TypedDict):
    """A :class:`PortableCheck` as records store it."""

    ok: bool
    environment: str
    env: dict[str, str]
    items_checked: int
    detail: str | None
    seconds: float | None
    results: list[EnvResultJson]


@dataclass(frozen=True)
class PortableCheck:
    """A record's portable-decode result. None on a record: not checked (in-process, failed, older record).

    ``results`` holds one entry per environment checked; the other fields summarise them
    (records written before per-environment results have only the summary: one environment,
    the one that broke, or the last one run).
    """

    ok: bool  # every environment passed
    environment: str  # the environments that broke (", "-joined), or (ok) every one checked
    env: dict[str, str] = field(default_factory=dict)  # the variables of the first that broke (ok: of the last)
    items_checked: int = 0  # bitstreams decoded, all environments together
    detail: str | None = None  # the first break's failure kind, item and message
    seconds: float | None = None  # wall time of the whole check (container starts included)
    results: tuple[EnvResult, ...] = ()  # per environment, in table order (empty on older records)

    def to_dict(self) -> PortableCheckJson:
        return PortableCheckJson(ok=self.ok, environment=self.environment, env=dict(self.env),
                                 items_checked=self.items_checked, detail=self.detail, seconds=self.seconds,
                                 results=[r.to_dict() for r in self.results])

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> PortableCheck | None:
        """A stored check (fields it does not know are ignored; older shapes load); None when there is none."""
        if not data:
            return None
        known = {f for f in cls.__dataclass_fields__}
        fields = {k: v for k, v in data.items() if k in known}
        stored = fields.pop("results", None)
        results = tuple(EnvResult.from_dict(r) for r in stored) if isinstance(stored, list) else ()
        return cls(**fields, results=results)  # type: ignore[arg-type]  # stored JSON

    @property
    def complete(self) -> bool:
        """Whether every CPU environment of the table was checked (only then may a pass be called *portable*).

        A profile may check fewer (``Profile.portable_envs``); records from before per-environment results
        ran an older, weaker set and are not complete either.
        """
        return cpu_env_names() <= {r.environment for r in self.results}

    @property
    def shown_ok(self) -> bool | None:
        """What a badge may say: False (broke), True (passed every CPU environment), None (passed only some)."""
        if not self.ok:
            return False
        return True if self.complete else None

    @classmethod
    def of(cls, results: list[EnvResult], seconds: float | None) -> PortableCheck:
        """The check summarising per-environment ``results`` (at least one)."""
        broke = [r for r in results if not r.ok]
        shown = broke or results
        env = dict(shown[0 if broke else -1].env)
        return cls(ok=not broke, environment=", ".join(r.environment for r in shown), env=env,
                   items_checked=sum(r.items_checked for r in results), detail=broke[0].detail if broke else None,
                   seconds=seconds, results=tuple(results))


def merge_checks(checks: list[PortableCheck | None]) -> PortableCheck | None:
    """One track's check from its shards' (in shard order): per environment the first break, else passed.

    None: none ran. Shards checked by an older evaluator (no per-environment results) merge to the first break.
    """
    ran = [c for c in checks if c is not None]
    if not ran:
        return None
    seconds = [c.seconds for c in ran if c.seconds is not None]
    total = sum(seconds) if seconds else None
    if not all(c.results for c in ran):
        broke = next((c for c in ran if not c.ok), None)
        if broke is not None:
            return broke
        return PortableCheck(ok=True, environment=ran[-1].environment, env=dict(ran[-1].env),
                             items_checked=sum(c.items_checked for c in ran), seconds=total)
    merged: dict[str, EnvResult] = {}
    for c in ran:
        for r in c.results:
            prev = merged.get(r.environment)
            if prev is None:
                merged[r.environment] = r
            elif prev.ok:
                merged[r.environment] = EnvResult(r.environment, dict(r.env), r.ok,
                                                  prev.items_checked + r.items_checked, r.detail)
    return PortableCheck.of(list(merged.values()), total)
