"""Archive codecs: each bitstream is, byte for byte, the tool's own output on the item's FITS file."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
from archive_host_tools import HOST_COMMANDS, host_output, require_tools
from astropy.io import fits

from baselines.archive import ARCHIVE_CODECS, get_archive_codec
from baselines.archive.codecs import ArchiveToolError
from baselines.archive.fits_file import fits_bytes, read_fits_bytes
from baselines.registry import BASELINES
from evaluator.core.tracks import TRACKS
from evaluator.data.data_source import resolve_source

SHAPES = [(130, 151), (3, 64, 80), (2, 3, 48, 40)]  # big enough that 2880-byte FITS blocks are not most of it


def _sky(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.poisson(900, shape) + rng.normal(0, 6, shape)
    x = x.clip(0, 65535).astype(np.uint16)
    x.flat[0], x.flat[-1] = 65535, 0  # both ends of the range (BZERO's offset)
    return x


def test_every_archive_codec_is_a_registry_row_and_has_a_host_command() -> None:
    archive = [b.name for b in BASELINES.values() if b.kind == "archive"]
    assert archive == list(ARCHIVE_CODECS) == list(HOST_COMMANDS)
    for name in archive:
        assert BASELINES[name].factory() is ARCHIVE_CODECS[name]
        assert BASELINES[name].paper_column is None and BASELINES[name].demo_tracks == ("keck", "hubble", "sdss-2d")


@pytest.mark.parametrize("shape", SHAPES)
def test_fits_file_is_astropys_and_reads_back(shape: tuple[int, ...]) -> None:
    x = _sky(shape)
    buffer = io.BytesIO()
    fits.PrimaryHDU(x).writeto(buffer)
    assert fits_bytes(x) == buffer.getvalue()
    assert np.array_equal(read_fits_bytes(buffer.getvalue()), x)
    header = fits.getheader(io.BytesIO(fits_bytes(x)))
    assert (header["BITPIX"], header["BZERO"], header["BSCALE"]) == (16, 32768, 1)


@pytest.mark.parametrize("name", list(ARCHIVE_CODECS))
@pytest.mark.parametrize("shape", SHAPES)
def test_bitstream_equals_the_tools_own_output(name: str, shape: tuple[int, ...], tmp_path) -> None:
    require_tools()
    codec, x = ARCHIVE_CODECS[name], _sky(shape)
    data = codec.encode(x)
    assert data == host_output(name, x, tmp_path)
    y = codec.decode(data)
    assert y.dtype == np.uint16 and y.shape == x.shape and np.array_equal(x, y)


@pytest.mark.parametrize("track", ["hubble", "jwst-2d-res", "sdss-3d-time", "sdss-4d"])
def test_same_bytes_as_the_tools_on_synthetic_items(track: str, tmp_path) -> None:
    require_tools()
    item = next(iter(resolve_source("synthetic").iter_items(TRACKS[track])))
    for name, codec in ARCHIVE_CODECS.items():
        assert codec.encode(item.data) == host_output(name, item.data, tmp_path), (name, track)


def test_the_tools_own_decoders_read_the_bitstreams(tmp_path) -> None:
    """funpack (then astropy) and the stream decompressors undo the bitstreams without our reader."""
    require_tools()
    x = _sky((3, 32, 40))
    decoders = {"fpack": ["funpack", "-S"], "bzip2": ["bzip2", "-dc"], "zstd": ["zstd", "-dc"], "xz": ["xz", "-dc"]}
    for name, codec in ARCHIVE_CODECS.items():
        packed = tmp_path / f"{name}.bin"
        packed.write_bytes(codec.encode(x))
        tool = decoders[HOST_COMMANDS[name][0]]
        restored = subprocess.run([*tool, packed.name], cwd=tmp_path, capture_output=True, check=True).stdout
        assert np.array_equal(fits.getdata(io.BytesIO(restored)), x), name


def test_fpack_settings_are_lossless_and_tile_each_plane() -> None:
    """RICE_1 block 32, HCOMPRESS_1 scale 0 (lossless) in 16-row tiles of one plane, GZIP_2; no quantization."""
    require_tools()
    x = _sky((3, 48, 40))
    expected = {"fpack-rice": ("RICE_1", (40, 1, 1)), "fpack-hcompress": ("HCOMPRESS_1", (40, 16, 1)),
                "fpack-gzip2": ("GZIP_2", (40, 1, 1))}
    for name, (method, tile) in expected.items():
        header = fits.open(io.BytesIO(ARCHIVE_CODECS[name].encode(x)), disable_image_compression=True)[1].header
        assert header["ZCMPTYPE"] == method
        assert (header["ZTILE1"], header["ZTILE2"], header["ZTILE3"]) == tile
        assert header["ZBITPIX"] == 16 and "ZQUANTIZ" not in header and "ZZERO" not in header
        assert "CHECKSUM" not in header  # -C: no time-stamped cards, so the bytes repeat
        if method == "HCOMPRESS_1":
            assert (header["ZNAME1"], header["ZVAL1"]) == ("SCALE", 0.0)


def test_errors_say_what_to_do(monkeypatch) -> None:
    with pytest.raises(ArchiveToolError, match="Hcompress minimum image dimension"):
        ARCHIVE_CODECS["fpack-hcompress"].encode(_sky((3, 40)))
    with pytest.raises(TypeError, match="uint16"):
        ARCHIVE_CODECS["xz"].encode(np.zeros((8, 8), np.float32))
    with pytest.raises(KeyError, match="choose one of"):
        get_archive_codec("lz4")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ArchiveToolError, match="apt-get install libcfitsio-bin"):
        ARCHIVE_CODECS["fpack-rice"].encode(_sky((8, 8)))
