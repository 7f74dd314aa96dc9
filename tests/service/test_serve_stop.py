"""A clean stop of the service mid-evaluation gives the submission back, uncounted, and leaves nothing (real Docker)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from evaluator.data.hidden_splits import register_split
from evaluator.results.image_identity import ImageIdentity
from evaluator.sandbox.policy import LABEL
from submissions.evaluation.intake import export_image
from submissions.inbox.ingest import images_dir
from submissions.queue import states
from submissions.queue.submission_queue import SubmissionQueue
from submissions.service.service import Service, ServiceConfig
from submissions.service.worker import SUBMISSION_REPOSITORY, WorkerConfig

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def test_stop_mid_run_requeues_without_counting(tmp_path: Path, codec_images, docker_client, monkeypatch) -> None:
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.setenv("CHALLENGE_RUN_DIR", str(runs))
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(40):  # 0.4 s each: the run is still going when the stop comes
        np.save(frames / f"f{i:02d}.npy", np.full((32, 32), 100 + i, np.uint16))
    register_split("stop-hubble", "SBI-16-2D", frames)
    queue = SubmissionQueue(tmp_path / "q")
    image = docker_client.images.get(codec_images("slow", "stop")).id
    exp = export_image(image, images_dir(queue) / "slow-stop.tar.gz")
    sub = queue.enqueue(participant="team", name="slow-stop", image=ImageIdentity.frozen(image),
                        image_tar=str(exp.path),
                        tar_sha256=exp.sha256, tracks=["hubble"])
    lines: list[str] = []
    svc = Service(queue, WorkerConfig(store=str(tmp_path / "results"), tracks="hubble", poll_s=0.3,
                                      measure_image_size=False),
                  ServiceConfig(workers=1, cycle_s=0.5, stop_timeout_s=60), say=lines.append)
    runner = threading.Thread(target=svc.run)
    runner.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not any("evaluating hubble" in ln for ln in lines):
        time.sleep(0.3)
    time.sleep(3.0)  # a few items in
    t_stop = time.monotonic()
    svc.stop.set()
    runner.join(120)
    stop_s = time.monotonic() - t_stop
    import docker.errors

    try:  # the submission is pending again, so its loaded image stays for the next run; this test removes it
        docker_client.api.remove_image(f"{SUBMISSION_REPOSITORY}:{sub.id.lower()}")
    except docker.errors.APIError:
        pass
    assert not runner.is_alive()
    after = queue.get(sub.id)
    assert after.state == states.PENDING and after.attempts == 0, (after.state, after.attempts, after.reason)
    assert "will run again" in after.reason and after.lease_owner is None
    assert [t.to_state for t in after.history] == [states.PENDING, states.LOADING, states.RUNNING, states.PENDING]
    assert stop_s < 30, f"the stop took {stop_s:.0f} s"
    assert any(ln.startswith("health: pending=1 ") for ln in lines) and lines[-1] == "stopped"
    left = [c["Id"][:12] for c in docker_client.api.containers(all=True, filters={"label": LABEL})
            if c["ImageID"] == image]
    assert not left and list(runs.iterdir()) == []
