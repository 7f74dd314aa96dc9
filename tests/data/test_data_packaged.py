"""The packaged real frames: the table, the fetcher (offline, from archives placed in the download folder),
the ``packaged`` data source, its errors and its board label. The real fetch runs in tests/cli/test_packaged_cli.py."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from evaluator.core.settings import cache_dir
from evaluator.core.tracks import ALL_TRACKS, LEGACY, get_track
from evaluator.data.data_source import check_tracks, resolve_source
from evaluator.data.fits_reader import read_samples
from evaluator.data.hub_layout import relative_path
from evaluator.data.packaged_fetch import PackagedFetchError, corpus_dir, fetch_packaged
from evaluator.data.packaged_frames import FRAMES, RESERVED_PACKAGES, SHA256, PackagedFrame, pixel_sha256
from evaluator.data.packaged_source import PackagedDataError, packaged_source, served_tracks
from leaderboard.data.data_views import PACKAGED, REAL, choices, plain_split, view_key


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHALLENGE_CACHE", str(tmp_path / "cache"))


# -- the table --------------------------------------------------------------------------------------------


def test_table_names_hashes_and_licences() -> None:
    names = [f.name for f in FRAMES]
    assert len(names) == len(set(names)) and all(n == n.lower() for n in names)
    for f in FRAMES:
        assert SHA256.match(f.file_sha256) and SHA256.match(f.pixel_sha256), f.name
        assert not f.archive_sha256 or SHA256.match(f.archive_sha256), f.name
        assert len(f.shape) == 2 and all(n > 0 for n in f.shape), f.name
        assert f.licence and f.licence_file and f.note and f.version[0].isdigit(), f.name
        assert f.source in ("pypi-wheel", "pypi-sdist", "debian") and f.reader in ("fits", "ana")
    # one file, one hash: frames cut from the same file pin the same file hash
    by_file = {(f.package, f.path): f.file_sha256 for f in FRAMES}
    assert all(by_file[(f.package, f.path)] == f.file_sha256 for f in FRAMES)
    # the six files the issue names, each from its package
    assert {(f.package, f.path.rsplit("/", 1)[-1]) for f in FRAMES} == {
        ("astropy", "m13.fits"), ("python3-skimage", "multi.fits"), ("astroquery", "thumbnail-image.fit.gz"),
        ("pyraf", "pset_msstat_input.fits"), ("ftools-fv", "ngc1316o.fit"), ("sunpy", "test_ana.fz")}


def test_no_reserved_package() -> None:
    for f in FRAMES:
        words = {f.package.lower(), f.package.lower().removeprefix("python3-")}
        assert not words & set(RESERVED_PACKAGES), f.name
        assert not any(r in f.path.lower().split("/") for r in RESERVED_PACKAGES), f.name


# -- an offline fetch from archives already in the download folder -----------------------------------------


def _fits_bytes(arr: np.ndarray, *, extension: bool = False) -> bytes:
    buf = io.BytesIO()
    hdus = [fits.PrimaryHDU(), fits.ImageHDU(arr)] if extension else [fits.PrimaryHDU(arr)]
    hdus[0].header["INSTRUME"] = "TESTCAM"
    fits.HDUList(hdus).writeto(buf)
    return buf.getvalue()


def _tar_bytes(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:  # type: ignore[call-overload]
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buf.getvalue()


def _deb_bytes(members: dict[str, bytes]) -> bytes:
    out = b"!<arch>\n"
    for name, blob in (("debian-binary", b"2.0\n"), ("control.tar.xz", _tar_bytes({}, "w:xz")),
                       ("data.tar.xz", _tar_bytes(members, "w:xz"))):
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{644:<8}{len(blob):<10}`\n".encode() + blob + (b"\n" * (len(blob) % 2))
    return out


def _sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _frame(name: str, package: str, source: str, path: str, blob: bytes, arr: np.ndarray, hdu: int = 0,
           archive: bytes = b"") -> PackagedFrame:
    return PackagedFrame(name, package, "1.0", source, path, "fits", hdu, _sha(blob),  # type: ignore[arg-type]
                         pixel_sha256(arr.astype("<u2").tobytes()), arr.shape, arr.dtype.str, "MIT", "LICENSE",
                         "TESTCAM", "", "test frame", _sha(archive) if archive else "")


@pytest.fixture
def fake_frames() -> tuple[PackagedFrame, ...]:
    """Three frames in a fake sdist, wheel and .deb placed in the download folder (no network needed)."""
    rng = np.random.default_rng(7)
    signed = rng.integers(0, 3000, (12, 10)).astype(">i2")  # BITPIX 16 without BZERO, nothing negative
    unsigned = rng.integers(0, 65536, (8, 6)).astype(np.uint16)
    chip = rng.integers(100, 900, (5, 7)).astype(np.uint16)
    downloads = cache_dir() / "packaged" / "downloads"
    downloads.mkdir(parents=True)
    a, b, c = _fits_bytes(signed), _fits_bytes(unsigned), _fits_bytes(chip, extension=True)
    sdist = _tar_bytes({"fakesdist-1.0/data/a.fits": a, "fakesdist-1.0/LICENSE": b"MIT"})
    (downloads / "fakesdist-1.0.tar.gz").write_bytes(sdist)
    wheel = io.BytesIO()
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("fakewheel/data/b.fits", b)
        z.writestr("LICENSE", b"MIT")
    (downloads / "fakewheel-1.0-py3-none-any.whl").write_bytes(wheel.getvalue())
    deb = _deb_bytes({"./usr/share/fake/c.fits": c, "./LICENSE": b"MIT"})
    (downloads / "fake-deb_1.0_all.deb").write_bytes(deb)
    return (
        replace(_frame("fake-sdist", "fakesdist", "pypi-sdist", "fakesdist-1.0/data/a.fits", a, signed,
                       archive=sdist), licence_file="fakesdist-1.0/LICENSE"),
        _frame("fake-wheel", "fakewheel", "pypi-wheel", "fakewheel/data/b.fits", b, unsigned),
        replace(_frame("fake-deb", "fake-deb", "debian", "./usr/share/fake/c.fits", c, chip, hdu=1, archive=deb),
                licence_file="./LICENSE"),
    )


def test_fetch_checks_stores_and_is_idempotent(fake_frames: tuple[PackagedFrame, ...]) -> None:
    lines: list[str] = []
    report = fetch_packaged(frames=fake_frames, say=lines.append)
    assert not report.up_to_date and report.folder == corpus_dir()
    assert [x.frame.name for x in report.frames] == ["fake-sdist", "fake-wheel", "fake-deb"]
    assert (report.folder / "licences" / "fakesdist-1.0.txt").read_bytes() == b"MIT"
    for f in fake_frames:  # the stored file reads back through the corpus reader, pixels as pinned
        (sample,) = read_samples(report.folder / LEGACY / relative_path(LEGACY, f.name, sub="packaged"), LEGACY)
        assert sample.data.dtype == np.uint16 and pixel_sha256(sample.data.tobytes()) == f.pixel_sha256
    again = fetch_packaged(frames=fake_frames, say=lines.append)
    assert again.up_to_date and [x.file_bytes for x in again.frames] == [x.file_bytes for x in report.frames]
    assert not any("downloading" in line for line in lines)  # everything came from the download folder


def test_source_streams_items_on_served_tracks(fake_frames: tuple[PackagedFrame, ...]) -> None:
    fetch_packaged(frames=fake_frames)
    source = packaged_source(frames=fake_frames)
    assert source.label == "real-packaged-v1:full_test" and not source.synthetic and not source.hidden
    for name in ("lco", "keck", "hubble", "jwst-2d", "sdss-2d", "hubble-nl2"):
        items = list(source.iter_items(get_track(name)))
        assert [i.id for i in items] == ["fake-sdist", "fake-wheel", "fake-deb"], name
        assert all(i.data.dtype == np.uint16 and i.data.flags.c_contiguous for i in items)
    first = items[0]
    assert first.meta["package"] == "fakesdist" and first.meta["instrument"] == "TESTCAM"
    assert first.meta["split"] == source.label and first.meta["data_kind"] == "real (packaged)"
    tiny = packaged_source("tiny_test", frames=fake_frames)
    assert [i.id for i in tiny.iter_items(get_track("lco"))] == ["fake-sdist"]


def test_source_refuses_other_tracks_splits_and_changed_frames(fake_frames: tuple[PackagedFrame, ...]) -> None:
    report = fetch_packaged(frames=fake_frames)
    source = packaged_source(frames=fake_frames)
    assert set(served_tracks()) == {n for n, t in ALL_TRACKS.items() if t.ndim == 2 and not t.correlated}
    with pytest.raises(PackagedDataError, match="jwst-2d-res needs frame differences") as exc:
        source.iter_items(get_track("jwst-2d-res"))
    assert "lco, keck, hubble, jwst-2d, sdss-2d" in exc.value.fix
    with pytest.raises(PackagedDataError, match="sdss-3d-lambda needs 3D items"):
        check_tracks(source, [get_track("lco"), get_track("sdss-3d-lambda")])
    with pytest.raises(PackagedDataError, match="splits full_test and tiny_test"):
        packaged_source("full_train", frames=fake_frames)
    path = report.folder / LEGACY / relative_path(LEGACY, "fake-wheel", sub="packaged")
    with fits.open(path) as hdul:
        data = hdul[0].data.copy()
    data[0, 0] ^= 1
    fits.PrimaryHDU(data).writeto(path, overwrite=True)
    with pytest.raises(PackagedDataError, match="fake-wheel .* differs from its pinned SHA-256"):
        list(source.iter_items(get_track("lco")))
    assert not fetch_packaged(frames=fake_frames).up_to_date  # a changed frame is fetched again


def test_fetch_refuses_wrong_checksums_and_non_integer_frames(fake_frames: tuple[PackagedFrame, ...]) -> None:
    sdist, wheel, deb = fake_frames
    with pytest.raises(PackagedFetchError, match="fake-wheel: fakewheel/data/b.fits .* has SHA-256"):
        fetch_packaged(frames=(replace(wheel, file_sha256="0" * 64),))
    with pytest.raises(PackagedFetchError, match="pixel SHA-256"):
        fetch_packaged(frames=(replace(deb, pixel_sha256="0" * 64),))
    with pytest.raises(PackagedFetchError, match="shape"):
        fetch_packaged(frames=(replace(sdist, shape=(3, 3)),))
    with pytest.raises(PackagedFetchError, match="fake-deb: shape"):
        fetch_packaged(frames=(replace(deb, hdu=0),))  # the empty primary: no frame there
    assert not (corpus_dir() / "PACKAGED_COMPLETE.json").exists()  # nothing half-written


def test_exact_uint16_refuses_floats_negatives_and_rounding() -> None:
    from evaluator.data.packaged_fetch import exact_uint16

    assert exact_uint16(np.array([[0.0, 65535.0]]), "x").dtype == np.uint16
    for bad, why in ((np.array([[0.5, 1.0]]), "not all integers"), (np.array([[-1, 2]], np.int16), "do not fit"),
                     (np.array([[np.nan, 1.0]]), "not all integers"), (np.array([[70000]], np.int32), "do not fit")):
        with pytest.raises(PackagedFetchError, match=why):
            exact_uint16(bad, "x")


def test_not_fetched_is_one_clear_error() -> None:
    with pytest.raises(PackagedDataError) as exc:
        resolve_source("packaged")
    assert "not fetched yet" in str(exc.value) and "challenge data fetch-packaged" in exc.value.fix


def test_board_label_is_real_packaged_in_its_own_view() -> None:
    import pandas as pd

    split = "real-packaged-v1:full_test"
    assert plain_split(split, False) == "real (packaged), frame set v1, full test"
    assert view_key(split, False) == PACKAGED and view_key("hub:abc:full_test", False) == REAL
    frame = pd.DataFrame({"data_kind": ["real", "real"], "split": [split, "full_test"]})
    assert (("Real frames from packages (validation set)", PACKAGED) in choices(frame))
    assert PACKAGED not in {k for _, k in choices(frame.iloc[1:])}
