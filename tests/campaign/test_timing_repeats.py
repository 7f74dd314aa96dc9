"""Timing noise: the profile says how often a short item is timed; rows and summaries keep the spread."""

from __future__ import annotations

import numpy as np
import pandas as pd

from baselines.classical.codecs import get_codec
from evaluator.core.metrics import relative_spread, track_summary
from evaluator.core.tracks import get_track
from evaluator.data.items import Item
from evaluator.results.records import item_frame
from evaluator.run.evaluate import ItemsSource
from evaluator.run.inprocess import InProcessCodec
from evaluator.run.track_run import run_track
from evaluator.sandbox.profiles import PROFILES
from leaderboard.views.tables import RUNTIME_TABLE_HEADERS, runtime_table


def test_profile_repeats_short_items_only() -> None:
    cpu1 = PROFILES["cpu-1"]
    assert cpu1.repeats_for(0.2) == 3 and cpu1.repeats_for(5.0) == 1
    assert cpu1.replace(timing_repeats=5, timing_repeat_below_s=10.0).repeats_for(5.0) == 5
    assert relative_spread([1.0, 2.0, 4.0]) == 1.5 and relative_spread([1.0]) is None


def test_short_items_are_timed_three_times_with_their_spread() -> None:
    rng = np.random.default_rng(0)
    items = [Item(f"t-{i}", rng.integers(900, 1100, size=(64, 64), dtype=np.uint16)) for i in range(3)]
    track = get_track("keck")
    source = ItemsSource({"keck": items})
    outcome = run_track(InProcessCodec(get_codec("rice"), "keck"), track, items, source, hidden=False,
                        log_name="timing-test", repeats=PROFILES["cpu-1"].repeats_for)
    assert outcome.failure is None
    rows = item_frame(outcome.rows)
    assert list(rows["timing_repeats"]) == [3, 3, 3]
    assert rows["encode_s_spread"].notna().all() and (rows["encode_s_spread"] >= 0).all()
    summary = track_summary(outcome.rows, failed=False)
    assert summary.encode_s_spread == rows["encode_s_spread"].median()
    once = run_track(InProcessCodec(get_codec("rice"), "keck"), track, items, source, hidden=False,
                     log_name="timing-test")
    assert [r.timing_repeats for r in once.rows] == [1, 1, 1]
    assert track_summary(once.rows, failed=False).encode_s_spread is None
    # same bytes whatever the repeats: only the timing changes
    assert [r.compressed_bytes for r in once.rows] == list(rows["compressed_bytes"])


def test_runtime_table_shows_the_spread_next_to_the_time() -> None:
    headers = list(RUNTIME_TABLE_HEADERS)
    assert headers.index("Encode spread") == headers.index("Encode s/item") + 1
    assert headers.index("Decode spread") == headers.index("Decode s/item") + 1
    frame = pd.DataFrame([{
        "track": "keck", "status": "ok", "submission": "s", "split": "x", "profile": "cpu-1", "fingerprint_id": "f",
        "hardware": "cpu", "codec": "c", "encode_mb_s": 10.0, "decode_mb_s": 10.0, "encode_s": 0.01,
        "encode_s_spread": 0.25, "decode_s_median": 0.01, "decode_s_spread": 0.5, "created_at": "t", "data": "d",
        "provenance": "verified", "synthetic": True, "neural": False, "portable": None, "key": "k",
    }])
    table = runtime_table(frame, "keck")
    assert table.loc[0, "Encode spread"] == 0.25 and table.loc[0, "Decode spread"] == 0.5
