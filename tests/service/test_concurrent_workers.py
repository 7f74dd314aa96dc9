"""Two workers of one service on this host evaluate at the same time on disjoint cores (real Docker).

Issue 11: every run of a profile was pinned to the same last core, so two
workers shared it and both timings were wrong. Here two ``cpu-1``
submissions run concurrently under ``Service(workers=2)``; their records
must show different cpusets, and their runs must overlap in time (else the
test would prove nothing).
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from evaluator.data.hidden_splits import register_split
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultStore
from submissions.evaluation.intake import export_image
from submissions.inbox.ingest import images_dir
from submissions.queue import states
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.service import Service, ServiceConfig
from submissions.service.worker import WorkerConfig

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def _window(sub) -> tuple[datetime, datetime]:
    run = next(t for t in sub.history if t.to_state == states.RUNNING)
    end = next(t for t in sub.history if t.to_state in states.TERMINAL)
    return datetime.fromisoformat(run.at), datetime.fromisoformat(end.at)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")
def test_two_workers_get_disjoint_cpusets(tmp_path: Path, codec_images, docker_client, monkeypatch) -> None:
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHALLENGE_RUN_DIR", str(tmp_path))
    frames = tmp_path / "frames"
    frames.mkdir()
    rng = np.random.default_rng(3)
    for i in range(8):
        np.save(frames / f"f{i}.npy", rng.poisson(300, (48, 64)).astype(np.uint16))
    register_split("pair-hubble", "SBI-16-2D", frames)
    queue = SubmissionQueue(tmp_path / "q")
    for v in ("p", "q"):
        image = docker_client.images.get(codec_images("slow", v)).id
        exp = export_image(image, images_dir(queue) / f"slow-{v}.tar.gz")
        queue.enqueue(participant=f"team-{v}", name=f"slow-{v}", image=ImageIdentity.frozen(image),
                      image_tar=str(exp.path),
                      tar_sha256=exp.sha256, tracks=["hubble"])
    store = str(tmp_path / "results")
    svc = Service(queue, WorkerConfig(store=store, tracks="hubble", poll_s=0.3, measure_image_size=False),
                  ServiceConfig(workers=2, cycle_s=0.5, prune_images=True))
    runner = threading.Thread(target=svc.run)
    runner.start()
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and queue.counts()[states.FINISHED] < 2:
        time.sleep(0.5)
    svc.stop.set()
    runner.join(120)
    assert not runner.is_alive()
    subs = queue.submissions()
    assert [s.state for s in subs] == [states.FINISHED] * 2, [s.reason for s in subs]
    records = list(ResultStore(store).records())
    fps = [r.fingerprint for r in records if r.fingerprint is not None]
    cpusets = sorted(str(fp.cpuset) for fp in fps)
    assert len(records) == 2 and cpusets[0] != cpusets[1], cpusets
    assert len(fps) == 2 and all(fp.cores_granted == 1 for fp in fps)
    (a0, a1), (b0, b1) = (_window(s) for s in subs)
    overlap = (min(a1, b1) - max(a0, b0)).total_seconds()
    assert overlap >= 1, f"the two runs did not overlap ({overlap:.0f} s)"
    assert {s.lease_owner for s in subs} == {None}
