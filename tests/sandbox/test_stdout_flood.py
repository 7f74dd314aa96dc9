"""A codec flooding stdout fails its item with ``protocol`` within seconds, on the real ``cpu-1`` profile.

Issue 11: a flood after the ready line held the evaluator 255 s for one item
(nobody read the pipe, so ``docker kill`` waited for it until the request
deadline of a 4-megapixel item). The item here is that big, so the
per-request deadline is minutes: only the sandbox's own reaction can make
it fail in time.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from evaluator.core.tracks import TRACKS
from evaluator.data.items import Item
from evaluator.run.evaluate import ImageRun, ItemsSource, evaluate_image
from evaluator.sandbox.policy import LABEL
from evaluator.sandbox.profiles import PROFILES

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]


@pytest.fixture(autouse=True)
def _run_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CHALLENGE_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("CHALLENGE_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize(("name", "text"), [("stdoutflood", "longer than"),
                                            ("floodafterready", "non-JSON stdout line")])
def test_stdout_flood_fails_with_protocol_fast(name, text, test_codec, docker_client):
    tag = test_codec(name)
    big = np.random.default_rng(0).poisson(500, (2048, 2048)).astype(np.uint16)
    source = ItemsSource({"hubble": [Item("big-0", big)]}, label="flood-test")
    cpu1 = PROFILES["cpu-1"]
    assert cpu1.request_timeout(big.size) > 200  # the deadline is far away
    t0 = time.monotonic()
    (record,) = evaluate_image(ImageRun(tag, [TRACKS["hubble"]], source, cpu1, None, measure_image_size=False,
                                        submission=f"flood-{name}"))
    took = time.monotonic() - t0
    assert record.failure is not None and record.failure.kind == "protocol", record.failure
    assert text in record.failure.message
    assert took <= 30, f"the flood held the evaluator {took:.0f} s"
    image_id = docker_client.images.get(tag).id
    left = [c["Id"][:12] for c in docker_client.api.containers(all=True, filters={"label": LABEL})
            if c["ImageID"] == image_id]
    assert not left, f"containers left behind: {left}"
