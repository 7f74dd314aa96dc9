"""Fixtures of the data-layer tests: real FITS files fetched at test time, a synthetic corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

ASTROQUERY = "astroquery==0.4.11"
THUMBNAIL_IN_WHEEL = "astroquery/astrometry_net/tests/data/thumbnail-image.fit.gz"
SKIMAGE_DEB = "python3-skimage"  # Debian bookworm 0.19.3: skimage/data/multi.fits


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own home (hidden-split registry) so nothing leaks between tests."""
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path_factory.mktemp("home")))


def _cache(request: pytest.FixtureRequest) -> Path:
    """pytest's cache folder (fetch once per checkout), or a session temp folder without the cache plugin."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("astrocompress-real-fits"))
    return request.getfixturevalue("tmp_path_factory").mktemp("real-fits")


@pytest.fixture(scope="session")
def thumbnail_fits(request: pytest.FixtureRequest) -> Path:
    """AspenCG16 camera frame, uint16 256x256, gzip FITS (from the pinned astroquery wheel)."""
    cache = _cache(request)
    target = cache / "thumbnail-image.fit.gz"
    if not target.is_file():
        wheels = cache / "wheels"
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                               ASTROQUERY, "-d", str(wheels), "-q"],
                              check=False, capture_output=True, text=True, timeout=300)
        found = sorted(wheels.glob("astroquery-0.4.11-*.whl")) if wheels.is_dir() else []
        if proc.returncode != 0 or not found:
            pytest.skip(f"cannot download {ASTROQUERY} from PyPI (no network?): {proc.stderr.strip()[-300:]}")
        with zipfile.ZipFile(found[0]) as z:
            target.write_bytes(z.read(THUMBNAIL_IN_WHEEL))
    return target


@pytest.fixture(scope="session")
def gmos_multi_fits(request: pytest.FixtureRequest) -> Path:
    """Raw Gemini GMOS-N frame, 3 SCI extensions of uint16 288x132 (Debian python3-skimage)."""
    cache = _cache(request)
    target = cache / "multi.fits"
    if not target.is_file():
        if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
            pytest.skip("apt-get/dpkg-deb not available to fetch python3-skimage's multi.fits")
        debs = cache / "debs"
        debs.mkdir(exist_ok=True)
        proc = subprocess.run(["apt-get", "download", SKIMAGE_DEB], cwd=debs, check=False, capture_output=True,
                              text=True, timeout=300)
        found = sorted(debs.glob("python3-skimage_*.deb"))
        if proc.returncode != 0 or not found:
            pytest.skip(f"cannot download the Debian package {SKIMAGE_DEB} (no network?): {proc.stderr.strip()[-300:]}")
        tree = debs / "x"
        subprocess.run(["dpkg-deb", "-x", str(found[0]), str(tree)], check=True, timeout=120)
        hits = list(tree.rglob("skimage/data/multi.fits"))
        if not hits:
            pytest.skip(f"{found[0].name} holds no skimage/data/multi.fits")
        shutil.copyfile(hits[0], target)
        shutil.rmtree(tree, ignore_errors=True)
    return target


@pytest.fixture(scope="session")
def synthetic_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding the default synthetic corpus (generated once per session)."""
    pytest.importorskip("evaluator.data.synthetic_sky", reason="the sky physics not available yet")
    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get("CHALLENGE_CACHE")
    os.environ["CHALLENGE_CACHE"] = str(cache)
    try:
        from evaluator.data.synthetic_corpus import default_synthetic_dir, generate

        generate(default_synthetic_dir("small", 0), size="small", seed=0)
    finally:
        if old is None:
            os.environ.pop("CHALLENGE_CACHE", None)
        else:
            os.environ["CHALLENGE_CACHE"] = old
    return cache


@pytest.fixture
def synthetic_source(synthetic_cache: Path, monkeypatch: pytest.MonkeyPatch):
    """``resolve_source('synthetic')`` against the session's generated corpus."""
    monkeypatch.setenv("CHALLENGE_CACHE", str(synthetic_cache))
    from evaluator.data.data_source import resolve_source

    return resolve_source("synthetic")
