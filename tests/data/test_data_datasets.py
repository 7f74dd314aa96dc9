"""The dataset table: one record per corpus, consistent with the track table and the generators."""

from __future__ import annotations

import pytest

from evaluator.core.tracks import DATASETS, HUBBLE, JWST, KECK, LEGACY, SAMPLE_LAYOUT, SDSS, TRACKS
from evaluator.data.datasets import DATASET_TABLE, get_dataset
from evaluator.data.hub_layout import relative_path
from evaluator.data.synthetic_sky import sample_shapes


def test_one_record_per_dataset_of_the_track_table() -> None:
    assert tuple(DATASET_TABLE) == DATASETS == tuple(SAMPLE_LAYOUT)
    assert {t.dataset for t in TRACKS.values()} <= set(DATASET_TABLE)
    with pytest.raises(ValueError, match="unknown dataset 'nope'; choose one of: GBI-16-2D-Legacy"):
        get_dataset("nope")


@pytest.mark.parametrize("dataset", DATASETS)
def test_generator_shapes_match_the_record(dataset: str) -> None:
    record = get_dataset(dataset)
    shapes = sample_shapes(dataset, 0, 1)
    assert len(shapes) == record.samples_per_file
    assert all(len(s) == record.ndim for s in shapes)
    assert record.synthetic.group_of({}) in record.synthetic.groups


def test_hub_file_names() -> None:
    assert relative_path(LEGACY, "a/b", {"telescope": "LCO"}) == "./data/LCO/a_b.fits"
    assert relative_path(LEGACY, "x", {}) == "./data/UNKNOWN/x.fits"
    assert relative_path(KECK, "x") == "./data/part0/LR.x.fits"
    assert relative_path(KECK, "LR.x", sub="s") == "./data/s/LR.x.fits"
    assert relative_path(HUBBLE, "j8") == "./data/part0/j8_raw.fits"
    assert relative_path(JWST, "jw") == "./data/part0/jw_uncal.fits"
    assert relative_path(SDSS, "c") == "./data/part0/c.fits"
