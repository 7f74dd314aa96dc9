"""A running codec container really has the hardening (Docker's view and the kernel's view)."""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.sandbox.codec_pair import SandboxedCodec
from evaluator.sandbox.policy import HARDENING_FLAGS, NOBODY, fsize_limit, host_config_kwargs

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]


def proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as fh:
        return dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)


def test_running_container_is_hardened(hostile_images, docker_client, test_profile, tmp_path, monkeypatch):
    """Docker reports every flag of the policy's list, and every field of the host config the policy builds."""
    monkeypatch.setenv("CHALLENGE_RUN_DIR", str(tmp_path))
    item = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)
    with SandboxedCodec(hostile_images["rootfs"], test_profile) as sc:  # the image says USER root
        sc.open(item.nbytes)
        sc.round_trip(item)
        for container in (sc._enc, sc._dec):
            attrs = docker_client.api.inspect_container(container.id)
            hc, cfg = attrs["HostConfig"], attrs["Config"]
            for flag in HARDENING_FLAGS:  # the one reviewed list
                assert hc[flag.field] == flag.reported, f"{flag.kwarg}: Docker reports {hc[flag.field]!r}"
            # the profile's limits and the mounts, as the policy puts them together for this container
            assert container.fsize == fsize_limit(test_profile, item.nbytes)
            policy = docker_client.api.create_host_config(**host_config_kwargs(
                test_profile, sc.granted, in_dir=container.in_dir, out_dir=container.out_dir, fsize=container.fsize))
            for field, value in policy.items():
                assert hc[field] == value, f"{field}: the policy says {value!r}, Docker reports {hc[field]!r}"
            assert hc["Memory"] == hc["MemorySwap"] == test_profile.memory_bytes  # swap off
            assert not any("unconfined" in o for o in hc["SecurityOpt"])  # Docker's default seccomp stays on
            assert cfg["User"] == NOBODY  # root in the image -> nobody
            # the kernel's view of the codec process (child of the init)
            init_pid = attrs["State"]["Pid"]
            with open(f"/proc/{init_pid}/task/{init_pid}/children") as fh:
                codec_pid = int(fh.read().split()[0])
            st = proc_status(codec_pid)
            assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0
            assert st["NoNewPrivs"] == "1"
            assert st["Seccomp"] == "2"  # filter mode: Docker's default profile is on
            assert st["Uid"].split()[0] == "65534"
        enc_binds = set(docker_client.api.inspect_container(sc._enc.id)["HostConfig"]["Binds"])
        dec_binds = set(docker_client.api.inspect_container(sc._dec.id)["HostConfig"]["Binds"])
        assert not {b.split(":")[0] for b in enc_binds} & {b.split(":")[0] for b in dec_binds}, "shared volume"


@pytest.mark.parametrize("tmpfs_out", [True, False])
def test_output_folders_with_and_without_host_tmpfs(hostile_images, test_profile, tmp_path, monkeypatch, tmpfs_out):
    """Root evaluators get a size-capped tmpfs for /work/out; others a plain folder capped per file by fsize."""
    from evaluator.core.failures import CodecFailure  # noqa: PLC0415

    monkeypatch.setenv("CHALLENGE_RUN_DIR", str(tmp_path))
    item = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)
    with SandboxedCodec(hostile_images["good"], test_profile, tmpfs_out=tmpfs_out) as sc:
        sc.open(item.nbytes)
        assert bool(sc._ws.mounted) == (tmpfs_out and __import__("os").geteuid() == 0)
        assert len(sc.round_trip(item).bitstream) == item.nbytes + 17
    with SandboxedCodec(hostile_images["outfill"], test_profile, tmpfs_out=tmpfs_out) as sc:
        sc.open(item.nbytes)
        with pytest.raises(CodecFailure) as exc:
            sc.round_trip(item)
        assert exc.value.kind == "output_too_large"
    assert list(tmp_path.iterdir()) == []


def test_stale_run_folders_of_dead_evaluators_are_reaped(tmp_path):
    """A kill -9 leaves mounts and folders; the next Workspace removes them, never a live run's."""
    import subprocess  # noqa: PLC0415

    from evaluator.sandbox.workspace import Workspace, reap_stale_workspaces  # noqa: PLC0415

    live = Workspace("10001:10001", 1 << 20, base=str(tmp_path))
    child = subprocess.Popen(["sleep", "0"])
    child.wait()
    dead = Workspace("10001:10001", 1 << 20, base=str(tmp_path))
    (dead.root / Workspace.OWNER).write_text(f"{child.pid} 12345.000")  # its evaluator is gone
    assert reap_stale_workspaces(tmp_path) == 1
    assert not dead.root.exists() and live.root.exists()
    with open("/proc/mounts") as fh:
        assert str(dead.root) not in fh.read()
    live.cleanup()
    assert list(tmp_path.iterdir()) == []
