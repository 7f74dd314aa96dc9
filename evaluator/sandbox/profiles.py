"""Hardware profiles: what a codec container is granted, and the fingerprint of a run.

DESIGN.md "Measurement": ``cpu-1`` (1 core, as the paper's single-thread
timings), ``cpu-8`` and ``gpu-1``. Runtime columns are comparable only within
one profile *and* one fingerprint, so every record carries
:func:`fingerprint`: CPU model, cores and memory actually granted, GPU model
and driver, Docker version, contract and evaluator versions, image digest and
compressed size, data label and revision.

The limits below (timeouts, output cap, pids, stderr and protocol-line caps)
come from DESIGN.md "Sandbox"; each is a known denial of service when absent.
A :class:`Profile` is a frozen dataclass: tests and organizers derive
variants with :meth:`Profile.replace` instead of editing the table.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
import shutil
import socket
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import psutil

from evaluator.core import settings
from evaluator.core.versions import CONTRACT_VERSION, EVALUATOR_VERSION
from evaluator.results.fingerprints import Fingerprint
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.portability import PortableEnv, select_envs
from evaluator.sandbox.cpu_lease import lease_cores
from evaluator.sandbox.docker_engine import docker_client
from evaluator.sdk.errors import BadInput

if TYPE_CHECKING:  # annotations only: the leaderboard imports this module without the data stack (astropy, ...)
    from evaluator.data.data_source import DataSource

log = logging.getLogger(__name__)


KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30


class ProfileUnavailable(BadInput, RuntimeError):
    """The profile cannot run on this machine (e.g. ``gpu-1`` without a GPU)."""


@dataclass(frozen=True)
class Profile:
    name: str
    cores: int
    memory_bytes: int
    gpus: int = 0
    startup_timeout_s: float = 120.0  # model loading; gpu-1 gets 300 s
    request_base_s: float = 10.0  # per-request timeout = base + per_mpix * megapixels
    request_s_per_mpix: float = 60.0
    output_cap_min_bytes: int = 16 * MiB  # output cap = max(min, factor * raw item bytes)
    output_cap_factor: int = 4
    pids_limit: int = 256  # a fork bomb stops here
    nofile: int = 1024
    tmp_bytes: int = 1 * GiB  # tmpfs /tmp (charged to the container's memory)
    shm_bytes: int = 64 * MiB  # private /dev/shm
    stderr_keep_bytes: int = 64 * KiB  # first and last this many bytes of codec stderr are kept
    line_cap_bytes: int = 64 * KiB  # a protocol line longer than this is a protocol error
    kill_grace_s: float = 5.0  # outer deadline = inner timeout + grace (two layers, STYLE.md)
    # Timing noise: an item whose first round trip takes less than ``timing_repeat_below_s`` is
    # round-tripped ``timing_repeats`` times in all; its times are the medians, its spread kept.
    timing_repeats: int = 3
    timing_repeat_below_s: float = 1.0
    # The portable-decode check's environments, by name (None: ``CHALLENGE_PORTABLE_ENVS``, else every one of
    # the table). Each costs one decoder container per track; a record checked under only some is not *portable*.
    portable_envs: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.portable_envs is not None:
            select_envs(self.portable_envs)  # an unknown name fails here, naming the known ones

    def portable_env_table(self) -> list[PortableEnv]:
        """The environments this profile's portable check runs, in table order (GPU-only ones included)."""
        return select_envs(self.portable_envs if self.portable_envs is not None else settings.portable_env_names())

    def request_timeout(self, npix: int) -> float:
        """Seconds one encode or decode request may take for an item of ``npix`` pixels."""
        return self.request_base_s + self.request_s_per_mpix * npix / 1e6

    def output_cap(self, raw_bytes: int) -> int:
        """Largest output file accepted for an item of ``raw_bytes`` raw bytes."""
        return max(self.output_cap_min_bytes, self.output_cap_factor * raw_bytes)

    def repeats_for(self, first_round_trip_s: float) -> int:
        """Round trips an item gets in all, given its first one took ``first_round_trip_s`` seconds."""
        return max(1, self.timing_repeats) if first_round_trip_s < self.timing_repeat_below_s else 1

    def replace(self, **changes: Any) -> Profile:
        return dataclasses.replace(self, **changes)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in [
        Profile("cpu-1", cores=1, memory_bytes=4 * GiB),
        Profile("cpu-8", cores=8, memory_bytes=16 * GiB),
        # gpu-1: the paper-size models (IDF 54 M, PixelCNN++ 54 M parameters, exact float64 inference) need far
        # more than cpu-1's 60 s per megapixel; 600 s/MP bounds a 4144x2068 Hubble frame at ~86 minutes.
        Profile("gpu-1", cores=8, memory_bytes=32 * GiB, gpus=1, startup_timeout_s=300.0, request_s_per_mpix=600.0),
    ]
}


def get_profile(profile: str | Profile) -> Profile:
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise KeyError(f"unknown hardware profile {profile!r}; choose one of: {', '.join(PROFILES)}") from None


@dataclass(frozen=True)
class Grant:
    """What this machine actually gives a profile's containers."""

    cpuset: str  # e.g. "1" or "0-7"
    cores: int
    memory_bytes: int
    gpus: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _available_cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return list(range(os.cpu_count() or 1))


@lru_cache(maxsize=1)
def gpu_info() -> list[dict[str, str]]:
    """GPUs seen by ``nvidia-smi`` (name, driver, memory); empty without one."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20, check=True,
        ).stdout
    except (subprocess.SubprocessError, OSError) as exc:
        log.warning("nvidia-smi failed: %s", exc)
        return []
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3:
            gpus.append({"name": parts[0], "driver": parts[1], "memory": parts[2]})
    return gpus


def grant(profile: Profile, *, cores: Sequence[int] | None = None) -> Grant:
    """Pin the profile to cores that exist; refuse a GPU profile without a GPU.

    With fewer cores than the profile asks, the containers get every core
    there is and the fingerprint records the smaller number. Codecs are
    pinned to the *last* cores so core 0 stays with the evaluator and the host;
    ``cores``: these instead (what :func:`leased_grant` leased).
    """
    cpus = _available_cpus()
    n = min(profile.cores, len(cpus))
    chosen = list(cores) if cores is not None else cpus[-n:]
    if n < profile.cores:
        log.warning("profile %s asks for %d cores; this machine grants %d", profile.name, profile.cores, n)
    if profile.gpus and len(gpu_info()) < profile.gpus:
        raise ProfileUnavailable(
            f"profile {profile.name} needs {profile.gpus} GPU(s) but nvidia-smi finds "
            f"{len(gpu_info())} on this machine; run it on a GPU host with the NVIDIA container "
            "toolkit, or choose cpu-1 / cpu-8"
        )
    memory = min(profile.memory_bytes, psutil.virtual_memory().total)
    return Grant(cpuset=",".join(str(c) for c in chosen), cores=n, memory_bytes=memory, gpus=profile.gpus)


@contextmanager
def leased_grant(profile: Profile) -> Iterator[Grant]:
    """:func:`grant` on cores no other evaluation on this host holds meanwhile (``evaluator.sandbox.cpu_lease``).

    Concurrent workers get disjoint cpusets; when too few cores are free, this waits.
    """
    first = grant(profile)  # ProfileUnavailable before any wait
    with lease_cores(_available_cpus(), first.cores) as cores:
        yield grant(profile, cores=cores)


@lru_cache(maxsize=1)
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@lru_cache(maxsize=1)
def docker_version() -> str | None:
    try:
        return str(docker_client(timeout=10).version().get("Version"))
    except Exception as exc:  # noqa: BLE001  (no engine: recorded as unknown)
        log.debug("docker version unavailable: %s", exc)
        return None


# Fingerprint fields that describe one run (the codec image, the data), not the
# machine: runtimes are comparable across runs whose other fields agree.
PER_RUN_FIELDS: tuple[str, ...] = (
    "cpuset",  # which cores of the host this run leased (evaluator.sandbox.cpu_lease); their number is cores_granted
    "image_digest", "image_compressed_bytes", "data_label", "dataset_revision", "synthetic",
    "inprocess_codec",  # which codec an in-process run measured (evaluator.run.inprocess): one machine runs them all
)


def machine_fingerprint(fp: dict[str, Any]) -> dict[str, Any]:
    """``fp`` without the per-run fields: what must match for runtimes to compare."""
    return {k: v for k, v in fp.items() if k not in PER_RUN_FIELDS}


def fingerprint(
    profile: Profile | str,
    image: ImageIdentity | None,
    source: DataSource,
    *,
    granted: Grant | None = None,
    sandboxed: bool | None = None,
) -> Fingerprint:
    """Everything a runtime number depends on (``evaluator.results.fingerprints``; JSON only when stored).

    ``image``: the codec image measured, None for in-process runs or an image that could not be
    inspected; ``sandboxed`` (default: an image was given) records the Docker version. ``source``
    is a data source with ``label``, ``revision`` and ``synthetic``.
    """
    prof = get_profile(profile)
    g = granted or grant(prof)
    gpus = gpu_info() if g.gpus else []
    in_docker = image is not None if sandboxed is None else sandboxed
    return Fingerprint(
        profile=prof.name,
        cpu_model=cpu_model(),
        cores_granted=g.cores,
        cpuset=g.cpuset,
        memory_granted_bytes=g.memory_bytes,
        gpu_model=gpus[0]["name"] if gpus else None,
        gpu_driver=gpus[0]["driver"] if gpus else None,
        docker_version=docker_version() if in_docker else None,
        contract_version=CONTRACT_VERSION,
        evaluator_version=EVALUATOR_VERSION,
        image=image,
        data_label=getattr(source, "label", None),
        dataset_revision=getattr(source, "revision", None),
        synthetic=bool(getattr(source, "synthetic", False)),
        hostname=socket.gethostname(),
        python=platform.python_version(),
    )
