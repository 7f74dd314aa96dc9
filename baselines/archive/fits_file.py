"""The item as an archive stores it: one uncompressed FITS file, written and read without astropy.

An archive keeps a 16-bit unsigned frame as a FITS primary HDU: ``BITPIX =
16`` (big-endian two's-complement int16) with ``BZERO = 32768`` and ``BSCALE
= 1``, the stored value being ``pixel - 32768`` (FITS standard 4.0, Section
5.3). :func:`fits_bytes` writes exactly the file ``astropy.io.fits.PrimaryHDU(x
).writeto()`` writes for a ``uint16`` array (the same cards and comments,
header and data each padded to 2880-byte blocks; a test checks the two are
equal byte for byte): axes in FITS order (``NAXIS1`` the fastest, numpy's
last). :func:`read_fits_bytes` reads such a file back (also the file funpack
restores: the same header). The codec images carry numpy, not astropy.
"""

from __future__ import annotations

import numpy as np

BLOCK = 2880
CARD = 80
BZERO = 32768


def _card(key: str, value: str, comment: str = "") -> bytes:
    text = f"{key:<8}= {value:>20}" + (f" / {comment}" if comment else "")
    return text.ljust(CARD)[:CARD].encode("ascii")


def _pad(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % BLOCK)


def fits_header(shape: tuple[int, ...]) -> bytes:
    """The primary header of a uint16 image of numpy ``shape`` (padded with spaces)."""
    cards = [_card("SIMPLE", "T", "conforms to FITS standard"), _card("BITPIX", "16", "array data type"),
             _card("NAXIS", str(len(shape)), "number of array dimensions")]
    cards += [_card(f"NAXIS{i}", str(n)) for i, n in enumerate(reversed(shape), start=1)]
    cards += [_card("EXTEND", "T"), _card("BSCALE", "1"), _card("BZERO", str(BZERO)), b"END".ljust(CARD)]
    return _pad(b"".join(cards), b" ")


def fits_bytes(x: np.ndarray) -> bytes:
    """The uncompressed FITS file of a uint16 array (big-endian int16 with BZERO = 32768)."""
    if x.dtype != np.uint16:
        raise TypeError(f"expected uint16 data, got {x.dtype}")
    if not 1 <= x.ndim <= 999:
        raise ValueError(f"expected an image of at least one dimension, got shape {x.shape}")
    stored = (np.ascontiguousarray(x) ^ np.uint16(0x8000)).view(np.uint16).astype(">u2")  # pixel - 32768 as int16 bits
    return fits_header(x.shape) + _pad(stored.tobytes(), b"\0")


def _cards(data: bytes) -> tuple[dict[str, str], int]:
    """The primary header's keyword values and the offset of its data."""
    values: dict[str, str] = {}
    for start in range(0, len(data) - CARD + 1, CARD):
        card = data[start:start + CARD].decode("ascii", errors="replace")
        key = card[:8].strip()
        if key == "END":
            return values, -(-(start + CARD) // BLOCK) * BLOCK
        if card[8:10] == "= ":
            values.setdefault(key, card[10:].split("/", 1)[0].strip())
    raise ValueError("not a FITS file: no END card in the primary header")


def read_fits_bytes(data: bytes) -> np.ndarray:
    """The uint16 array of a FITS file :func:`fits_bytes` wrote (or funpack restored)."""
    if not data.startswith(b"SIMPLE  ="):
        raise ValueError("not a FITS file: it does not start with SIMPLE")
    values, offset = _cards(data)
    if (values.get("BITPIX"), values.get("BZERO", "0"), values.get("BSCALE", "1")) != ("16", str(BZERO), "1"):
        raise ValueError(f"not a uint16 FITS image (BITPIX {values.get('BITPIX')}, BZERO {values.get('BZERO')}, "
                         f"BSCALE {values.get('BSCALE')}); these codecs write BITPIX 16 with BZERO 32768")
    naxis = int(values.get("NAXIS", "0"))
    shape = tuple(int(values[f"NAXIS{i}"]) for i in range(naxis, 0, -1))
    count = int(np.prod(shape, dtype=np.int64)) if shape else 0
    if not shape or len(data) < offset + 2 * count:
        raise ValueError(f"truncated FITS file: {len(data)} bytes for an image of shape {shape}")
    stored = np.frombuffer(data, dtype=">u2", count=count, offset=offset)
    return (stored.astype(np.uint16) ^ np.uint16(0x8000)).reshape(shape)
