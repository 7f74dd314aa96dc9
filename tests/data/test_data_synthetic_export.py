"""Synthetic driver (deterministic, idempotent, Hub layout), datasets export, ``challenge data`` CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from evaluator.core.tracks import DATASETS, LEGACY, get_track
from evaluator.data.hub_layout import SPLITS

pytest.importorskip("evaluator.data.synthetic_sky", reason="the sky physics not available yet")

from evaluator.data.synthetic_corpus import MARKER, generate


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_deterministic_and_idempotent(tmp_path):
    a = generate(tmp_path / "a", size="small", seed=3, n_test=1, n_train=1)
    b = generate(tmp_path / "b", size="small", seed=3, n_test=1, n_train=1)
    ta, tb = _tree(a), _tree(b)
    assert ta.keys() == tb.keys() and all(ta[k] == tb[k] for k in ta)  # byte-identical re-runs
    for ds in DATASETS:
        for split in SPLITS:
            assert f"{ds}/splits/{split}.jsonl" in ta
    marker = a / MARKER
    stamp = marker.stat().st_mtime_ns
    files = {p: p.stat().st_mtime_ns for p in a.rglob("*.fits")}
    assert generate(tmp_path / "a", size="small", seed=3, n_test=1, n_train=1) == a
    assert marker.stat().st_mtime_ns == stamp and all(p.stat().st_mtime_ns == t for p, t in files.items())
    c = generate(tmp_path / "c", size="small", seed=4, n_test=1, n_train=1)
    assert _tree(c)[f"{DATASETS[0]}/splits/full_test.jsonl"] != ta[f"{DATASETS[0]}/splits/full_test.jsonl"]


def test_split_contents(tmp_path):
    root = generate(tmp_path / "s", size="small", seed=0, n_test=2, n_train=1)
    for ds in DATASETS:
        rows = {s: [json.loads(line) for line in (root / ds / "splits" / f"{s}.jsonl").read_text().splitlines()]
                for s in SPLITS}
        per_kind = 2 if ds == LEGACY else 1
        assert len(rows["full_test"]) == 2 * per_kind and len(rows["full_train"]) == 1
        assert len(rows["tiny_test"]) == per_kind and rows["tiny_test"][0] == rows["full_test"][0]
        test_ids = {r["image_id"] for r in rows["full_test"]}
        assert not test_ids & {r["image_id"] for r in rows["full_train"]}
        for r in rows["full_test"]:
            assert r["image"].startswith("./data/") and (root / ds / r["image"]).is_file()
    legacy = [json.loads(line) for line in (root / LEGACY / "splits" / "full_test.jsonl").read_text().splitlines()]
    assert sum(r["telescope"] == "LCO" for r in legacy) == 2 and all("telescope" in r for r in legacy)
    assert {r["telescope"] for r in legacy} - {"LCO"}
    jwst = json.loads((root / "SBI-16-3D" / "splits" / "full_test.jsonl").read_text().splitlines()[0])
    assert {"ra", "dec", "pixscale", "ntimes"} <= set(jwst)
    hst = json.loads((root / "SBI-16-2D" / "splits" / "full_test.jsonl").read_text().splitlines()[0])
    assert "exptime" in hst and hst["image"].endswith("_raw.fits")


def test_refuses_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a synthetic corpus"):
        generate(tmp_path / "mine", n_test=1, n_train=0)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep me"


def test_export_to_datasets(synthetic_source):
    from evaluator.data.dataset_export import image_from_row, to_hf_dataset

    track = get_track("sdss-3d-lambda")
    items = list(synthetic_source.iter_items(track))
    ds = to_hf_dataset(synthetic_source, track)
    assert len(ds) == len(items)
    assert {"image_id", "image", "shape", "exptime", "telescope", "source_file", "meta"} <= set(ds.column_names)
    for row, item in zip(ds, items):
        assert row["image_id"] == item.id and row["shape"] == list(item.data.shape)
        assert np.array_equal(image_from_row(row), item.data)
        assert json.loads(row["meta"])["source_file"] == item.meta["source_file"]
    arr = to_hf_dataset(synthetic_source, get_track("hubble"), image_format="array", limit=2)
    assert len(arr) == 2
    first = next(iter(synthetic_source.iter_items(get_track("hubble"))))
    assert np.array_equal(image_from_row(arr[0]), first.data)


def test_data_cli(tmp_path, synthetic_cache, monkeypatch):
    from challenge.cli import app
    from evaluator.data.synthetic_sky import make_file

    jw = make_file("SBI-16-3D", 1, 0, "small").samples[0]
    sd = make_file("GBI-16-4D", 0, 0, "small").samples[0]
    monkeypatch.setenv("CHALLENGE_CACHE", str(synthetic_cache))
    runner = CliRunner(env={"COLUMNS": "250"})
    out = tmp_path / "corpus"
    res = runner.invoke(app, ["data", "synth", "--out", str(out), "--seed", "1", "--n-test", "1", "--n-train", "0"])
    assert res.exit_code == 0, res.output
    assert (out / MARKER).is_file() and "seed 1" in res.output
    res = runner.invoke(app, ["data", "show", "--data", str(out), "--track", "jwst-2d-res"])
    assert res.exit_code == 0, res.output
    assert ".r0" in res.output and "x".join(map(str, jw.shape[1:])) in res.output
    res = runner.invoke(app, ["data", "show", "--track", "sdss-3d-lambda"])  # default: synthetic
    assert res.exit_code == 0 and "3x" + "x".join(map(str, sd.shape[2:])) in res.output and "synthetic" in res.output
    res = runner.invoke(app, ["data", "show", "--data", "nowhere-at-all", "--track", "lco"])
    assert res.exit_code == 2 and "unknown data source" in res.output  # bad input (evaluator.sdk.errors.BadInput)
    res = runner.invoke(app, ["data", "export", "--out", str(tmp_path / "hf"), "--data", str(out), "--track", "lco"])
    assert res.exit_code == 0, res.output
    import datasets

    assert len(datasets.load_from_disk(str(tmp_path / "hf"))) == 1
