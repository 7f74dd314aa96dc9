"""Intake: what happens between a codec folder and a queued submission.

1. the manifest is validated (:mod:`evaluator.core.manifest`);
2. the image is built (``[build] prepare`` first, then
   :func:`evaluator.images.build_codec_image`);
3. a quick self-check runs the real evaluator on one item per track and
   refuses a codec that fails it (with the reason);
4. the image is exported (``docker save`` of the image id, so the tar holds
   exactly that image) and its digest frozen: DESIGN.md "Measurement" ("a
   submission's image digest is frozen when it is queued; hidden-split runs
   use exactly it"). The worker verifies the tar's SHA-256 and that
   ``docker load`` yields the same image id before running anything.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from evaluator.core.checksums import file_sha256
from evaluator.core.manifest import Manifest, ManifestError, load_manifest
from evaluator.images import BuiltImage, ImageBuildError, build_codec_image
from evaluator.results.image_identity import ImageIdentity
from evaluator.run.evaluate import ImageRun, evaluate_image, first_items
from evaluator.sandbox.docker_engine import docker_client
from evaluator.sdk.errors import BadInput, PlatformFault

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class IntakeError(BadInput, RuntimeError):
    """The codec cannot be submitted; the message says why and what to do."""


class ImageIntegrityError(PlatformFault, RuntimeError):
    """An exported image tar is corrupt or holds another image than the recorded one."""


# What :func:`build` raises when the folder cannot become an image (each message says what to do).
BUILD_ERRORS: tuple[type[Exception], ...] = (ManifestError, IntakeError, ImageBuildError)


@dataclass
class ExportedImage:
    path: Path
    image_id: str  # sha256:... (the image config digest; what `docker load` reports)
    sha256: str  # of the tar file
    size_bytes: int


def run_prepare(folder: Path, manifest: Manifest, progress: Progress | None = None) -> None:
    """Run ``[build] prepare`` (e.g. ``make``) in the codec folder, on this machine."""
    command = manifest.prepare_command
    if not command:
        return
    if progress:
        progress(f"prepare: {command}")
    proc = subprocess.run(shlex.split(command), cwd=folder, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise IntakeError(f"the build step `{command}` (codec.toml [build] prepare) failed with exit "
                          f"code {proc.returncode} in {folder}:\n{tail}")


def build(folder: Path, progress: Progress | None = None) -> tuple[Manifest, BuiltImage]:
    """Validate the manifest, run the prepare step, build the image; raises one of :data:`BUILD_ERRORS`."""

    if not Path(folder).expanduser().is_dir():
        raise IntakeError(f"{folder} is not a folder; create one with `challenge init {folder}`")
    folder = Path(folder).expanduser().resolve()
    manifest = load_manifest(folder)
    run_prepare(folder, manifest, progress)
    return manifest, build_codec_image(folder, progress=progress)


def self_check(image: ImageIdentity | str, *, tracks: list[Any], data: str = "synthetic", profile: str = "cpu-1",
               progress: Callable[..., None] | None = None) -> list[Any]:
    """Evaluate one item per track; returns the records (nothing is stored)."""

    return evaluate_image(ImageRun(image, tracks, first_items(data, 1), profile, None, progress=progress,
                                   show_logs=True, measure_image_size=False))


def describe_failures(records: list[Any]) -> list[str]:
    """One line per failed record: ``track: kind: message``."""
    out = []
    for r in records:
        if r.status != "ok":
            f = r.failure
            kind, message = (f.kind, f.message) if f else ("failed", "no reason recorded")
            out.append(f"{r.track}: {kind}: {message}")
    return out


def _client() -> Any:
    return docker_client()


def resolve_pinned_image(image: str) -> str:
    """The image id for ``REF`` or ``REF@sha256:...``; the pin may be the image id or a registry digest."""
    ref, _, pinned = image.partition("@")
    import docker.errors

    try:
        info = _client().api.inspect_image(ref if pinned else image)
    except docker.errors.ImageNotFound:
        raise IntakeError(f"image {ref!r} is not in the local Docker engine; build it with "
                          f"`challenge build` or `docker load` it first") from None
    image_id = str(info["Id"])
    repo_digests = [d.split("@", 1)[1] for d in info.get("RepoDigests") or [] if "@" in d]
    if pinned and pinned != image_id and pinned not in repo_digests:
        raise IntakeError(f"--image {image}: the local image {ref} has id {image_id}"
                          + (f" and registry digests {', '.join(repo_digests)}" if repo_digests else "")
                          + f", not {pinned}; pull or load the pinned image first")
    return image_id


def export_image(image_id: str, dest: Path) -> ExportedImage:
    """``docker save`` the image (by id, so the tar holds exactly it) to ``dest``, gzip-compressed."""
    if not _DIGEST.match(image_id):
        raise IntakeError(f"expected an image id sha256:<64 hex>, got {image_id!r}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    h = hashlib.sha256()

    class _Hashing(io.RawIOBase):
        """The file as written: the SHA-256 covers exactly the bytes on disk."""

        def __init__(self, raw: IO[bytes]) -> None:
            self.raw, self.size = raw, 0

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            h.update(b)
            self.size += len(b)
            return self.raw.write(b)

    with open(tmp, "wb") as fh:
        sink = _Hashing(fh)
        # gzip level 1: a third of the size for a few seconds; `docker load` reads it as is.
        with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=1, mtime=0) as gz:
            for chunk in _client().api.get_image(image_id):
                gz.write(chunk)
        size = sink.size
    tmp.replace(dest)
    log.info("exported %s to %s (%d bytes)", image_id, dest, size)
    return ExportedImage(dest, image_id, h.hexdigest(), size)


def load_image(tar: Path, *, image_id: str, tar_sha256: str | None, tag: str | None = None) -> str:
    """``docker load`` a submission tar and check it is the recorded image.

    Raises :class:`ImageIntegrityError` when the file is missing, its SHA-256
    differs from the recorded one, Docker cannot load it, or the loaded image
    id is not ``image_id``. Returns the image id.
    """
    tar = Path(tar)
    if not tar.is_file():
        raise ImageIntegrityError(f"image tar {tar} is missing")
    if tar_sha256:
        actual = file_sha256(tar)
        if actual != tar_sha256:
            raise ImageIntegrityError(f"image tar is corrupt: its SHA-256 is {actual[:16]}..., "
                                      f"the submission recorded {tar_sha256[:16]}...")
    client = _client()
    try:
        with open(tar, "rb") as fh:
            chunks = list(client.api.load_image(fh, quiet=True))
    except Exception as exc:  # noqa: BLE001  (docker.errors.APIError and transport errors)
        raise ImageIntegrityError(f"docker load refused the image tar: {exc}") from None
    loaded: list[str] = []
    for chunk in chunks:
        if isinstance(chunk, dict) and chunk.get("error"):
            raise ImageIntegrityError(f"docker load refused the image tar: {chunk['error']}")
        stream = chunk.get("stream", "") if isinstance(chunk, dict) else ""
        loaded += re.findall(r"sha256:[0-9a-f]{64}", stream)
    if image_id not in loaded:
        try:
            client.api.inspect_image(image_id)
            present = True
        except Exception:  # noqa: BLE001
            present = False
        got = ", ".join(loaded) or "nothing"
        if not present or loaded:
            raise ImageIntegrityError(f"digest mismatch: the tar holds {got}, the submission recorded {image_id}")
    if tag:
        repo, _, name = tag.rpartition(":")
        client.api.tag(image_id, repo, name)
    return image_id
