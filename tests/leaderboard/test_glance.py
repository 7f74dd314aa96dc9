"""Issue 23 (a board read at a glance): data views, plain labels, the overview's score, links, columns."""

from __future__ import annotations

import pandas as pd

from evaluator.core.tracks import PAPER_TRACKS, TRACKS
from leaderboard.app import column_choice
from leaderboard.app.url_state import url_view
from leaderboard.data import data_views
from leaderboard.views import tables
from leaderboard.views.filter_labels import KIND_WORDS, PROFILE_WORDS, PROVENANCE_WORDS, labelled
from leaderboard.views.overview import BEST_CLASS, OVERVIEW_HEADERS, overview_table

SYN = "synthetic default (small, seed 0), full test"


def test_splits_read_in_plain_words() -> None:
    assert data_views.plain_split("synthetic-small-s0:full_test", True) == SYN
    assert data_views.plain_split("synthetic-small-s1-tiny_test", True) == "synthetic (small, seed 1), tiny test"
    assert data_views.plain_split("hub:0123456789abcdef:full_test", False) == \
        "real: full test (Hub revision 0123456789ab)"
    assert data_views.plain_split("hidden:keck-2025", False) == "hidden test: keck-2025"
    assert data_views.plain_split("paper:full_test", False) == "paper: real full test split"
    odd = 'synthetic-<img src=x onerror="x()">'
    assert data_views.plain_split(odd, True) == odd  # not recognised: as it is (escaped where shown)
    assert tables.data_label("synthetic-small-s0:full_test", True, "verified") == SYN


def _records(rows: list[tuple[str, str, str, bool, str, float]]) -> pd.DataFrame:
    """(submission, split, track, synthetic, provenance, ratio) -> a labelled records table."""
    out = pd.DataFrame([{"submission": s, "split": sp, "track": t, "synthetic": syn, "provenance": p,
                         "ratio_mean": r, "codec": s.upper(), "profile": "paper" if p == "paper" else "cpu-1",
                         "status": "ok", "neural": False, "created_at": f"2026-01-01T00:00:{i:02d}",
                         "encode_s_median": None, "encode_s_mean": None}
                        for i, (s, sp, t, syn, p, r) in enumerate(rows)])
    return tables.with_labels(out)


def test_views_split_the_data_and_default_to_real() -> None:
    frame = _records([("a", "paper:full_test", "lco", False, "paper", 2.0),
                      ("b", "synthetic-small-s0:full_test", "lco", True, "verified", 3.0),
                      ("c", "hidden:secret", "lco", False, "verified", 2.5),
                      ("d", "synthetic-small-s1:full_test", "lco", True, "verified", 3.1)])
    assert list(data_views.view_keys(frame)) == ["real", "synthetic", "hidden:secret",
                                                 "synthetic:synthetic-small-s1:full_test"]
    assert list(data_views.in_view(frame, "synthetic")["submission"]) == ["b"]
    assert list(data_views.in_view(frame, "real")["submission"]) == ["a"]
    assert data_views.default_view(frame) == "real"
    assert data_views.default_view(frame[frame["submission"] != "a"]) == "synthetic"  # no real rows
    assert [k for _, k in data_views.choices(frame)] == ["real", "synthetic", "synthetic:synthetic-small-s1:full_test",
                                                         "hidden:secret"]
    assert list(data_views.in_view(frame, "synthetic")["submission"]) == ["b"]  # the default set only
    offered = data_views.choices(frame)
    assert data_views.known("hidden:secret", offered) == "hidden:secret"
    assert data_views.known("hidden:other", offered) is None and data_views.known("<b>", offered) is None
    assert "platform" in data_views.note_line("synthetic") and "science" in data_views.note_line("synthetic")


def test_overview_sorts_by_mean_rank_and_marks_the_best() -> None:
    lco, keck, hubble = PAPER_TRACKS[:3]
    p = "paper:full_test"
    frame = _records([
        ("a", p, lco, False, "paper", 3.0), ("a", p, keck, False, "paper", 2.0), ("a", p, hubble, False, "paper", 2.0),
        ("b", p, lco, False, "paper", 2.5), ("b", p, keck, False, "paper", 2.5), ("b", p, hubble, False, "paper", 2.5),
        ("c", p, lco, False, "paper", 1.0),
        ("v", p, lco, False, "estimate", 9.0),  # an estimate: shown, never ranked, never the best
        ("s", "synthetic-small-s0:full_test", lco, True, "verified", 5.0),  # other data: its own ranks
    ])
    ov = overview_table(frame)
    assert list(ov.columns) == list(OVERVIEW_HEADERS)
    real = ov[ov["Data"].str.startswith("paper")]
    # b: ranks 2, 1, 1 -> 1.33; a: 1, 2, 2 -> 1.67; c: 3 (one track); v unranked, last
    assert [c.split("<")[0] for c in real["Codec"]] == ["B", "A", "C", "V"]
    assert real["Mean rank"].tolist()[:3] == [1.33, 1.67, 3.0] and pd.isna(real["Mean rank"].iloc[3])
    assert real["Paper tracks"].tolist()[:3] == [3, 3, 1] and pd.isna(real["Paper tracks"].iloc[3])
    title = TRACKS[lco].title
    assert BEST_CLASS in real.iloc[1][title] and ">3<" in real.iloc[1][title]  # a's 3.0 on LCO, marked
    assert BEST_CLASS not in real.iloc[3][title]  # the estimate's 9.0 is not a codec's best
    tie = overview_table(pd.concat([frame, _records([("w", p, lco, False, "estimate", 3.0)])]))
    assert BEST_CLASS not in tie[tie["Codec"].str.startswith("W")].iloc[0][title]  # equal to the best, unmarked
    synthetic = ov[ov["Data"] == SYN]
    assert synthetic["Mean rank"].tolist() == [1.0] and BEST_CLASS in synthetic.iloc[0][title]


def test_links_open_a_view_and_ignore_what_they_do_not_know() -> None:
    assert url_view({"tab": "tracks", "track": "hubble", "data": "real"}).track == "hubble"
    assert url_view({"track": "keck", "data": "synthetic"}).tab == "tracks"
    view = url_view({"tab": "submission", "submission": "sub-1"})
    assert (view.tab, view.submission) == ("submission", "sub-1")
    assert url_view({"tab": "<script>", "track": "nowhere"}) == url_view({})
    assert url_view(None).tab == "overview"


def test_filter_labels_are_plain_words() -> None:
    for words, values in ((PROFILE_WORDS, ("paper", "inprocess", "cpu-1")), (PROVENANCE_WORDS, tables.PROVENANCES),
                          (KIND_WORDS, tables.KINDS)):
        labels = [label for label, _ in labelled(values, words)]
        assert all(label != value for label, value in zip(labels, values)), labels
    assert not any("inprocess" in label for label, _ in labelled(["inprocess"], PROFILE_WORDS))


def test_the_column_chooser_keeps_rank_and_codec() -> None:
    frame = pd.DataFrame([[1] * len(tables.TRACK_TABLE_HEADERS)], columns=list(tables.TRACK_TABLE_HEADERS))
    shown, widths, kinds = column_choice.shown(frame, ["Data"])
    assert list(shown.columns) == ["Rank", "Codec", "Data"] and widths == ["56px", "160px", "235px"]
    assert kinds == ["number", "html", "str"]
    assert "Rank" not in column_choice.optional_columns()
    assert "lb-column-style" in column_choice.hide_script()


def test_queue_times_carry_their_zone() -> None:
    from leaderboard.views.queue_view import utc_text

    assert utc_text("2026-03-01T12:00:05+02:00") == "2026-03-01 10:00:05 UTC"
    assert utc_text("2026-03-01T12:00:05") == "2026-03-01 12:00:05 UTC"
    assert utc_text("not a time") == "not a time"
