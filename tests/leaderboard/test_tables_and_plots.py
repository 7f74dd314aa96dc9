"""Leaderboard tables and figures from a real store."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from lb_factory import BASELINES, failed_record, verified_record, write_baselines

from baselines.paper_seeds import seed_paper_results
from evaluator.core.tracks import TRACKS
from evaluator.data.noise_floor import gaussian_entropy_bits
from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.data.store_reader import StoreReader
from leaderboard.views import plots, tables
from leaderboard.views.filter_labels import PROFILE_WORDS
from leaderboard.views.overview import overview_table
from leaderboard.views.track_pages import plain


@pytest.fixture
def data(store) -> LeaderboardData:
    seed_paper_results(store)
    write_baselines(store, ["hubble", "sdss-2d"])
    store.write(*verified_record("jpegxl", "hubble", profile="cpu-8", speed=120.0))
    store.write(failed_record("sub-broken", "hubble"))
    reader = StoreReader(store.url)
    reader.refresh()
    return LeaderboardData(reader)


def test_track_table_ranks_within_data_and_never_ranks_estimates(data: LeaderboardData) -> None:
    frame = data.frame()
    t = tables.track_table(frame, "hubble", missing_paper=data.missing_paper(frame, "hubble", Filters()))
    paper = t[t["Data"] == "paper: real full test split"]
    assert len(paper) == 9  # all nine paper columns
    by_codec = {c.split("<")[0]: r for c, r in zip(paper["Codec"], paper.to_dict("records"))}
    assert by_codec["JPEG-XL (max)"]["Ratio (mean)"] == 3.26
    assert by_codec["JPEG-XL (max)"]["Rank"] == 1  # best codec; VDM (3.33) is an estimate
    assert pd.isna(by_codec["VDM"]["Rank"]) and "badge-estimate" in by_codec["VDM"]["Badges"]
    assert "badge-paper" in by_codec["RICE"]["Badges"]
    synth = t[t["Data"].str.startswith("synthetic")]
    assert all("badge-verified" in b and "badge-synthetic" in b for b in synth["Badges"])
    ok = synth[synth["Status"] == "ok"]
    assert sorted(ok["Rank"].dropna().astype(int)) == sorted(ok["Rank"].dropna().astype(int))
    assert ok.sort_values("Rank")["Ratio (mean)"].is_monotonic_decreasing
    assert ok["Rank"].min() == 1  # ranks restart for the synthetic data
    failed = t[t["Submission"] == "sub-broken"]
    assert failed["Status"].iloc[0] == "failed: not_lossless" and pd.isna(failed["Ratio (mean)"].iloc[0])


def test_missing_paper_cells_show_as_explicit_empty_rows(data: LeaderboardData) -> None:
    frame = data.frame()
    missing = data.missing_paper(frame, "sdss-3d-time", Filters())
    assert missing == ["VDM"]
    t = tables.track_table(frame, "sdss-3d-time", missing_paper=missing)
    vdm = t[t["Codec"] == "VDM"]
    assert vdm["Status"].iloc[0] == "not evaluated in the paper" and pd.isna(vdm["Ratio (mean)"].iloc[0])
    assert data.missing_paper(frame, "jwst-3d", Filters()) == []  # not a paper track
    # A filter that hides paper rows does not make their numbers "missing".
    no_paper = Filters(provenances=["verified", "estimate"])
    assert data.missing_paper(data.filtered(no_paper), "hubble", no_paper) == []


def test_runtime_table_groups_by_profile_and_machine(data: LeaderboardData) -> None:
    rt = tables.runtime_table(data.frame(), "hubble")
    assert set(rt["Profile"]) == {PROFILE_WORDS[p] for p in ("cpu-1", "cpu-8", "paper")}  # in plain words
    for _, group in rt.groupby(["Profile", "Machine"]):
        ranks = group["Rank"].tolist()
        assert ranks[0] == 1 and ranks == sorted(ranks)
    cpu8 = rt[rt["Profile"] == PROFILE_WORDS["cpu-8"]]
    assert len(cpu8) == 1 and cpu8["Rank"].iloc[0] == 1  # not ranked against cpu-1
    paper_xl = rt[(rt["Profile"] == PROFILE_WORDS["paper"]) & rt["Codec"].str.startswith("JPEG-XL (max)")]
    assert paper_xl["Encode s/item"].iloc[0] == 87.76


def test_overview_has_one_column_per_track(data: LeaderboardData) -> None:
    ov = overview_table(data.frame())
    titles = [t.title for t in TRACKS.values()]
    assert list(ov.columns[4:-1]) == titles and ov.columns[-1] == "Data"
    row = ov[ov["Codec"] == "JPEG-XL (max)"].iloc[0]
    assert plain(row["Hubble"]) == "3.26" and plain(row["LCO"]) == "2.98"
    paper_rows = ov[ov["Data"].str.startswith("paper")]
    scores = paper_rows["Mean rank"].dropna().tolist()
    assert scores == sorted(scores) and len(scores) == len(tables.PAPER_COLUMNS) - 1  # VDM: an estimate, unranked
    vdm = ov[ov["Codec"].str.startswith("VDM")].iloc[0]
    assert vdm["JWST-2D-Res"] == ""  # missing stays missing
    assert pd.isna(vdm["Mean rank"]) and paper_rows.iloc[-1]["Codec"].startswith("VDM")  # unranked: last


def test_filters(data: LeaderboardData) -> None:
    frame = data.frame()
    only_verified = tables.filter_records(frame, provenances=["verified"])
    assert set(only_verified["provenance"]) == {"verified"}
    neural = tables.filter_records(frame, kinds=["neural"])
    assert set(neural["codec"]) == {"IDF", "L3C", "PixelCNN++", "VDM"}
    synthetic = tables.filter_records(frame, data_kinds=["synthetic"])
    assert synthetic["synthetic"].all()
    cpu8 = tables.filter_records(frame, profiles=["cpu-8"])
    assert len(cpu8) == 1
    assert len(tables.filter_records(frame)) == len(frame)


def test_render_returns_values_for_every_track(data: LeaderboardData) -> None:
    values = data.render(Filters())
    assert len(values) == 1 + 3 * len(TRACKS)
    assert data.render_track("hubble", Filters()) is data.render_track("hubble", Filters())  # cached
    assert data.render_overview(Filters()) is data.render_overview(Filters())


def test_pareto_front_is_the_non_dominated_set() -> None:
    pts = pd.DataFrame({"x": [1, 2, 3, 4, 0.5], "y": [3.0, 2.5, 2.6, 1.0, 2.0]})
    front = plots.pareto_front(pts, "x", "y")
    assert sorted(zip(front["x"], front["y"])) == [(1, 3.0), (3, 2.6), (4, 1.0)]


def test_pareto_figure_has_one_front_per_profile(data: LeaderboardData) -> None:
    fig = plots.pareto_figure(data.frame(), "hubble")
    names = [t.name for t in fig.data]
    assert {"cpu-1", "paper", "cpu-8"} <= set(names)
    assert "cpu-1 Pareto front" in names and "paper Pareto front" in names
    assert fig.layout.xaxis.type == "log"
    empty = plots.pareto_figure(data.frame(), "sdss-4d")
    assert len(empty.data) == 0 and "No runtimes" in empty.layout.annotations[0].text


def test_item_plots_and_noise_bound(data: LeaderboardData) -> None:
    _, dist, expo, noise = data.item_plots("hubble", Filters())
    assert {t.name for t in dist.data} == set(BASELINES.values())
    assert len(expo.data) >= len(BASELINES)  # hubble items carry exposure times
    bound = next(t for t in noise.data if t.name.startswith("noise floor"))
    for x, y in zip(bound.x[::20], bound.y[::20]):
        assert y == pytest.approx(gaussian_entropy_bits(10 ** x))
    # every achieved bpp lies above the bound at its sigma (a lossless codec cannot beat pure noise)
    for trace in noise.data:
        if trace.name.startswith("noise floor"):
            continue
        for x, y in zip(trace.x, trace.y):
            assert y > gaussian_entropy_bits(10 ** x)
    _, _, expo_sdss, _ = data.item_plots("sdss-2d", Filters())
    assert len(expo_sdss.data) == 0  # no exposure times: an explained empty figure


def test_badge_escapes_and_labels() -> None:
    assert "badge-paper" in tables.badge("paper")
    assert "&lt;" in tables.badge("<x>")
    assert tables.data_label("paper:full_test", False, "paper").startswith("paper")
    assert tables.data_label("synthetic-small-s0:full_test", True, "verified").startswith("synthetic")
    assert math.isclose(1.0, 1.0)


def test_item_plots_keep_the_best_records_with_items(store) -> None:
    from leaderboard.board.board_data import ITEM_PLOT_LIMIT

    seed_paper_results(store)  # paper records have no items: never take a slot
    for i in range(ITEM_PLOT_LIMIT + 3):
        store.write(*verified_record("jpegls", "keck", codec=f"c{i:02d}", submission=f"sub-{i:02d}", seed=i))
    reader = StoreReader(store.url)
    reader.refresh()
    _, dist, _, _ = LeaderboardData(reader).item_plots("keck", Filters())
    assert len(dist.data) == ITEM_PLOT_LIMIT
    assert f"best {ITEM_PLOT_LIMIT}" in dist.layout.title.text
    frame = reader.records_frame()
    best = set(frame[frame["provenance"] == "verified"].nlargest(ITEM_PLOT_LIMIT, "ratio_mean")["codec"])
    assert {t.name for t in dist.data} == best
