"""Exit codes and error lines of the real CLI (``python -m challenge``), one subprocess per case.

Bad input exits 2 with an ``error:`` line and a ``fix:`` line on stderr and no
traceback; ``--verbose`` adds the traceback; ``--version`` works; an
unexpected exception exits 1 and says it is a platform bug.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evaluator.core.tracks import HUBBLE
from evaluator.core.versions import CONTRACT_VERSION
from evaluator.data import hub_layout

REPO = Path(__file__).resolve().parents[2]


def _challenge(*args: str, home: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CHALLENGE_VERBOSE"}
    environ.update({"CHALLENGE_HOME": str(home), "COLUMNS": "300", **env})
    return subprocess.run([sys.executable, "-m", "challenge", *args], capture_output=True, text=True, cwd=REPO,
                          env=environ, timeout=timeout, check=False)


def _assert_bad_input(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2; stderr is one ``error:`` message and one ``fix:`` line; no traceback anywhere."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and lines[-1].startswith("fix: ") and len(lines) == 2, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def test_version_prints_package_and_contract_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    proc = _challenge("--version", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"astrocompress-challenge {version('astrocompress-challenge')} " \
                                  f"(codec contract {CONTRACT_VERSION})"


def test_unknown_track_is_bad_input(tmp_path: Path) -> None:
    _assert_bad_input(_challenge("data", "show", "--track", "no-such-track", home=tmp_path),
                      "unknown track 'no-such-track'", "challenge tracks")


def test_missing_folder_is_bad_input(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-corpus"
    _assert_bad_input(_challenge("data", "show", "--track", "hubble", "--data", str(missing), home=tmp_path),
                      str(missing), "does not exist")


def test_bad_store_url_is_bad_input(tmp_path: Path) -> None:
    proc = _challenge("leaderboard", "--store", "nosuchscheme://results", home=tmp_path)
    _assert_bad_input(proc, "results store 'nosuchscheme://results'", "Protocol not known")


def test_offline_hub_is_bad_input(tmp_path: Path) -> None:
    """No network to huggingface.co here (and HF_HUB_OFFLINE=1 keeps it fast): the source is unreachable."""
    proc = _challenge("data", "show", "--track", "hubble", "--data", "hf://datasets/AstroCompress", home=tmp_path,
                      HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"), CHALLENGE_CACHE=str(tmp_path / "cache"))
    _assert_bad_input(proc, "hf://datasets/AstroCompress", "network")


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    for proc in (_challenge("--verbose", "data", "show", "--track", "no-such-track", home=tmp_path),
                 _challenge("data", "show", "--track", "no-such-track", home=tmp_path, CHALLENGE_VERBOSE="1")):
        assert proc.returncode == 2
        assert "Traceback (most recent call last)" in proc.stderr and "UnknownTrackError" in proc.stderr
        assert "error: unknown track 'no-such-track'" in proc.stderr


def test_register_split_names_every_bad_file_and_registers_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "split"
    chip = np.arange(48, dtype=np.uint16).reshape(6, 8)
    hub_layout.write_file(folder / "good.fits", HUBBLE, [chip, chip + 1])  # Hubble files hold two chips
    (folder / "bad1.fits").write_bytes(b"SIMPLE  = nonsense")
    (folder / "sub").mkdir()
    (folder / "sub" / "bad2.npy").write_bytes(b"not an npy file at all")
    proc = _challenge("admin", "register-split", "two-bad", "--dataset", HUBBLE, "--dir", str(folder), home=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert "2 of 3 files" in proc.stderr and "nothing was registered" in proc.stderr
    lines = proc.stderr.splitlines()
    bad_lines = [line for line in lines if line.strip().startswith(("bad1.fits:", "sub/bad2.npy:"))]
    assert len(bad_lines) == 2 and all(len(line.split(":", 1)[1].strip()) > 5 for line in bad_lines), proc.stderr
    assert not any("good.fits" in line for line in lines)
    listed = _challenge("admin", "splits", home=tmp_path)
    assert listed.returncode == 0 and "two-bad" not in listed.stdout


def test_an_unexpected_exception_is_a_platform_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything outside the error family exits 1 with one line naming it a platform bug (CliRunner: same group)."""
    from typer.testing import CliRunner

    from challenge.cli import app, tracks_cmd

    def boom(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("an internal slip")

    monkeypatch.setattr(tracks_cmd, "Table", boom)
    monkeypatch.delenv("CHALLENGE_VERBOSE", raising=False)
    res = CliRunner().invoke(app, ["tracks"])
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [
        "error: ZeroDivisionError: an internal slip is a bug of the platform, not of your input: "
        "rerun with `challenge --verbose ...` and report the traceback"]
