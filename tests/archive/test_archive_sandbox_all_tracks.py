"""Issue 13 acceptance: every archive codec image passes the sandbox on every track of the synthetic
default, and each item's compressed size there is the size of the tool's own output on that item
(the bytes themselves are compared in process: test_archive_codecs.py)."""

from __future__ import annotations

import pytest
from archive_host_tools import host_output, require_tools

from baselines.archive import ARCHIVE_CODECS
from baselines.evaluation import evaluate_baselines
from evaluator.core.tracks import TRACKS
from evaluator.data.data_source import resolve_source
from evaluator.results.records import ResultStore

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.mark.parametrize("name", list(ARCHIVE_CODECS))
def test_archive_image_on_every_track_matches_the_tool(name, docker_client, tmp_path, one_round_trip_profile):
    require_tools()
    source = resolve_source("synthetic")
    tracks = list(TRACKS.values())
    sandboxed_store = ResultStore(str(tmp_path / "sandboxed"))
    inprocess_store = ResultStore(str(tmp_path / "inprocess"))
    sandboxed = evaluate_baselines([name], tracks, source, sandboxed_store, profile=one_round_trip_profile)
    inprocess = evaluate_baselines([name], tracks, source, inprocess_store, inprocess=True)
    assert len(sandboxed) == len(inprocess) == len(TRACKS)
    for a, b, track in zip(sandboxed, inprocess, tracks, strict=True):
        assert a.status == "ok", (a.codec, a.track, a.failure)
        assert b.status == "ok", (b.codec, b.track, b.failure)
        assert a.submission == f"baseline-{name}" and a.track == track.name and a.provenance == "verified"
        assert a.image_digest and a.synthetic and a.profile == "cpu-1"
        rows_a, rows_b = sandboxed_store.items(a.key), inprocess_store.items(b.key)
        items = list(source.iter_items(track))
        assert list(rows_a["item_id"]) == list(rows_b["item_id"]) == [i.id for i in items]
        tool_sizes = [len(host_output(name, i.data, tmp_path)) for i in items]
        assert list(rows_a["compressed_bytes"]) == list(rows_b["compressed_bytes"]) == tool_sizes, (name, track.name)
        assert (rows_a["status"] == "ok").all()
        assert 0.8 < a.summary.ratio_mean < 4.0, (a.codec, a.track, a.summary.ratio_mean)  # GZIP_2: 0.93 on jwst-2d
