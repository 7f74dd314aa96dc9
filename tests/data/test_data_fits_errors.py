"""Odd files are refused with FitsFormatError naming the file, the problem and the fix."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from astropy.io import fits
from data_helpers import rand_u16

from evaluator.core.tracks import HUBBLE, JWST, KECK, LEGACY, SDSS
from evaluator.data import hub_layout
from evaluator.data.fits_reader import FitsFormatError, read_samples


def _refused(path, dataset, *words):
    with pytest.raises(FitsFormatError) as info:
        read_samples(path, dataset)
    text = str(info.value)
    assert str(path) in text
    for w in words:
        assert w.lower() in text.lower(), text
    return text


@pytest.fixture
def hubble_file(tmp_path, rng):
    return hub_layout.write_file(tmp_path / "h_raw.fits", HUBBLE, [rand_u16(rng, 60, 30), rand_u16(rng, 60, 30)])


@pytest.mark.parametrize("cut", [100, 2000, 5000, -100])
def test_truncated_not_whole_blocks(tmp_path, hubble_file, cut):
    raw = hubble_file.read_bytes()
    bad = tmp_path / "t.fits"
    bad.write_bytes(raw[:cut])
    _refused(bad, HUBBLE, "truncated", "again")


def test_truncated_at_block_boundary_inside_data(tmp_path, hubble_file):
    bad = tmp_path / "t.fits"
    bad.write_bytes(hubble_file.read_bytes()[: 2 * 2880])  # primary + SCI header, data cut off
    _refused(bad, HUBBLE, "truncated")


def test_truncated_gzip(tmp_path, hubble_file):
    bad = tmp_path / "t.fits.gz"
    bad.write_bytes(gzip.compress(hubble_file.read_bytes())[:-400])
    _refused(bad, HUBBLE, "gzip", "again")


def test_not_fits(tmp_path):
    bad = tmp_path / "x.fits"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 5000)
    _refused(bad, LEGACY, "not a FITS file")


@pytest.mark.parametrize("dtype,bitpix", [(np.float32, -32), (np.int32, 32), (np.float64, -64), (np.uint8, 8)])
def test_wrong_bitpix(tmp_path, dtype, bitpix):
    bad = tmp_path / "b.fits"
    fits.PrimaryHDU(np.ones((8, 8), dtype=dtype)).writeto(bad)
    text = _refused(bad, LEGACY, f"BITPIX {bitpix}", "expected 16")
    assert "unsigned 16-bit" in text


def test_bscale_not_one(tmp_path):
    bad = tmp_path / "s.fits"
    hdu = fits.PrimaryHDU(np.ones((8, 8), dtype=np.int16))
    hdu.header["BSCALE"] = 2.0
    hdu.header["BZERO"] = 0.0
    hdu.writeto(bad)
    # astropy rewrote the scaling keys on write; force them into the header bytes
    with fits.open(bad, mode="update", do_not_scale_image_data=True) as h:
        h[0].header["BSCALE"] = 2.0
    _refused(bad, LEGACY, "BSCALE 2")


def test_signed_int16_with_negatives(tmp_path):
    bad = tmp_path / "neg.fits"
    fits.PrimaryHDU(np.array([[-5, 3], [1, 2]], dtype=np.int16)).writeto(bad)
    _refused(bad, LEGACY, "signed", "negative")


def test_missing_hubble_hdu(tmp_path, rng):
    bad = tmp_path / "one_chip_raw.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(rand_u16(rng, 8, 8), name="SCI")]).writeto(bad)
    _refused(bad, HUBBLE, "missing HDU 4", "HDUs 1 and 4")


def test_wrong_ndim(tmp_path, rng):
    bad = tmp_path / "cube.fits"
    fits.PrimaryHDU(rand_u16(rng, 3, 8, 8)).writeto(bad)
    _refused(bad, LEGACY, "3 dimensions", "expected 2")
    _refused(bad, SDSS, "3 dimensions", "expected 4")


def test_sdss_wrong_band_count(tmp_path, rng):
    bad = tmp_path / "cube.fits"
    fits.PrimaryHDU(rand_u16(rng, 2, 4, 8, 8)).writeto(bad)
    _refused(bad, SDSS, "4 bands", "u g r i z")


def test_keck_amplifiers_without_geometry(tmp_path, rng):
    bad = tmp_path / "LR.x.fits"
    amp = fits.ImageHDU(rand_u16(rng, 8, 20))
    amp.header["DETSEC"] = "[1:10,1:8]"
    amp.header["DATASEC"] = "[1:10,1:8]"
    fits.HDUList([fits.PrimaryHDU(), amp]).writeto(bad)
    _refused(bad, KECK, "PRECOL")


def test_jwst_without_image(tmp_path):
    bad = tmp_path / "x_uncal.fits"
    fits.HDUList([fits.PrimaryHDU()]).writeto(bad)
    _refused(bad, JWST, "no image HDU")


@pytest.mark.parametrize("arr,word", [
    (np.full((4, 4), np.nan, dtype=np.float32), "NaN"),
    (np.ones((4, 4), dtype=np.int32), "dtype int32"),
    (np.ones((4, 4, 4), dtype=np.uint16), "3 dimensions"),
])
def test_bad_npy(tmp_path, arr, word):
    path = tmp_path / "s.npy"
    np.save(path, arr)
    _refused(path, LEGACY, word)


def test_pickled_npy_refused(tmp_path):
    path = tmp_path / "p.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _refused(path, LEGACY, "not a readable .npy")
