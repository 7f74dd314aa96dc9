"""Run an untrusted codec image in hardened containers (DESIGN.md "Sandbox").

Every container the evaluator starts gets :data:`HARDENING` (one reviewed
constant, STYLE.md "explicit hardening lists") plus the limits of its
hardware profile (:func:`host_config`). What each entry stops:

- ``network_mode=none``: no exfiltration of hidden data, no downloads;
- ``read_only`` root filesystem, ``tmpfs /tmp`` (size-capped, noexec,
  nosuid, nodev): scratch space that cannot fill the host disk;
- ``cap_drop=ALL`` + ``no-new-privileges``, and Docker's *default* seccomp
  profile (never ``unconfined``: it blocks user namespaces and mounts);
- non-root user: the image's own user if it is not uid 0, else 65534;
- ``mem_limit == memswap_limit`` (swap off): a memory bomb is OOM-killed;
- ``cpuset_cpus`` + ``nano_cpus``: the profile's cores, pinned;
- ``pids_limit`` and ``ulimits`` (nofile, nproc, core 0, fsize = output cap + 1):
  a fork bomb or a sparse/huge file stops at a limit;
- ``ipc_mode=private``: no shared ``/dev/shm`` with anyone;
- log driver ``none``: the default json-file driver writes unbounded stderr
  to the host disk; the evaluator keeps its own bounded capture instead;
- ``init``: a real PID 1 reaps zombies and forwards signals.

Data flow per item (:class:`SandboxedCodec`): the item's ``.npy`` is written
to a host folder bind-mounted read-only at ``/work/in`` of the *encoder*; the
bitstream comes back through the encoder's ``/work/out`` (a size-capped tmpfs
mounted on the host when the evaluator runs as root), is read once into memory
and written to a second folder, the *decoder's* ``/work/in``, which never
holds an original. Encoder and decoder are separate containers sharing no
writable volume. Containers stay up across items (startup is timed apart),
so the per-request overhead is one JSON line each way.

Two layers of timeout (STYLE.md): the protocol client waits at most the
request timeout, and a watchdog thread kills the container at the hard
deadline whatever happens inside. Containers and folders are removed in
``finally`` blocks, also on KeyboardInterrupt; folders (and their tmpfs
mounts) left by an evaluator that was killed outright are reaped by the next
run (:func:`reap_stale_workspaces`), containers by :func:`remove_stale_containers`.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Mapping

import numpy as np

from evaluator import settings
from evaluator.docker_engine import docker_client
from evaluator.failures import CodecFailure
from evaluator.profiles import Grant, Profile
from evaluator.profiles import grant as grant_profile
from evaluator.protocol import JsonLinesClient, StderrTail
from evaluator.verify import (
    check_output_folder,
    compare,
    load_decoded,
    oversized_output,
    read_output,
)

log = logging.getLogger(__name__)

NOBODY: Final = "65534:65534"
LABEL: Final = "org.astrocompress.evaluator"
TMPFS_FLAGS: Final = "noexec,nosuid,nodev"

# The hardening every codec container gets, whatever the profile. Reviewed as one list;
# tests/sandbox/test_hardening.py inspects a real container against it.
HARDENING: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "network_mode": "none",
        "read_only": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],  # default seccomp stays on: never "seccomp=unconfined"
        "ipc_mode": "private",
        "log_config": {"type": "none", "config": {}},
        "init": True,
        "privileged": False,
        "oom_score_adj": 500,  # under host memory pressure the codec goes first
    }
)
# Host-config keys that must stay unset: each would reopen a door HARDENING closes.
NEVER_SET: Final = ("cap_add", "devices", "device_cgroup_rules", "volumes_from", "pid_mode", "userns_mode",
                    "uts_mode", "cgroupns", "sysctls", "links", "extra_hosts", "port_bindings", "volume_driver")

_FORBIDDEN_SECURITY_OPTS = ("seccomp=unconfined", "seccomp:unconfined", "apparmor=unconfined", "apparmor:unconfined")


def host_config_kwargs(
    profile: Profile,
    granted: Grant,
    *,
    in_dir: Path,
    out_dir: Path,
    fsize: int,
) -> dict[str, Any]:
    """HARDENING plus the profile's limits and the two mounts, as docker-py host-config kwargs."""
    import docker  # noqa: PLC0415

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
        if opt.replace(" ", "") in _FORBIDDEN_SECURITY_OPTS:
            raise AssertionError(f"sandbox must keep Docker's default profiles, refusing {opt}")
    if kw.get("memswap_limit") != kw.get("mem_limit"):
        raise AssertionError("swap must be off: memswap_limit == mem_limit")


# -- images ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageInfo:
    ref: str  # what the caller named
    id: str  # sha256:...
    digest: str  # RepoDigest when the image came from a registry, else the image id
    user: str  # "uid:gid" the containers run as, never root
    compressed_size_bytes: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "id": self.id, "digest": self.digest, "user": self.user,
                "compressed_size_bytes": self.compressed_size_bytes}


def _read_image_file(client: Any, image_id: str, path: str) -> str | None:
    """Read a small text file from an image without running it (create + get_archive)."""
    container = client.api.create_container(image_id, command=["true"], network_disabled=True,
                                            labels={LABEL: "probe"})["Id"]
    try:
        stream, _ = client.api.get_archive(container, path)
        buf = io.BytesIO()
        for chunk in stream:
            buf.write(chunk)
            if buf.tell() > 4 << 20:
                return None
        buf.seek(0)
        with tarfile.open(fileobj=buf) as tar:
            member = tar.next()
            if member is None or not member.isfile():
                return None
            fh = tar.extractfile(member)
            return fh.read().decode("utf-8", errors="replace") if fh else None
    except Exception:  # noqa: BLE001  (no such file in the image)
        return None
    finally:
        client.api.remove_container(container, force=True)


def _lookup(table: str | None, name: str) -> tuple[int, int] | None:
    for line in (table or "").splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[0] == name:
            try:
                return int(parts[2]), int(parts[3])
            except ValueError:
                return None
    return None


def resolve_user(client: Any, image_id: str, configured: str) -> str:
    """The numeric ``uid:gid`` to run as: the image's user unless it is root (then 65534)."""
    configured = (configured or "").strip()
    if not configured:
        return NOBODY
    user, _, group = configured.partition(":")
    uid: int | None
    gid: int | None = None
    if user.isdigit():
        uid = int(user)
    else:
        entry = _lookup(_read_image_file(client, image_id, "/etc/passwd"), user)
        uid, gid = entry if entry else (None, None)
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            g = _lookup(_read_image_file(client, image_id, "/etc/group"), group)
            gid = g[0] if g else None  # /etc/group: name:x:gid:members -> parts[2]
    if uid is None or uid == 0:
        if uid == 0:
            log.warning("image %s runs as root; the sandbox runs it as %s instead", image_id[:19], NOBODY)
        return NOBODY
    if gid is None or gid == 0:
        gid = 65534
    return f"{uid}:{gid}"


def image_info(client: Any, image: str, compressed_size_bytes: int | None = None) -> ImageInfo:
    """Inspect a local image: id, digest, the user it will run as. ``image_error`` if absent."""
    import docker  # noqa: PLC0415

    try:
        img = client.images.get(image)
    except docker.errors.ImageNotFound:
        raise CodecFailure(
            "image_error", f"image {image!r} is not on this machine; build it (challenge build) or pull it first"
        ) from None
    except docker.errors.APIError as exc:
        raise CodecFailure("image_error", f"cannot inspect image {image!r}: {exc}") from None
    attrs = img.attrs
    digests = attrs.get("RepoDigests") or []
    user = resolve_user(client, img.id, (attrs.get("Config") or {}).get("User") or "")
    if compressed_size_bytes is None:
        label = ((attrs.get("Config") or {}).get("Labels") or {}).get("org.astrocompress.compressed-size")
        compressed_size_bytes = int(label) if label and str(label).isdigit() else None
    return ImageInfo(ref=image, id=img.id, digest=digests[0] if digests else img.id, user=user,
                     compressed_size_bytes=compressed_size_bytes)


# -- host folders ----------------------------------------------------------------------


def _uid_gid(user: str) -> tuple[int, int]:
    u, _, g = user.partition(":")
    return int(u), int(g or u)


class Workspace:
    """Four host folders per run: encoder in/out, decoder in/out. Removed by :meth:`cleanup`.

    Output folders are size-capped tmpfs mounts when this process may mount
    (root); otherwise plain folders, where the fsize ulimit caps each file
    and every request is followed by a scan (a warning says so).
    """

    PREFIX: Final = "astrocompress-run-"
    OWNER: Final = "owner"  # "<pid> <process start time>" of the evaluator that made the folder

    def __init__(self, user: str, out_bytes: int, base: str | None = None, *, tmpfs_out: bool = True) -> None:
        base = base or settings.run_dir() or tempfile.gettempdir()
        reap_stale_workspaces(Path(base))
        self.root = Path(tempfile.mkdtemp(prefix=self.PREFIX, dir=base))
        (self.root / self.OWNER).write_text(_owner_token(os.getpid()))
        self.uid, self.gid = _uid_gid(user)
        self.enc_in, self.enc_out = self.root / "enc-in", self.root / "enc-out"
        self.dec_in, self.dec_out = self.root / "dec-in", self.root / "dec-out"
        self.mounted: list[Path] = []
        self.is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        for d in (self.enc_in, self.dec_in):
            d.mkdir()
            self._own(d, 0o500 if self.is_root else 0o755)
        for d in (self.enc_out, self.dec_out):
            d.mkdir()
            if not (tmpfs_out and self._mount_tmpfs(d, out_bytes)):
                self._own(d, 0o700 if self.is_root else 0o777)

    def _own(self, d: Path, mode: int) -> None:
        if self.is_root:
            os.chown(d, self.uid, self.gid)
        os.chmod(d, mode)

    def _mount_tmpfs(self, d: Path, size: int) -> bool:
        if not self.is_root or not shutil.which("mount"):
            return False
        opts = f"size={size},nr_inodes=256,mode=0700,uid={self.uid},gid={self.gid},{TMPFS_FLAGS}"
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "astrocompress-out", str(d)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            log.warning("cannot mount a tmpfs for /work/out (%s); using a plain folder", r.stderr.strip())
            return False
        self.mounted.append(d)
        return True

    def resize(self, out_bytes: int) -> None:
        for d in self.mounted:
            subprocess.run(["mount", "-o", f"remount,size={out_bytes}", str(d)], capture_output=True, check=False)

    def write_input(self, folder: Path, name: str, data: bytes | bytearray | np.ndarray) -> Path:
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, np.ndarray):
                np.save(fh, data, allow_pickle=False)
            else:
                fh.write(data)
        return path

    @staticmethod
    def clear(folder: Path) -> None:
        for entry in os.scandir(folder):
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass

    def cleanup(self) -> None:
        for d in self.mounted:
            subprocess.run(["umount", "-l", str(d)], capture_output=True, check=False)
        self.mounted.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def _owner_token(pid: int) -> str:
    try:
        import psutil  # noqa: PLC0415

        return f"{pid} {psutil.Process(pid).create_time():.3f}"
    except Exception:  # noqa: BLE001  (process gone)
        return f"{pid} gone"


def reap_stale_workspaces(base: Path) -> int:
    """Unmount and remove run folders whose evaluator process died without cleaning up (kill -9).

    Folders of live evaluators (another run on this machine) are left alone.
    """
    n = 0
    for d in base.glob(f"{Workspace.PREFIX}*"):
        try:
            token = (d / Workspace.OWNER).read_text().strip()
            pid = int(token.split()[0])
        except (OSError, ValueError, IndexError):
            continue  # not ours, or still being created
        if _owner_token(pid) == token:
            continue  # its evaluator is alive
        for sub in ("enc-out", "dec-out"):
            subprocess.run(["umount", "-l", str(d / sub)], capture_output=True, check=False)
        shutil.rmtree(d, ignore_errors=True)
        log.warning("removed the stale run folder %s (its evaluator, pid %d, is gone)", d, pid)
        n += 1
    return n


# -- one container ---------------------------------------------------------------------


class CodecContainer:
    """One running ``IMAGE encode`` or ``IMAGE decode`` server."""

    def __init__(self, client: Any, info: ImageInfo, role: str, profile: Profile, granted: Grant,
                 in_dir: Path, out_dir: Path, fsize: int, run_id: str) -> None:
        self.client, self.info, self.role = client, info, role
        self.profile, self.granted = profile, granted
        self.in_dir, self.out_dir, self.fsize, self.run_id = in_dir, out_dir, fsize, run_id
        self.who = f"{role}r"  # "encoder" / "decoder"
        self.id: str | None = None
        self.stderr = StderrTail(profile.stderr_keep_bytes)
        self.proto: JsonLinesClient | None = None
        self.ready: dict[str, Any] = {}
        self._killed_by_deadline = False
        self._killed = False

    # hard outer deadline ---------------------------------------------------------------

    def _deadline(self, seconds: float) -> threading.Timer:
        def fire() -> None:
            self._killed_by_deadline = True
            log.warning("%s %s passed its hard deadline of %.1f s; killing it", self.who, self.id, seconds)
            self.kill()

        t = threading.Timer(seconds, fire)
        t.daemon = True
        t.start()
        return t

    def kill(self) -> None:
        if self.id is None or self._killed:
            return
        self._killed = True
        try:
            self.client.api.kill(self.id)
        except Exception:  # noqa: BLE001  (already gone)
            pass

    def start(self) -> float:
        """Create, attach, start, wait for ``{"ready": true}``; returns the startup seconds."""
        env = {k: str(self.granted.cores) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        env["ASTROCOMPRESS_CORES"] = str(self.granted.cores)
        hc = self.client.api.create_host_config(**host_config_kwargs(
            self.profile, self.granted, in_dir=self.in_dir, out_dir=self.out_dir, fsize=self.fsize))
        t0 = time.perf_counter()
        try:
            self.id = self.client.api.create_container(
                self.info.id, command=[self.role], stdin_open=True, user=self.info.user, environment=env,
                host_config=hc, labels={LABEL: self.run_id, f"{LABEL}.role": self.role}, hostname="codec",
            )["Id"]
            sock = self.client.api.attach_socket(self.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            raw = getattr(sock, "_sock", sock)
            self.proto = JsonLinesClient(raw, line_cap=self.profile.line_cap_bytes, stderr=self.stderr, name=self.who)
            self.proto.start()
            self.client.api.start(self.id)
        except CodecFailure:
            raise
        except Exception as exc:  # noqa: BLE001
            raise CodecFailure("startup_failed", f"Docker could not start the {self.who}: {exc}") from None
        timer = self._deadline(self.profile.startup_timeout_s + self.profile.kill_grace_s)
        try:
            self.ready = self.proto.wait_ready(self.profile.startup_timeout_s)
        except CodecFailure as exc:
            kind = "startup_timeout" if exc.kind == "timeout" or self._killed_by_deadline else exc.kind
            if kind == "startup_timeout":
                msg = (f"the {self.who} did not print {{\"ready\": true}} within "
                       f"{self.profile.startup_timeout_s:.0f} s")
            else:
                msg = exc.message
            raise self._classify(CodecFailure(kind, msg, exited=exc.exited)) from None
        finally:
            timer.cancel()
        return time.perf_counter() - t0

    def request(self, req_id: str, in_name: str, out_name: str, timeout: float) -> float:
        assert self.proto is not None
        timer = self._deadline(timeout + self.profile.kill_grace_s)
        try:
            return self.proto.request(req_id, f"/work/in/{in_name}", f"/work/out/{out_name}", timeout)
        except CodecFailure as exc:
            failure = exc
            if self._killed_by_deadline:
                failure = CodecFailure("timeout", f"the {self.who} was killed by the hard deadline of "
                                       f"{timeout + self.profile.kill_grace_s:.1f} s on request {req_id}")
            elif exc.kind == "timeout":
                failure = CodecFailure("timeout", exc.message + f" (limit: {timeout:.1f} s for this item size)")
            raise self._classify(failure) from None
        finally:
            timer.cancel()

    def _classify(self, exc: CodecFailure) -> CodecFailure:
        """After a failure: stop the container, then look for OOM or an oversized output."""
        state = self._state(wait=exc.exited)
        self.kill()
        if not state:
            state = self._state(wait=False)
        if state.get("OOMKilled"):
            return CodecFailure("oom", f"the {self.who} ran out of memory (limit {self.granted.memory_bytes >> 20} MiB "
                                f"for profile {self.profile.name}) and was killed by the kernel")
        big = oversized_output(self.out_dir, self.fsize - 1)
        if big and exc.kind in ("crash", "timeout", "protocol"):
            return CodecFailure("output_too_large", f"the {self.who} wrote more than the cap of "
                                f"{self.fsize - 1} bytes to /work/out ({big})")
        if exc.kind == "crash" and state.get("Status") == "exited":
            code = state.get("ExitCode")
            return CodecFailure("crash", f"{exc.message}; exit code {code}"
                                + (" (killed by SIGKILL)" if code == 137 and not self._killed else ""))
        return exc

    def _state(self, wait: bool) -> dict[str, Any]:
        if self.id is None:
            return {}
        try:
            if wait:
                try:
                    self.client.api.wait(self.id, timeout=3)
                except Exception:  # noqa: BLE001  (still running)
                    pass
            return self.client.api.inspect_container(self.id).get("State") or {}
        except Exception:  # noqa: BLE001
            return {}

    def stop(self, timeout: float = 5.0) -> None:
        """Close stdin (the contract's EOF = exit 0) and give it ``timeout`` seconds, then kill."""
        if self.proto is not None:
            self.proto.close_stdin()
        if self.id is not None and not self._killed:
            try:
                self.client.api.wait(self.id, timeout=timeout)
            except Exception:  # noqa: BLE001
                self.kill()

    def remove(self) -> None:
        try:
            if self.proto is not None:
                self.proto.drain(2.0)  # stderr still in flight (stdout and stderr are not ordered)
                self.proto.close()
        finally:
            if self.id is not None:
                try:
                    self.client.api.remove_container(self.id, force=True)
                except Exception as exc:  # noqa: BLE001
                    log.warning("could not remove container %s: %s", self.id[:12], exc)


# -- encoder + decoder pair ------------------------------------------------------------


@dataclass
class RoundTrip:
    bitstream: bytes | bytearray  # exactly the bytes counted and handed to the decoder
    encode_s: float
    decode_s: float


@dataclass
class SandboxedCodec:
    """An encoder and a decoder container for one track; use as a context manager.

    ``encode(array)`` returns the bitstream and the encode seconds;
    ``decode(bitstream, original)`` checks the round trip and returns the
    decode seconds. ``startup_s`` is the slower of the two startups.
    """

    image: str
    profile: Profile
    info: ImageInfo | None = None
    client: Any = None
    granted: Grant | None = None
    startup_s: float | None = None
    tmpfs_out: bool = True  # False: plain host folders for /work/out (what a non-root evaluator gets)
    _seq: int = 0
    _fsize: int = 0
    _enc: CodecContainer | None = None
    _dec: CodecContainer | None = None
    _ws: Workspace | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __enter__(self) -> "SandboxedCodec":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def open(self, first_raw_bytes: int) -> float:
        """Start both containers sized for items up to ``first_raw_bytes``; returns startup seconds."""
        self.client = self.client or docker_client()
        self.info = self.info or image_info(self.client, self.image)
        self.granted = self.granted or grant_profile(self.profile)
        self._fsize = self.profile.output_cap(first_raw_bytes) + 1
        self._ws = Workspace(self.info.user, self._fsize + (1 << 20), tmpfs_out=self.tmpfs_out)
        self.startup_s = self._start_containers()
        return self.startup_s

    def _start_containers(self) -> float:
        assert self._ws is not None and self.info is not None and self.granted is not None
        self._enc = CodecContainer(self.client, self.info, "encode", self.profile, self.granted,
                                   self._ws.enc_in, self._ws.enc_out, self._fsize, self.run_id)
        self._dec = CodecContainer(self.client, self.info, "decode", self.profile, self.granted,
                                   self._ws.dec_in, self._ws.dec_out, self._fsize, self.run_id)
        t_enc = self._enc.start()
        t_dec = self._dec.start()
        return max(t_enc, t_dec)

    def _ensure_capacity(self, raw_bytes: int) -> None:
        """A bigger item than the containers were sized for: resize /work/out and restart both."""
        need = self.profile.output_cap(raw_bytes) + 1
        if need <= self._fsize:
            return
        log.info("item needs an output cap of %d bytes (> %d): restarting the codec containers", need - 1,
                 self._fsize - 1)
        self._stop_containers()
        self._fsize = need
        assert self._ws is not None
        self._ws.resize(need + (1 << 20))
        self._start_containers()

    def _exchange(self, container: "CodecContainer", in_dir: Path, out_dir: Path, rid: str,
                  suffixes: tuple[str, str], payload: bytes | bytearray | np.ndarray, original: np.ndarray,
                  role: str) -> tuple[bytes | bytearray, float]:
        """One request: write the input, ask, check the output folder, read the output once, clear both.

        The timeout and the output cap scale with the original item (its pixels, its raw bytes).
        """
        assert self._ws is not None
        in_name, out_name = f"{rid}{suffixes[0]}", f"{rid}{suffixes[1]}"
        self._ws.write_input(in_dir, in_name, payload)
        try:
            seconds = container.request(rid, in_name, out_name, self.profile.request_timeout(original.size))
            check_output_folder(out_dir, out_name, role)
            data = read_output(out_dir, out_name, self.profile.output_cap(original.nbytes), role)
        finally:
            Workspace.clear(in_dir)
            Workspace.clear(out_dir)
        return data, seconds

    def encode(self, array: np.ndarray) -> tuple[bytes | bytearray, float]:
        assert self._ws is not None and self._enc is not None
        self._ensure_capacity(array.nbytes)
        self._seq += 1
        rid = f"{self._seq:06d}"
        return self._exchange(self._enc, self._ws.enc_in, self._ws.enc_out, rid, (".npy", ".bin"), array,
                              array, "encoder")

    def decode(self, bitstream: bytes | bytearray, original: np.ndarray) -> float:
        assert self._ws is not None and self._dec is not None
        rid = f"{self._seq:06d}"
        data, seconds = self._exchange(self._dec, self._ws.dec_in, self._ws.dec_out, rid, (".bin", ".npy"),
                                       bitstream, original, "decoder")
        decoded = load_decoded(data, original)
        compare(decoded, original)
        return seconds

    def round_trip(self, array: np.ndarray) -> RoundTrip:
        data, enc_s = self.encode(array)
        dec_s = self.decode(data, array)
        return RoundTrip(data, enc_s, dec_s)

    def stderr_text(self) -> dict[str, str]:
        return {c.role: c.stderr.text() for c in (self._enc, self._dec) if c is not None}

    def stderr_tail(self, n: int = 2000) -> str:
        parts = []
        for c in (self._enc, self._dec):
            if c is not None and c.stderr.total:
                parts.append(f"--- {c.who} stderr (last {n} chars) ---\n{c.stderr.last(n)}")
        return "\n".join(parts)

    def _stop_containers(self) -> None:
        for c in (self._enc, self._dec):
            if c is None:
                continue
            try:
                c.stop()
            finally:
                c.remove()

    def close(self) -> None:
        try:
            self._stop_containers()
        finally:
            if self._ws is not None:
                self._ws.cleanup()
                self._ws = None


def remove_stale_containers(client: Any | None = None) -> int:
    """Remove containers evaluators left behind (e.g. after ``kill -9``); returns how many.

    It removes *every* container with the evaluator's label: call it only when
    no evaluation is running on this Docker engine.
    """
    client = client or docker_client()
    n = 0
    for c in client.api.containers(all=True, filters={"label": LABEL}):
        try:
            client.api.remove_container(c["Id"], force=True)
            n += 1
        except Exception as exc:  # noqa: BLE001
            log.warning("could not remove %s: %s", c["Id"][:12], exc)
    return n


def describe_hardening() -> str:
    """The hardening list as JSON, for the docs and ``--verbose`` runs."""
    return json.dumps(dict(HARDENING), indent=2, default=str)
