"""resolve_source: synthetic default, folders, fsspec URLs; items per track against the generator."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from data_helpers import rand_u16

from evaluator.core.tracks import JWST, KECK, LEGACY, SDSS, TRACKS, get_track, residual_inverse
from evaluator.data import hub_layout
from evaluator.data.data_source import DataSource, DataSpecError, item_id, iter_items, resolve_source
from evaluator.data.items import Item
from evaluator.data.layouts.lris import lris_paste_order


def _index(image_id: str) -> int:
    return int(image_id.rsplit("-", 1)[1])


def _base(item: Item) -> str:
    return item.id.split(".")[0]


def test_synthetic_source_shapes_every_track(synthetic_source):
    src = synthetic_source
    assert isinstance(src, DataSource)
    assert src.synthetic and not src.hidden
    assert src.label == "synthetic-small-s0:full_test"
    assert src.revision.startswith("synthetic-v") and src.revision.endswith("-small-s0")
    for track in TRACKS.values():
        items = list(src.iter_items(track))
        assert items, track.name
        ids = [i.id for i in items]
        assert len(set(ids)) == len(ids), track.name
        for item in items:
            assert item.data.dtype == np.uint16 and item.data.ndim == track.ndim, (track.name, item.data.shape)
            assert item.data.flags.c_contiguous
            assert item.meta["source_file"].startswith(track.dataset + "/data/")
            assert item.meta["synthetic"] is True
            assert "exptime" in item.meta
    lam = next(iter(src.iter_items(get_track("sdss-3d-lambda"))))
    assert lam.data.shape[0] == 3


def test_items_match_the_generator(synthetic_source):
    from evaluator.data.synthetic_sky import make_file

    src = synthetic_source
    for item in src.iter_items(get_track("sdss-3d-lambda")):
        cube = make_file(SDSS, 0, _index(item.id), "small").samples[0]
        assert np.array_equal(item.data, cube[0, 1:4])
    for item in src.iter_items(get_track("sdss-3d-time")):
        cube = make_file(SDSS, 0, _index(item.id), "small").samples[0]
        assert np.array_equal(item.data, cube[0:3, 2])
    hubble = list(src.iter_items(get_track("hubble")))
    assert {i.id.rsplit(".", 1)[1] for i in hubble} == {"0", "1"}
    for item in hubble:
        base, chip = item.id.rsplit(".", 1)
        assert np.array_equal(item.data, make_file("SBI-16-2D", 0, _index(base), "small").samples[int(chip)])
    for item in src.iter_items(get_track("keck")):
        f = make_file(KECK, 0, _index(item.id), "small")
        order = lris_paste_order(f.meta["amplifiers"])
        assert np.array_equal(item.data, f.samples[0][:, order])  # the authors' paste of the same amplifiers


def test_jwst_residuals_invert_to_next_frame(synthetic_source):
    from evaluator.data.synthetic_sky import make_file

    items = list(synthetic_source.iter_items(get_track("jwst-2d-res")))
    by_file: dict[str, list[Item]] = {}
    for item in items:
        by_file.setdefault(_base(item), []).append(item)
    for base, res in by_file.items():
        cube = make_file(JWST, 0, _index(base), "small").samples[0]
        assert [r.id for r in res] == [f"{base}.r{t}" for t in range(cube.shape[0] - 1)]
        frame = cube[0]
        for t, r in enumerate(res):
            assert r.data.dtype == np.uint16
            frame = residual_inverse(frame, r.data)
            assert np.array_equal(frame, cube[t + 1])


def test_lco_row_filter(synthetic_source):
    lco = list(synthetic_source.iter_items(get_track("lco")))
    assert lco and all(i.meta["telescope"] == "LCO" for i in lco)
    from evaluator.data.corpus import LocalCorpus

    corpus = synthetic_source.corpus
    assert isinstance(corpus, LocalCorpus)
    rows = corpus.rows(LEGACY, "full_test")
    assert {r.extra["telescope"] for r in rows} - {"LCO"}, "the corpus must also hold other telescopes"
    assert len(lco) == sum(r.extra["telescope"] == "LCO" for r in rows)


def test_tiny_split_has_items_for_every_track(synthetic_cache, monkeypatch):
    monkeypatch.setenv("CHALLENGE_CACHE", str(synthetic_cache))
    src = resolve_source("synthetic", split="tiny_test")
    assert src.label == "synthetic-small-s0:tiny_test"
    for track in TRACKS.values():
        assert list(src.iter_items(track)), track.name


def test_items_iter_delegates(synthetic_source):
    a = [i.id for i in iter_items(get_track("hubble"), synthetic_source)]
    b = [i.id for i in synthetic_source.iter_items(get_track("hubble"))]
    assert a == b and a


def test_directory_and_fsspec_specs(synthetic_cache, tmp_path):
    folder = synthetic_cache / "synthetic" / "small-s0"
    copy = tmp_path / "mycorpus"
    shutil.copytree(folder, copy)
    src = resolve_source(str(copy))
    assert src.label == "dir:mycorpus:full_test" and not src.synthetic and src.revision.startswith("dir-")
    want = [(i.id, i.data.tobytes()) for i in src.iter_items(get_track("sdss-2d"))]
    url_src = resolve_source(copy.as_uri())  # file:// through fsspec
    assert [(i.id, i.data.tobytes()) for i in url_src.iter_items(get_track("sdss-2d"))] == want
    assert url_src.label.startswith("url:file://")


def test_memory_url_stands_in_for_hf(tmp_path, rng, monkeypatch):
    """The fsspec code path (hf://datasets/AstroCompress) exercised on memory://."""
    import fsspec

    monkeypatch.setenv("CHALLENGE_CACHE", str(tmp_path / "cache"))
    local = tmp_path / "corpus"
    w = hub_layout.HubDatasetWriter(local, JWST)
    cubes = [rand_u16(rng, 4, 16, 16) for _ in range(2)]
    for n, cube in enumerate(cubes):
        w.add(f"jw{n}", [cube], {"ra": 1.5, "dec": -2.0, "pixscale": 0.031, "ntimes": 4}, splits=["full_test"])
    w.finish()
    fs = fsspec.filesystem("memory")
    for path in local.rglob("*"):
        if path.is_file():
            fs.pipe(f"/astro/{path.relative_to(local).as_posix()}", path.read_bytes())
    src = resolve_source("memory://astro")
    items = list(src.iter_items(get_track("jwst-2d")))
    assert [i.id for i in items] == ["jw0", "jw1"]
    assert all(np.array_equal(i.data, c[0]) for i, c in zip(items, cubes))
    assert items[0].meta["ra"] == 1.5 and items[0].meta["ntimes"] == 4
    assert list((tmp_path / "cache" / "corpus").rglob("*_uncal.fits"))  # cached locally once


def test_item_id_joining():
    assert item_id("img", "", "") == "img"
    assert item_id("img", ".1", "") == "img.1"
    assert item_id("img", "", "r3") == "img.r3"
    assert item_id("img", ".0", "r3") == "img.0.r3"


@pytest.mark.parametrize("spec", ["nonsense-folder-xyz", "synthetic:medium", "synthetic:small:abc"])
def test_bad_specs(spec):
    with pytest.raises(DataSpecError):
        resolve_source(spec)


def test_bad_split(tmp_path):
    from evaluator.data.corpus import CorpusError

    tmp_path.joinpath("x").mkdir()
    with pytest.raises(CorpusError, match="unknown split"):
        resolve_source(str(tmp_path), split="validation")


def test_split_path_cannot_escape(tmp_path, rng):
    from evaluator.data.corpus import CorpusError

    w = hub_layout.HubDatasetWriter(tmp_path, LEGACY)
    w.add("a", [rand_u16(rng, 8, 8)], {"telescope": "LCO"}, splits=["full_test"])
    w.finish()
    split = tmp_path / LEGACY / "splits" / "full_test.jsonl"
    split.write_text(json.dumps({"image_id": "evil", "image": "../../../etc/passwd", "telescope": "LCO"}) + "\n")
    with pytest.raises(CorpusError, match="inside the dataset folder"):
        list(resolve_source(str(tmp_path)).iter_items(get_track("lco")))


def test_missing_file_listed_in_split(tmp_path, rng):
    from evaluator.data.corpus import CorpusError

    w = hub_layout.HubDatasetWriter(tmp_path, LEGACY)
    w.add("a", [rand_u16(rng, 8, 8)], {"telescope": "LCO"}, splits=["full_test"])
    w.finish()
    (tmp_path / LEGACY / "data" / "LCO" / "a.fits").unlink()
    with pytest.raises(CorpusError, match="missing"):
        list(resolve_source(str(tmp_path)).iter_items(get_track("lco")))
