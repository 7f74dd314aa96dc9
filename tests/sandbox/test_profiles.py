"""Hardware profiles, grants and the fingerprint (no Docker needed)."""

from __future__ import annotations

import os

import pytest

from evaluator.results.fingerprints import Fingerprint
from evaluator.results.image_identity import ImageIdentity
from evaluator.sandbox.policy import HARDENING, check_hardening, host_config_kwargs
from evaluator.sandbox.profiles import (
    PROFILES,
    MiB,
    ProfileUnavailable,
    fingerprint,
    get_profile,
    gpu_info,
    grant,
)


def test_limits_follow_the_design():
    p = PROFILES["cpu-1"]
    assert (p.cores, p.memory_bytes, p.pids_limit) == (1, 4 << 30, 256)
    assert p.request_timeout(1_000_000) == pytest.approx(70.0)
    assert p.output_cap(1000) == 16 * MiB and p.output_cap(100 * MiB) == 400 * MiB
    assert PROFILES["gpu-1"].startup_timeout_s == 300 and PROFILES["cpu-8"].cores == 8
    assert p.replace(pids_limit=10).pids_limit == 10 and p.pids_limit == 256
    with pytest.raises(KeyError, match="choose one of"):
        get_profile("cpu-64")


def test_grant_pins_to_existing_cores():
    cpus = sorted(os.sched_getaffinity(0))
    g = grant(PROFILES["cpu-8"])
    assert g.cores == min(8, len(cpus))
    assert [int(c) for c in g.cpuset.split(",")] == cpus[-g.cores:]
    assert grant(PROFILES["cpu-1"]).cpuset == str(cpus[-1])


@pytest.mark.skipif(bool(gpu_info()), reason="this machine has a GPU")
def test_gpu_profile_without_gpu_says_what_to_do():
    with pytest.raises(ProfileUnavailable, match="needs 1 GPU"):
        grant(PROFILES["gpu-1"])


def test_fingerprint_fields():
    class Src:
        label, revision, synthetic = "synthetic-small-s0:full_test", "rev1", True

    typed = fingerprint("cpu-1", ImageIdentity("sha256:abc", compressed_size_bytes=123), Src())
    fp = typed.to_json()  # what a record stores
    assert Fingerprint.from_json(fp) == typed and Fingerprint.from_json(fp).to_json() == fp
    assert fp["cores_granted"] == 1 and fp["image_digest"] == "sha256:abc"
    assert fp["image_compressed_bytes"] == 123 and fp["synthetic"] is True and fp["dataset_revision"] == "rev1"
    for key in ("cpu_model", "memory_granted_bytes", "docker_version", "contract_version", "evaluator_version",
                "hostname", "gpu_model", "gpu_driver"):
        assert key in fp


def test_hardening_list_is_checked(tmp_path):
    kw = host_config_kwargs(PROFILES["cpu-1"], grant(PROFILES["cpu-1"]), in_dir=tmp_path, out_dir=tmp_path,
                            fsize=1000)
    for key, value in HARDENING.items():
        assert kw[key] == value
    assert kw["memswap_limit"] == kw["mem_limit"]
    for bad in ({"security_opt": ["no-new-privileges:true", "seccomp=unconfined"]}, {"network_mode": "bridge"},
                {"read_only": False}, {"memswap_limit": -1}, {"cap_add": ["SYS_ADMIN"]}, {"pid_mode": "host"}):
        with pytest.raises(AssertionError):
            check_hardening({**kw, **bad})


def test_portable_environments_come_from_the_profile_else_the_setting(monkeypatch):
    from evaluator.core.settings import PORTABLE_ENVS_ENV, SettingError  # noqa: PLC0415
    from evaluator.results.portability import PORTABLE_ENVS  # noqa: PLC0415
    from evaluator.sdk.named_table import UnknownName  # noqa: PLC0415

    monkeypatch.delenv(PORTABLE_ENVS_ENV, raising=False)
    every = [env.name for env in PROFILES["cpu-1"].portable_env_table()]
    assert every == list(PORTABLE_ENVS)  # the default: the whole table, in order
    monkeypatch.setenv(PORTABLE_ENVS_ENV, "all")
    assert [env.name for env in PROFILES["cpu-1"].portable_env_table()] == every
    monkeypatch.setenv(PORTABLE_ENVS_ENV, "threads, aten-default")
    assert [e.name for e in PROFILES["cpu-1"].portable_env_table()] == ["aten-default", "threads"]  # table order
    pinned = PROFILES["cpu-1"].replace(portable_envs=("numpy-baseline",))
    assert [e.name for e in pinned.portable_env_table()] == ["numpy-baseline"]  # the profile wins over the setting
    monkeypatch.setenv(PORTABLE_ENVS_ENV, "threads,no-such-env")
    with pytest.raises(UnknownName, match="no-such-env"):
        PROFILES["cpu-1"].portable_env_table()
    monkeypatch.setenv(PORTABLE_ENVS_ENV, " , ")
    with pytest.raises(SettingError, match="names no environment"):
        PROFILES["cpu-1"].portable_env_table()
    with pytest.raises(UnknownName, match="known: aten-default"):
        PROFILES["cpu-1"].replace(portable_envs=("avx9",))
