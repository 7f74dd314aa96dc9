"""The paper's classical baselines as real codec images.

One folder per codec under ``baselines/images/`` (its ``codec.toml``); the
Dockerfile is the one template ``baselines/images/classical.Dockerfile``
with the codec's name filled in. Each image is the codec base (which carries only the SDK, as a
participant's does) plus the baseline modules, staged here into a build
context beside the folder's files, and runs ``python -m baselines.serve
<codec>``: it writes exactly the bitstreams of ``baselines.classical``.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from pathlib import Path

from evaluator.checksums import file_sha256
from evaluator.images import BuiltImage, build_codec_image
from evaluator.images.codec_build import folder_digest
from evaluator.images.engine import Progress, hash_parts
from evaluator.settings import cache_dir

# Modules the images need; they import nothing but numpy, imagecodecs, the SDK and each other.
IMAGE_MODULES: tuple[str, ...] = ("bitstream_header.py", "classical.py", "serve.py")
DOCKERFILE_TEMPLATE = "classical.Dockerfile"
IMAGE_INIT = '"""AstroCompress baselines: the classical codecs (image copy)."""\n'


def baseline_images_root() -> Path:
    return Path(str(resources.files("baselines").joinpath("images")))


def baseline_image_folders() -> dict[str, Path]:
    """Codec name -> folder holding its ``codec.toml`` (sorted by name)."""
    root = baseline_images_root()
    return {d.name: d for d in sorted(root.iterdir()) if (d / "codec.toml").is_file()}


def dockerfile(codec: str) -> str:
    """The Dockerfile of one classical baseline's image."""
    return (baseline_images_root() / DOCKERFILE_TEMPLATE).read_text().replace("CODEC_NAME", codec)


def _module_source(name: str) -> Path:
    return Path(str(resources.files("baselines").joinpath(name)))


def stage_context(folder: Path) -> Path:
    """A build context: the folder's files, its Dockerfile and ``site-packages/baselines/``.

    Content-addressed (``baseline-contexts/<name>-<hash>``) and moved into
    place atomically, so concurrent builders never see a half-written one.
    """
    inputs = [*folder_digest(folder), IMAGE_INIT, dockerfile(folder.name)]
    inputs += [part for name in IMAGE_MODULES for part in (name, file_sha256(_module_source(name)))]
    context = cache_dir() / "baseline-contexts" / f"{folder.name}-{hash_parts(inputs)[:12]}"
    if context.is_dir():
        return context
    context.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=context.parent))
    shutil.copytree(folder, staging, dirs_exist_ok=True)
    (staging / "Dockerfile").write_text(dockerfile(folder.name))
    package = staging / "site-packages" / "baselines"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(IMAGE_INIT)
    for name in IMAGE_MODULES:
        shutil.copyfile(_module_source(name), package / name)
    try:
        staging.rename(context)
    except OSError:  # another process staged the same inputs first
        shutil.rmtree(staging, ignore_errors=True)
    return context


def ensure_baseline_images(progress: Progress | None = None) -> dict[str, BuiltImage]:
    """Build (or find) every classical baseline image; codec name -> image."""
    return {
        name: build_codec_image(stage_context(folder), progress=progress)
        for name, folder in baseline_image_folders().items()
    }
