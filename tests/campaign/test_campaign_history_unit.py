"""Campaign logs, shard records (resume keys) and the drift comparison, on a local store, without Docker."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
from test_campaign_plan import _row, _shard, _task

from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import Failure, ResultStore
from submissions.campaign.campaign_drift import compare_campaigns, to_markdown
from submissions.campaign.campaign_history import CampaignArchive, CampaignLog, list_campaigns, load_campaign
from submissions.campaign.campaign_shards import merge_shards
from submissions.evaluation.evaluation_task import TaskResult, failed_task


def _archive(url: str, tasks: list) -> CampaignArchive:
    arch = CampaignArchive(url, CampaignLog.start(tasks))
    arch.save_log()
    return arch


def test_shard_records_round_trip_and_say_what_resume_runs(tmp_path: Path) -> None:
    url = str(tmp_path / "store")
    tasks = [_task(k, 4) for k in range(4)]
    arch = _archive(url, tasks)
    ok = _shard(0, 4, [_row(0, 50), _row(4, 70)])
    verdict = _shard(1, 4, [_row(1, 60)], failure=Failure("not_lossless", "differs", "it1"))
    fault = TaskResult(_task(2, 4), ok.rows.iloc[:0], None, error=Failure("evaluator_error", "engine gone"))
    for res in (ok, verdict, fault, failed_task(_task(3, 4), Failure("startup_failed", "no GPU"))):
        arch.save_shard(res)
    again = load_campaign(url, arch.log.id)
    assert again.log.campaign_tasks() == tasks and again.log.status == "unfinished"
    kept = again.finished_shards(tasks)
    assert sorted(kept) == [tasks[0].key, tasks[1].key]  # a platform fault and a never-run task run again
    pd.testing.assert_frame_equal(kept[tasks[0].key].rows, ok.rows, check_dtype=False)
    assert kept[tasks[1].key].failure.kind == "not_lossless"
    arch.save_shard(ok)  # the same shard again replaces its record, never adds one
    assert len(list((Path(url) / "campaigns" / arch.log.id / "shards").rglob("*.json"))) == 4
    # the key holds the image digest, track, shard, profile (the campaign is the folder)
    assert arch.shard_key(tasks[2]) == "s/keck-cpu-1-2of4-img"


def test_merged_records_are_kept_per_campaign_and_accepted_ones_go_on_the_board(tmp_path: Path) -> None:
    url = str(tmp_path / "store")
    board = ResultStore(url)
    arch = _archive(url, [_task(0, 1)])
    record, rows = merge_shards([_shard(0, 1, [_row(0, 50)])])
    arch.publish(record, rows, board)
    fault, _ = merge_shards([TaskResult(_task(0, 1), rows.iloc[:0], None,
                                         error=Failure("evaluator_error", "engine gone"))])
    later = _archive(url, [_task(0, 1)])
    later.publish(fault, rows.iloc[:0], board)  # a platform fault is kept in its campaign, not put on the board
    assert board.read(record.key).campaign == arch.log.id and board.read(record.key).status == "ok"
    assert later.records.read(record.key).status == "failed"
    arch.finish(scheduler="local (1 workers)", counts={"tasks_done": 1}, shard_results=[])
    assert [c.id for c in list_campaigns(url)] == sorted([arch.log.id, later.log.id])
    assert load_campaign(url, arch.log.id).log.status == "finished"


def test_drift_flags_size_differences_and_compares_times(tmp_path: Path) -> None:
    url = str(tmp_path / "store")
    board = ResultStore(url)
    a, b = _archive(url, [_task(0, 1)]), _archive(url, [_task(0, 1)])
    rec_a, rows_a = merge_shards([_shard(0, 1, [_row(0, 50), _row(1, 60)])])
    rows_b = [_row(0, 50), _row(1, 61)]
    rows_b[0]["encode_s"] = 0.02  # twice as slow on item 0
    rec_b, rows_b_df = merge_shards([_shard(0, 1, rows_b)])
    a.publish(rec_a, rows_a, board)
    b.publish(rec_b, rows_b_df, board)
    report = compare_campaigns(a, b)
    (pair,) = report.pairs
    assert [(m.item_id, m.bytes_a, m.bytes_b) for m in pair.size_mismatches] == [("it1", 60, 61)]
    assert report.failures == [pair] and pair.items_compared == 2
    assert pair.encode.median == 1.5 and pair.encode.ratio_of_means == (0.02 + 0.02) / (0.01 + 0.02)
    assert "it1: 60 bytes in A, 61 in B" in to_markdown(report)


def test_cli_names_an_unknown_campaign_and_what_to_do(tmp_path: Path) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from challenge.cli import app  # noqa: PLC0415

    url = str(tmp_path / "store")
    known = _archive(url, [_task(0, 1)]).log.id
    runner = CliRunner()
    res = runner.invoke(app, ["admin", "campaign", "--resume", "c-nope", "--store", url])
    assert res.exit_code == 2 and "no campaign 'c-nope'" in res.output and known in res.output  # bad input
    res = runner.invoke(app, ["admin", "drift", known, "c-nope", "--store", url])
    assert res.exit_code == 2 and "admin campaigns" in res.output
    res = runner.invoke(app, ["admin", "campaigns", "--store", url], env={"COLUMNS": "250"})
    assert res.exit_code == 0 and known in res.output and "unfinished" in res.output


def test_a_log_from_before_the_identity_was_carried_still_resumes() -> None:
    """Campaign logs written before tasks carried an ImageIdentity name the image by reference, with
    ``image_compressed_size`` beside it and the ref -> id map in ``digests``: they resume on the same image."""
    new = _task(1, 4)
    old = {**dataclasses.asdict(new), "image": "astrocompress/baseline-rice:abc", "image_compressed_size": 4096}
    image_id = "sha256:" + "e" * 64
    log = CampaignLog(id="c", started_at="t", plan={}, versions={}, tasks=[old],
                      digests={"astrocompress/baseline-rice:abc": image_id})
    (task,) = log.campaign_tasks()
    assert task.image == ImageIdentity(digest=image_id, id=image_id, ref="astrocompress/baseline-rice:abc",
                                       compressed_size_bytes=4096)
    assert dataclasses.replace(task, image=new.image) == new  # every other field as it was
    # a new log round-trips the identity itself
    log2 = CampaignLog.start([new], campaign_id="c2")
    assert log2.campaign_tasks() == [new] and log2.digests == {"img": "img"}
