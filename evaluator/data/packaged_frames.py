"""The packaged-frames table: real detector frames that ship inside PyPI and Debian packages.

The one place the ``packaged`` data source (``evaluator.data.packaged_source``) is defined:
which package (pinned to one version), which file inside it, which HDU, the SHA-256 of
the extracted file and of the uint16 pixel array we store, the licence (read from the
package's own licence or Debian copyright file, ``licence_file``) and the instrument.
``challenge data fetch-packaged`` (``evaluator.data.packaged_fetch``) downloads the
packages with their ordinary clients (``pip download``, ``apt-get download``), extracts
each file, checks both hashes and writes the frames in the Hub layout.

Every frame is integer-valued: the int16 files hold no negative value and are stored as
uint16 exactly (the lossless tracks take uint16 frames; a float or negative frame would be
refused by the fetcher, not rounded). ``note`` says honestly what each frame is: two of them
(m13, ngc1316o) are processed survey / AIPS images, not raw detector counts.

Test data of eso-midas-testdata, mpdaf, ccdproc, iraf and jwst are held out for evaluation
(``RESERVED_PACKAGES``) and never appear here. Changing a row changes what the numbers
mean: bump ``SET_VERSION`` (it is part of the records' split label).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Literal

SET_VERSION = "1"  # part of the split label "real-packaged-v1:full_test"; bump when a row changes

Source = Literal["pypi-wheel", "pypi-sdist", "debian"]
Reader = Literal["fits", "ana"]

RESERVED_PACKAGES: tuple[str, ...] = ("eso-midas-testdata", "mpdaf", "ccdproc", "iraf", "jwst")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


@dataclass(frozen=True)
class PackagedFrame:
    """One frame: where it ships, how it is read, its hashes, its licence and what it shows."""

    name: str  # the item id
    package: str  # PyPI project or Debian binary package
    version: str  # exact pinned version
    source: Source
    path: str  # the file's path inside the archive (wheel / sdist member / .deb data path)
    reader: Reader
    hdu: int  # FITS HDU index (0 for ANA)
    file_sha256: str  # of the extracted file, as shipped
    pixel_sha256: str  # of the stored uint16 array (little-endian, row-major bytes)
    shape: tuple[int, int]
    stored_from: str  # the dtype as shipped (">i2" is BITPIX 16 without BZERO, ">u2" with BZERO 32768)
    licence: str
    licence_file: str  # path inside the archive of the licence / copyright file the licence is read from
    instrument: str
    telescope: str
    note: str
    archive_sha256: str = ""  # pinned for platform-independent archives (sdist, pure wheel, .deb); "" otherwise

    @property
    def archive_key(self) -> tuple[str, str, str]:
        return (self.source, self.package, self.version)


_SKIMAGE_FILE = "./usr/lib/python3/dist-packages/skimage/data/multi.fits"
_SKIMAGE_SHA = "5c71a83436762a52b1925f2f0d83881af7765ed50aede155af2800e54bbd5040"
_SKIMAGE_DEB_SHA = "728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9"
_SKIMAGE_COPYRIGHT = "./usr/share/doc/python3-skimage/copyright"
_PYRAF_FILE = "pyraf-2.2.4/pyraf/tests/data/pset_msstat_input.fits"
_PYRAF_SHA = "899b80d2aaeb7bad8e3add8aeea99aca2ac556bfcd594f8b7625f9a0addf817f"
_PYRAF_SDIST_SHA = "ab21aef833e677d985b6f9aae158d8ef137050c0e91bf0650936cfa9b1579751"


def _gmos(hdu: int, pixels: str) -> PackagedFrame:
    return PackagedFrame(
        f"skimage-gmos-sci{hdu}", "python3-skimage", "0.19.3-8", "debian", _SKIMAGE_FILE, "fits", hdu, _SKIMAGE_SHA,
        pixels, (288, 132), ">u2",
        "BSD-3-Clause", _SKIMAGE_COPYRIGHT, "GMOS-N", "Gemini-North",
        f"raw Gemini GMOS-N frame (NGC1068), SCI extension {hdu} of 3 (one amplifier with its overscan)",
        _SKIMAGE_DEB_SHA)


def _stis(n: int, hdu: int, pixels: str) -> PackagedFrame:
    return PackagedFrame(
        f"pyraf-stis-sci{n}", "pyraf", "2.2.4", "pypi-sdist", _PYRAF_FILE, "fits", hdu, _PYRAF_SHA, pixels,
        (128, 128), ">u2", "BSD-3-Clause (AURA)", "pyraf-2.2.4/LICENSE.txt", "STIS (CCD)", "HST",
        f"raw HST STIS CCD frame, SCI extension {n} of 2 (HDU {hdu})", _PYRAF_SDIST_SHA)


FRAMES: tuple[PackagedFrame, ...] = (
    PackagedFrame(
        "astropy-m13", "astropy", "8.0.2", "pypi-wheel", "astropy/io/fits/hdu/compressed/tests/data/m13.fits",
        "fits", 0, "eb3e208edbe302cae0ea45d17ab618930d85847da3f5e6ffd53d9410ec0a5a45",
        "ebbb55cb1f311cbc90a326d4dfad83608eac05e71ffa69d3f65b33259dbaf539", (300, 300), ">i2", "BSD-3-Clause",
        "astropy-8.0.2.dist-info/licenses/LICENSE.rst", "DSS (photographic plate scan)", "",
        "SkyView resampling of a Digitized Sky Survey plate scan (M13), int16 without negatives; "
        "not raw detector counts"),
    _gmos(1, "29fa6975252db3b8ce43bfc5f555db367fe88bc880a8132bbff771a1395bd304"),
    _gmos(2, "52d45cff0e10932ec082d3e59c51a2ede33685c64d88086a75b2b18b3ffc59c4"),
    _gmos(3, "26c4e2a75b29d81554f4707116f0771aa01f3c44671bde90535e889f760db079"),
    PackagedFrame(
        "astroquery-thumbnail", "astroquery", "0.4.11", "pypi-wheel",
        "astroquery/astrometry_net/tests/data/thumbnail-image.fit.gz", "fits", 0,
        "5f72db3219269eed6881e6c07d58491433bf95069292bbcb67609b91da56c939",
        "647eabaccd27331b22d50b669f74f022ce920666efcd4fd9256baf3f6f326ab3", (256, 256), ">u2", "BSD-3-Clause",
        "astroquery-0.4.11.dist-info/licenses/LICENSE.rst", "AspenCG16", "",
        "raw amateur CCD frame (EY UMa), gzip-compressed FITS, saturated pixels at 65535",
        "e34f114b285dd07a10ddb2065ebce829b01b0e740fd89dbc81a3077808e24b2d"),
    _stis(1, 1, "d0cec799a46ee3f5c051d998ba45be217e3008a264f728a95b71dfdd17ebbc57"),
    _stis(2, 4, "601974b39f7aa3afc1aab286aa21cf1e60ad604747ba495b67f1f98fe76c14ac"),
    PackagedFrame(
        "ftools-fv-ngc1316o", "ftools-fv", "5.5.2+dfsg-2", "debian",
        "./usr/share/doc/ftools-fv/examples/sample_data/ngc1316o.fit", "fits", 0,
        "da3f156120aa2bcd07737f6032d7ceafe8cf2aa088fe8eba59853606cd68e130",
        "4b62d8f91f13ad5426edcf4fc1945eb296195bd5a4bb20a6483c344dc8d16006", (300, 440), ">i2",
        "Expat (with NASA notice; Debian copyright file)", "./usr/share/doc/ftools-fv/copyright", "", "Optical",
        "optical image of NGC 1316 written by AIPS (1994), int16 without negatives; processed, not raw counts",
        "28abb12b991b9952a423464717a7702ee563008cb20b27cd66d2e39938b61243"),
    PackagedFrame(
        "sunpy-crisp-ana", "sunpy", "7.0.5", "pypi-wheel", "sunpy/data/test/test_ana.fz", "ana", 0,
        "358022ccf56f6793f88ca2888739f84d318bfd7eb1de6c57ed04599e1de42e67",
        "cdd04dcdb1d0f5d979d79ed7e39bb8164b0038213132e9ade9d6e11ed1426c83", (1024, 1024), "int16", "BSD-2-Clause",
        "sunpy-7.0.5.dist-info/licenses/LICENSE.rst", "CRISP (camera XXV)", "SST",
        "solar frame from the Swedish 1-m Solar Telescope's CRISP instrument (2011-05-05), ANA-compressed int16 "
        "without negatives, read with sunpy's own ANA reader (its compiled extension, from the pinned wheel)"),
)


def pixel_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def table_digest(frames: tuple[PackagedFrame, ...] = FRAMES) -> str:
    """A hash of the whole table (the source's revision; a fetched folder records the one it was made from)."""
    text = json.dumps([asdict(f) for f in frames], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def frame(name: str) -> PackagedFrame:
    for f in FRAMES:
        if f.name == name:
            return f
    raise KeyError(f"no packaged frame {name!r}; known: {', '.join(f.name for f in FRAMES)}")
