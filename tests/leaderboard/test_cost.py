"""Cost columns (leaderboard.views.cost, leaderboard.views.cost_table), the instrument table, paper Table 2 seeds."""

from __future__ import annotations

import pytest
from lb_factory import verified_record

from baselines.paper_seeds import (
    paper_results,
    seed_paper_results,
    seed_paper_table2,
    table2_records,
)
from baselines.registry import baseline_submission
from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.data.store_reader import StoreReader
from leaderboard.publish.space_bundle import space_modules
from leaderboard.views.cost import (
    RICE_SUBMISSION,
    core_hours_per_tb,
    gain_vs_rice,
    rice_ratios,
)
from leaderboard.views.cost_table import COST_HEADERS
from leaderboard.views.instruments import INSTRUMENT_TABLE, INSTRUMENTS, sources_markdown
from leaderboard.views.tables import data_label


def test_the_rice_records_are_the_rice_baselines_and_the_space_needs_no_codec_library() -> None:
    assert RICE_SUBMISSION == baseline_submission("rice")
    assert "baselines.registry" not in space_modules()  # it would pull imagecodecs into the Space


def test_core_hours_follow_from_throughput_and_cores() -> None:
    # 1 TB at 100 MB/s on one core: 1e4 s = 2.78 core-hours; on 8 cores the same wall time costs 8x
    assert core_hours_per_tb(100.0, 1) == pytest.approx(1e6 / 100 / 3600)
    assert core_hours_per_tb(100.0, 8) == pytest.approx(8 * 1e6 / 100 / 3600)
    assert core_hours_per_tb(None, 1) is None and core_hours_per_tb(0.0, 1) is None
    assert gain_vs_rice(3.0, 2.5) == pytest.approx(0.2) and gain_vs_rice(3.0, None) is None


def test_every_instrument_cites_a_source_and_says_when_it_is_an_estimate() -> None:
    assert {"hubble", "jwst", "keck", "roman"} <= set(INSTRUMENTS)
    text = sources_markdown()
    for ins in INSTRUMENT_TABLE:
        assert ins.source and ins.url.startswith("https://") and ins.url in text
        assert ins.low_gb_per_day <= ins.high_gb_per_day
    assert INSTRUMENTS["roman"].estimate and "estimate" in INSTRUMENTS["roman"].note
    assert "15-30 GB" in INSTRUMENTS["hubble"].note  # the paper's own figure (Sec. 4.6)


def test_cost_table_and_gain_use_the_rice_baseline_records(store) -> None:
    rice, rice_items = verified_record("rice", "hubble", speed=150.0)  # the RICE baseline (baseline-rice)
    store.write(rice, rice_items)
    mine, items = verified_record("jpegxl-max", "hubble", codec="Mine", submission="sub-mine", speed=2.0,
                                  profile="cpu-8")
    store.write(mine, items)
    data = LeaderboardData(StoreReader(store.url))
    data.refresh(force=True)
    label = data_label(rice.split, rice.synthetic, rice.provenance)  # the board's plain-words data label
    assert label == "synthetic default (small, seed 0), full test"
    assert rice_ratios(data.frame(), "hubble") == {label: rice.summary.ratio_mean}
    table, _, cost = data.render_track("hubble", Filters())
    assert list(cost.columns) == list(COST_HEADERS)
    row = cost[cost["Codec"].str.startswith("Mine")].iloc[0]
    expected = 8 * 1e6 / mine.summary.encode_mb_s / 3600  # cpu-8: 8 cores x wall time
    assert row["Encode core-h/TB"] == pytest.approx(expected, rel=1e-2)
    hubble_day = INSTRUMENTS["hubble"].gb_per_day / 1000 * expected
    assert row["Hubble: encode core-h/day"] == pytest.approx(hubble_day, rel=1e-2)
    gain = 100 * (mine.summary.ratio_mean / rice.summary.ratio_mean - 1)
    assert row["Gain vs RICE (%)"] == pytest.approx(gain, abs=0.06)
    track_row = table[table["Codec"].str.startswith("Mine")].iloc[0]
    assert track_row["Gain vs RICE (%)"] == pytest.approx(gain, abs=0.06)
    rice_row = table[table["Codec"].str.startswith("RICE")].iloc[0]
    assert rice_row["Gain vs RICE (%)"] == 0.0


def test_table2_is_seeded_as_paper_data_and_kept_out_of_the_rankings(store) -> None:
    cells = sum(len(row) for row in paper_results()["table2_ratio"].values())
    assert cells == 30 and len(table2_records()) == 30
    seed_paper_results(store)
    keys = seed_paper_table2(store)
    assert seed_paper_table2(store) == keys  # idempotent
    data = LeaderboardData(StoreReader(store.url))
    data.refresh(force=True)
    assert not data.frame()["codec"].str.contains("trained on").any()  # not in the track tables
    cross = data.cross_track()
    keck = cross[cross["Trained on"] == "Keck"].iloc[0]
    assert keck["SDSS-2D"].startswith("3.02") and keck["Badges"].startswith('<span class="badge badge-paper"')
    assert cross[cross["Trained on"] == "all data"].iloc[0]["SDSS-2D"] == "3.18 ★"  # the paper's best
