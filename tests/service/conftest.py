"""Fixtures for the organizer-service tests: test codec images (each a distinct digest), cleanup of our own objects."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOSTILE = REPO / "tests" / "sandbox" / "hostile"
OWN = Path(__file__).parent / "codecs"
TAG_PREFIX = "astrocompress-test/service-"


@pytest.fixture
def codec_images(docker_client, tmp_path_factory) -> Iterator[Callable[[str, str], str]]:
    """``build(name, variant)``: the test codec ``name`` (tests/sandbox/hostile or tests/service/codecs)
    as its own image (``variant`` changes the digest); every image built is removed afterwards."""
    from evaluator.images import build_codec_image

    root = tmp_path_factory.mktemp("service-codecs")
    built: list[str] = []

    def build(name: str, variant: str) -> str:
        src = OWN / name if (OWN / name).is_dir() else HOSTILE / name
        ctx = root / f"{name}-{variant}"
        shutil.copytree(src, ctx)
        shutil.copy(HOSTILE / "_common" / "contract.py", ctx / "contract.py")
        with open(ctx / "codec.py", "a") as fh:
            fh.write(f"\n# variant {variant}\n")
        tag = build_codec_image(ctx, tag=f"{TAG_PREFIX}{name}-{variant}:latest").tag
        built.append(tag)
        return tag

    yield build
    import docker.errors

    for tag in built:
        try:
            docker_client.api.remove_image(tag, force=True)
        except docker.errors.APIError:
            pass
