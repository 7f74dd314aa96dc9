"""Two campaigns over 3 codec images x 3 tracks, then history, drift and the board (real Docker, real Dask).

Two classical baselines are honest (same bytes every run); the padded test
codec (tests/campaign/codecs/padded) is lossless but appends random bytes, so
its sizes change between campaigns and the drift report must flag it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from campaign_support import build_padded, docker_ok, local_cluster
from typer.testing import CliRunner

from challenge.cli import app
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultStore
from leaderboard.data.store_reader import StoreReader
from submissions.campaign.campaign import (
    CampaignReport,
    CampaignTarget,
    plan_campaign,
    run_campaign,
)
from submissions.campaign.campaign_history import list_campaigns

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TRACKS = "keck,sdss-2d,jwst-2d"  # 3 items each in the synthetic default
HONEST = ["rice", "jpegls"]


@pytest.fixture(scope="module")
def two_campaigns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CampaignReport, CampaignReport]]:
    if not docker_ok():
        pytest.skip("Docker engine not reachable")
    from distributed import Client  # noqa: PLC0415

    from submissions.campaign.campaign import baseline_targets  # noqa: PLC0415

    root = tmp_path_factory.mktemp("drift")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHALLENGE_HOME", str(root / "home"))
        mp.setenv("DASK_LOGGING__DISTRIBUTED", "warning")
        padded = CampaignTarget("sub-padded", "padded", ImageIdentity.named(build_padded(root)))
        targets = [*baseline_targets(HONEST), padded]
        tasks = plan_campaign(targets, TRACKS, "synthetic", "cpu-1")
        assert len(tasks) == 9
        url = str(root / "store")
        cluster = local_cluster()
        try:
            with Client(cluster) as client:
                first = run_campaign(tasks, url, client=client)
                second = run_campaign(tasks, url, client=client)
        finally:
            cluster.close()
        yield url, first, second


def test_drift_flags_only_the_nondeterministic_codec(two_campaigns: tuple[str, Any, Any]) -> None:
    url, first, second = two_campaigns
    assert first.ok and second.ok and first.campaign_id != second.campaign_id
    res = CliRunner().invoke(app, ["admin", "drift", first.campaign_id, second.campaign_id, "--store", url],
                             env={"COLUMNS": "220"})
    assert res.exit_code == 1, res.output  # a reproducibility failure exits 1
    assert "reproducibility failure: padded (sub-padded)" in res.output
    drift_dir = Path(url) / "campaigns" / "drift"
    report = json.loads(next(drift_dir.glob("*.json")).read_text())
    assert sorted(report["reproducibility_failures"]) == [f"sub-padded/{t}" for t in sorted(TRACKS.split(","))]
    pairs = report["pairs"]
    assert len(pairs) == 9 and all(p["items_compared"] == 3 for p in pairs)
    for p in pairs:
        honest = p["submission"] != "sub-padded"
        assert (p["size_mismatches"] == []) == honest, p
        assert p["encode"]["median"] > 0 and p["encode"]["p10"] <= p["encode"]["median"] <= p["encode"]["p90"]
        assert p["decode"]["ratio_of_means"] > 0
    md = next(drift_dir.glob("*.md")).read_text()
    assert "## Reproducibility failures" in md and md.count("| none |") == 6


def test_history_lists_both_and_the_board_counts_each_record_once(two_campaigns: tuple[str, Any, Any]) -> None:
    url, first, second = two_campaigns
    logs = list_campaigns(url)
    assert [c.id for c in logs] == [first.campaign_id, second.campaign_id]
    for c in logs:
        assert c.status == "finished" and c.plan["tracks"] == sorted(TRACKS.split(","))
        assert c.plan["shards"] == 1 and len(c.plan["submissions"]) == 3 and c.counts["tasks_done"] == 9
        assert c.versions["evaluator"] and c.versions["code"] and c.machines and "cpu_model" in c.machines[0]
    res = CliRunner().invoke(app, ["admin", "campaigns", "--store", url], env={"COLUMNS": "250"})
    assert res.exit_code == 0 and first.campaign_id in res.output and "2 campaigns" in res.output
    # each campaign keeps its own 9 records; the board has the latest of each (submission, track) once
    for c in logs:
        assert len(ResultStore(f"{url}/campaigns/{c.id}").keys()) == 9
    reader = StoreReader(url)
    reader.refresh()
    frame = reader.records_frame()
    assert len(frame) == 9 and not frame.duplicated(["submission", "track"]).any()
    assert {reader.record(k).campaign for k in reader.keys()} == {second.campaign_id}
    rec = reader.record(reader.keys()[0])
    assert rec.summary.encode_s_spread is not None  # short items are timed 3 times (timing noise kept)
