"""Offline base images and content-addressed codec builds (real Docker)."""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from importlib import metadata
from pathlib import Path

import pytest

from evaluator.images import BuiltImage, build_codec_image, compressed_image_size, ensure_base_image
from evaluator.images.rootfs import rootfs_tag

pytestmark = pytest.mark.docker


def _docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def test_second_ensure_is_a_cached_no_op(base_image: str) -> None:
    assert re.fullmatch(r"astrocompress/codec-base:[0-9a-f]{12}", base_image)
    started = time.perf_counter()
    assert ensure_base_image() == base_image
    assert time.perf_counter() - started < 10
    # The root was built here from Debian packages, not pulled from a registry.
    root = _docker("image", "inspect", "--format", "{{json .RepoDigests}}", rootfs_tag())
    assert root.returncode == 0 and root.stdout.strip() == "[]"


def test_base_has_venv_sdk_and_user_and_nothing_of_ours_besides(base_image: str) -> None:
    probe = (
        "import sys, numpy, imagecodecs, os, importlib.util; from challenge.sdk import serve; "
        "print(sys.executable, numpy.__version__, imagecodecs.__version__, os.getuid(), os.getcwd(), "
        "sys.version_info[:2] == (3, 11), importlib.util.find_spec('baselines') is None, os.path.exists('/tmp/wheels'))"
    )
    proc = _docker("run", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL",
                   "--user", "codec", base_image, "python", "-c", probe)
    assert proc.returncode == 0, proc.stderr
    exe, np_v, ic_v, uid, cwd, py311, no_baselines, wheels_left = proc.stdout.split()
    assert exe == "/opt/venv/bin/python" and uid == "10001" and cwd == "/work" and py311 == "True"
    # Pinned to the host's versions, so in-image bitstreams equal in-process ones.
    assert (np_v, ic_v) == (metadata.version("numpy"), metadata.version("imagecodecs"))
    # A participant's base carries the SDK only, not our baseline modules.
    assert no_baselines == "True" and wheels_left == "False"


def test_baseline_images_carry_the_baseline_modules(baseline_images) -> None:
    probe = ("from baselines.classical import CODECS; import baselines.serve; from challenge.sdk import serve; "
             "print(','.join(sorted(CODECS)))")
    proc = _docker("run", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL", "--user", "codec",
                   "--entrypoint", "python", baseline_images["rice"].tag, "-c", probe)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "jpeg2000,jpegls,jpegxl,jpegxl-max,rice"


def test_codec_build_is_content_addressed(base_image: str, tmp_path: Path) -> None:
    name = f"imgtest-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "codec"
    folder.mkdir()
    (folder / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY payload.txt /payload.txt\nUSER codec\n"
    )
    (folder / "codec.toml").write_text(f'name = "{name}"\nversion = "0"\n')
    (folder / "payload.txt").write_text("one")
    tags: list[str] = []
    try:
        first = build_codec_image(folder)
        tags.append(first.tag)
        assert re.fullmatch(rf"astrocompress/codec-{name}:[0-9a-f]{{12}}", first.tag)
        started = time.perf_counter()
        again = build_codec_image(folder)
        assert again.image_id == first.image_id and again.tag == first.tag
        assert time.perf_counter() - started < 10
        (folder / "payload.txt").write_text("two")
        changed = build_codec_image(folder)
        tags.append(changed.tag)
        assert changed.tag != first.tag and changed.image_id != first.image_id
        explicit = build_codec_image(folder, tag=f"astrocompress/codec-{name}:mine")
        tags.append(explicit.tag)
        assert explicit.tag.endswith(":mine") and explicit.image_id == changed.image_id
        out = _docker("run", "--rm", "--network", "none", first.tag, "cat", "/payload.txt")
        assert out.stdout == "one"
    finally:
        for tag in tags:
            _docker("rmi", "-f", tag)


def test_missing_dockerfile_names_the_fix(tmp_path: Path) -> None:
    from evaluator.images import ImageBuildError

    with pytest.raises(ImageBuildError, match="ARG BASE_IMAGE"):
        build_codec_image(tmp_path)


def test_compressed_size_is_measured_and_cached(baseline_images: dict[str, BuiltImage]) -> None:
    built = baseline_images["rice"]
    size = built.measure_compressed_size()
    assert 1_000_000 < size < built.size_bytes  # gzip of `docker save` < uncompressed layers
    started = time.perf_counter()
    assert compressed_image_size(built.tag) == size
    assert time.perf_counter() - started < 5


@pytest.mark.slow
def test_torch_variant_runs_cpu_torch_and_offers_the_coding_layer(base_image: str) -> None:
    """The neural baselines and `challenge init --lang torch` build on it (~1.2 GB, 2-3 minutes cold)."""
    tag = ensure_base_image("torch")
    assert re.fullmatch(r"astrocompress/codec-base-torch:[0-9a-f]{12}", tag)
    probe = ("import torch, imagecodecs, numpy as np; from challenge.sdk import serve; "
             "from challenge.sdk.coding import MixtureParams, encode_mixture, decode_mixture; "
             "x = np.array([0, 900, 65535]); p = MixtureParams(np.full((3, 1), 900.0), np.full((3, 1), 3.0), "
             "np.zeros((3, 1))); assert (decode_mixture(encode_mixture(x, p), p) == x).all(); print(torch.__version__)")
    proc = _docker("run", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL", "--user", "codec",
                   tag, "python", "-c", probe)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == metadata.version("torch")
