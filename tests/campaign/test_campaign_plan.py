"""Campaign planning, sharding and the merge step, without Docker or Dask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluator.core.metrics import summarize
from evaluator.core.schema import TrackSummary
from evaluator.core.tracks import get_track
from evaluator.data.items import Item
from evaluator.results.fingerprints import Fingerprint
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ITEM_COLUMNS, Failure, ResultRecord
from evaluator.run.evaluate import ItemsSource
from submissions.campaign.campaign import (
    CampaignTarget,
    finished_targets,
    plan_campaign,
    submit_kwargs,
)
from submissions.campaign.campaign_shards import merge_shards
from submissions.evaluation.evaluation_task import ORDER_COLUMN, EvaluationTask, ShardSource, TaskResult
from submissions.queue import states
from submissions.queue.limits import SubmissionLimits
from submissions.queue.submission_queue import SubmissionQueue


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))


def _items(prefix: str, n: int) -> list[Item]:
    rng = np.random.default_rng(n)
    return [Item(f"{prefix}-{i:03d}", rng.integers(0, 2000, size=(4, 5), dtype=np.uint16)) for i in range(n)]


@pytest.mark.parametrize("n_items,count", [(7, 2), (7, 3), (2, 4), (10, 1), (0, 3)])
def test_every_item_lands_in_exactly_one_shard_in_order(n_items: int, count: int) -> None:
    track = get_track("keck")
    items = _items("k", n_items)
    src = ItemsSource({"keck": items}, label="mem")
    seen: list[tuple[int, str]] = []
    for index in range(count):
        shard = ShardSource(src, index, count)
        got = [it.id for it in shard.iter_items(track)]
        assert shard.positions["keck"] == [i for i in range(n_items) if i % count == index]
        assert got == [items[i].id for i in shard.positions["keck"]]  # the source's order, kept
        assert shard.label == "mem" and shard.is_empty("keck") == (not got)
        seen += list(zip(shard.positions["keck"], got))
    assert sorted(seen) == [(i, it.id) for i, it in enumerate(items)]  # each once, none lost


def test_shard_source_rejects_a_bad_shard() -> None:
    with pytest.raises(ValueError, match="shard 2 of 2"):
        ShardSource(ItemsSource({}), 2, 2)


def _target(sid: str, **manifest: object) -> CampaignTarget:
    return CampaignTarget(submission=sid, codec_name=f"codec {sid}", image=ImageIdentity.named(f"img/{sid}:1"),
                          manifest=dict(manifest))


def test_plan_fans_out_submission_track_shard() -> None:
    targets = [_target("a"), CampaignTarget("b", "B", ImageIdentity.named("img/b"), tracks=("sdss-2d", "lco"))]
    tasks = plan_campaign(targets, "keck,sdss-2d", "synthetic", "cpu-1", shards_per_track=3)
    assert [(t.submission, t.track, t.shard_index) for t in tasks] == [
        ("a", "keck", 0), ("a", "keck", 1), ("a", "keck", 2),
        ("a", "sdss-2d", 0), ("a", "sdss-2d", 1), ("a", "sdss-2d", 2),
        ("b", "sdss-2d", 0), ("b", "sdss-2d", 1), ("b", "sdss-2d", 2),  # b's own track list narrows
    ]
    assert {t.shard_count for t in tasks} == {3}
    assert len({t.key for t in tasks}) == len(tasks)  # distinct Dask keys
    assert all(t.split_label.startswith("synthetic-small-s0") and t.synthetic for t in tasks)
    assert not any(t.needs_gpu for t in tasks)
    assert "resources" not in submit_kwargs(tasks[0])


def test_gpu_tasks_carry_the_gpu_resource() -> None:
    # the campaign profile asks for a GPU: every task needs a GPU worker
    tasks = plan_campaign([_target("a")], "keck", "synthetic", "gpu-1", shards_per_track=2)
    assert all(t.needs_gpu and t.profile == "gpu-1" for t in tasks)
    assert submit_kwargs(tasks[0]) == {"key": tasks[0].key, "retries": 1, "pure": False, "resources": {"GPU": 1}}
    # no campaign profile: each submission's own manifest decides
    mixed = plan_campaign([_target("g", gpu=True, profile="gpu-1"), _target("c", profile="cpu-8")], "keck",
                          "synthetic", None, 1)
    assert [(t.submission, t.profile, t.needs_gpu, t.resources) for t in mixed] == [
        ("g", "gpu-1", True, {"GPU": 1}), ("c", "cpu-8", False, None)]


def test_plan_refuses_bad_input() -> None:
    with pytest.raises(KeyError, match="cpu-1"):
        plan_campaign([_target("a")], "keck", "synthetic", "cpu-9", 1)
    with pytest.raises(ValueError, match="at least 1"):
        plan_campaign([_target("a")], "keck", "synthetic", "cpu-1", 0)
    with pytest.raises(ValueError, match="unknown data source"):
        plan_campaign([_target("a")], "keck", "no-such-data", "cpu-1", 1)


def test_finished_targets_are_the_finished_submissions(tmp_path: Path) -> None:
    q = SubmissionQueue(tmp_path / "q", limits=SubmissionLimits(per_day=50))
    ids = []
    for i, end in enumerate([states.FINISHED, states.FAILED, states.FINISHED, None]):
        sub = q.enqueue(participant="p", name=f"codec{i}", image=ImageIdentity.frozen(f"sha256:{i:064x}"),
                        manifest={"profile": "cpu-1"}, tracks=["keck"] if i == 2 else None, now=1000.0 + i)
        ids.append(sub.id)
        if end is not None:
            q.claim("w")
            q.transition(sub.id, states.RUNNING, "go")
            q.transition(sub.id, end, "done")
    targets = finished_targets(q)
    assert [t.submission for t in targets] == [ids[0], ids[2]]  # oldest first; failed and pending left out
    assert targets[0].image == ImageIdentity.frozen("sha256:" + "0" * 64) and targets[1].tracks == ("keck",)
    assert targets[0].image_tag == f"astrocompress/submission:{ids[0].lower()}"


# -- the merge step ---------------------------------------------------------------------------


def _task(index: int, count: int) -> EvaluationTask:
    return EvaluationTask(submission="s", codec_name="S", image=ImageIdentity.named("img"), track="keck",
                          shard_index=index, shard_count=count, needs_gpu=False, profile="cpu-1", data_spec="synthetic",
                        split_label="mem", synthetic=True)


def _row(i: int, nbytes: int, status: str = "ok", kind: str | None = None) -> dict[str, object]:
    npix = 100 + i
    return {"item_id": f"it{i}", "shape": "10x10", "npix": npix, "compressed_bytes": nbytes if status == "ok" else None,
            "bpp": 8 * nbytes / npix, "ratio": 2 * npix / nbytes, "encode_s": 0.01 * (i + 1),
            "decode_s": 0.02, "noise_sigma": 1.0, "noise_bpp": 3.0, "exptime": None, "status": status,
            "failure_kind": kind, "failure_message": "boom" if kind else None, ORDER_COLUMN: i}


def _shard(index: int, count: int, rows: list[dict[str, object]], failure: Failure | None = None,
           startup: float = 1.0) -> TaskResult:
    rec = ResultRecord(submission="s", codec="S", track="keck", profile="cpu-1", split="mem", provenance="verified",
                       synthetic=True, status="failed" if failure else "ok", failure=failure, startup_s=startup,
                       fingerprint=Fingerprint(profile="cpu-1", cores_granted=1, cpuset=str(index)))
    return TaskResult(_task(index, count), pd.DataFrame(rows, columns=[*ITEM_COLUMNS, ORDER_COLUMN]), rec)


def test_merge_restores_item_order_and_recomputes_the_summary() -> None:
    sizes = [50, 70, 60, 90, 40]
    shards = [_shard(k, 2, [_row(i, sizes[i]) for i in range(5) if i % 2 == k], startup=1.0 + k) for k in (1, 0)]
    record, rows = merge_shards(shards)
    assert list(rows["item_id"]) == [f"it{i}" for i in range(5)] and list(rows.columns) == list(ITEM_COLUMNS)
    want = summarize([100 + i for i in range(5)], sizes, [0.01 * (i + 1) for i in range(5)], [0.02] * 5, [3.0] * 5)
    assert record.summary.to_dict() == pytest.approx(want.to_dict())
    assert record.status == "ok" and record.failure is None and record.startup_s == pytest.approx(1.5)
    assert (record.submission, record.track, record.profile, record.split) == ("s", "keck", "cpu-1", "mem")
    assert record.fingerprint == Fingerprint(profile="cpu-1", cores_granted=1, cpuset="0")  # the first shard's machine


def test_merge_fails_the_track_with_the_earliest_failure() -> None:
    late = Failure("not_lossless", "shard 0 item 4 differs", "it4")
    early = Failure("timeout", "shard 1 item 1 timed out", "it1")
    shards = [
        _shard(0, 2, [_row(0, 50), _row(2, 60), _row(4, 40, "failed", "not_lossless")], failure=late),
        _shard(1, 2, [_row(1, 70, "failed", "timeout")], failure=early),
    ]
    record, rows = merge_shards(shards)
    assert record.status == "failed" and record.failure == early
    assert record.summary == TrackSummary.failed(2)
    assert list(rows["item_id"]) == ["it0", "it1", "it2", "it4"]
    # a task that raised (no record, no rows) outranks item failures: the whole run is suspect
    raised = TaskResult(_task(1, 2), pd.DataFrame(columns=[*ITEM_COLUMNS, ORDER_COLUMN]), None,
                         error=Failure("crash", "the evaluation task raised KeyError"))
    record2, _ = merge_shards([shards[0], raised])
    assert record2.status == "failed" and record2.failure is not None and "KeyError" in record2.failure.message
