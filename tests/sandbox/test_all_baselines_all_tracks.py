"""Issue 3 acceptance: every classical baseline image, evaluated in the sandbox
on every track of the synthetic default, is lossless and gives byte for byte
the compressed sizes of the in-process functions."""

from __future__ import annotations

import pytest

from baselines.classical import CODECS
from baselines.evaluation import evaluate_baselines
from evaluator.core.tracks import TRACKS
from evaluator.data.data_source import resolve_source
from evaluator.results.records import ResultStore

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]


def test_every_baseline_on_every_track_matches_inprocess(docker_client, tmp_path, one_round_trip_profile):
    source = resolve_source("synthetic")
    tracks = list(TRACKS.values())
    sandboxed_store = ResultStore(str(tmp_path / "sandboxed"))
    inprocess_store = ResultStore(str(tmp_path / "inprocess"))
    sandboxed = evaluate_baselines(CODECS, tracks, source, sandboxed_store, profile=one_round_trip_profile)
    inprocess = evaluate_baselines(CODECS, tracks, source, inprocess_store, inprocess=True)
    assert len(sandboxed) == len(inprocess) == len(CODECS) * len(TRACKS)
    for a, b in zip(sandboxed, inprocess, strict=True):
        assert (a.submission, a.track) == (b.submission, b.track)
        assert a.status == "ok", (a.codec, a.track, a.failure)
        assert b.status == "ok", (b.codec, b.track, b.failure)
        assert a.profile == "cpu-1" and a.provenance == "verified" and a.synthetic
        assert a.image_digest and a.fingerprint_json()["image_digest"] == a.image_digest
        rows_a, rows_b = sandboxed_store.items(a.key), inprocess_store.items(b.key)
        assert len(rows_a) >= 1
        assert list(rows_a["item_id"]) == list(rows_b["item_id"])
        assert list(rows_a["compressed_bytes"]) == list(rows_b["compressed_bytes"]), (a.codec, a.track)
        assert (rows_a["status"] == "ok").all()
        assert 1.2 < a.summary.ratio_mean < 3.7, (a.codec, a.track, a.summary.ratio_mean)
