"""The sandbox's hardening policy: one reviewed constant, its guard, and the limits it applies.

Every codec container the evaluator starts gets :data:`HARDENING_FLAGS` (one
reviewed list, STYLE.md "explicit hardening lists"; each entry says what it
stops) plus the limits of its hardware profile, all put together by
:func:`host_config_kwargs` and checked by :func:`check_hardening`:

- the flags: ``network_mode=none``, ``read_only`` root, ``cap_drop=ALL``,
  ``no-new-privileges`` with Docker's *default* seccomp profile (never
  ``unconfined``: it blocks user namespaces and mounts), ``ipc_mode=private``,
  log driver ``none``, ``init``, never privileged, a raised OOM score;
- the user: never root (the image's own user if it is not uid 0, else
  :data:`NOBODY`, see ``evaluator.sandbox.image``);
- ``mem_limit == memswap_limit`` (swap off): a memory bomb is OOM-killed;
- ``cpuset_cpus`` + ``nano_cpus``: the profile's cores, pinned;
- ``tmpfs /tmp`` (size-capped, noexec, nosuid, nodev): scratch space that
  cannot fill the host disk; a private, size-capped ``/dev/shm``;
- ``pids_limit`` and ``ulimits`` (nofile, nproc, core 0, fsize = output cap
  + 1): a fork bomb or a sparse/huge file stops at a limit;
- the two mounts: ``/work/in`` read-only, ``/work/out`` writable.

The per-profile numbers (timeouts per pixel, output caps, line caps, ...)
are the fields of :class:`evaluator.sandbox.profiles.Profile`, whose table is
:data:`evaluator.sandbox.profiles.PROFILES`; :func:`limits_table_markdown` renders
them as the limits table of ``challenge/CONTRACT.md`` (a test keeps the two
equal), and ``tests/sandbox/test_hardening.py`` reads its expected flags from
:data:`HARDENING_FLAGS` to compare with what Docker reports for a running
container.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from evaluator.sandbox.profiles import PROFILES, GiB, Grant, KiB, MiB, Profile

NOBODY: Final = "65534:65534"  # who a codec runs as when its image says root
LABEL: Final = "org.astrocompress.evaluator"  # on every container the evaluator creates (stale ones are found by it)
TMPFS_FLAGS: Final = "noexec,nosuid,nodev"  # every tmpfs a codec can write to: /tmp and the host's /work/out mounts
OUT_MOUNT_SLACK: Final = 1 << 20  # a /work/out tmpfs holds the largest allowed file plus this


@dataclass(frozen=True)
class HardeningFlag:
    """One entry of the hardening list: how it is set, how Docker reports it, what it stops."""

    kwarg: str  # docker-py ``create_host_config`` keyword
    value: Any
    field: str  # the HostConfig field ``docker inspect`` reports it under
    stops: str
    shown_as: Any = None  # what ``docker inspect`` shows, when that is not ``value`` itself

    @property
    def reported(self) -> Any:
        """The value ``docker inspect`` reports for a container created with this flag."""
        return self.value if self.shown_as is None else self.shown_as


# The hardening every codec container gets, whatever the profile. Reviewed as one list;
# tests/sandbox/test_hardening.py inspects a real container against it.
HARDENING_FLAGS: Final[tuple[HardeningFlag, ...]] = (
    HardeningFlag("network_mode", "none", "NetworkMode", "exfiltration of hidden data, downloads"),
    HardeningFlag("read_only", True, "ReadonlyRootfs", "writes outside /tmp and /work/out"),
    HardeningFlag("cap_drop", ["ALL"], "CapDrop", "every capability, even for a uid that would have some"),
    # default seccomp stays on: never "seccomp=unconfined"
    HardeningFlag("security_opt", ["no-new-privileges:true"], "SecurityOpt", "privilege gains through setuid files"),
    HardeningFlag("ipc_mode", "private", "IpcMode", "a /dev/shm shared with anyone"),
    HardeningFlag("log_config", {"type": "none", "config": {}}, "LogConfig",
                  "unbounded stderr on the host disk (json-file); the evaluator keeps its own bounded capture",
                  shown_as={"Type": "none", "Config": {}}),
    HardeningFlag("init", True, "Init", "zombies and lost signals: a real PID 1 reaps and forwards"),
    HardeningFlag("privileged", False, "Privileged", "host devices and every capability"),
    HardeningFlag("oom_score_adj", 500, "OomScoreAdj", "the host's processes dying first under memory pressure"),
)
HARDENING: Final[Mapping[str, Any]] = MappingProxyType({f.kwarg: f.value for f in HARDENING_FLAGS})
# Host-config keys that must stay unset: each would reopen a door HARDENING closes.
NEVER_SET: Final = ("cap_add", "devices", "device_cgroup_rules", "volumes_from", "pid_mode", "userns_mode",
                    "uts_mode", "cgroupns", "sysctls", "links", "extra_hosts", "port_bindings", "volume_driver")
FORBIDDEN_SECURITY_OPTS: Final = ("seccomp=unconfined", "seccomp:unconfined", "apparmor=unconfined",
                                  "apparmor:unconfined")


def fsize_limit(profile: Profile, raw_bytes: int) -> int:
    """The fsize ulimit for items up to ``raw_bytes``: one byte over the output cap (so a too-large file is seen)."""
    return profile.output_cap(raw_bytes) + 1


def out_mount_bytes(fsize: int) -> int:
    """Size of a host tmpfs for ``/work/out`` whose containers have the ulimit ``fsize``."""
    return fsize + OUT_MOUNT_SLACK


def host_config_kwargs(
    profile: Profile,
    granted: Grant,
    *,
    in_dir: Path,
    out_dir: Path,
    fsize: int,
) -> dict[str, Any]:
    """HARDENING plus the profile's limits and the two mounts, as docker-py host-config kwargs."""
    import docker  # noqa: PLC0415  (optional: this module imports without Docker)

    kw: dict[str, Any] = dict(HARDENING)
    kw.update(
        mem_limit=granted.memory_bytes,
        memswap_limit=granted.memory_bytes,  # equal: no swap
        cpuset_cpus=granted.cpuset,
        nano_cpus=int(granted.cores * 1e9),
        pids_limit=profile.pids_limit,
        shm_size=profile.shm_bytes,
        tmpfs={"/tmp": f"size={profile.tmp_bytes},{TMPFS_FLAGS},mode=1777"},
        ulimits=[
            docker.types.Ulimit(name="nofile", soft=profile.nofile, hard=profile.nofile),
            # RLIMIT_NPROC counts every process of the uid on the host, the pids cgroup is the real cap
            docker.types.Ulimit(name="nproc", soft=profile.pids_limit * 4, hard=profile.pids_limit * 4),
            docker.types.Ulimit(name="fsize", soft=fsize, hard=fsize),
            docker.types.Ulimit(name="core", soft=0, hard=0),
        ],
        binds={
            str(in_dir): {"bind": "/work/in", "mode": "ro"},
            str(out_dir): {"bind": "/work/out", "mode": "rw"},
        },
    )
    if granted.gpus:
        kw["device_requests"] = [docker.types.DeviceRequest(count=granted.gpus, capabilities=[["gpu"]])]
    check_hardening(kw)
    return kw


def check_hardening(kw: Mapping[str, Any]) -> None:
    """Refuse a host config that lost any HARDENING entry (guards later edits)."""
    for key, value in HARDENING.items():
        if kw.get(key) != value:
            raise AssertionError(f"sandbox hardening {key} must be {value!r}, got {kw.get(key)!r}")
    for key in NEVER_SET:
        if kw.get(key):
            raise AssertionError(f"sandbox must not set {key}")
    for opt in kw.get("security_opt") or []:
        if opt.replace(" ", "") in FORBIDDEN_SECURITY_OPTS:
            raise AssertionError(f"sandbox must keep Docker's default profiles, refusing {opt}")
    if kw.get("memswap_limit") != kw.get("mem_limit"):
        raise AssertionError("swap must be off: memswap_limit == mem_limit")


def describe_hardening() -> str:
    """The hardening list as JSON, for the docs and ``--verbose`` runs."""
    return json.dumps(dict(HARDENING), indent=2, default=str)


# -- the limits table of challenge/CONTRACT.md ---------------------------------------------


def _size(n: int) -> str:
    for unit, name in ((GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n} bytes"


# One row per limit a codec can run into: (what, its value for a profile).
LIMIT_ROWS: Final[tuple[tuple[str, Callable[[Profile], str]], ...]] = (
    ("CPU cores (cpuset and quota)", lambda p: str(p.cores)),
    ("GPU", lambda p: f"{p.gpus} (Docker device request)" if p.gpus else "none"),
    ("memory (swap off)", lambda p: _size(p.memory_bytes)),
    ("startup timeout", lambda p: f"{p.startup_timeout_s:g} s"),
    ("per-request timeout", lambda p: f"{p.request_base_s:g} s + {p.request_s_per_mpix:g} s per megapixel"),
    ("hard deadline (the container is killed)", lambda p: f"startup or request timeout + {p.kill_grace_s:g} s"),
    ("output cap per item", lambda p: f"max({_size(p.output_cap_min_bytes)}, {p.output_cap_factor} × raw item size)"),
    ("`/tmp` (tmpfs, counted as memory)", lambda p: _size(p.tmp_bytes)),
    ("`/dev/shm` (private)", lambda p: _size(p.shm_bytes)),
    ("pids limit", lambda p: str(p.pids_limit)),
    ("open files", lambda p: str(p.nofile)),
    ("stderr kept per container", lambda p: _size(p.stderr_keep_bytes)),
    ("protocol line length", lambda p: _size(p.line_cap_bytes)),
)


def limits_table_markdown(profiles: Mapping[str, Profile] = PROFILES) -> str:
    """The per-profile limits as the Markdown table of ``challenge/CONTRACT.md`` §5 (no trailing newline)."""
    names = list(profiles)
    lines = ["| | " + " | ".join(f"`{n}`" for n in names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [f"| {what} | " + " | ".join(value(profiles[n]) for n in names) + " |" for what, value in LIMIT_ROWS]
    return "\n".join(lines)
