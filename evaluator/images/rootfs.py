"""The root image: a minimal Debian with Python 3, built with no registry.

DESIGN.md "Offline Docker images": ``debootstrap --variant=minbase
--include=python3,python3-venv bookworm ROOT`` (under a minute), apt lists,
docs and man pages removed, then ``docker import`` gives a ~156 MB image
``astrocompress/debian-python:<hash>`` (Python 3.11.2). Its tag is a hash
of the recipe, so it is built once per machine.

When a registry is reachable, ``CHALLENGE_BASE_FROM=debian:bookworm-slim``
(any Debian image) replaces the whole step: the image is pulled and the
codec base's Dockerfile installs Python itself with apt.

``extra`` Debian packages (the archive variant: fpack, bzip2, zstd, xz) go
into the same debootstrap run, giving another tag; from a registry image
they are installed with apt in one derived image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from evaluator.core import settings
from evaluator.core.settings import BASE_FROM_ENV, MIRROR_ENV, cache_dir
from evaluator.images.engine import (
    ImageBuildError,
    Progress,
    docker_client,
    hash_parts,
    image_exists,
    report,
    stream_build,
)

SUITE = "bookworm"
VARIANT = "minbase"
PACKAGES = ("python3", "python3-venv")
EXTRA_REPOSITORY = "astrocompress/debian-python-extra"  # a registry image with ``extra`` packages added
REPOSITORY = "astrocompress/debian-python"
RECIPE_VERSION = "1"  # bump when the pruning or import settings below change

# Removed from the root before import: not needed at run time (DESIGN.md).
PRUNED = (
    "var/lib/apt/lists",
    "var/cache/apt",
    "var/cache/debconf/templates.dat-old",
    "var/log",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "usr/share/lintian",
)
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IMPORT_CHANGES = [f"ENV PATH={DEFAULT_PATH}", "ENV LANG=C.UTF-8", 'CMD ["/bin/sh"]']


def mirror() -> str:
    return settings.debian_mirror()


def rootfs_tag(extra: tuple[str, ...] = ()) -> str:
    """The tag the debootstrapped root image has (a hash of its recipe)."""
    digest = hash_parts(
        [RECIPE_VERSION, SUITE, VARIANT, ",".join((*PACKAGES, *extra)), mirror(), *PRUNED, *IMPORT_CHANGES]
    )
    return f"{REPOSITORY}:{digest[:12]}"


def base_from_registry() -> str | None:
    """The registry image to start from instead of debootstrap, if configured."""
    return settings.base_from_registry()


def ensure_rootfs_image(*, progress: Progress | None = None, client: Any | None = None,
                        extra: tuple[str, ...] = ()) -> str:
    """Return the tag of the root image (with the ``extra`` Debian packages), building (or pulling) it if missing."""
    client = client or docker_client()
    registry_image = base_from_registry()
    if registry_image:
        if not image_exists(client, registry_image):
            report(progress, f"pulling {registry_image} ({BASE_FROM_ENV} is set)")
            try:
                client.images.pull(registry_image)
            except Exception as exc:
                raise ImageBuildError(
                    f"cannot pull {registry_image}: {exc}. Unset {BASE_FROM_ENV} to build "
                    "the base offline with debootstrap."
                ) from exc
        return _with_apt_packages(client, registry_image, extra, progress) if extra else registry_image
    tag = rootfs_tag(extra)
    if image_exists(client, tag):
        return tag
    _build_with_debootstrap(client, tag, progress, extra)
    return tag


def _with_apt_packages(client: Any, image: str, extra: tuple[str, ...], progress: Progress | None) -> str:
    """A registry image with ``extra`` installed by apt (the online route; needs the image's apt sources)."""
    tag = f"{EXTRA_REPOSITORY}:{hash_parts([image, *extra])[:12]}"
    if image_exists(client, tag):
        return tag
    report(progress, f"installing {', '.join(extra)} into {image} with apt")
    context = Path(tempfile.mkdtemp(prefix="rootfs-extra-", dir=cache_dir()))
    try:
        (context / "Dockerfile").write_text(
            f"FROM {image}\nUSER root\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
            f"--no-install-recommends {' '.join(extra)} && rm -rf /var/lib/apt/lists/*\n")
        stream_build(client, context, tag, progress=progress)
    finally:
        shutil.rmtree(context, ignore_errors=True)
    return tag


def _check_debootstrap() -> str:
    exe = shutil.which("debootstrap") or (
        "/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").exists() else None
    )
    if exe is None:
        raise ImageBuildError(
            "debootstrap is not installed: `apt-get install debootstrap` (Debian/Ubuntu), "
            f"or set {BASE_FROM_ENV}=debian:bookworm-slim when a registry is reachable."
        )
    if os.geteuid() != 0:
        raise ImageBuildError(
            "building the offline base image runs debootstrap, which needs root: run as "
            f"root once (the image is cached), or set {BASE_FROM_ENV}=debian:bookworm-slim "
            "when a registry is reachable."
        )
    return exe


def _build_with_debootstrap(client: Any, tag: str, progress: Progress | None, extra: tuple[str, ...] = ()) -> None:
    exe = _check_debootstrap()
    debs = cache_dir() / "debootstrap-debs"
    debs.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=cache_dir()))
    root = work / "root"
    try:
        packages = (*PACKAGES, *extra)
        report(progress, f"debootstrap {VARIANT} {SUITE} with {', '.join(packages)} (about a minute)")
        cmd = [
            exe, f"--variant={VARIANT}", f"--include={','.join(packages)}",
            f"--cache-dir={debs}", SUITE, str(root), mirror(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
            raise ImageBuildError(
                f"debootstrap failed (exit {proc.returncode}); is {mirror()} reachable? "
                f"Set {MIRROR_ENV} to another Debian mirror if not.\n{tail}"
            )
        for rel in PRUNED:
            target = root / rel
            if target.is_dir():
                shutil.rmtree(target)
                target.mkdir(parents=True)
            elif target.exists():
                target.unlink()
        (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
        (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
        tar = work / "rootfs.tar"
        report(progress, "packing the root filesystem")
        subprocess.run(
            ["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-cf", str(tar), "."],
            check=True, capture_output=True,
        )
        repository, _, version = tag.partition(":")
        report(progress, f"docker import -> {tag}")
        client.api.import_image_from_file(
            str(tar), repository=repository, tag=version, changes=IMPORT_CHANGES
        )
        if not image_exists(client, tag):
            raise ImageBuildError(f"docker import did not produce {tag}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
