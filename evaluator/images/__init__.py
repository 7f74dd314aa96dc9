"""Codec images built offline: the root image, the codec base, codec builds.

DESIGN.md "Offline Docker images". Public API (other packages call these):

- :func:`ensure_base_image` -> tag of ``astrocompress/codec-base:<hash>``
  (or ``codec-base-torch``), building the Debian root, the wheelhouse and
  the base layer when missing;
- :func:`build_codec_image` -> :class:`BuiltImage` for a codec folder whose
  Dockerfile starts ``ARG BASE_IMAGE`` / ``FROM ${BASE_IMAGE}``;

The baselines' images are built by ``baselines.baseline_images`` on top of these.

Every tag is a content hash of its inputs; nothing is rebuilt unless an
input changed. Set ``CHALLENGE_BASE_FROM=debian:bookworm-slim`` to start
from a registry image instead of debootstrap when one is reachable.
"""

from __future__ import annotations

from evaluator.images.codec_base import ensure_base_image
from evaluator.images.codec_build import BuiltImage, build_codec_image, compressed_image_size
from evaluator.images.engine import ImageBuildError

__all__ = [
    "BuiltImage",
    "ImageBuildError",
    "build_codec_image",
    "compressed_image_size",
    "ensure_base_image",
]
