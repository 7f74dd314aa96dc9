"""The published queue snapshot after real sandboxed runs: a codec's stderr on hidden data never reaches it.

The ``crashmid`` test codec prints "crashing on purpose" to stderr and dies on
its third item. Run on a hidden split, that text goes to the organizer log
only, and the snapshot (what ``challenge status --from`` and the Space show)
holds the failure kind and the failure table's hidden message; run on public
data, the same text is the submitter's own log in the snapshot.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluator.core.tracks import TRACKS
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultStore
from evaluator.run.evaluate import ImageRun, ItemsSource, evaluate_image
from submissions.evaluation.intake import describe_failures
from submissions.queue import states
from submissions.queue.limits import SubmissionLimits
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.queue_snapshot import build_snapshot

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

HUBBLE = TRACKS["hubble"]
STDERR = "crashing on purpose"


def _evaluate_as_the_worker(queue: SubmissionQueue, store: ResultStore, tag: str, digest: str, who: str,
                            source: ItemsSource, profile) -> str:
    sid = queue.enqueue(participant=who, name="crashmid", image=ImageIdentity.frozen(digest)).id
    assert queue.claim("w1") is not None
    queue.transition(sid, states.RUNNING, "evaluating", owner="w1")
    records = evaluate_image(ImageRun(tag, [HUBBLE], source, profile, store, submission=sid, codec_name="crashmid",
                                      show_logs=False, measure_image_size=False))
    queue.transition(sid, states.FAILED, "; ".join(describe_failures(records)), owner="w1")
    return sid


def test_hidden_run_logs_stay_out_of_the_snapshot(test_codec, docker_client, tiny_source, test_profile,
                                                  tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.setenv("CHALLENGE_RUN_DIR", str(runs))
    tag = test_codec("crashmid")
    digest = docker_client.images.get(tag).id
    store = ResultStore(str(tmp_path / "results"))
    queue = SubmissionQueue(tmp_path / "queue", limits=SubmissionLimits(per_day=50))
    hidden = ItemsSource({"hubble": tiny_source.items["hubble"]}, label="hidden:tiny", synthetic=False, hidden=True)

    secret_sid = _evaluate_as_the_worker(queue, store, tag, digest, "eve", hidden, test_profile)
    logs = list((tmp_path / "home" / "organizer-logs").glob("*.log"))
    assert len(logs) == 1 and STDERR in logs[0].read_text()  # the organizer has it
    snap = build_snapshot(queue, store)
    assert STDERR not in snap.to_json().decode()
    entry, = snap.of("eve")
    score, = entry.scores
    assert entry.id == secret_sid and entry.state == "failed" and score.hidden and score.failure_kind == "crash"
    assert score.log is None and "hidden data" in score.message and score.message in entry.reason

    # the same codec on public data (a resubmission: a failed digest may be queued again)
    public_sid = _evaluate_as_the_worker(queue, store, tag, digest, "eve", tiny_source, test_profile)
    snap = build_snapshot(queue, store)
    by_id = {e.id: e for e in snap.of("eve")}
    public, = by_id[public_sid].scores
    assert not public.hidden and public.log is not None and STDERR in public.log
    hidden_entry = by_id[secret_sid]
    assert STDERR not in hidden_entry.reason and all(s.log is None for s in hidden_entry.scores)
    assert list(runs.iterdir()) == []
