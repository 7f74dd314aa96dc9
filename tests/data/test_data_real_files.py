"""Real detector files from pinned packages (shared/DATA.md): read, refuse, re-write bit-exactly."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from data_helpers import ASTROPY_DATA

from evaluator.core.tracks import HUBBLE, JWST, KECK, LEGACY
from evaluator.data import hub_layout
from evaluator.data.fits_reader import FitsFormatError, read_samples


def test_thumbnail_gzip_uint16(thumbnail_fits, tmp_path):
    """AspenCG16 frame: BITPIX 16 + BZERO 32768 inside a gzip stream."""
    (sample,) = read_samples(thumbnail_fits, LEGACY)
    assert sample.data.dtype == np.uint16 and sample.data.shape == (256, 256)
    with fits.open(thumbnail_fits) as hdul:
        assert hdul[0].header["BZERO"] == 32768
        assert np.array_equal(hdul[0].data, sample.data)
    assert sample.meta["exptime"] == 90.0 and sample.meta["instrument"] == "AspenCG16"
    out = hub_layout.write_file(tmp_path / "copy.fits", LEGACY, [sample.data], sample.meta)
    assert np.array_equal(read_samples(out, LEGACY)[0].data, sample.data)


def test_gmos_multi_extension(gmos_multi_fits, tmp_path):
    """Raw Gemini GMOS-N: empty primary and 3 uint16 SCI extensions with DETSEC/DATASEC."""
    (first,) = read_samples(gmos_multi_fits, LEGACY)  # single frame: the first image extension
    with fits.open(gmos_multi_fits) as hdul:
        assert np.array_equal(first.data, hdul[1].data)
        chips = [hdul[i].data.copy() for i in (1, 2, 3)]
    assert first.data.shape == (288, 132) and first.meta["instrument"] == "GMOS-N"
    with pytest.raises(FitsFormatError, match="missing HDU 4"):
        read_samples(gmos_multi_fits, HUBBLE)  # 4 HDUs only: not an ACS raw file
    with pytest.raises(FitsFormatError, match="PRECOL"):
        read_samples(gmos_multi_fits, KECK)  # amplifier sections but no LRIS geometry
    with pytest.raises(FitsFormatError, match="expected 3 or 4"):
        read_samples(gmos_multi_fits, JWST)
    # Real chips written back in the ACS layout read back bit-exactly.
    out = hub_layout.write_file(tmp_path / "gmos_raw.fits", HUBBLE, chips[:2], first.meta)
    got = read_samples(out, HUBBLE)
    assert all(np.array_equal(g.data, c) for g, c in zip(got, chips[:2]))
    # and as LRIS amplifiers pasted side by side
    frame = np.concatenate(chips, axis=1)
    out = hub_layout.write_file(tmp_path / "LR.gmos.fits", KECK, [frame], {})
    assert np.array_equal(read_samples(out, KECK)[0].data, frame)


def test_m13_signed_int16_and_tile_compressed():
    """DSS plate scan m13: int16 without negatives is read as uint16; the RICE tile-compressed copy agrees."""
    (plain,) = read_samples(ASTROPY_DATA / "m13.fits", LEGACY)
    assert plain.data.dtype == np.uint16 and plain.data.shape == (300, 300)
    assert np.array_equal(plain.data, fits.getdata(ASTROPY_DATA / "m13.fits").astype(np.uint16))
    for name in ("m13_rice.fits", "m13_gzip.fits"):
        (other,) = read_samples(ASTROPY_DATA / name, LEGACY)
        assert np.array_equal(other.data, plain.data), name
