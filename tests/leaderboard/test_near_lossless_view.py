"""The Near-lossless view: one ranking per bound, the rate-error plot, and lossless views without them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from lb_factory import write_baselines
from nl_factory import CODECS, FACTORS, FAILED, SIGMA_BOUNDS, near_lossless_record, write_near_lossless

from evaluator.core.tracks import ERROR_BOUNDS, NEAR_LOSSLESS_TRACKS, TRACKS
from evaluator.results.records import ResultStore
from leaderboard.app.near_lossless_tab import NearLosslessView
from leaderboard.app.url_state import url_view
from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.data.store_reader import StoreReader
from leaderboard.views.near_lossless import (
    BOUND_TITLE,
    NL_HEADERS,
    bound_tables,
    bound_tables_html,
    bound_text,
    parent_choices,
)
from leaderboard.views.near_lossless_plot import rate_error_figure
from leaderboard.views.overview import OVERVIEW_HEADERS

HOSTILE = "Evil <img src=x onerror=alert(1)> <b>NL</b>"
RATIO = NL_HEADERS[4]


@pytest.fixture
def board(store: ResultStore) -> LeaderboardData:
    write_baselines(store, ["keck", "hubble"])
    write_near_lossless(store)
    return _fresh(store)


def _fresh(store: ResultStore) -> LeaderboardData:
    board = LeaderboardData(StoreReader(store.url))
    board.refresh(force=True)
    return board


def _view(board: LeaderboardData) -> tuple[NearLosslessView, Filters]:
    view = NearLosslessView(board)
    return view, Filters(data=board.default_data())


def test_one_table_per_bound_each_ranked_by_ratio_within_its_bound(board) -> None:
    view, f = _view(board)
    assert view.choices() == [("Keck", "keck")]  # only the paper track that has near-lossless records
    tables = bound_tables(view.rows("keck", f), "keck")
    assert [t.bound for t in tables] == list(ERROR_BOUNDS)
    for t in tables:
        assert set(view.rows("keck", f).query("track == @t.track")["track"]) == {t.track}
        ok = t.rows[t.rows["Status"] == "ok"]
        assert len(ok) == len(CODECS) and list(ok["Rank"]) == [1, 2]
        assert list(ok[RATIO]) == sorted(ok[RATIO], reverse=True)
        verified = set(t.rows.loc[t.rows["Status"] == "ok", BOUND_TITLE])
        assert verified == ({bound_text(t.bound.delta, t.bound.delta)} if t.bound.delta is not None
                            else {f"{SIGMA_BOUNDS[0]}–{SIGMA_BOUNDS[1]}"})
        # the winner is the best codec at this bound (its own records), whatever its ratio at another bound
        own = view.rows("keck", f).query("track == @t.track and status == 'ok'")
        assert t.rows.iloc[0]["Codec"].startswith(own.sort_values("ratio_mean").iloc[-1]["codec"])
    two = next(t for t in tables if t.bound.delta == 2).rows
    failed = two[two["Status"] != "ok"]
    assert len(failed) == 1 and failed.iloc[0]["Status"] == "failed: bound_exceeded"
    assert pd.isna(failed.iloc[0]["Rank"]) and two.index[-1] == failed.index[0]  # after the ranked rows
    science = two[two["Status"] == "ok"].iloc[0]
    assert science["RMS error (ADU)"] == 0.8 and science["Stars checked"] == 120


def test_tables_html_name_each_bound_and_hold_no_lossless_row(board) -> None:
    view, f = _view(board)
    text = bound_tables_html(bound_tables(view.rows("keck", f), "keck"), "keck")
    for name in ("keck-nl1", "keck-nl2", "keck-nl4", "keck-nlsigma"):
        assert f'id="nl-{name}"' in text
    assert 'id="nl-keck"' not in text and "JPEG-XL" not in text  # the lossless baselines are not in these tables


def test_plot_has_one_line_per_codec_from_its_lossless_point(board) -> None:
    view, f = _view(board)
    rows = view.rows("keck", f)
    fig = rate_error_figure(rows, "keck")
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert sorted(t.name for t in lines) == sorted(CODECS.values())
    lossless = rows[rows["track"] == "keck"].set_index("codec")["ratio_mean"]
    for trace in lines:
        assert list(trace.x) == [0.0, 1.0, 2.0, 4.0]
        assert trace.y[0] == pytest.approx(lossless[trace.name])  # delta 0 = the codec's lossless record
        assert list(trace.y) == sorted(trace.y)
    stars = [t for t in fig.data if t.mode == "markers"]
    assert len(stars) == len(CODECS) and all(list(t.x) == [float(SIGMA_BOUNDS[1])] for t in stars)
    assert all(t.marker.symbol == "star" for t in stars)
    assert "⌊σ/2⌋" in fig.layout.xaxis.title.text and "largest" in fig.layout.xaxis.title.text
    ratios = {t.name: list(t.y) for t in lines}
    for codec_id, name in CODECS.items():
        assert ratios[name][1] == pytest.approx(lossless[name] * FACTORS[codec_id][1], rel=0.01)


def test_lossless_views_leave_near_lossless_records_out(board) -> None:
    f = Filters(data=board.default_data())
    assert set(board.filtered(f)["track"]) <= set(TRACKS)
    overview = board.render_overview(f)
    assert list(overview.columns) == list(OVERVIEW_HEADERS)  # the ten lossless tracks' columns only
    alpha = overview[overview["Codec"].str.startswith("Alpha NL")]
    lossless = board.filtered(f).query("track == 'keck' and codec == 'Alpha NL'")["ratio_mean"].iloc[0]
    assert len(alpha) == 1 and float(alpha.iloc[0]["Keck"]) == pytest.approx(lossless, abs=0.01)  # its lossless row
    assert not overview["Codec"].str.contains("Broken NL").any()  # near-lossless only: not on the overview
    ranked = board.render_ranking("keck", f)[0]
    assert ranked["Status"].eq("ok").all() and not ranked["Codec"].str.contains("Broken NL").any()
    assert len(board.filtered(f).query("track == 'keck'")) == 5 + len(CODECS)  # baselines + lossless NL codecs
    board.render(f)  # every lossless track renders
    assert board.cross_track().empty or not set(board.cross_track().columns) & {
        t.title for t in NEAR_LOSSLESS_TRACKS.values()}
    page = board.submission_page(f"baseline-{FAILED}")  # its own page still lists it
    assert "keck-nl2" in page[2].to_string()


def test_overview_never_counts_a_near_lossless_track(store: ResultStore) -> None:
    """A store of near-lossless records only: no lossless view shows a row, none raises."""
    for track in ("keck-nl1", "lco-nlsigma", "sdss-3d-time-nl4"):
        store.write(*near_lossless_record("nlcodec-a", track, 1.5))
    board = _fresh(store)
    f = Filters(data=board.default_data())
    assert board.filtered(f).empty and board.render_overview(f).empty
    board.render(f)
    view = NearLosslessView(board)
    assert [v for _, v in view.choices()] == ["lco", "keck", "sdss-3d-time"]
    shown, html_text, fig = view.render("sdss-3d-time", f)
    assert shown == "sdss-3d-time" and 'id="nl-sdss-3d-time-nl4"' in html_text and 'id="nl-caption"' not in html_text
    assert [t.name for t in fig.data if t.mode == "lines+markers"] == ["Alpha NL"]  # no lossless point: delta 4 only


def test_hostile_codec_names_are_escaped(store: ResultStore) -> None:
    for track, factor in (("keck", 1.0), ("keck-nl1", 1.4), ("keck-nlsigma", 2.0)):
        store.write(*near_lossless_record("evil", track, factor, codec=HOSTILE))
    board = _fresh(store)
    view, f = _view(board)
    _, html_text, fig = view.render("keck", f)
    assert "<img" not in html_text and "&lt;img src=x onerror=alert(1)&gt;" in html_text
    assert "<b>NL" not in html_text
    blob = json.dumps(fig.to_plotly_json(), default=str)
    assert "<img" not in blob and "<b>NL" not in blob and "&lt;img" in blob


def test_empty_store_and_links(store: ResultStore) -> None:
    view, f = _view(_fresh(store))
    assert view.choices() == [] and view.render(None, f)[0] is None
    assert parent_choices(pd.DataFrame(columns=["track"])) == []
    assert url_view({"tab": "near-lossless", "track": "keck"}).tab == "near-lossless"
    assert url_view({"track": "keck-nl2"}) == url_view({"tab": "near-lossless", "track": "keck"})
    assert url_view({"tab": "tracks", "track": "keck-nl2"}).track == "keck"
    assert url_view({"track": "<script>"}).track is None
