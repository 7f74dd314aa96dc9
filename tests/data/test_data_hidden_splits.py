"""Hidden splits: registration, verification (changed / missing / added), items, CLI."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from data_helpers import rand_u16
from typer.testing import CliRunner

from evaluator.core.tracks import HUBBLE, LEGACY, get_track
from evaluator.data import hub_layout
from evaluator.data.data_source import HiddenSource, resolve_source
from evaluator.data.hidden_splits import (
    SplitChangedError,
    UnknownSplitError,
    list_splits,
    list_splits_names,
    load_split,
    read_manifest,
    register_split,
)


@pytest.fixture
def hidden_dir(tmp_path, rng):
    d = tmp_path / "secret"
    frames = {}
    for n in range(2):
        frames[f"h{n}"] = [rand_u16(rng, 20, 16), rand_u16(rng, 20, 16)]
        hub_layout.write_file(d / f"h{n}_raw.fits", HUBBLE, frames[f"h{n}"], {"exptime": 30.0})
    raw = (d / "h1_raw.fits").read_bytes()
    (d / "h1_raw.fits").unlink()
    (d / "sub").mkdir()
    (d / "sub" / "h1_raw.fits.gz").write_bytes(gzip.compress(raw, mtime=0))
    (d / "README.txt").write_text("not a sample")
    return d, frames


def test_register_and_iterate(hidden_dir):
    d, frames = hidden_dir
    m = register_split("final-hubble", HUBBLE, d)
    assert [f.path for f in m.files] == ["h0_raw.fits", "sub/h1_raw.fits.gz"]
    assert all(len(f.sha256) == 64 for f in m.files)
    src = resolve_source("hidden:final-hubble")
    assert isinstance(src, HiddenSource) and src.hidden and not src.synthetic
    assert src.label == "hidden:final-hubble" and src.revision == m.sha256
    items = list(src.iter_items(get_track("hubble")))
    assert [i.id for i in items] == ["h0_raw.0", "h0_raw.1", "sub_h1_raw.0", "sub_h1_raw.1"]
    assert np.array_equal(items[3].data, frames["h1"][1])
    assert [s.name for s in list_splits()] == ["final-hubble"]
    with pytest.raises(ValueError, match="holds SBI-16-2D"):
        list(src.iter_items(get_track("lco")))


def test_changed_missing_added_detected(hidden_dir):
    d, _ = hidden_dir
    register_split("s", HUBBLE, d)
    load_split("s")
    f = d / "h0_raw.fits"
    data = bytearray(f.read_bytes())
    data[-10] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(SplitChangedError, match="changed file h0_raw.fits"):
        load_split("s")
    data[-10] ^= 0xFF
    f.write_bytes(bytes(data))
    load_split("s")
    moved = f.read_bytes()
    f.unlink()
    with pytest.raises(SplitChangedError, match="missing file h0_raw.fits"):
        load_split("s")
    f.write_bytes(moved)
    (d / "extra.npy").write_bytes(b"")
    np.save(d / "extra.npy", np.zeros((4, 4), np.uint16))
    with pytest.raises(SplitChangedError, match="added file extra.npy") as info:
        resolve_source("hidden:s")
    assert "register-split --overwrite" in str(info.value)


def test_change_during_evaluation_is_caught(hidden_dir):
    """The bytes parsed are the bytes hashed: a file swapped after load_split still fails."""
    d, _ = hidden_dir
    register_split("s", HUBBLE, d)
    src = resolve_source("hidden:s")
    (d / "h0_raw.fits").write_bytes((d / "h0_raw.fits").read_bytes()[:-2880] + b"\0" * 2880)
    with pytest.raises(SplitChangedError, match="changed file h0_raw.fits"):
        list(src.iter_items(get_track("hubble")))


def test_manifest_tampering_detected(hidden_dir, tmp_path):
    d, _ = hidden_dir
    reg = tmp_path / "reg"
    register_split("s", HUBBLE, d, registry_dir=reg)
    path = reg / "s.json"
    doc = json.loads(path.read_text())
    doc["files"][0]["sha256"] = "0" * 64
    path.write_text(json.dumps(doc))
    with pytest.raises(SplitChangedError, match="manifest .* was edited"):
        read_manifest("s", registry_dir=reg)


def test_registration_errors(hidden_dir, tmp_path):
    d, _ = hidden_dir
    with pytest.raises(ValueError, match="unknown dataset"):
        register_split("s", "SBI-99", d)
    with pytest.raises(ValueError, match="split name"):
        register_split("../evil", HUBBLE, d)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no .fits"):
        register_split("s", HUBBLE, tmp_path / "empty")
    register_split("s", HUBBLE, d)
    with pytest.raises(FileExistsError, match="overwrite"):
        register_split("s", HUBBLE, d)
    with pytest.raises(UnknownSplitError, match="registered: s"):
        load_split("nope")


def test_npy_split_with_row_fields(tmp_path, rng):
    d = tmp_path / "lco"
    d.mkdir()
    frames = [rand_u16(rng, 10, 12) for _ in range(3)]
    for n, f in enumerate(frames):
        np.save(d / f"f{n}.npy", f)
    register_split("lco-final", LEGACY, d, fields={"telescope": "LCO"})
    items = list(resolve_source("hidden:lco-final").iter_items(get_track("lco")))
    assert [i.id for i in items] == ["f0", "f1", "f2"]
    assert all(np.array_equal(i.data, f) for i, f in zip(items, frames))
    register_split("other", LEGACY, d, fields={"telescope": "WHT"})
    assert list(resolve_source("hidden:other").iter_items(get_track("lco"))) == []


def test_admin_cli(hidden_dir, tmp_path):
    from challenge.cli import app

    d, _ = hidden_dir
    runner = CliRunner(env={"COLUMNS": "300"})
    res = runner.invoke(app, ["admin", "register-split", "cli-split", "--dataset", HUBBLE, "--dir", str(d)])
    assert res.exit_code == 0, res.output
    assert "2 files, 4 samples" in res.output
    res = runner.invoke(app, ["admin", "splits", "--verify"])
    assert res.exit_code == 0 and "cli-split" in res.output and "ok" in res.output
    (d / "h0_raw.fits").unlink()
    res = runner.invoke(app, ["admin", "splits", "--verify"])
    assert res.exit_code == 1 and "missing file h0_raw.fits" in res.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.fits").write_bytes(b"SIMPLE  = nonsense")
    res = runner.invoke(app, ["admin", "register-split", "bad", "--dataset", HUBBLE, "--dir", str(bad)])
    assert res.exit_code == 2 and "truncated" in res.output and "nothing was registered" in res.output
    assert "bad" not in list_splits_names()


def test_lco_filter_from_headers_when_rows_have_no_telescope(tmp_path, rng):
    d = tmp_path / "legacy"
    frames = {}
    for n, tel in enumerate(["LCO", "WHT", "LCO", "INT"]):
        frames[f"f{n}"] = rand_u16(rng, 9, 11)
        hub_layout.write_file(d / f"f{n}.fits", LEGACY, [frames[f"f{n}"]], {"telescope": tel})
    register_split("legacy-mixed", LEGACY, d)
    items = list(resolve_source("hidden:legacy-mixed").iter_items(get_track("lco")))
    assert [i.id for i in items] == ["f0", "f2"]
    assert all(i.meta["telescope"] == "LCO" and np.array_equal(i.data, frames[i.id]) for i in items)
