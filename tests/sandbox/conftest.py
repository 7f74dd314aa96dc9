"""Fixtures for the sandbox tests: Docker, the test codec images, tiny items, a fast profile."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from evaluator.data.items import Item
from evaluator.run.evaluate import ItemsSource
from evaluator.sandbox.profiles import PROFILES, MiB, Profile

HOSTILE = Path(__file__).parent / "hostile"

# cpu-1 with short timeouts and small caps so every hostile case ends in seconds.
TEST_PROFILE: Profile = PROFILES["cpu-1"].replace(
    name="test-cpu-1",
    memory_bytes=256 * MiB,
    startup_timeout_s=20.0,
    request_base_s=4.0,
    request_s_per_mpix=0.0,
    output_cap_min_bytes=1 * MiB,
    tmp_bytes=32 * MiB,
    pids_limit=64,
    kill_grace_s=3.0,
    timing_repeats=1,  # one round trip per item: the hostile codecs count requests (crashmid dies on the 3rd)
)


def build_test_codec(name: str, root: Path) -> str:
    """Build the test codec ``hostile/<name>`` (FROM the codec base image, with ``contract.py``); its tag."""
    from evaluator.images import build_codec_image  # noqa: PLC0415

    ctx = root / name
    shutil.copytree(HOSTILE / name, ctx)
    shutil.copy(HOSTILE / "_common" / "contract.py", ctx / "contract.py")
    return build_codec_image(ctx, tag=f"astrocompress-test/hostile-{name}:latest").tag


@pytest.fixture(scope="session")
def test_codec(docker_client, tmp_path_factory) -> Callable[[str], str]:
    """``test_codec(name)``: build one codec of hostile/ (not all of them); its tag."""
    root = tmp_path_factory.mktemp("test-codecs")
    tags: dict[str, str] = {}

    def build(name: str) -> str:
        if name not in tags:
            tags[name] = build_test_codec(name, root)
        return tags[name]

    return build


@pytest.fixture(scope="session")
def hostile_images(docker_client, tmp_path_factory) -> dict[str, str]:
    """Build every test codec under hostile/ once (FROM the codec base image); name -> tag."""
    root = tmp_path_factory.mktemp("hostile-contexts")
    return {folder.name: build_test_codec(folder.name, root)
            for folder in sorted(p for p in HOSTILE.iterdir() if p.is_dir() and not p.name.startswith("_"))}


def make_items(n: int = 4, shape: tuple[int, ...] = (64, 64), seed: int = 0) -> list[Item]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        sky = rng.poisson(300.0, size=shape) + 1000
        sky.flat[rng.integers(0, sky.size, 5)] = 65535  # saturated pixels
        out.append(Item(f"tiny-{i}", sky.astype(np.uint16), {"exptime": 30.0 + i}))
    return out


@pytest.fixture()
def tiny_source() -> ItemsSource:
    return ItemsSource({"hubble": make_items(4), "sdss-3d-lambda": make_items(2, (3, 32, 40), seed=1)},
                       label="tiny-test", synthetic=True, revision="tiny-v1")


@pytest.fixture(scope="session")
def test_profile() -> Profile:
    return TEST_PROFILE
