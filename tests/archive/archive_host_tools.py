"""The archive tools run as an archivist would, on the host, independently of ``baselines.archive``.

The item's FITS file is written by astropy (not by the codec's own writer)
and each tool runs with the plain command line an archive uses (fpack's
``-C`` only keeps the time-stamped checksum cards out, so two runs agree).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from astropy.io import fits

HOST_COMMANDS: dict[str, list[str]] = {
    "fpack-rice": ["fpack", "-C", "-r", "-S"],
    "fpack-hcompress": ["fpack", "-C", "-h", "-s", "0", "-S"],
    "fpack-gzip2": ["fpack", "-C", "-g2", "-S"],
    "bzip2": ["bzip2", "-9", "-c"],
    "zstd": ["zstd", "-19", "-c"],
    "zstd-long": ["zstd", "-19", "--long", "-c"],
    "xz": ["xz", "-9", "-c"],
}
PACKAGES = {"fpack": "libcfitsio-bin", "bzip2": "bzip2", "zstd": "zstd", "xz": "xz-utils"}


def require_tools() -> None:
    missing = [t for t in PACKAGES if shutil.which(t) is None]
    assert not missing, f"host tools missing: {missing}; apt-get install {' '.join(PACKAGES[t] for t in missing)}" \
                        " (scripts/install.sh installs them)"


def write_fits(x: np.ndarray, folder: Path) -> Path:
    """The item's FITS file as astropy writes it (BITPIX 16, BZERO 32768)."""
    path = folder / "item.fits"
    fits.PrimaryHDU(x).writeto(path, overwrite=True)
    return path


def host_output(name: str, x: np.ndarray, folder: Path) -> bytes:
    """What the archive tool itself writes for ``x``'s FITS file."""
    path = write_fits(x, folder)
    return subprocess.run([*HOST_COMMANDS[name], path.name], cwd=folder, capture_output=True, check=True).stdout
