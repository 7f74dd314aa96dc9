"""The paper's classical baselines as real codec images.

One folder per codec under ``baselines/images/`` (Dockerfile + codec.toml);
each image runs ``python -m baselines.serve <codec>`` on the codec base, so
it writes exactly the bitstreams of ``baselines.classical``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from challenge.images.codec_build import BuiltImage, build_codec_image
from challenge.images.engine import Progress


def baseline_images_root() -> Path:
    return Path(str(resources.files("baselines").joinpath("images")))


def baseline_image_folders() -> dict[str, Path]:
    """Codec name -> folder holding its Dockerfile (sorted by name)."""
    root = baseline_images_root()
    return {d.name: d for d in sorted(root.iterdir()) if (d / "Dockerfile").is_file()}


def ensure_baseline_images(progress: Progress | None = None) -> dict[str, BuiltImage]:
    """Build (or find) every classical baseline image; codec name -> image."""
    return {name: build_codec_image(folder, progress=progress) for name, folder in baseline_image_folders().items()}
