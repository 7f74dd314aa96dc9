"""Building a codec image from a folder, tagged by the hash of its content.

A codec folder holds a ``Dockerfile`` that starts ``ARG BASE_IMAGE`` /
``FROM ${BASE_IMAGE}`` (the scaffold and every baseline do) and usually a
``codec.toml`` manifest. The build passes ``BASE_IMAGE`` = the codec base
image (``base = "torch"`` in ``codec.toml`` picks the torch variant) and
tags ``astrocompress/codec-<name>:<hash12>``, the hash covering the base
image tag and every file of the folder, so an unchanged codec is never
rebuilt.

DESIGN.md "Measurement": the compressed size of the image (``docker save |
gzip``) is recorded and shown, because a codec could carry data inside
itself; it is measured lazily and cached by image id.
"""

from __future__ import annotations

import json
import re
import tomllib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.core.checksums import file_sha256
from evaluator.core.manifest import LABEL_MODES, MODES
from evaluator.core.settings import cache_dir
from evaluator.core.versions import CONTRACT_VERSION
from evaluator.images.build_lock import build_lock
from evaluator.images.codec_base import LABEL_CONTRACT, LABEL_INPUTS, REPOSITORIES, Variant, ensure_base_image
from evaluator.images.engine import (
    ImageBuildError,
    Progress,
    docker_client,
    hash_parts,
    image_exists,
    report,
    stream_build,
)
from evaluator.results.image_identity import ImageIdentity

LABEL_BASE = "org.astrocompress.base_image"
LABEL_NAME = "org.astrocompress.codec"
SKIPPED_PARTS = {".git", "__pycache__", ".pytest_cache", ".mypy_cache"}
GZIP_LEVEL = 6  # `gzip` CLI default


@dataclass
class BuiltImage:
    """A codec image in the local engine."""

    tag: str
    image_id: str  # "sha256:..."
    size_bytes: int  # uncompressed, as `docker image inspect` reports it
    compressed_size_bytes: int | None = None  # `docker save | gzip`; see measure_compressed_size

    def measure_compressed_size(self) -> int:
        """Fill ``compressed_size_bytes`` (cached per image id) and return it."""
        if self.compressed_size_bytes is None:
            self.compressed_size_bytes = compressed_image_size(self.image_id)
        return self.compressed_size_bytes

    def identity(self) -> ImageIdentity:
        """This build, frozen: what a campaign task or a baseline run carries to the record."""
        return ImageIdentity.frozen(self.image_id, ref=self.tag, compressed_size_bytes=self.compressed_size_bytes)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's ``codec.toml`` as a dict (empty when there is none)."""
    path = folder / "codec.toml"
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ImageBuildError(f"{path} is not valid TOML: {exc}") from None


def image_slug(name: str) -> str:
    """A Docker repository component from a codec name."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._")
    if not slug:
        raise ImageBuildError(f"cannot make an image name from codec name {name!r}")
    return slug


def folder_digest(folder: Path) -> list[str]:
    """(relative path, sha256) of every file in the build context, sorted."""
    parts: list[str] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(p in SKIPPED_PARTS for p in rel.parts) or not path.is_file():
            continue
        parts += [rel.as_posix(), file_sha256(path)]
    return parts


def build_codec_image(folder: Path, *, tag: str | None = None, progress: Progress | None = None) -> BuiltImage:
    """Build (or find) the image for the codec in ``folder``.

    Tags ``astrocompress/codec-<name>:<hash12>`` unless ``tag`` is given; an
    image whose inputs hash matches is reused without building.
    """
    folder = Path(folder).expanduser().resolve()
    dockerfile = folder / "Dockerfile"
    if not dockerfile.is_file():
        raise ImageBuildError(
            f"{folder} has no Dockerfile; a codec folder needs one starting with "
            "`ARG BASE_IMAGE` and `FROM ${BASE_IMAGE}` (see challenge/CONTRACT.md)"
        )
    manifest = read_manifest(folder)
    name = str(manifest.get("name") or folder.name)
    variant: Variant = manifest.get("base", "python")
    if variant not in REPOSITORIES:
        raise ImageBuildError(f"{folder / 'codec.toml'}: base must be one of {', '.join(REPOSITORIES)}, "
                              f"got {variant!r}")
    base_tag = ensure_base_image(variant, progress=progress)
    digest = hash_parts([CONTRACT_VERSION, base_tag, *folder_digest(folder)])
    final_tag = tag or f"astrocompress/codec-{image_slug(name)}:{digest[:12]}"

    declared = manifest.get("modes", ["lossless"])
    modes = ",".join(m for m in MODES if isinstance(declared, list) and m in declared) or "lossless"
    client = docker_client()
    # one build of these inputs at a time on this machine: two evaluators (or test workers) asking for the same
    # image get the same one, never a second build that re-tags it under the first one's running containers
    with build_lock(f"codec-{digest[:16]}"):
        if image_exists(client, final_tag):
            info = client.api.inspect_image(final_tag)
            labels = (info.get("Config") or {}).get("Labels") or {}
            if labels.get(LABEL_INPUTS) == digest:
                report(progress, f"{final_tag} is up to date")
                return _built(final_tag, info)
        report(progress, f"building {final_tag} from {folder}")
        stream_build(
            client, folder, final_tag,
            buildargs={"BASE_IMAGE": base_tag},
            labels={LABEL_INPUTS: digest, LABEL_CONTRACT: CONTRACT_VERSION, LABEL_BASE: base_tag, LABEL_NAME: name,
                    LABEL_MODES: modes},
            progress=progress,
        )
        return _built(final_tag, client.api.inspect_image(final_tag))


def _built(tag: str, info: dict[str, Any]) -> BuiltImage:
    image_id = str(info["Id"])
    return BuiltImage(tag, image_id, int(info.get("Size") or 0), _cached_sizes().get(image_id))


def _sizes_file() -> Path:
    return cache_dir() / "image-compressed-sizes.json"


def _cached_sizes() -> dict[str, int]:
    try:
        return {str(k): int(v) for k, v in json.loads(_sizes_file().read_text()).items()}
    except (OSError, ValueError):
        return {}


def compressed_image_size(image: str, *, client: Any | None = None) -> int:
    """Bytes of ``docker save IMAGE | gzip`` (level 6), cached by image id."""
    client = client or docker_client()
    image_id = str(client.api.inspect_image(image)["Id"])
    cached = _cached_sizes()
    if image_id in cached:
        return cached[image_id]
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    total = 0
    for chunk in client.api.get_image(image_id):
        total += len(compressor.compress(chunk))
    total += len(compressor.flush())
    cached = _cached_sizes()
    cached[image_id] = total
    tmp = _sizes_file().with_suffix(".tmp")
    tmp.write_text(json.dumps(cached, indent=1, sort_keys=True))
    tmp.replace(_sizes_file())
    return total
