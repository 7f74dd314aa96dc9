"""The participant SDK as a wheel: what codec images install, as a package.

``evaluator.sdk`` (the JSON-lines server, the entropy coder, the error family,
the named-table helper) imports nothing of the platform, so it is installable
alone. Its wheel also carries ``challenge.sdk``, the SDK's public name (the
very file of this repository, which re-exports ``evaluator.sdk``). Installed
without the rest of the platform, ``evaluator`` and ``challenge`` are
namespace packages (PEP 420) in the image: nothing is generated, nothing is
copied into site-packages by hand; ``pip install`` puts it there and lists it.

The wheel is reproducible (sorted entries, fixed timestamps), so its SHA-256
is part of the codec base image's input hash: the base is rebuilt exactly when
an SDK file changes. PEP 427 is small enough to write with ``zipfile``; the
host has no ``wheel`` package to lean on.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import resources
from pathlib import Path

from evaluator.core.versions import PLATFORM_VERSION

__all__ = ["DISTRIBUTION", "REQUIREMENT", "build_sdk_wheel", "sdk_files", "wheel_name"]

DISTRIBUTION = "astrocompress_codec_sdk"  # normalised name, as wheel file names spell it
PROJECT = "astrocompress-codec-sdk"
REQUIREMENT = f"{PROJECT}=={PLATFORM_VERSION}"
# (import package, what it holds); the files come from the installed packages themselves
PACKAGES: tuple[tuple[str, str], ...] = (
    ("evaluator.sdk", "the SDK: serve, coding, errors, named tables"),
    ("challenge.sdk", "its public name (re-exports evaluator.sdk)"),
)
METADATA = f"""Metadata-Version: 2.1
Name: {PROJECT}
Version: {PLATFORM_VERSION}
Summary: AstroCompress Challenge codec SDK: the encode/decode server and the range coder
Requires-Python: >=3.11
Requires-Dist: numpy
Provides-Extra: coding
Requires-Dist: constriction; extra == "coding"
"""
WHEEL = """Wheel-Version: 1.0
Generator: astrocompress-challenge (evaluator.images.sdk_wheel)
Root-Is-Purelib: true
Tag: py3-none-any
"""
_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: the same bytes on every build


def wheel_name() -> str:
    return f"{DISTRIBUTION}-{PLATFORM_VERSION}-py3-none-any.whl"


def sdk_files() -> list[tuple[str, Path]]:
    """(path inside site-packages, source file) for every module of the SDK's packages, sorted."""
    files: list[tuple[str, Path]] = []
    for package, _ in PACKAGES:
        root = Path(str(resources.files(package)))
        prefix = package.replace(".", "/")
        files += [(f"{prefix}/{p.relative_to(root).as_posix()}", p) for p in root.rglob("*.py")
                  if "__pycache__" not in p.parts]
    return sorted(files)


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_sdk_wheel(folder: Path) -> Path:
    """Write the SDK's wheel into ``folder``; return its path."""
    dist_info = f"{DISTRIBUTION}-{PLATFORM_VERSION}.dist-info"
    entries = [(arc, path.read_bytes()) for arc, path in sdk_files()]
    entries += [(f"{dist_info}/METADATA", METADATA.encode()), (f"{dist_info}/WHEEL", WHEEL.encode())]
    record = "".join(f"{arc},{_record_hash(data)},{len(data)}\n" for arc, data in entries)
    entries.append((f"{dist_info}/RECORD", (record + f"{dist_info}/RECORD,,\n").encode()))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / wheel_name()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for arc, data in entries:
            info = zipfile.ZipInfo(arc, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return target
