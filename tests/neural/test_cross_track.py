"""Our cross-track IDF table (baselines.neural.cross_track) on a tiny subset: real checkpoints, real bitstreams."""

from __future__ import annotations

import pytest

from baselines.neural.cross_track import (
    SUBMISSION_PREFIX,
    cross_track_idf,
    ratio_matrix,
)
from evaluator.results.records import ResultStore
from leaderboard.board.board_data import LeaderboardData
from leaderboard.data.store_reader import StoreReader

pytestmark = pytest.mark.timeout(600)


@pytest.mark.slow  # two neural checkpoints on two tracks, in process (~10 s)
def test_two_checkpoints_on_two_tracks_give_a_verified_cross_table(tmp_path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    run = cross_track_idf("synthetic", store, train=["keck", "hubble"], test=["lco", "keck"], n_items=1)
    assert len(run.records) == 4 and run.seconds > 0
    for rec in run.records:
        assert rec.status == "ok" and rec.provenance == "verified" and rec.synthetic  # decoded and checked
        assert rec.submission.startswith(SUBMISSION_PREFIX) and rec.manifest["trained_on"] in {"keck", "hubble"}
        assert rec.manifest["checkpoint"] == f"idf-{rec.manifest['trained_on']}.pt"
        assert len(store.items(rec.key)) == 1 and len(store.read(rec.key).item_ratios) == 1  # per-item rows kept
    matrix = ratio_matrix(run.records)
    assert set(matrix) == {"keck", "hubble"} and all(set(row) == {"lco", "keck"} for row in matrix.values())
    assert all(v is not None and v > 1.0 for row in matrix.values() for v in row.values())

    data = LeaderboardData(StoreReader(store.url))
    data.refresh(force=True)
    cross = data.cross_track()
    assert list(cross["Trained on"]) == ["Keck", "Hubble"]  # track-table order
    assert cross.iloc[0]["LCO"].startswith(f"{matrix['keck']['lco']:.2f}")
    assert data.frame().empty  # cross-track records stay out of the track rankings


def test_unknown_tracks_are_refused_before_any_work(tmp_path) -> None:
    with pytest.raises(KeyError, match="nope"):
        cross_track_idf("synthetic", ResultStore(str(tmp_path / "r")), train=["nope"], test=["lco"])
    with pytest.raises(KeyError, match="sdss-4d2"):
        cross_track_idf("synthetic", ResultStore(str(tmp_path / "r")), train=["keck"], test=["sdss-4d2"])
