"""Corpora: local folder, fsspec URL (only needed files fetched), Hub download path (offline cache)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from data_helpers import rand_u16

from evaluator.core.tracks import HUBBLE, get_track
from evaluator.data import hub_layout
from evaluator.data.corpus import CorpusError, FsspecCorpus, HubCorpus, LocalCorpus, parse_rows
from evaluator.data.data_source import CorpusSource

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hubble_corpus(tmp_path, rng):
    root = tmp_path / "corpus"
    w = hub_layout.HubDatasetWriter(root, HUBBLE)
    chips = {}
    for n in range(3):
        chips[f"j{n}"] = [rand_u16(rng, 12, 10), rand_u16(rng, 12, 10)]
        splits = ["full_test"] + (["tiny_test"] if n == 0 else [])
        w.add(f"j{n}", chips[f"j{n}"], {"exptime": 100.0 + n}, splits=splits)
    w.add("train0", [rand_u16(rng, 12, 10), rand_u16(rng, 12, 10)], {"exptime": 1.0}, splits=["full_train"])
    w.finish()
    return root, chips


def test_local_corpus_rows(hubble_corpus):
    root, _ = hubble_corpus
    corpus = LocalCorpus(root)
    rows = corpus.rows(HUBBLE, "full_test")
    assert [r.image_id for r in rows] == ["j0", "j1", "j2"]
    assert rows[0].path == "data/part0/j0_raw.fits" and rows[0].extra == {"exptime": 100.0}
    assert corpus.local_path(HUBBLE, rows[0]) == root / HUBBLE / "data/part0/j0_raw.fits"
    with corpus.open(HUBBLE, rows[0]) as f:
        assert f.read(9) == b"SIMPLE  ="
    assert [r.image_id for r in corpus.rows(HUBBLE, "tiny_test")] == ["j0"]
    with pytest.raises(CorpusError, match="challenge data synth"):
        corpus.rows("GBI-16-4D", "full_test")


def test_parse_rows_errors():
    with pytest.raises(CorpusError, match="line 2: not JSON"):
        parse_rows('{"image_id": "a", "image": "./data/a.fits"}\n{oops\n', "x.jsonl")
    with pytest.raises(CorpusError, match="needs 'image_id' and 'image'"):
        parse_rows('{"image": "./data/a.fits"}\n', "x.jsonl")
    with pytest.raises(CorpusError, match="must be relative"):
        parse_rows('{"image_id": "a", "image": "/etc/passwd"}\n', "x.jsonl")


def test_fsspec_memory_fetches_only_the_split(hubble_corpus, tmp_path):
    import fsspec

    root, chips = hubble_corpus
    fs = fsspec.filesystem("memory")
    for path in root.rglob("*"):
        if path.is_file():
            fs.pipe(f"/hubtest/{path.relative_to(root).as_posix()}", path.read_bytes())
    cache = tmp_path / "fcache"
    corpus = FsspecCorpus("memory://hubtest", cache_dir=cache)
    src = CorpusSource(corpus, "tiny_test", label="t")
    items = list(src.iter_items(get_track("hubble")))
    assert [i.id for i in items] == ["j0.0", "j0.1"]
    assert np.array_equal(items[1].data, chips["j0"][1])
    fetched = sorted(p.name for p in cache.rglob("*.fits"))
    assert fetched == ["j0_raw.fits"]  # the split file first, then only the FITS files it lists
    # cached copy is reused; a removed remote file is reported clearly
    fs.rm("/hubtest/SBI-16-2D/data/part0/j1_raw.fits")
    with pytest.raises(CorpusError, match="missing"):
        list(CorpusSource(corpus, "full_test", label="t").iter_items(get_track("hubble")))


def _fake_hub_cache(cache, root, dataset):
    """The huggingface_hub cache layout for one dataset repo at COMMIT (as hf_hub_download leaves it)."""
    repo = cache / f"datasets--AstroCompress--{dataset}"
    snap = repo / "snapshots" / COMMIT
    shutil.copytree(root / dataset, snap)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)


def test_hub_corpus_download_path_offline(hubble_corpus, tmp_path, monkeypatch):
    """HubCorpus goes through hf_hub_download (repo_type=dataset, pinned revision, local cache)."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    root, chips = hubble_corpus
    cache = tmp_path / "hub"
    _fake_hub_cache(cache, root, HUBBLE)
    corpus = HubCorpus(revision=COMMIT, cache_dir=cache)
    assert corpus.label == f"hub@{COMMIT}" and corpus.revision(HUBBLE, "full_test") == COMMIT
    src = CorpusSource(corpus, "full_test", label=f"hub@{COMMIT}:full_test", revision=COMMIT)
    items = list(src.iter_items(get_track("hubble")))
    assert [i.id for i in items] == ["j0.0", "j0.1", "j1.0", "j1.1", "j2.0", "j2.1"]
    assert np.array_equal(items[4].data, chips["j2"][0])
    assert items[2].meta["exptime"] == 101.0
    with pytest.raises(CorpusError, match="--data synthetic"):
        HubCorpus(revision="deadbeef", cache_dir=tmp_path / "empty").rows(HUBBLE, "full_test")
