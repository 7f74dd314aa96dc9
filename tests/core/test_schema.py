"""The results schema and the failure-kind table: one place each, and what reads them agrees."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from evaluator.core.failures import FAILURE_KIND_TABLE, FAILURE_KINDS, CodecFailure, failure_kind
from evaluator.core.metrics import track_summary
from evaluator.core.schema import ITEM_COLUMNS, METRIC_TABLE, METRICS, SUMMARY_COLUMNS, ItemRow, TrackSummary
from evaluator.results.records import Failure, RecordQuery, ResultRecord, ResultStore
from leaderboard.data.store_reader import RECORD_COLUMNS
from leaderboard.views.tables import METRIC_COLUMNS, RUNTIME_COLUMNS


def test_every_track_metric_is_a_summary_field_and_shown_columns_are_metrics() -> None:
    summary_fields = {f.name for f in fields(TrackSummary)}
    assert {m.name for m in METRIC_TABLE if m.scope == "track"} <= summary_fields
    assert len(METRICS) == len(METRIC_TABLE)  # names are unique
    for col in (*METRIC_COLUMNS, *RUNTIME_COLUMNS):
        assert col.title == METRICS[col.field].label and col.digits == METRICS[col.field].digits
    assert set(SUMMARY_COLUMNS) <= set(RECORD_COLUMNS)
    assert ITEM_COLUMNS == tuple(f.name for f in fields(ItemRow))


def test_old_records_keep_loading_and_json_only_gains_fields() -> None:
    old = {"submission": "s", "codec": "c", "track": "hubble", "profile": "cpu-1", "split": "x",
           "provenance": "verified", "synthetic": True, "status": "ok",
           "summary": {"n_items": 2, "ratio_mean": 2.5, "a_field_from_the_future": 1}}
    rec = ResultRecord.from_dict(old)
    assert rec.summary.ratio_mean == 2.5 and rec.summary.bpp_mean is None
    written = json.loads(rec.to_json())["summary"]
    assert {"n_items", "ratio_mean"} <= set(written) and written["ratio_mean"] == 2.5


def test_track_summary_of_rows_and_of_a_failure() -> None:
    rows = [ItemRow(f"i{i}", "4x4", 16, b, None, None, 0.1, 0.2, 1.0, 3.0, None, "ok", None, None).to_dict()
            for i, b in enumerate((8, 16))]
    ok = track_summary(rows, failed=False)
    assert ok.n_items == 2 and ok.ratio_mean == pytest.approx((4.0 + 2.0) / 2) and ok.ratio_aggregate == pytest.approx(
        16 * 32 / (8 * 24))
    assert track_summary(rows, failed=True) == TrackSummary(n_items=2, n_items_ok_before_failure=2)
    assert track_summary([], failed=False).ratio_mean is None


def test_failure_kinds_are_one_table() -> None:
    assert set(FAILURE_KINDS) == {k.name for k in FAILURE_KIND_TABLE}
    assert failure_kind("startup_failed").scope == "track" and failure_kind("timeout").scope == "item"
    assert failure_kind("evaluator_error").fault == "platform"
    # the codec's own text never reaches participants on hidden data for kinds where the codec wrote it
    assert all(k.hidden_message for k in FAILURE_KIND_TABLE if k.fault == "codec" and k.name != "image_error")
    with pytest.raises(ValueError, match="unknown failure kind"):
        Failure("segfault", "x")
    with pytest.raises(ValueError, match="known:"):
        CodecFailure("segfault", "x")


def test_store_queries(tmp_path) -> None:
    store = ResultStore(str(tmp_path))
    for sub, track in (("baseline-rice", "hubble"), ("baseline-rice", "keck"), ("sub-1", "hubble")):
        store.write(ResultRecord(sub, sub, track, "cpu-1", "syn", "verified", True, "ok", {"n_items": 1}))
    assert [r.track for r in store.find(submission="baseline-rice")] == ["hubble", "keck"]
    assert [r.submission for r in store.find(track="hubble")] == ["baseline-rice", "sub-1"]
    assert [r.submission for r in store.find(prefix="baseline-")] == ["baseline-rice", "baseline-rice"]
    jsons, parquets = store.listing()
    assert set(jsons) == set(store.keys()) and not parquets
    assert RecordQuery.parse(store.keys()[0]) == RecordQuery("baseline-rice", "hubble", "cpu-1", "syn")
    assert set(store.files()) == {f"records/{k}.json" for k in store.keys()}
