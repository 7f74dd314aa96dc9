"""Hub-layout writer -> reader round trips, per dataset, bit-exact."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from data_helpers import rand_u16

from evaluator.core.tracks import HUBBLE, JWST, KECK, LEGACY, SDSS
from evaluator.data import fits_reader, hub_layout
from evaluator.data.fits_reader import read_samples
from evaluator.data.layouts.lris import AmpGeometry, paste_lris_amplifiers


def _roundtrip(tmp_path: Path, dataset: str, samples: list[np.ndarray], meta: dict | None = None,
               name: str = "f.fits") -> list[fits_reader.Sample]:
    path = hub_layout.write_file(tmp_path / name, dataset, samples, meta or {})
    out = read_samples(path, dataset)
    assert len(out) == len(samples)
    for want, got in zip(samples, out):
        assert got.data.dtype == np.uint16
        assert got.data.shape == want.shape
        assert np.array_equal(got.data, want)
    return out


def test_hubble_two_chips_at_hdu_1_and_4(tmp_path, rng):
    chips = [rand_u16(rng, 40, 31), rand_u16(rng, 40, 31)]
    out = _roundtrip(tmp_path, HUBBLE, chips, {"exptime": 507.0})
    assert [s.suffix for s in out] == [".0", ".1"]
    assert [s.meta["hdu"] for s in out] == [1, 4]
    assert out[0].meta["exptime"] == 507.0
    with fits.open(tmp_path / "f.fits") as hdul:
        assert [h.name for h in hdul] == ["PRIMARY", "SCI", "ERR", "DQ", "SCI", "ERR", "DQ"]
        assert hdul[1].header["BITPIX"] == 16 and hdul[1].header["BZERO"] == 32768


def test_jwst_first_integration(tmp_path, rng):
    cube = rand_u16(rng, 6, 20, 24)
    out = _roundtrip(tmp_path, JWST, [cube])
    assert out[0].meta["ngroups"] == 6
    # A file with two integrations: the sample is the first one.
    two = np.stack([cube, rand_u16(rng, 6, 20, 24)])
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(two, name="SCI")]).writeto(tmp_path / "two.fits")
    got = read_samples(tmp_path / "two.fits", JWST)
    assert len(got) == 1 and np.array_equal(got[0].data, cube) and got[0].meta["nints"] == 2


def test_sdss_cube_bands_and_tai(tmp_path, rng):
    cube = rand_u16(rng, 4, 5, 16, 12)
    out = _roundtrip(tmp_path, SDSS, [cube], {"tai": [4.5e9, 4.6e9, 4.7e9, 4.8e9]})
    assert out[0].meta["bands"] == ["u", "g", "r", "i", "z"]
    assert out[0].meta["tai"] == [4.5e9, 4.6e9, 4.7e9, 4.8e9]


def test_legacy_single_frame_and_gzip(tmp_path, rng):
    frame = rand_u16(rng, 33, 17)
    _roundtrip(tmp_path, LEGACY, [frame], {"telescope": "LCO"})
    raw = (tmp_path / "f.fits").read_bytes()
    for name in ("g.fits.gz", "g.fit.gz"):
        (tmp_path / name).write_bytes(gzip.compress(raw))
        got = read_samples(tmp_path / name, LEGACY)
        assert np.array_equal(got[0].data, frame) and got[0].meta["telescope"] == "LCO"


@pytest.mark.parametrize("geo", [
    AmpGeometry(n_amps=4, precol=12, postpix=80, preline=0, postline=20),
    AmpGeometry(n_amps=2, precol=3, postpix=5, preline=2, postline=3),
    AmpGeometry(n_amps=4, precol=6, postpix=40, preline=0, postline=10, xbin=2, ybin=2),
    AmpGeometry(n_amps=1, precol=1, postpix=2),
])
def test_keck_amplifiers_round_trip(tmp_path, rng, geo):
    frame = rand_u16(rng, 64, 4 * (geo.precol + geo.postpix) + 4 * 37 + 3)
    meta = {"amp_geometry": {"n_amps": geo.n_amps, "precol": geo.precol, "postpix": geo.postpix,
                             "preline": geo.preline, "postline": geo.postline, "binning": f"{geo.xbin},{geo.ybin}"}}
    _roundtrip(tmp_path, KECK, [frame], meta)
    with fits.open(tmp_path / "f.fits") as hdul:
        assert len(hdul) == 1 + geo.n_amps
        assert hdul[0].header["PRECOL"] == geo.precol * geo.xbin
        assert all("DETSEC" in h.header and "DATASEC" in h.header for h in hdul[1:])


def test_keck_default_geometry_for_any_size(tmp_path, rng):
    for shape in ((50, 300), (20, 9), (8, 5)):
        _roundtrip(tmp_path, KECK, [rand_u16(rng, *shape)], name=f"k{shape[0]}x{shape[1]}.fits")


def _amp_hdu(data: np.ndarray, detsec: str, datasec: str) -> fits.ImageHDU:
    h = fits.ImageHDU(data)
    h.header["DETSEC"] = detsec
    h.header["DATASEC"] = datasec
    return h


def test_keck_paste_follows_lris_layout():
    """Independent of our writer: two amplifiers, the right one read out backwards, HDUs out of order."""
    H = 5
    pre = [np.full((H, 2), 10 + k, np.uint16) for k in range(2)]
    body = [np.arange(H * 4, dtype=np.uint16).reshape(H, 4) + 100 * (k + 1) for k in range(2)]
    post = [np.full((H, 3), 50 + k, np.uint16) for k in range(2)]
    amps = [np.concatenate([pre[k], body[k], post[k]], axis=1) for k in range(2)]
    primary = fits.Header()
    for key, value in {"PRECOL": 2, "POSTPIX": 3, "PRELINE": 0, "POSTLINE": 0, "BINNING": "1,1"}.items():
        primary[key] = value
    hdus = [(_amp_hdu(amps[1], "[8:5,1:5]", "[3:6,1:5]")), (_amp_hdu(amps[0], "[1:4,1:5]", "[3:6,1:5]"))]
    frame = paste_lris_amplifiers(primary, [(h.header, h.data) for h in hdus], "test")
    want = np.concatenate([pre[0], pre[1], body[0], body[1][:, ::-1], post[0], post[1]], axis=1)
    assert np.array_equal(frame, want)


def test_keck_single_hdu_file_read_as_is(tmp_path, rng):
    frame = rand_u16(rng, 30, 40)
    fits.PrimaryHDU(frame).writeto(tmp_path / "old.fits")
    assert np.array_equal(read_samples(tmp_path / "old.fits", KECK)[0].data, frame)


def test_writer_is_deterministic(tmp_path, rng):
    frame = rand_u16(rng, 50, 300)
    a = hub_layout.write_file(tmp_path / "a.fits", KECK, [frame], {"exptime": 3.0})
    b = hub_layout.write_file(tmp_path / "b.fits", KECK, [frame], {"exptime": 3.0})
    assert a.read_bytes() == b.read_bytes()


def test_npy_sample(tmp_path, rng):
    cube = rand_u16(rng, 3, 5, 8, 8)
    np.save(tmp_path / "s.npy", cube)
    out = read_samples(tmp_path / "s.npy", SDSS)
    assert out[0].suffix == "" and np.array_equal(out[0].data, cube)


def test_hub_dataset_writer_split_rows(tmp_path, rng):
    w = hub_layout.HubDatasetWriter(tmp_path, LEGACY)
    w.add("a", [rand_u16(rng, 8, 8)], {"telescope": "LCO", "exptime": 1.0}, splits=["full_test", "tiny_test"])
    w.add("b", [rand_u16(rng, 8, 8)], {"telescope": "WHT"}, splits=["full_test"])
    w.finish()
    lines = (tmp_path / LEGACY / "splits" / "full_test.jsonl").read_text().splitlines()
    assert lines[0] == '{"image_id": "a", "image": "./data/LCO/a.fits", "telescope": "LCO"}'
    assert (tmp_path / LEGACY / "data" / "WHT" / "b.fits").is_file()
    assert (tmp_path / LEGACY / "splits" / "full_train.jsonl").read_text() == ""


def test_keck_paste_flips_rows_when_detsec_runs_down():
    H = 4
    amp = np.arange(H * 7, dtype=np.uint16).reshape(H, 7)  # prescan 1 | data 4 | overscan 2
    primary = fits.Header()
    for key, value in {"PRECOL": 1, "POSTPIX": 2, "PRELINE": 0, "POSTLINE": 0, "BINNING": "1,1"}.items():
        primary[key] = value
    h = _amp_hdu(amp, "[1:4,4:1]", "[2:5,1:4]")
    frame = paste_lris_amplifiers(primary, [(h.header, h.data)], "test")
    assert np.array_equal(frame, amp[::-1])
