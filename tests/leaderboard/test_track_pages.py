"""Bounded views of big tables: pages keep the order and ranks, search reaches every row, CSV is plain text."""

from __future__ import annotations

import shutil

import pandas as pd
from lb_factory import verified_record

from evaluator.results.records import ResultStore
from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.data.store_reader import StoreReader
from leaderboard.views import plots, track_pages
from leaderboard.views.track_pages import GROUP_ROWS, PAGE_ROWS, bounded, matching, page_of


def _table(n: int) -> pd.DataFrame:
    return pd.DataFrame({"Rank": range(1, n + 1), "Codec": [f'codec-{i} <span class="nn"> neural</span>'
                                                            for i in range(n)],
                         "Profile": ["cpu-1" if i % 3 else "cpu-8" for i in range(n)],
                         "Machine": ["m"] * n, "Submission": [f"sub-{i:04d}" for i in range(n)]})


def test_pages_slice_in_order_and_clamp() -> None:
    table = _table(2 * PAGE_ROWS + 7)
    first, last = page_of(table, None, 1), page_of(table, None, 99)
    assert first.rows["Rank"].tolist() == list(range(1, PAGE_ROWS + 1)) and first.paged
    assert last.page == last.pages == 3 and last.rows["Rank"].tolist() == list(range(2 * PAGE_ROWS + 1, len(table) + 1))
    assert f"Rows {2 * PAGE_ROWS + 1}-{len(table)} of {len(table)}" in last.caption(None)
    assert not page_of(_table(PAGE_ROWS), None, 1).paged  # a small table: no pager, every row


def test_search_matches_every_word_on_the_words_shown() -> None:
    table = _table(500)
    found = page_of(table, "sub-0421 NEURAL", 1)  # case-insensitive, the cell's text, not its HTML
    assert found.rows["Submission"].tolist() == ["sub-0421"] and found.rows["Rank"].tolist() == [422]
    assert matching(table, "span").empty  # markup is not searched
    assert "No row matches" in page_of(table, "nothing-like-this", 1).caption("nothing-like-this")


def test_bounded_keeps_the_first_rows_of_each_group() -> None:
    table = _table(3 * GROUP_ROWS)
    shown = bounded(table)
    assert shown.groupby("Profile").size().to_dict() == {"cpu-1": GROUP_ROWS, "cpu-8": GROUP_ROWS}
    assert shown["Rank"].is_monotonic_increasing
    last = f"sub-{3 * GROUP_ROWS - 1:04d}"  # beyond the bound of its group: the search still finds it
    assert bounded(table, last)["Submission"].tolist() == [last]


def test_csv_files_hold_every_row_as_plain_text(store: ResultStore) -> None:
    for i in range(5):
        rec, items = verified_record("jpegls", "hubble", codec=f"c{i}", submission=f"s{i}", seed=i, neural=i == 0)
        store.write(rec, items)
    data = LeaderboardData(StoreReader(store.url))
    data.refresh(force=True)
    paths = data.track_csv("hubble", Filters())
    assert data.track_csv("hubble", Filters()) == paths  # written once per track version and filters
    ranking = pd.read_csv(next(p for p in paths if "ranking" in p))
    assert len(ranking) == 5 and set(ranking["Badges"]) == {"verified synthetic"}
    assert "c0 neural" in set(ranking["Codec"]) and not ranking["Codec"].str.contains("<").any()


def test_pareto_plot_draws_the_front_and_the_best_points_of_a_big_board() -> None:
    n = plots.PARETO_POINTS + 200
    frame = pd.DataFrame({"track": "hubble", "status": "ok", "profile": "cpu-1", "codec": [f"c{i}" for i in range(n)],
                          "provenance": "verified", "data": "synthetic",
                          "encode_mb_s": [1.0 + (i * 37 % n) for i in range(n)],
                          "ratio_mean": [2.0 + (i * 53 % n) / n for i in range(n)]})
    fig = plots.pareto_figure(frame, "hubble")
    markers = next(t for t in fig.data if t.mode == "markers")
    front = plots.pareto_front(frame, "encode_mb_s", "ratio_mean")
    assert plots.PARETO_POINTS <= len(markers.x) <= plots.PARETO_POINTS + len(front)
    assert set(front["codec"]) <= {t.split(" (")[0] for t in markers.text}
    assert "more not drawn" in fig.layout.title.text
    assert track_pages.plain("<b>a</b> &amp; b") == "a & b"


def test_csv_files_after_their_folder_is_gone() -> None:
    """At interpreter exit the folder goes first; a background render still running writes nothing."""
    csv = track_pages.CsvFiles()
    table = pd.DataFrame({"Codec": ["a"], "Ratio": [2.0]})
    first = csv.files(("hubble", 1), {"ranking": table})
    assert len(first) == 1 and pd.read_csv(first[0])["Codec"].tolist() == ["a"]
    shutil.rmtree(csv.root)
    assert csv.files(("hubble", 2), {"ranking": table}) == []
    assert not csv.root.exists()


def test_csv_files_when_their_folder_goes_during_the_write(monkeypatch) -> None:
    """The folder removed between the check and the write (exit while a render runs): no error, no file."""
    csv = track_pages.CsvFiles()
    write = pd.DataFrame.to_csv

    def remove_then_write(frame: pd.DataFrame, *args: object, **kwargs: object) -> object:
        shutil.rmtree(csv.root, ignore_errors=True)
        return write(frame, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", remove_then_write)
    table = pd.DataFrame({"Codec": ["a"], "Ratio": [2.0]})
    assert csv.files(("hubble", 1), {"ranking": table, "runtime": table}) == []
    assert csv.files(("hubble", 1), {"ranking": table}) == []  # nothing was remembered as written
    assert not csv.root.exists()
