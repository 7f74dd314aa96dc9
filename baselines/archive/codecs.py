"""What archives run today, as codecs: fpack (RICE_1, HCOMPRESS_1, GZIP_2), bzip2 -9, zstd -19 (and --long), xz -9.

Each codec runs the tool itself (Debian bookworm's ``libcfitsio-bin``,
``bzip2``, ``zstd``, ``xz-utils``; the archive codec base image carries the
same packages), so a bitstream *is* the tool's own output, byte for byte,
and the compressed size is what an archive would hold:

- the input is the item as an archive stores it, the uncompressed FITS file
  of ``baselines.archive.fits_file`` (a primary HDU, ``BITPIX = 16``
  big-endian with ``BZERO = 32768``; header and data padded to 2880 bytes);
- it is written to a private temporary folder and the tool runs on that file
  with its output to stdout: ``fpack -C <method> -S item.fits``, ``bzip2 -9
  -c item.fits``, ``zstd -19 [--long] -q -c item.fits``, ``xz -9 -c
  item.fits``; decode runs ``funpack -C -S`` / ``bzip2 -dc`` / ``zstd -dc`` /
  ``xz -dc`` and reads the FITS file back. No header of ours: the FITS file
  inside says the shape, so the bitstream is exactly what the tool wrote.
- fpack: ``-C`` leaves out the CHECKSUM/DATASUM cards, which carry the time
  of writing (with them no two runs give the same bytes; their 160 bytes of
  header rarely change the 2880-byte block count). Tiles are fpack's
  defaults: one row per tile for RICE_1 (block size 32) and GZIP_2 (bytes
  shuffled), 16 rows by the full width for HCOMPRESS_1, each plane of a 3D
  or 4D item tiled on its own (a tile never spans planes; HCOMPRESS is a 2D
  transform). HCOMPRESS_1 is lossless only with scale 0 (``-s 0``, also
  fpack's default); fpack quantizes floating-point images only, never
  integer ones, so every codec here is lossless (the evaluator checks every
  bit). HCOMPRESS needs at least 4 pixels along each image axis.
- one thread (every tool's default; ``-T1`` for zstd and xz).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from baselines.archive.fits_file import fits_bytes, read_fits_bytes
from evaluator.sdk.errors import PlatformFault

# The Debian package of each tool (for the messages and the image's build check).
PACKAGES: dict[str, str] = {"fpack": "libcfitsio-bin", "funpack": "libcfitsio-bin", "bzip2": "bzip2",
                            "zstd": "zstd", "xz": "xz-utils"}


class ArchiveToolError(PlatformFault, RuntimeError):
    """The tool is missing or failed; the message says which and why."""


def run_tool(argv: list[str], cwd: Path) -> bytes:
    """Run one tool command in ``cwd`` and return its stdout."""
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        package = PACKAGES.get(argv[0], argv[0])
        raise ArchiveToolError(f"{argv[0]} is not installed: apt-get install {package}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()[-6:]
        raise ArchiveToolError(f"`{' '.join(argv)}` failed (exit {proc.returncode}): " + " | ".join(err))
    return proc.stdout


@dataclass(frozen=True)
class ArchiveCodec:
    name: str  # identifier, also the image name suffix
    title: str  # display name: the tool and its settings
    compress: tuple[str, ...]  # the command; the FITS file's name is appended
    decompress: tuple[str, ...]
    suffix: str  # the compressed file's name ends so (as the tool would name it)

    @property
    def command(self) -> str:
        """The archive command line this codec's bitstream is the output of."""
        return " ".join([*self.compress, "item.fits"])

    @cached_property
    def version(self) -> str:
        """The tool's version line (``<tool> <version>`` as it prints it)."""
        flag = "-V" if self.compress[0] == "fpack" else "--version"
        with tempfile.TemporaryDirectory(prefix="archive-") as tmp:
            proc = subprocess.run([self.compress[0], flag], cwd=tmp, capture_output=True, stdin=subprocess.DEVNULL,
                                  check=False)
        text = (proc.stdout + proc.stderr).decode(errors="replace").strip().splitlines()
        return f"{self.compress[0]} {text[0].strip(' *')}" if text else self.compress[0]

    def encode(self, x: np.ndarray) -> bytes:
        if x.dtype != np.uint16:
            raise TypeError(f"{self.name}: expected uint16 data, got {x.dtype}")
        if not 2 <= x.ndim <= 4:
            raise ValueError(f"{self.name}: expected 2 to 4 dimensions, got shape {x.shape}")
        with tempfile.TemporaryDirectory(prefix="archive-") as tmp:
            (Path(tmp) / "item.fits").write_bytes(fits_bytes(x))
            return run_tool([*self.compress, "item.fits"], Path(tmp))

    def decode(self, data: bytes) -> np.ndarray:
        with tempfile.TemporaryDirectory(prefix="archive-") as tmp:
            (Path(tmp) / f"item{self.suffix}").write_bytes(data)
            return read_fits_bytes(run_tool([*self.decompress, f"item{self.suffix}"], Path(tmp)))


_FUNPACK = ("funpack", "-C", "-S")
ARCHIVE_CODECS: dict[str, ArchiveCodec] = {
    c.name: c
    for c in [
        ArchiveCodec("fpack-rice", "fpack RICE_1", ("fpack", "-C", "-r", "-S"), _FUNPACK, ".fits.fz"),
        ArchiveCodec("fpack-hcompress", "fpack HCOMPRESS_1", ("fpack", "-C", "-h", "-s", "0", "-S"), _FUNPACK,
                     ".fits.fz"),
        ArchiveCodec("fpack-gzip2", "fpack GZIP_2", ("fpack", "-C", "-g2", "-S"), _FUNPACK, ".fits.fz"),
        ArchiveCodec("bzip2", "bzip2 -9", ("bzip2", "-9", "-c"), ("bzip2", "-dc"), ".fits.bz2"),
        ArchiveCodec("zstd", "zstd -19", ("zstd", "-19", "-T1", "-q", "-c"), ("zstd", "-dc", "-q"), ".fits.zst"),
        ArchiveCodec("zstd-long", "zstd -19 --long", ("zstd", "-19", "--long", "-T1", "-q", "-c"),
                     ("zstd", "-dc", "-q", "--long"), ".fits.zst"),
        ArchiveCodec("xz", "xz -9", ("xz", "-9", "-T1", "-c"), ("xz", "-dc"), ".fits.xz"),
    ]
}


def get_archive_codec(name: str) -> ArchiveCodec:
    try:
        return ARCHIVE_CODECS[name]
    except KeyError:
        raise KeyError(f"unknown archive codec {name!r}; choose one of: {', '.join(ARCHIVE_CODECS)}") from None
