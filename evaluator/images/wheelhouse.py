"""The host-side wheelhouse: the Python wheels that go into codec images.

Containers reach no package index, so wheels are fetched on the host
(DESIGN.md "Offline Docker images"): ``pip download --only-binary=:all:
--python-version 3.11 --platform manylinux_2_17_x86_64 --platform
manylinux2014_x86_64 --platform manylinux_2_28_x86_64``, pinned to the
versions installed on the host so the in-image codecs produce the same
bitstreams as the in-process ones. Cached under ``cache_dir()/wheelhouse``.

The CPU torch wheel is not on PyPI; ``pip download torch==<host version>
--no-deps`` resolves it from the on-disk wheel directory pip is configured
with (``find-links``), so the torch variant also builds offline here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

from packaging.requirements import Requirement

from evaluator.core.checksums import file_sha256
from evaluator.core.settings import cache_dir
from evaluator.images.engine import ImageBuildError, Progress, hash_parts, report

Variant = Literal["python", "torch"]

# The image's interpreter (Debian bookworm's python3) and the platforms its
# glibc (2.36) can load.
PYTHON_VERSION = "3.11"
PLATFORMS = ("manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_28_x86_64")

PYTHON_PACKAGES = ("numpy", "imagecodecs")
TORCH_EXTRAS = ("constriction",)  # the torch variant's packages besides torch and its dependencies
# The image's environment, for evaluating dependency markers.
TARGET_MARKERS = {
    "python_version": PYTHON_VERSION, "python_full_version": f"{PYTHON_VERSION}.2",
    "implementation_name": "cpython", "platform_python_implementation": "CPython",
    "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
    "os_name": "posix", "extra": "",
}


@dataclass(frozen=True)
class Wheelhouse:
    """A complete folder of wheels and the pinned requirements they satisfy."""

    folder: Path
    requirements: tuple[str, ...]  # "name==version", installed with --no-index
    wheels: tuple[tuple[str, str], ...]  # (file name, sha256), sorted

    def fingerprint(self) -> list[str]:
        return [*self.requirements, *(f"{n}={h}" for n, h in self.wheels)]


def host_pin(package: str) -> str:
    """``package==<version installed on the host>``; explains a missing one."""
    try:
        return f"{package}=={metadata.version(package)}"
    except metadata.PackageNotFoundError:
        raise ImageBuildError(
            f"{package} is not installed on this machine, so its version cannot be pinned "
            f"for the codec image: pip install {package}"
        ) from None


def runtime_dependencies(package: str) -> list[str]:
    """Names of ``package``'s run-time requirements in the image's environment.

    Read from the host's installed metadata (markers evaluated for
    :data:`TARGET_MARKERS`, extras left out); each is then pinned to the
    host's version, so the image gets the combination tested here.
    """

    names: list[str] = []
    for text in metadata.requires(package) or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate(TARGET_MARKERS):
            names.append(req.name)
    return names


def requirements_for(variant: Variant) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(requirements fetched for the image platform, requirements fetched --no-deps)."""
    platform_reqs = [host_pin(p) for p in PYTHON_PACKAGES]
    local_reqs: list[str] = []
    if variant == "torch":
        # torch, and constriction for the SDK's entropy-coding layer (evaluator.sdk.coding)
        platform_reqs += [host_pin(p) for p in (*runtime_dependencies("torch"), *TORCH_EXTRAS)]
        local_reqs.append(host_pin("torch"))
    elif variant != "python":
        raise ValueError(f"unknown base image variant {variant!r}; choose 'python' or 'torch'")
    return tuple(platform_reqs), tuple(local_reqs)


def ensure_wheelhouse(variant: Variant = "python", *, progress: Progress | None = None) -> Wheelhouse:
    """Return the cached wheelhouse for ``variant``, downloading it if missing."""
    platform_reqs, local_reqs = requirements_for(variant)
    key = hash_parts([PYTHON_VERSION, *PLATFORMS, *platform_reqs, "--no-deps", *local_reqs])[:16]
    folder = cache_dir() / "wheelhouse" / f"{variant}-{key}"
    manifest = folder / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        return Wheelhouse(folder, tuple(data["requirements"]), tuple(map(tuple, data["wheels"])))

    tmp = Path(tempfile.mkdtemp(prefix=f"wheels-{variant}-", dir=folder.parent if folder.parent.exists() else None))
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        platform_args = [arg for p in PLATFORMS for arg in ("--platform", p)]
        report(progress, f"downloading wheels: {' '.join(platform_reqs)}")
        _pip_download(
            ["--only-binary=:all:", "--python-version", PYTHON_VERSION, *platform_args, *platform_reqs], tmp
        )
        if local_reqs:
            report(progress, f"fetching {' '.join(local_reqs)} (no dependencies)")
            _pip_download(["--no-deps", "--only-binary=:all:", *local_reqs], tmp)
        wheels = tuple(sorted((p.name, file_sha256(p)) for p in tmp.glob("*.whl")))
        if not wheels:
            raise ImageBuildError(f"pip downloaded no wheels into {tmp}")
        requirements = tuple(platform_reqs) + tuple(local_reqs)
        (tmp / "manifest.json").write_text(
            json.dumps({"requirements": requirements, "wheels": wheels}, indent=1)
        )
        if folder.exists():  # a concurrent download finished first
            shutil.rmtree(tmp)
        else:
            tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ensure_wheelhouse(variant, progress=progress)


def _pip_download(args: list[str], dest: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-d", str(dest), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise ImageBuildError(
            "pip could not fetch the wheels for the codec image (it needs PyPI, or a "
            f"wheel directory in pip's find-links):\n$ {' '.join(cmd)}\n{tail}"
        )
